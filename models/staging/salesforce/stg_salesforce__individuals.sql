{{ staging_config() }}

{#- Salesforce Individual extracts (CSV): the person behind contacts, with the data-privacy flags.
    One row per landed line, the header included (is_header), typed, with the reason the line
    cannot be used (parse_error). The email comes downstream from the contacts that link here. -#}
with

records as (

    {{ landing_csv_records('salesforce', 'individual') }}

),

data_records as (

    -- the header names no values: its typed fields are null
    select * replace (case when is_header then []::varchar[] else fields end as fields)
    from records

),

typed as (

    select
        {{ staged_line_columns() }},
        is_header,
        is_well_formed,
        list_has_all(
            header,
            ['Id', 'HasOptedOutSolicit', 'HasOptedOutProcessing', 'ShouldForget', 'LastModifiedDate']
        ) as header_has_required_columns,
        {{ csv_field('Id') }} as individual_id,
        {{ csv_field('HasOptedOutSolicit') }} as has_opted_out_solicit_raw,
        {{ parse_bool(csv_field('HasOptedOutSolicit')) }} as has_opted_out_solicit,
        {{ csv_field('HasOptedOutProcessing') }} as has_opted_out_processing_raw,
        {{ parse_bool(csv_field('HasOptedOutProcessing')) }} as has_opted_out_processing,
        {{ csv_field('ShouldForget') }} as should_forget_raw,
        {{ parse_bool(csv_field('ShouldForget')) }} as should_forget,
        {{ csv_field('LastModifiedDate') }} as last_modified_at_raw,
        {{ to_utc_timestamp(csv_field('LastModifiedDate')) }} as last_modified_at,
        {{ csv_field('IsDeleted') }} as is_deleted_raw,
        coalesce({{ parse_bool(csv_field('IsDeleted')) }}, false) as is_deleted
    from data_records

),

final as (

    select
        * exclude (header_has_required_columns),
        case
            when is_header and not header_has_required_columns then 'invalid_csv_header'
            when is_header then null
            when not is_well_formed then 'malformed_csv_line'
            when individual_id is null then 'missing_individual_id'
            when last_modified_at_raw is null then 'missing_timestamp'
            when last_modified_at is null then 'invalid_timestamp'
            when is_deleted_raw is not null and {{ parse_bool('is_deleted_raw') }} is null then 'invalid_flag'
            when has_opted_out_solicit_raw is null or has_opted_out_processing_raw is null
                or should_forget_raw is null then 'missing_flag'
            when has_opted_out_solicit is null or has_opted_out_processing is null
                or should_forget is null then 'invalid_flag'
        end as parse_error
    from typed

)

select * from final
