{#- HubSpot "opt out of all" changes (PublicWideStatus): one row per landed line, typed, with the
    reason the line cannot be used (parse_error). -#}
with

lines as (

    {{ landing_lines('hubspot', 'wide_statuses') }}

),

parsed as (

    select
        *,
        {{ json_parse('raw_text') }} as doc
    from lines

),

typed as (

    select
        source_system,
        file_name,
        line_number,
        raw_text,
        extract_date,
        loaded_at,
        doc is not null as is_json_object,
        {{ normalize_email(json_text('doc', '$.subscriberIdString')) }} as email,
        lower({{ json_text('doc', '$.channel') }}) as channel,
        upper({{ json_text('doc', '$.status') }}) as wide_status,
        upper({{ json_text('doc', '$.wideStatusType') }}) as wide_status_type,
        {{ json_text('doc', '$.businessUnitId') }} as business_unit_id,
        {{ json_text('doc', '$.timestamp') }} as occurred_at_raw,
        {{ to_utc_timestamp(json_text('doc', '$.timestamp')) }} as occurred_at
    from parsed

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when not is_json_object then 'invalid_json'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when occurred_at_raw is null then 'missing_timestamp'
            when occurred_at is null then 'invalid_timestamp'
            when wide_status is null then 'missing_status'
            when wide_status not in ('SUBSCRIBED', 'UNSUBSCRIBED') then 'unknown_status'
            when channel is null then 'missing_channel'
        end as parse_error
    from typed

)

select * from final
