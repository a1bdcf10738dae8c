{{ staging_config() }}

{#- Marketo bulk activity export lines: one row per landed line, typed, with the activity's
    attributes (a name/value array) pivoted to columns and the reason the line cannot be used
    (parse_error). The lead's email is resolved downstream through the leads extract. -#}
{%- set read_attributes = "('category', 'attribute name', 'old value', 'new value', 'reason', 'source', 'client ip address')" -%}

{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.marketoGUID',
    '$.leadId',
    '$.activityTypeId',
    '$.activityDate',
    '$.campaignId',
    '$.primaryAttributeValue',
] -%}
{%- set kind_paths = [
    '$.attributes',
] -%}

with

records as (

    {{ landing_json_records('marketo', 'activities') }}

),

parsed as (

    select
        *,
        {{ json_texts('doc', text_paths) }} as doc_texts,
        {{ json_kinds('doc', kind_paths) }} as doc_kinds
    from records

),

attribute_elements as (

    select
        file_name,
        line_number,
        {{ json_array_elements('doc', '$.attributes') }} as attribute
    from parsed
    where doc is not null

),

attribute_values as (

    select
        file_name,
        line_number,
        lower({{ json_text('attribute', '$.name') }}) as attribute_key,
        {{ json_text('attribute', '$.value') }} as attribute_value
    from attribute_elements

),

attributes as (

    select
        file_name,
        line_number,
        max(case when attribute_key = 'category' then attribute_value end) as bounce_category,
        max(case when attribute_key = 'attribute name' then attribute_value end) as changed_attribute,
        max(case when attribute_key = 'old value' then attribute_value end) as old_value,
        max(case when attribute_key = 'new value' then attribute_value end) as new_value,
        max(case when attribute_key = 'reason' then attribute_value end) as change_reason,
        max(case when attribute_key = 'source' then attribute_value end) as change_source,
        max(case when attribute_key = 'client ip address' then attribute_value end) as client_ip,
        -- an attribute read here given twice with different values: the line is ambiguous
        count(distinct case when attribute_key in {{ read_attributes }} then attribute_key end)
            < count(distinct case when attribute_key in {{ read_attributes }}
                then attribute_key || '=' || coalesce(attribute_value, '') end)
            as has_conflicting_attributes
    from attribute_values
    group by file_name, line_number

),

typed as (

    select
        parsed.source_system,
        parsed.file_name,
        parsed.line_number,
        parsed.extract_date,
        parsed.loaded_at,
        parsed.content_sha256,
        parsed.doc is not null as is_json_object,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.marketoGUID') }} as marketo_guid,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.leadId') }} as lead_id_raw,
        try_cast({{ json_text_at('parsed.doc_texts', text_paths, '$.leadId') }} as bigint) as lead_id,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.activityTypeId') }} as activity_type_id_raw,
        try_cast({{ json_text_at('parsed.doc_texts', text_paths, '$.activityTypeId') }} as integer) as activity_type_id,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.activityDate') }} as occurred_at_raw,
        {{ to_utc_timestamp(json_text_at('parsed.doc_texts', text_paths, '$.activityDate')) }} as occurred_at,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.campaignId') }} as campaign_id,
        {{ json_text_at('parsed.doc_texts', text_paths, '$.primaryAttributeValue') }} as primary_attribute_value,
        {{ json_kind_at('parsed.doc_kinds', kind_paths, '$.attributes') }} as attributes_kind,
        attributes.bounce_category,
        coalesce(
            attributes.changed_attribute,
            case when try_cast({{ json_text_at('parsed.doc_texts', text_paths, '$.activityTypeId') }} as integer) = 13
                then {{ json_text_at('parsed.doc_texts', text_paths, '$.primaryAttributeValue') }} end
        ) as changed_attribute,
        attributes.old_value,
        attributes.new_value,
        attributes.change_reason,
        attributes.change_source,
        {{ sha256_hex('attributes.client_ip') }} as ip_hash,
        coalesce(attributes.has_conflicting_attributes, false) as has_conflicting_attributes
    from parsed
    left join attributes
        on attributes.file_name = parsed.file_name
        and attributes.line_number = parsed.line_number

),

final as (

    select
        *,
        case
            when not is_json_object then 'invalid_json'
            when marketo_guid is null then 'missing_activity_id'
            when lead_id_raw is null then 'missing_lead_id'
            when lead_id is null then 'invalid_lead_id'
            when activity_type_id_raw is null then 'missing_activity_type'
            when activity_type_id is null then 'invalid_activity_type'
            when occurred_at_raw is null then 'missing_timestamp'
            when occurred_at is null then 'invalid_timestamp'
            when attributes_kind is not null and attributes_kind not in ('ARRAY', 'NULL') then 'invalid_attributes'
            when has_conflicting_attributes then 'conflicting_attributes'
        end as parse_error
    from typed

)

select * from final
