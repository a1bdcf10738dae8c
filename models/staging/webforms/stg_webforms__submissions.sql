{{ staging_config() }}

with

lines as (

    {{ landing_lines('webforms', 'submissions') }}

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
        content_sha256,
        doc is not null as is_json_object,
        {{ json_text('doc', '$.submission_id') }} as submission_id,
        {{ json_text('doc', '$.submitted_at') }} as submitted_at_raw,
        {{ to_utc_timestamp(json_text('doc', '$.submitted_at')) }} as submitted_at,
        {{ normalize_email(json_text('doc', '$.email')) }} as email,
        {{ json_text('doc', '$.form_id') }} as form_id,
        {{ json_text('doc', '$.page_url') }} as page_url,
        {{ country_code(json_text('doc', '$.country')) }} as country_code,
        {{ sha256_hex(json_text('doc', '$.ip')) }} as ip_hash,
        {{ parse_bool(json_text('doc', '$.gpc')) }} as gpc,
        {{ json_kind('doc', '$.gpc') }} as gpc_kind,
        lower({{ json_text('doc', '$.kind') }}) as kind,
        {{ json_text('doc', '$.policy_version') }} as policy_version,
        {{ to_utc_timestamp(json_text('doc', '$.double_opt_in_confirmed_at')) }} as double_opt_in_at,
        {{ json_text('doc', '$.double_opt_in_confirmed_at') }} as double_opt_in_raw,
        {{ json_kind('doc', '$.consents') }} as consents_kind,
        json_extract(doc, '$.consents') as consents
    from parsed

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
