{{ staging_config() }}

{#- Mailchimp list-member snapshots (API `members` shape, JSONL): one row per landed line, typed,
    with the reason the line cannot be used (parse_error). IP addresses are kept only hashed.
    marketing_permissions is typed here into a list, one struct per element with its own
    element_error, so the mapping model can accept the good elements and reject the bad ones. -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.id',
    '$.list_id',
    '$.email_address',
    '$.status',
    '$.timestamp_signup',
    '$.ip_signup',
    '$.timestamp_opt',
    '$.ip_opt',
    '$.last_changed',
    '$.unsubscribe_reason',
    '$.location.country_code',
    '$.source',
] -%}
{%- set kind_paths = [
    '$.marketing_permissions',
] -%}

with

parsed as (

    {{ landing_json_records('mailchimp', 'members') }}

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
        {{ json_text_at('doc_texts', text_paths, '$.id') }} as member_id,
        {{ json_text_at('doc_texts', text_paths, '$.list_id') }} as list_id,
        {{ normalize_email(json_text_at('doc_texts', text_paths, '$.email_address')) }} as email,
        lower({{ json_text_at('doc_texts', text_paths, '$.status') }}) as member_status,
        {{ json_text_at('doc_texts', text_paths, '$.timestamp_signup') }} as signed_up_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.timestamp_signup')) }} as signed_up_at,
        {{ sha256_hex(json_text_at('doc_texts', text_paths, '$.ip_signup')) }} as ip_signup_hash,
        {{ json_text_at('doc_texts', text_paths, '$.timestamp_opt') }} as opted_in_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.timestamp_opt')) }} as opted_in_at,
        {{ sha256_hex(json_text_at('doc_texts', text_paths, '$.ip_opt')) }} as ip_opt_hash,
        {{ json_text_at('doc_texts', text_paths, '$.last_changed') }} as last_changed_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.last_changed')) }} as last_changed_at,
        {{ json_text_at('doc_texts', text_paths, '$.unsubscribe_reason') }} as unsubscribe_reason,
        {{ country_code(json_text_at('doc_texts', text_paths, '$.location.country_code')) }} as country_code,
        {{ json_text_at('doc_texts', text_paths, '$.source') }} as signup_source,
        {{ json_kind_at('doc_kinds', kind_paths, '$.marketing_permissions') }} as permissions_kind,
        case
            when {{ json_kind_at('doc_kinds', kind_paths, '$.marketing_permissions') }} = 'ARRAY'
                then cast(json_extract(doc, '$.marketing_permissions') as json[])
            else []::json[]
        end as permission_elements
    from extracted

),

permissions_typed as (

    select
        * exclude (permission_elements),
        list_transform(permission_elements, lambda permission, position: {
            'element_index': position,
            'permission_id': {{ json_text('permission', '$.marketing_permission_id') }},
            'permission_text': {{ json_text('permission', '$.text') }},
            'enabled': {{ parse_bool(json_text('permission', '$.enabled')) }},
            'element_error': case
                when json_type(permission) <> 'OBJECT' then 'invalid_permission_element'
                when {{ json_text('permission', '$.text') }} is null then 'missing_permission_text'
                when {{ parse_bool(json_text('permission', '$.enabled')) }} is null
                    then 'invalid_permission_flag'
            end
        }) as marketing_permissions
    from typed

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when not is_json_object then 'invalid_json'
            when member_id is null then 'missing_member_id'
            when list_id is null then 'missing_list_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when last_changed_at_raw is null then 'missing_timestamp'
            when last_changed_at is null then 'invalid_timestamp'
            when signed_up_at_raw is not null and signed_up_at is null then 'invalid_timestamp'
            when opted_in_at_raw is not null and opted_in_at is null then 'invalid_timestamp'
            when member_status is null then 'missing_status'
            when member_status not in (
                'subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived'
            ) then 'unknown_status'
            when permissions_kind is not null and permissions_kind not in ('ARRAY', 'NULL')
                then 'invalid_marketing_permissions'
        end as parse_error
    from permissions_typed

)

select * from final
