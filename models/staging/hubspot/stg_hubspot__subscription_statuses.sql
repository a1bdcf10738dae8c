{{ staging_config() }}

{#- HubSpot communication-preferences v4 PublicStatus changes: one row per landed line, typed,
    with the reason the line cannot be used (parse_error). Mapping happens downstream. -#}
{#- The fields read from each line, extracted in one parse (macros/json.sql). -#}
{%- set text_paths = [
    '$.subscriberIdString',
    '$.channel',
    '$.subscriptionId',
    '$.subscriptionName',
    '$.status',
    '$.source',
    '$.legalBasis',
    '$.legalBasisExplanation',
    '$.timestamp',
    '$.businessUnitId',
    '$.setStatusSuccessReason',
] -%}

with

parsed as (

    {{ landing_json_records('hubspot', 'subscription_statuses') }}

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
        {{ json_text_at('doc_texts', text_paths, '$.subscriptionId') }} as subscription_id,
        {{ json_text_at('doc_texts', text_paths, '$.subscriptionName') }} as subscription_name,
        upper({{ json_text_at('doc_texts', text_paths, '$.status') }}) as subscription_status,
        upper({{ json_text_at('doc_texts', text_paths, '$.source') }}) as status_source,
        upper({{ json_text_at('doc_texts', text_paths, '$.legalBasis') }}) as legal_basis,
        {{ json_text_at('doc_texts', text_paths, '$.legalBasisExplanation') }} as legal_basis_explanation,
        {{ json_text_at('doc_texts', text_paths, '$.timestamp') }} as occurred_at_raw,
        {{ to_utc_timestamp(json_text_at('doc_texts', text_paths, '$.timestamp')) }} as occurred_at,
        {{ json_text_at('doc_texts', text_paths, '$.businessUnitId') }} as business_unit_id,
        upper({{ json_text_at('doc_texts', text_paths, '$.setStatusSuccessReason') }}) as set_status_success_reason
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
            when subscription_id is null then 'missing_subscription_id'
            when occurred_at_raw is null then 'missing_timestamp'
            when occurred_at is null then 'invalid_timestamp'
            when subscription_status is null then 'missing_status'
            when subscription_status not in ('SUBSCRIBED', 'UNSUBSCRIBED', 'NOT_SPECIFIED') then 'unknown_status'
            when channel is null then 'missing_channel'
        end as parse_error
    from typed

)

select * from final
