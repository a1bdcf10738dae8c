{{ staging_config() }}

{#- Salesforce Contact extracts (CSV, SOQL field names): one row per landed line, the header
    included (is_header), typed, with the reason the line cannot be used (parse_error). A contact
    appears again whenever it changes; the snapshot diffing happens downstream. -#}
with

records as (

    {{ landing_csv_records('salesforce', 'contact') }}

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
            ['Id', 'Email', 'HasOptedOutOfEmail', 'DoNotCall', 'EmailBouncedDate', 'LastModifiedDate']
        ) as header_has_required_columns,
        {{ csv_field('Id') }} as contact_id,
        {{ csv_field('IndividualId') }} as individual_id,
        {{ normalize_email(csv_field('Email')) }} as email,
        {{ csv_field('MailingCountry') }} as mailing_country,
        {{ csv_field('HasOptedOutOfEmail') }} as has_opted_out_of_email_raw,
        {{ parse_bool(csv_field('HasOptedOutOfEmail')) }} as has_opted_out_of_email,
        {{ csv_field('DoNotCall') }} as do_not_call_raw,
        {{ parse_bool(csv_field('DoNotCall')) }} as do_not_call,
        {{ csv_field('EmailBouncedDate') }} as email_bounced_at_raw,
        {{ to_utc_timestamp(csv_field('EmailBouncedDate')) }} as email_bounced_at,
        {{ csv_field('EmailBouncedReason') }} as email_bounced_reason,
        {{ csv_field('LastModifiedDate') }} as last_modified_at_raw,
        {{ to_utc_timestamp(csv_field('LastModifiedDate')) }} as last_modified_at,
        {{ csv_field('IsDeleted') }} as is_deleted_raw,
        -- an extract made with query() rather than queryAll() has no deleted rows and may omit the column
        coalesce({{ parse_bool(csv_field('IsDeleted')) }}, false) as is_deleted
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
            when contact_id is null then 'missing_contact_id'
            when last_modified_at_raw is null then 'missing_timestamp'
            when last_modified_at is null then 'invalid_timestamp'
            when is_deleted_raw is not null and {{ parse_bool('is_deleted_raw') }} is null then 'invalid_flag'
            when email is null then 'missing_email'
            when not {{ is_valid_email('email') }} then 'invalid_email'
            when has_opted_out_of_email_raw is null or do_not_call_raw is null then 'missing_flag'
            when has_opted_out_of_email is null or do_not_call is null then 'invalid_flag'
            when email_bounced_at_raw is not null and email_bounced_at is null then 'invalid_timestamp'
        end as parse_error
    from typed

)

select * from final
