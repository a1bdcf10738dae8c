{{ staging_config() }}

{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.submission_id',
    '$.submitted_at',
    '$.email',
    '$.form_id',
    '$.page_url',
    '$.country',
    '$.ip',
    '$.gpc',
    '$.kind',
    '$.policy_version',
    '$.double_opt_in_confirmed_at',
] -%}
{%- set kind_paths = [
    '$.gpc',
    '$.consents',
] -%}

with

parsed as (

    {{ landing_json_records('webforms', 'submissions') }}

),

extracted as (

    select
        *,
        {{ json_texts('doc', text_paths) }} as doc_texts,
        {{ json_kinds('doc', kind_paths) }} as doc_kinds
    from parsed

),

typed as (

    select
        {{ staged_line_columns() }},
        doc is not null as is_json_object,
        {{ json_text_at('doc_texts', text_paths, '$.submission_id') }} as submission_id,
        {{ json_text_at('doc_texts', text_paths, '$.submitted_at') }} as submitted_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.submitted_at')) }} as submitted_at,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.email')) }} as email,
        {{ json_text_at('doc_texts', text_paths, '$.form_id') }} as form_id,
        {{ json_text_at('doc_texts', text_paths, '$.page_url') }} as page_url,
        {{ country_code(json_text_at('doc_texts', text_paths, '$.country')) }} as country_code,
        {{ sha256_hex(json_text_at('doc_texts', text_paths, '$.ip')) }} as ip_hash,
        {{ parse_bool(json_text_at('doc_texts', text_paths, '$.gpc')) }} as gpc,
        {{ json_kind_at('doc_kinds', kind_paths, '$.gpc') }} as gpc_kind,
        lower({{ json_text_at('doc_texts', text_paths, '$.kind') }}) as kind,
        {{ json_text_at('doc_texts', text_paths, '$.policy_version') }} as policy_version,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.double_opt_in_confirmed_at')) }} as double_opt_in_at,
        {{ json_text_at('doc_texts', text_paths, '$.double_opt_in_confirmed_at') }} as double_opt_in_raw,
        {{ json_kind_at('doc_kinds', kind_paths, '$.consents') }} as consents_kind,
        json_extract(doc, '$.consents') as consents
    from extracted

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when not is_json_object then 'invalid_json'
            when submission_id is null then 'missing_submission_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when submitted_at_raw is null then 'missing_timestamp'
            when submitted_at is null then 'invalid_timestamp'
            when double_opt_in_raw is not null and double_opt_in_at is null then 'invalid_timestamp'
            when kind is null then 'missing_kind'
            when kind not in ('signup', 'preference_update', 'unsubscribe_all') then 'unknown_kind'
            when gpc_kind is not null and gpc_kind <> 'NULL' and gpc is null then 'invalid_gpc_flag'
            when consents_kind is not null and consents_kind not in ('ARRAY', 'NULL') then 'invalid_consents'
        end as parse_error
    from typed

)

select * from final
