{{ staging_config() }}

{#- HubSpot email events (bounces, spam reports and the rest): one row per landed line, typed,
    with the reason the line cannot be used (parse_error). `created` is epoch milliseconds. -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.id',
    '$.type',
    '$.recipient',
    '$.created',
    '$.category',
    '$.emailCampaignId',
] -%}

with

parsed as (

    {{ landing_json_records('hubspot', 'email_events') }}

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
        {{ json_text_at('doc_texts', text_paths, '$.id') }} as email_event_id,
        upper({{ json_text_at('doc_texts', text_paths, '$.type') }}) as event_type,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.recipient')) }} as email,
        {{ json_text_at('doc_texts', text_paths, '$.created') }} as occurred_at_raw,
        {{ epoch_ms_to_timestamp(json_text_at('doc_texts', text_paths, '$.created')) }} as occurred_at,
        upper({{ json_text_at('doc_texts', text_paths, '$.category') }}) as bounce_category,
        {{ json_text_at('doc_texts', text_paths, '$.emailCampaignId') }} as email_campaign_id
    from extracted

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when not is_json_object then 'invalid_json'
            when email_event_id is null then 'missing_event_id'
            when event_type is null then 'missing_event_type'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when occurred_at_raw is null then 'missing_timestamp'
            when occurred_at is null then 'invalid_timestamp'
        end as parse_error
    from typed

)

select * from final
