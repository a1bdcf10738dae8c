{{ staging_config() }}

{#- HubSpot contact records: identity and country, no consent event. One row per landed line,
    typed, with the reason the line cannot be used (parse_error). -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.id',
    '$.properties.email',
    '$.properties.country',
    '$.properties.hs_legal_basis',
    '$.updatedAt',
] -%}

with

parsed as (

    {{ landing_json_records('hubspot', 'contacts') }}

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
        {{ json_text_at('doc_texts', text_paths, '$.id') }} as hubspot_contact_id,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.properties.email')) }} as email,
        {{ json_text_at('doc_texts', text_paths, '$.properties.country') }} as country_raw,
        {{ country_code(json_text_at('doc_texts', text_paths, '$.properties.country')) }} as country_code,
        {{ json_text_at('doc_texts', text_paths, '$.properties.hs_legal_basis') }} as hs_legal_basis,
        {{ json_text_at('doc_texts', text_paths, '$.updatedAt') }} as updated_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.updatedAt')) }} as updated_at
    from extracted

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when not is_json_object then 'invalid_json'
            when hubspot_contact_id is null then 'missing_contact_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when updated_at_raw is null then 'missing_timestamp'
            when updated_at is null then 'invalid_timestamp'
        end as parse_error
    from typed

)

select * from final
