{{ config(contract={'enforced': true}) }}

{#- Sends whose contact could not be contacted for that purpose and channel at sent_at. Empty
    until the sends source is staged. -#}
with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as send_id,
        cast(null as timestamp) as sent_at,
        cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as purpose,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as source_system,
        cast(null as {{ dbt.type_string() }}) as status_at_send,
        cast(null as {{ dbt.type_string() }}) as blocked_reason,
        cast(null as {{ dbt.type_string() }}) as evidence_event_id
    where false

)

select * from final
