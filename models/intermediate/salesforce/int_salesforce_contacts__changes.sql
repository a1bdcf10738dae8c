{#- Salesforce Contact snapshots as versions: one row per usable contact line (parsed, not
    deleted), with the previous version's consent flags. A contact's history is kept per address:
    when the Email of a contact changes, the new address starts a history of its own, so its first
    observation carries its flags. The address is told by its contact_key, not the plain email,
    which the erasure purge clears (macros/purge.sql). MailingCountry (a name or a code) is resolved to ISO alpha-2. -#}
with

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}
    where not is_header and parse_error is null and not is_deleted

),

country_names as (

    select * from {{ ref('country_names') }}

),

observations as (

    select
        contacts.*,
        coalesce(country_names.country_code, {{ country_code('contacts.mailing_country') }}) as country_code
    from contacts
    left join country_names
        on lower(trim(country_names.country_name)) = lower(trim(contacts.mailing_country))

),

versions as (

    {{ snapshot_versions(
        'observations',
        ['contact_id', 'contact_key'],
        'last_modified_at',
        ['has_opted_out_of_email', 'do_not_call', 'email_bounced_at']
    ) }}

),

final as (

    select * from versions

)

select * from final
