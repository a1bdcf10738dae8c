{#- Which addresses belong to a Salesforce Individual: the emails of every contact whose
    IndividualId names it (any extract, deleted contacts included: the person's choices still
    concern the address). One row per individual × address.

    An address is identified by its contact_key, never by the plain email: the erasure purge
    (macros/purge.sql) clears the email of an erased contact's staged records, and the
    Individual's events (its ShouldForget above all) must still reach that contact the next
    night. email is carried for display only and may be null once purged.

    An Individual's event is fanned out to each of its addresses, so each needs its own, stable
    source_record_id (the event_id hashes it): record_suffix is the contact that carried the
    address (the lowest contact id if several did), with '#n' when it was that contact's n-th
    address (a contact whose Email changed; addresses first seen at the same instant are numbered
    in contact_key order). -#}
with

contacts as (

    -- point in time: a contact record counts only from its own LastModifiedDate, so one dated
    -- after the run date (in whatever folder it landed) neither links nor renumbers addresses
    select * from {{ ref('stg_salesforce__contacts') }}
    where not is_header and parse_error is null
        and last_modified_at < {{ as_of_instant() }}

),

contact_addresses as (

    select
        contact_id,
        max(email) as email,
        contact_key,
        min(last_modified_at) as first_seen_at
    from contacts
    group by contact_id, contact_key

),

numbered_addresses as (

    select
        *,
        row_number() over (partition by contact_id order by first_seen_at, contact_key) as address_ordinal
    from contact_addresses

),

links as (

    select distinct individual_id, contact_id, contact_key
    from contacts
    where individual_id is not null

),

individual_addresses as (

    select
        links.individual_id,
        max(numbered_addresses.email) as email,
        numbered_addresses.contact_key,
        min(
            numbered_addresses.contact_id
            || case when numbered_addresses.address_ordinal > 1
                then '#' || numbered_addresses.address_ordinal else '' end
        ) as record_suffix
    from links
    inner join numbered_addresses
        on numbered_addresses.contact_id = links.contact_id
        and numbered_addresses.contact_key = links.contact_key
    group by links.individual_id, numbered_addresses.contact_key

),

final as (

    select
        *,
        row_number() over (partition by individual_id order by record_suffix) as address_number
    from individual_addresses

)

select * from final
