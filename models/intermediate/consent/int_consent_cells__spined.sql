{{ per_contact_incremental_config() }}

{#- Every known contact × every active purpose × each of its channels: the grain of
    consent_status, so "never asked" is an explicit row. -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

contacts as (

    select * from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}

),

purposes as (

    select * from {{ ref('consent_purposes') }}
    where is_active

),

purpose_channels as (

    select
        purpose,
        unnest(string_split(channels, '|')) as channel,
        is_sale_or_sharing
    from purposes

),

final as (

    select
        contacts.contact_key,
        purpose_channels.purpose,
        trim(purpose_channels.channel) as channel,
        purpose_channels.is_sale_or_sharing,
        contacts.jurisdiction_code
    from contacts
    cross join purpose_channels

)

select * from final
