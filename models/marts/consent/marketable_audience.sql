{{ config(contract={'enforced': true}) }}

with

status as (

    select * from {{ ref('consent_status') }}
    where can_contact

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}
    where not is_erased

),

final as (

    select
        status.contact_key,
        contacts.email,
        status.purpose,
        status.channel,
        coalesce(status.lawful_basis, 'not_applicable') as lawful_basis,
        status.granted_at,
        status.regime
    from status
    inner join contacts on contacts.contact_key = status.contact_key

)

select * from final
