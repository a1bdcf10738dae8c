{{ staging_config() }}

{#- What was actually sent (CSV), one row per landed line including the header: typed, nothing
    filtered. The CSV's own source_system column (the tool that sent) is renamed sent_by_system so
    it cannot be confused with the landing source, which is always 'sends'. -#}
with

records as (

    {{ landing_csv_records('sends', 'sends') }}

),

typed as (

    select
        {{ staged_line_columns() }},
        is_header,
        is_well_formed,
        list_has_all(header, ['send_id', 'sent_at', 'email', 'channel', 'purpose']) as has_required_columns,
        {{ csv_field('send_id') }} as send_id,
        {{ csv_field('sent_at') }} as sent_at_raw,
        {{ to_utc_timestamp(csv_field('sent_at')) }} as sent_at,
        {{ normalize_email(csv_field('email')) }} as email,
        lower({{ csv_field('channel') }}) as channel,
        lower({{ csv_field('purpose') }}) as purpose,
        {{ csv_field('campaign_id') }} as campaign_id,
        lower({{ csv_field('source_system') }}) as sent_by_system
    from records

),

final as (

    select
        *,
        {{ contact_key('email') }} as contact_key,
        case
            when is_header then null
            when not has_required_columns then 'missing_csv_column'
            when not is_well_formed then 'malformed_csv_line'
            when send_id is null then 'missing_send_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when sent_at_raw is null then 'missing_timestamp'
            when sent_at is null then 'invalid_timestamp'
            when channel is null then 'missing_channel'
            when purpose is null then 'missing_purpose'
        end as parse_error
    from typed

)

select * from final
