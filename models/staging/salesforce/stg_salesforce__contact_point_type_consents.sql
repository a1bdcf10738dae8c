{{ staging_config() }}

{#- Salesforce ContactPointTypeConsent extracts (CSV): consent of an Individual (PartyId) for a
    data-use purpose on a contact point type. One row per landed line, the header included
    (is_header), typed, with the reason the line cannot be used (parse_error). The channel is the
    canonical one where the contact point type has one (Email, Phone, MailingAddress), else null;
    the mapping model rejects a record whose channel is not mappable. consent_action is the
    canonical action of PrivacyConsentStatus. -#}
with

records as (

    {{ landing_csv_records('salesforce', 'contact_point_type_consent') }}

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
            ['Id', 'PartyId', 'ContactPointType', 'DataUsePurposeName', 'PrivacyConsentStatus',
             'CaptureDate', 'LastModifiedDate']
        ) as header_has_required_columns,
        {{ csv_field('Id') }} as consent_id,
        {{ csv_field('PartyId') }} as party_id,
        {{ csv_field('ContactPointType') }} as contact_point_type,
        case lower({{ csv_field('ContactPointType') }})
            when 'email' then 'email'
            when 'phone' then 'phone'
            when 'mailingaddress' then 'postal'
        end as channel,
        {{ csv_field('DataUsePurposeName') }} as data_use_purpose_name,
        {{ csv_field('PrivacyConsentStatus') }} as privacy_consent_status,
        -- Seen / NotSeen: the person saw (or did not see) the request and gave no consent
        case lower(replace({{ csv_field('PrivacyConsentStatus') }}, ' ', ''))
            when 'optin' then 'opt_in'
            when 'optout' then 'opt_out'
            when 'seen' then 'not_given'
            when 'notseen' then 'not_given'
        end as consent_action,
        {{ csv_field('CaptureDate') }} as captured_at_raw,
        {{ to_utc_timestamp(csv_field('CaptureDate')) }} as captured_at,
        {{ csv_field('CaptureSource') }} as capture_source,
        {{ csv_field('CaptureContactPointType') }} as capture_contact_point_type,
        {{ csv_field('DoubleConsentCaptureDate') }} as double_consent_captured_at_raw,
        {{ to_utc_timestamp(csv_field('DoubleConsentCaptureDate')) }} as double_consent_captured_at,
        {{ csv_field('EffectiveFrom') }} as effective_from_raw,
        {{ to_utc_timestamp(csv_field('EffectiveFrom')) }} as effective_from,
        {{ csv_field('EffectiveTo') }} as effective_to_raw,
        {{ to_utc_timestamp(csv_field('EffectiveTo')) }} as effective_to,
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
            when consent_id is null then 'missing_consent_id'
            when last_modified_at_raw is null then 'missing_timestamp'
            when last_modified_at is null then 'invalid_timestamp'
            when is_deleted_raw is not null and {{ parse_bool('is_deleted_raw') }} is null then 'invalid_flag'
            when party_id is null then 'missing_party_id'
            when contact_point_type is null then 'missing_contact_point_type'
            when data_use_purpose_name is null then 'missing_purpose'
            when privacy_consent_status is null then 'missing_consent_status'
            when consent_action is null then 'unknown_consent_status'
            when captured_at_raw is null then 'missing_capture_date'
            when captured_at is null then 'invalid_timestamp'
            when double_consent_captured_at_raw is not null and double_consent_captured_at is null
                then 'invalid_timestamp'
            when effective_from_raw is not null and effective_from is null then 'invalid_timestamp'
            when effective_to_raw is not null and effective_to is null then 'invalid_timestamp'
        end as parse_error
    from typed

)

select * from final
