{#- Every country a source has given for a contact. Sources that give country outside events
    (CRM contact records) add a CTE here. -#}
with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event'

),

from_events as (

    select
        contact_key,
        country_code,
        cast(null as varchar) as subdivision_code,
        source_system,
        max(occurred_at) as observed_at
    from events
    where country_code is not null
    group by all

),

final as (

    select * from from_events

)

select * from final
