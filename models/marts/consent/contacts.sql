{#- One row per known contact with its jurisdiction: the only consent table with the plain email.
    Erasure is permanent: a contact with an erasure known to the warehouse has no email and is
    erased here even in a backfill of a day before the request (the rest of the backfill stays the
    point-in-time answer). Exports, sync files and outboxes read is_erased from here. -#}
with

contacts as (

    select * from {{ ref('int_contacts__resolved') }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

known_erasures as (

    select * from {{ ref('int_erasures__known') }}

),

final as (

    select
        contacts.contact_key,
        case when not contacts.is_erased and known_erasures.contact_key is null then contacts.email end as email,
        contacts.is_erased or known_erasures.contact_key is not null as is_erased,
        coalesce(contacts.erased_at, known_erasures.erased_at) as erased_at,
        contacts.country_codes,
        contacts.jurisdiction_code as jurisdiction,
        jurisdictions.regime,
        contacts.source_systems,
        contacts.first_event_at,
        contacts.last_event_at
    from contacts
    inner join jurisdictions on jurisdictions.jurisdiction_code = contacts.jurisdiction_code
    left join known_erasures on known_erasures.contact_key = contacts.contact_key

)

select * from final
