{{ mapping_config(['stg_onetrust__consent_receipts']) }}

{#- OneTrust consent receipts → canonical events, one event per element of `purposes`.
    Line level: test receipts are ignored, identifiers other than Email are rejected.
    Element level: TransactionType sets the action (EXPIRED ends the grant as a system
    'not_given'; CHANGE_PREFERENCES and CANCEL change nothing and are ignored); the purpose Id
    maps through source_scope_map or is rejected as unmapped_scope. A defect in a field only a
    grant needs (expiry date, double opt-in flag) rejects a grant but never a withdrawal.
    Incremental by file (macros/mapping.sql): an outcome depends only on its line and the
    source_scope_map seed, so a night maps only the files staged since the last run (new, re-read
    with new content) and every file again when this model's SQL or the seed changed. -#}
with

receipts as (

    select * from {{ ref('stg_onetrust__consent_receipts') }} as staged
    where {{ mapping_slice('staged') }}

),

scope_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'onetrust' and source_field = 'purpose_id'

),

line_checked as (

    select
        *,
        case
            when parse_error in ('invalid_json', 'invalid_test_flag') then parse_error
            when is_test then null
            when parse_error is not null then parse_error
            when identifier_type is distinct from 'email' then 'unsupported_identifier'
            -- judged in staging: email itself may be purged by now (macros/purge.sql)
            else email_error
        end as line_error
    from receipts

),

rejected_lines as (

    select {{ line_outcome('rejected', 'line_error') }}
    from line_checked
    where line_error is not null

),

test_receipts as (

    -- test traffic from a collection point: accounted for, never consent
    select {{ line_outcome('ignored', "'test_receipt'") }}
    from line_checked
    where line_error is null and is_test

),

valid as (

    select
        *,
        cast(purposes as json[]) as purpose_list
    from line_checked
    where line_error is null and not coalesce(is_test, false)

),

no_choices as (

    select {{ line_outcome('ignored', "'no_consent_choices'") }}
    from valid
    where len(purpose_list) = 0

),

purpose_elements as (

    select
        valid.*,
        unnest(purpose_list) as purpose_element,
        generate_subscripts(purpose_list, 1) as element_index
    from valid

),

elements_typed as (

    select
        purpose_elements.*,
        json_type(purpose_element) = 'OBJECT' as is_element_object,
        {{ json_text('purpose_element', '$.Id') }} as purpose_id,
        upper({{ json_text('purpose_element', '$.TransactionType') }}) as transaction_type,
        {{ json_text('purpose_element', '$.ExpiryDate') }} as expiry_raw,
        {{ to_utc_timestamp(json_text('purpose_element', '$.ExpiryDate')) }} as expiry_at,
        {{ json_kind('purpose_element', '$.PrivacyNotices') }} as notices_kind,
        -- several notices on one receipt (privacy + cookie notice, say): the highest version is
        -- the one the person last saw; versions that are not dotted numbers are disregarded
        (
            select max_by(version, {{ version_parts('version') }})
            from (
                select {{ json_text('notice', '$.Version') }} as version
                from (
                    select unnest(
                        case when json_type(purpose_element, '$.PrivacyNotices') = 'ARRAY'
                            then cast(json_extract(purpose_element, '$.PrivacyNotices') as json[])
                            else []::json[] end
                    ) as notice
                )
            )
            where regexp_full_match(version, '[0-9]+(\.[0-9]+)*')
        ) as policy_version
    from purpose_elements

),

elements_actioned as (

    select
        elements_typed.*,
        case
            when transaction_type in ('CONFIRMED', 'IMPLICIT', 'EXTEND') then 'opt_in'
            when transaction_type in ('WITHDRAWN', 'OPT_OUT', 'HARD_OPT_OUT') then 'opt_out'
            when transaction_type = 'PENDING' then 'pending'
            -- EXPIRED ends the grant: no consent from then on (never a new grant)
            when transaction_type in ('NOTGIVEN', 'NO_CHOICE', 'EXPIRED') then 'not_given'
        end as mapped_action,
        transaction_type in ('CHANGE_PREFERENCES', 'CANCEL') as is_no_change
    from elements_typed

),

