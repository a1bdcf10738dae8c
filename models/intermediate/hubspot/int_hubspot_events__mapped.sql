{{ mapping_config(['stg_hubspot__subscription_statuses', 'stg_hubspot__wide_statuses', 'stg_hubspot__email_events', 'stg_hubspot__contacts']) }}

{#- HubSpot lines → outcomes: a canonical event, or a rejected/ignored line with a reason. Every
    staged line yields at least one row, so each file balances in audit.load_reconciliation.
    - subscription statuses: SUBSCRIBED opt_in, UNSUBSCRIBED opt_out, NOT_SPECIFIED not_given for
      the purpose the subscription maps to (source_scope_map; unmapped → rejected unmapped_scope);
    - wide statuses: UNSUBSCRIBED is a channel opt-out; SUBSCRIBED lifts it (a channel opt_in that
      grants no purpose by itself);
    - email events: a HARD_BOUNCE is undeliverable and a SPAMREPORT a complaint on email; other
      bounces and event types are ignored;
    - contacts: identity records (country), never consent: ignored.
    Lawful basis (fail closed, consent is never invented): a grant keeps the basis HubSpot recorded
    (CONSENT_WITH_NOTICE consent, LEGITIMATE_INTEREST_* legitimate_interest,
    PERFORMANCE_OF_CONTRACT contract); NON_GDPR, PROCESS_AND_STORE (a basis to store data, not to
    market) and an absent basis give not_applicable, which opt-in regimes treat as invalid. HubSpot
    does not say which notice version the person saw, so policy_version stays null and a consent
    grant is invalid in opt-in regimes until another source proves the notice.
    Incremental by file (macros/mapping.sql): an outcome depends only on its line and the
    source_scope_map seed, so a night maps only the files staged since the last run (new, re-read
    with new content) and every file again when this model's SQL or the seed changed. -#}
with

subscription_statuses as (

    select * from {{ ref('stg_hubspot__subscription_statuses') }} as staged
    where {{ mapping_slice('staged') }}

),

wide_statuses as (

    select * from {{ ref('stg_hubspot__wide_statuses') }} as staged
    where {{ mapping_slice('staged') }}

),

email_events as (

    select * from {{ ref('stg_hubspot__email_events') }} as staged
    where {{ mapping_slice('staged') }}

),

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }} as staged
    where {{ mapping_slice('staged') }}

),

scope_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'hubspot' and source_field = 'subscription_name'

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }} from subscription_statuses where parse_error is not null
    union all
    select {{ line_outcome('rejected', 'parse_error') }} from wide_statuses where parse_error is not null
    union all
    select {{ line_outcome('rejected', 'parse_error') }} from email_events where parse_error is not null
    union all
    select {{ line_outcome('rejected', 'parse_error') }} from contacts where parse_error is not null

),

subscriptions_mapped as (

    select
        statuses.*,
        scope_map.scope as mapped_scope,
        scope_map.purpose as mapped_purpose,
        case when scope_map.scope <> 'global' then coalesce(scope_map.channel, statuses.channel) end
            as mapped_channel,
        case statuses.subscription_status
            when 'SUBSCRIBED' then 'opt_in'
            when 'UNSUBSCRIBED' then 'opt_out'
            when 'NOT_SPECIFIED' then 'not_given'
        end as mapped_action,
        case
            when statuses.legal_basis in (
                'LEGITIMATE_INTEREST_PQL', 'LEGITIMATE_INTEREST_CLIENT', 'LEGITIMATE_INTEREST_OTHER'
            ) then 'legitimate_interest'
            when statuses.legal_basis = 'PERFORMANCE_OF_CONTRACT' then 'contract'
            when statuses.legal_basis = 'CONSENT_WITH_NOTICE' then 'consent'
            when statuses.legal_basis in ('NON_GDPR', 'PROCESS_AND_STORE') or statuses.legal_basis is null
                then 'not_applicable'
        end as mapped_basis,
        case
            when statuses.channel not in {{ known_channels() }} then 'unknown_channel'
            when statuses.subscription_name is null then 'missing_subscription_name'
            when scope_map.source_value is null then 'unmapped_scope'
            when scope_map.channel is not null and scope_map.channel <> statuses.channel then 'channel_mismatch'
        end as mapping_error
    from subscription_statuses as statuses
    left join scope_map on scope_map.source_value = statuses.subscription_name
    where statuses.parse_error is null

),

subscriptions_checked as (

    select
        *,
        coalesce(
            mapping_error,
            -- an unrecognised basis on a grant cannot be trusted; on a withdrawal it does not matter
            case when mapped_action = 'opt_in' and mapped_basis is null then 'unknown_legal_basis' end
        ) as subscription_error
    from subscriptions_mapped

),

rejected_subscriptions as (

    select {{ line_outcome('rejected', 'subscription_error') }}
    from subscriptions_checked
    where subscription_error is not null

),

