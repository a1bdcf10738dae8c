{{ config(contract={'enforced': true}) }}

with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event'

),

final as (

    select
        event_id,
        contact_key,
        source_system,
        source_record_id,
        scope,
        channel,
        purpose,
        action,
        lawful_basis,
        occurred_at,
        capture_method,
        capture_point,
        policy_version,
        was_prechecked,
        double_opt_in_at,
        country_code,
        expires_at,
        ip_hash,
        file_name,
        line_number,
        element_index,
        loaded_at
    from events

)

select * from final
