{{ staging_config() }}

{#- Marketo lead extract (CSV): lead id → email and country. One row per landed line (the header
    included, flagged is_header), typed, with the reason the line cannot be used (parse_error). -#}
with

records as (

    {{ landing_csv_records('marketo', 'leads') }}

),

header_checked as (

    select
        *,
        -- on the header line a column's own field is its name, and null when the column is absent
        is_header and {{ csv_field('id') }} is not null and {{ csv_field('email') }} is not null
            and {{ csv_field('updatedAt') }} is not null as header_has_required_columns
    from records

),

data_records as (

    -- only a well-formed data line has fields; the header's and a malformed line's are not values
    select
        * exclude (fields),
        case when is_header or not is_well_formed then []::varchar[] else fields end as fields
    from header_checked

),

typed as (

    select
        {{ staged_line_columns() }},
        is_header,
        is_well_formed,
        header_has_required_columns,
        {{ csv_field('id') }} as lead_id_raw,
        try_cast({{ csv_field('id') }} as bigint) as lead_id,
        {{ normalize_email(csv_field('email')) }} as email,
        {{ csv_field('country') }} as country_raw,
        {{ country_code(csv_field('country')) }} as country_code,
        {{ csv_field('unsubscribed') }} as unsubscribed_raw,
        {{ parse_bool(csv_field('unsubscribed')) }} as is_unsubscribed,
        {{ csv_field('marketingSuspended') }} as marketing_suspended_raw,
        {{ parse_bool(csv_field('marketingSuspended')) }} as is_marketing_suspended,
        {{ csv_field('updatedAt') }} as updated_at_raw,
        {{ to_utc_timestamp(csv_field('updatedAt')) }} as updated_at
    from data_records

),

final as (

    select
        * exclude (header_has_required_columns),
        case when not is_header then {{ contact_key('email') }} end as contact_key,
        case
            when is_header and not header_has_required_columns then 'invalid_csv_header'
            when is_header then null
            when not is_well_formed then 'malformed_csv_line'
            when lead_id_raw is null then 'missing_lead_id'
            when lead_id is null then 'invalid_lead_id'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when updated_at_raw is null then 'missing_timestamp'
            when updated_at is null then 'invalid_timestamp'
            when unsubscribed_raw is not null and is_unsubscribed is null then 'invalid_flag'
            when marketing_suspended_raw is not null and is_marketing_suspended is null then 'invalid_flag'
        end as parse_error
    from typed

)

select * from final
