{{ config(contract={'enforced': true}) }}

with

contacts as (

    select * from {{ ref('int_contacts__resolved') }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

final as (

    select
        contacts.contact_key,
        contacts.email,
        contacts.is_erased,
        contacts.erased_at,
        contacts.country_codes,
        contacts.jurisdiction_code as jurisdiction,
        jurisdictions.regime,
        contacts.source_systems,
        contacts.first_event_at,
        contacts.last_event_at
    from contacts
    inner join jurisdictions on jurisdictions.jurisdiction_code = contacts.jurisdiction_code

)

select * from final
