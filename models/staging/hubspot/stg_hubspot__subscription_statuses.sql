{#- HubSpot communication-preferences v4 PublicStatus changes: one row per landed line, typed,
    with the reason the line cannot be used (parse_error). Mapping happens downstream. -#}
with

lines as (

    {{ landing_lines('hubspot', 'subscription_statuses') }}

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
        doc is not null as is_json_object,
        {{ normalize_email(json_text('doc', '$.subscriberIdString')) }} as email,
        lower({{ json_text('doc', '$.channel') }}) as channel,
        {{ json_text('doc', '$.subscriptionId') }} as subscription_id,
        {{ json_text('doc', '$.subscriptionName') }} as subscription_name,
        upper({{ json_text('doc', '$.status') }}) as subscription_status,
        upper({{ json_text('doc', '$.source') }}) as status_source,
        upper({{ json_text('doc', '$.legalBasis') }}) as legal_basis,
        {{ json_text('doc', '$.legalBasisExplanation') }} as legal_basis_explanation,
        {{ json_text('doc', '$.timestamp') }} as occurred_at_raw,
        {{ to_utc_timestamp(json_text('doc', '$.timestamp')) }} as occurred_at,
        {{ json_text('doc', '$.businessUnitId') }} as business_unit_id,
        upper({{ json_text('doc', '$.setStatusSuccessReason') }}) as set_status_success_reason
    from parsed

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
