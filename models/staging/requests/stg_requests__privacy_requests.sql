{{ staging_config() }}

{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.request_id',
    '$.received_at',
    '$.email',
    '$.type',
] -%}

with

parsed as (

    -- privacy requests are never dropped: damaged lines too (macros/landing.sql)
    {{ landing_json_records('requests', 'privacy_requests', damaged_lines=true) }}

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
        -- the line's own identity, for a request without request_id (int_requests_events__mapped):
        -- taken here, where the line is read, since only base_landing__lines keeps its text
        {{ sha256_hex('raw_text') }} as raw_text_sha256,
        doc is not null as is_json_object,
        {{ json_text_at('doc_texts', text_paths, '$.request_id') }} as request_id,
        {{ json_text_at('doc_texts', text_paths, '$.received_at') }} as received_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.received_at')) }} as received_at,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.email')) }} as email,
        lower({{ json_text_at('doc_texts', text_paths, '$.type') }}) as request_type
    from extracted

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        -- judged here, once, while the address is known: the erasure purge clears email later
        -- (macros/purge.sql) and the mapping must still know the request named a valid address
        case
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
        end as email_error,
        case
            when not is_json_object then 'invalid_json'
            when request_id is null then 'missing_request_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when received_at_raw is null then 'missing_timestamp'
            when received_at is null then 'invalid_timestamp'
            when request_type is null then 'missing_request_type'
            when request_type not in ('erasure', 'do_not_sell', 'objection', 'access') then 'unknown_request_type'
        end as parse_error
    from typed

)

select * from final