elements_mapped as (

    select
        elements_actioned.*,
        scope_map.scope as mapped_scope,
        scope_map.channel as mapped_channel,
        scope_map.purpose as mapped_purpose,
        case
            when not is_element_object then 'invalid_purpose_element'
            when purpose_id is null then 'missing_purpose_id'
            when transaction_type is null then 'missing_transaction_type'
            when mapped_action is null and not is_no_change then 'unknown_transaction_type'
            when is_no_change then null
            when scope_map.source_value is null then 'unmapped_scope'
            when mapped_action = 'opt_in' and expiry_raw is not null and expiry_at is null
                then 'invalid_expiry_date'
            when mapped_action = 'opt_in' and double_opt_in_kind is not null and double_opt_in_kind <> 'NULL'
                and is_double_opt_in is null then 'invalid_double_opt_in_flag'
            when mapped_action = 'opt_in' and notices_kind is not null and notices_kind not in ('ARRAY', 'NULL')
                then 'invalid_privacy_notices'
        end as element_error
    from elements_actioned
    left join scope_map on scope_map.source_value = elements_actioned.purpose_id

),

rejected_elements as (

    select {{ line_outcome('rejected', 'element_error', 'element_index') }}
    from elements_mapped
    where element_error is not null

),

unchanged_elements as (

    select {{ line_outcome('ignored', "'no_consent_change'", 'element_index') }}
    from elements_mapped
    where element_error is null and is_no_change

),

purpose_events as (

    select
        -- was_prechecked: a CONFIRMED/EXTEND receipt records the person's own affirmative act; what an
        -- IMPLICIT receipt showed is unknown, so it cannot prove an unticked box
        {{ canonical_event({
            'element_index': "element_index",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "receipt_id",
            'scope': "mapped_scope",
            'channel': "mapped_channel",
            'purpose': "mapped_purpose",
            'action': "mapped_action",
            'lawful_basis': "case
                when transaction_type in ('CONFIRMED', 'EXTEND') then 'consent'
                -- implied consent with no record of a purchase: CASL's shorter inquiry window; in
                -- opt-in regimes it is not a valid basis at all
                when transaction_type = 'IMPLICIT' then 'implied_inquiry'
                else 'not_applicable'
            end",
            'occurred_at': "interaction_at",
            'capture_method': "case
                when transaction_type = 'EXPIRED' then 'system'
                when moc in ('HOSTED_WEB_FORM', 'WEB_FORM', 'EMBEDDED_WEB_FORM', 'COOKIE_BANNER') then 'web_form'
                when moc in ('PREFERENCE_CENTER', 'HOSTED_PREFERENCE_CENTER') then 'preference_center'
                when moc in ('API', 'MOBILE_SDK', 'SDK', 'CUSTOM_API') then 'api'
                when moc in ('IMPORT', 'BULK_IMPORT') then 'import'
                when moc in ('EMAIL', 'EMAIL_LINK', 'UNSUBSCRIBE_LINK', 'NOTIFICATION') then 'email_link'
                when moc in ('DOUBLE_OPT_IN', 'CONFIRMATION_EMAIL') then 'double_opt_in'
                when moc in ('CALL_CENTER', 'AGENT', 'IN_PERSON') then 'sales_rep'
            end",
            'capture_point': "collection_point_id",
            'policy_version': "policy_version",
            'was_prechecked': "case when transaction_type in ('CONFIRMED', 'EXTEND') then false end",
            'double_opt_in_at': "case when is_double_opt_in then interaction_at end",
            'country_code': "country_code",
            'expires_at': "expiry_at",
        }) }}
    from elements_mapped
    where element_error is null and not is_no_change

),

outcomes as (

    select * from rejected_lines
    union all
    select * from test_receipts
    union all
    select * from no_choices
    union all
    select * from rejected_elements
    union all
    select * from unchanged_elements
    union all
    select * from purpose_events

),

final as (

    {{ mapped_with_provenance('outcomes', ['receipts']) }}

)

select * from final
