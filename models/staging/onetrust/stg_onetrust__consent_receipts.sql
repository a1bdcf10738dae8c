{{ staging_config() }}

{#- OneTrust consent receipts, one row per landed line: parsed and typed, nothing filtered. The
    purposes array stays JSON here; int_onetrust_events__mapped unnests it. Whether a line is
    test traffic, carries a supported identifier or a valid address is decided in the mapping,
    so parse_error only names structural defects; email_error (whether the identifier is an
    address) is judged here, once, because the erasure purge clears email later. -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.receiptId',
    '$.identifier',
    '$.identifierType',
    '$.interactionDate',
    '$.collectionPointId',
    '$.collectionPointVersion',
    '$.moc',
    '$.doubleOptIn',
    '$.test',
    '$.geoLocation.country',
    '$.geoLocation.state',
] -%}
{%- set kind_paths = [
    '$.doubleOptIn',
    '$.test',
    '$.purposes',
] -%}

with

parsed as (

    {{ landing_json_records('onetrust', 'consent_receipts') }}

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
        {{ json_text_at('doc_texts', text_paths, '$.receiptId') }} as receipt_id,
        {{ json_text_at('doc_texts', text_paths, '$.identifier') }} as identifier,
        lower({{ json_text_at('doc_texts', text_paths, '$.identifierType') }}) as identifier_type,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.identifier')) }} as email,
        {{ json_text_at('doc_texts', text_paths, '$.interactionDate') }} as interaction_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.interactionDate')) }} as interaction_at,
        {{ json_text_at('doc_texts', text_paths, '$.collectionPointId') }} as collection_point_id,
        {{ json_text_at('doc_texts', text_paths, '$.collectionPointVersion') }} as collection_point_version,
        upper({{ json_text_at('doc_texts', text_paths, '$.moc') }}) as moc,
        {{ parse_bool(json_text_at('doc_texts', text_paths, '$.doubleOptIn')) }} as is_double_opt_in,
        {{ json_kind_at('doc_kinds', kind_paths, '$.doubleOptIn') }} as double_opt_in_kind,
        {{ parse_bool(json_text_at('doc_texts', text_paths, '$.test')) }} as is_test,
        {{ json_kind_at('doc_kinds', kind_paths, '$.test') }} as test_kind,
        {{ country_code(json_text_at('doc_texts', text_paths, '$.geoLocation.country')) }} as country_code,
        upper({{ json_text_at('doc_texts', text_paths, '$.geoLocation.state') }}) as state_raw,
        {{ json_kind_at('doc_kinds', kind_paths, '$.purposes') }} as purposes_kind,
        json_extract(doc, '$.purposes') as purposes
    from extracted

),

subdivided as (

    select
        *,
        -- OneTrust gives the state as "CA" or "US-CA"; either way the ISO 3166-2 suffix
        case
            when country_code is null then null
            when regexp_full_match(state_raw, '[A-Z0-9]{1,3}') then state_raw
            when regexp_full_match(state_raw, '[A-Z]{2}-[A-Z0-9]{1,3}')
                and split_part(state_raw, '-', 1) = country_code then split_part(state_raw, '-', 2)
        end as subdivision_code
    from typed

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
        end as email_error,
        case
            when not is_json_object then 'invalid_json'
            when test_kind is not null and test_kind <> 'NULL' and is_test is null then 'invalid_test_flag'
            when receipt_id is null then 'missing_receipt_id'
            when identifier is null then 'missing_identifier'
            when interaction_at_raw is null then 'missing_timestamp'
            when interaction_at is null then 'invalid_timestamp'
            when purposes_kind is null or purposes_kind = 'NULL' then 'missing_purposes'
            when purposes_kind <> 'ARRAY' then 'invalid_purposes'
        end as parse_error
    from subdivided

)

select * from final
