{{ config(contract={'enforced': true}) }}

{#- The outbox of re-consent requests: contacts holding a grant a newer notice requires fresh
    consent for, never anyone with a suppression of any kind, never an erased contact. -#}
with

status as (

    select * from {{ ref('consent_status') }}
    where status = 'reconsent_required'

),

contacts as (

    select * from {{ ref('contacts') }}

),

suppressed as (

    select distinct contact_key from {{ ref('suppression_list') }}

),

final as (

    select
        contacts.email,
        status.contact_key,
        string_agg(status.purpose || '/' || status.channel, '; ' order by status.purpose, status.channel)
            as purposes,
        string_agg(distinct status.policy_version, '; ' order by status.policy_version) as granted_under_policy,
        min(status.granted_at) as first_granted_at,
        contacts.jurisdiction
    from status
    inner join contacts on contacts.contact_key = status.contact_key
    where contacts.email is not null
        and not contacts.is_erased
        and status.contact_key not in (select contact_key from suppressed)
    group by contacts.email, status.contact_key, contacts.jurisdiction

)

select * from final
