{{ staging_config() }}

{#- HubSpot "opt out of all" changes (PublicWideStatus): one row per landed line, typed, with the
    reason the line cannot be used (parse_error). -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.subscriberIdString',
    '$.channel',
    '$.status',
    '$.wideStatusType',
    '$.businessUnitId',
    '$.timestamp',
] -%}

with

parsed as (

    {{ landing_json_records('hubspot', 'wide_statuses') }}

),

extracted as (

    select
        *,
        {{ json_texts('doc', text_paths) }} as doc_texts
    from parsed

),

typed as (

    select
        {{ staged_line_columns() }},
        doc is not null as is_json_object,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.subscriberIdString')) }} as email,
        lower({{ json_text_at('doc_texts', text_paths, '$.channel') }}) as channel,
        upper({{ json_text_at('doc_texts', text_paths, '$.status') }}) as wide_status,
        upper({{ json_text_at('doc_texts', text_paths, '$.wideStatusType') }}) as wide_status_type,
        {{ json_text_at('doc_texts', text_paths, '$.businessUnitId') }} as business_unit_id,
        {{ json_text_at('doc_texts', text_paths, '$.timestamp') }} as occurred_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.timestamp')) }} as occurred_at
    from extracted

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
