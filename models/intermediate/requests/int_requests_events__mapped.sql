with

requests as (

    select * from {{ ref('stg_requests__privacy_requests') }}

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }}
    from requests
    where parse_error is not null

),

no_consent_effect as (

    select {{ line_outcome('ignored', "'no_consent_effect'") }}
    from requests
    where parse_error is null and request_type = 'access'

),

request_events as (

    select
        source_system,
        file_name,
        line_number,
        0 as element_index,
        raw_text,
        loaded_at,
        'event' as outcome,
        cast(null as varchar) as reason,
        email,
        contact_key,
        request_id as source_record_id,
        'global' as scope,
        cast(null as varchar) as channel,
        cast(null as varchar) as purpose,
        case request_type
            when 'erasure' then 'erasure'
            when 'do_not_sell' then 'sale_opt_out'
            -- GDPR Art. 21 objection to direct marketing: stop all marketing
            when 'objection' then 'opt_out'
        end as action,
        'not_applicable' as lawful_basis,
        received_at as occurred_at,
        'api' as capture_method,
        'privacy_request:' || request_type as capture_point,
        cast(null as varchar) as policy_version,
        false as was_prechecked,
        cast(null as timestamp) as double_opt_in_at,
        cast(null as varchar) as country_code,
        cast(null as timestamp) as expires_at,
        cast(null as varchar) as ip_hash
    from requests
    where parse_error is null and request_type <> 'access'

),

final as (

    select * from rejected_lines
    union all
    select * from no_consent_effect
    union all
    select * from request_events

)

select * from final