subscription_events as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "concat_ws(':', contact_key, subscription_id, cast(occurred_at as " ~ dbt.type_string() ~ "))",
            'scope': "mapped_scope",
            'channel': "mapped_channel",
            'purpose': "mapped_purpose",
            'action': "mapped_action",
            'lawful_basis': "case when mapped_action = 'opt_in' then mapped_basis else 'not_applicable' end",
            'occurred_at': "occurred_at",
            'capture_method': "case
                when status_source in ('FORM', 'FORMS', 'HUBSPOT_FORM', 'NON_HUBSPOT_FORM') then 'web_form'
                when status_source in ('SUBSCRIPTION_PREFERENCES', 'PREFERENCES_PAGE', 'SELF_SERVICE')
                    then 'preference_center'
                when status_source in ('UNSUBSCRIBE_LINK', 'EMAIL_UNSUBSCRIBE') then 'email_link'
                when status_source in ('API', 'INTEGRATION') then 'api'
                when status_source = 'IMPORT' then 'import'
                when status_source in ('CRM_UI', 'SALES', 'SALES_EMAIL') then 'sales_rep'
                when status_source = 'DOUBLE_OPT_IN' then 'double_opt_in'
                when status_source in ('AUTOMATION', 'WORKFLOW', 'MIGRATION', 'BOUNCE') then 'system'
            end",
            'capture_point': "'hubspot_subscription:' || subscription_id",
        }) }}
    from subscriptions_checked
    where subscription_error is null

),

wide_checked as (

    select
        *,
        case when channel not in {{ known_channels() }} then 'unknown_channel' end as wide_error
    from wide_statuses
    where parse_error is null

),

rejected_wide as (

    select {{ line_outcome('rejected', 'wide_error') }}
    from wide_checked
    where wide_error is not null

),

wide_events as (

    select
        -- action: SUBSCRIBED on a wide status lifts the opt-out of all; it grants no purpose by itself
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "concat_ws(
                ':', contact_key, 'wide', coalesce(wide_status_type, ''), coalesce(business_unit_id, ''),
                cast(occurred_at as " ~ dbt.type_string() ~ ")
            )",
            'scope': "'channel'",
            'channel': "channel",
            'action': "case wide_status when 'UNSUBSCRIBED' then 'opt_out' when 'SUBSCRIBED' then 'opt_in' end",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "occurred_at",
            'capture_point': "'hubspot_wide_status:' || coalesce(wide_status_type, 'unknown')",
        }) }}
    from wide_checked
    where wide_error is null

),

email_events_classified as (

    select
        *,
        case
            when event_type = 'BOUNCE' and bounce_category is null then 'rejected'
            when event_type = 'BOUNCE' and bounce_category = 'HARD_BOUNCE' then 'event'
            when event_type = 'SPAMREPORT' then 'event'
            else 'ignored'
        end as mapped_outcome,
        case
            when event_type = 'BOUNCE' and bounce_category is null then 'missing_bounce_category'
            when event_type = 'BOUNCE' and bounce_category <> 'HARD_BOUNCE' then 'not_hard_bounce'
            when event_type not in ('BOUNCE', 'SPAMREPORT') then 'no_consent_effect'
        end as mapped_reason
    from email_events
    where parse_error is null

),

rejected_email_events as (

    select {{ line_outcome('rejected', 'mapped_reason') }}
    from email_events_classified
    where mapped_outcome = 'rejected'

),

ignored_email_events as (

    select {{ line_outcome('ignored', 'mapped_reason') }}
    from email_events_classified
    where mapped_outcome = 'ignored'

),

delivery_events as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "email_event_id",
            'scope': "'channel'",
            'channel': "'email'",
            'action': "case event_type when 'BOUNCE' then 'undeliverable' when 'SPAMREPORT' then 'complaint' end",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "occurred_at",
            'capture_method': "'system'",
            'capture_point': "case when email_campaign_id is not null then 'hubspot_email_campaign:' || email_campaign_id end",
        }) }}
    from email_events_classified
    where mapped_outcome = 'event'

),

identity_records as (

    -- a contact record carries identity and country (int_contact_countries__unioned), no consent
    select {{ line_outcome('ignored', "'identity_record'") }}
    from contacts
    where parse_error is null

),

outcomes as (

    select * from rejected_lines
    union all
    select * from rejected_subscriptions
    union all
    select * from subscription_events
    union all
    select * from rejected_wide
    union all
    select * from wide_events
    union all
    select * from rejected_email_events
    union all
    select * from ignored_email_events
    union all
    select * from delivery_events
    union all
    select * from identity_records

),

final as (

    {{ mapped_with_provenance('outcomes', ['subscription_statuses', 'wide_statuses', 'email_events', 'contacts']) }}

)

select * from final
