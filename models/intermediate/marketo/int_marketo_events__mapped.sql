{#- Marketo lines → outcomes: a canonical event, or a rejected/ignored line with a reason. Every
    staged line yields at least one row, so each file balances in audit.load_reconciliation.
    - 9 Unsubscribe Email: channel opt-out (email);
    - 8 Email Bounced: Category 1 (hard) is undeliverable; other categories are ignored;
    - 13 Change Data Value: Unsubscribed false→true channel opt-out (email), true→false lifts it;
      Marketing Suspended true global opt-out, true→false lifts it; Email Invalid true
      undeliverable; Do Not Call true channel opt-out (phone), true→false lifts it; any other
      attribute, or no change, is ignored;
    - any other activity type and the CSV header are ignored.
    - lead snapshots (int_marketo_leads__changes): the first observation or a change of
      `unsubscribed` or `marketingSuspended` (per lead and address) is an event at updatedAt: true → channel opt-out (email) / global opt-out, true → false lifts
      Marketo's own opt-out (element 1 / 2); a lead line without such a change is an identity
      record (country, address), ignored.
    A lift is an opt_in for the channel (or global) that grants no purpose by itself.
    The lead's email comes from the leads extract. Marketo's unsubscribe is durable per address,
    so an activity belongs to the address the lead had when it happened: the latest lead record
    updated at or before the activity (when the extracts only hold later versions, the earliest
    of those); a lead record dated after the run date is not used (point in time). An activity
    with consent meaning whose lead is in no usable extract is rejected (unknown_lead): fail
    closed, never lost. -#}
with

activities as (

    select * from {{ ref('stg_marketo__activities') }}

),

leads as (

    select * from {{ ref('stg_marketo__leads') }}

),

lead_changes as (

    select * from {{ ref('int_marketo_leads__changes') }}

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }} from activities where parse_error is not null
    union all
    select {{ line_outcome('rejected', 'parse_error') }} from leads where parse_error is not null

),

csv_headers as (

    select {{ line_outcome('ignored', "'csv_header'") }}
    from leads
    where is_header and parse_error is null

),

lead_flag_actions as (

    select
        *,
        case
            when flag_value and not coalesce(previous_flag_value, false) then 'opt_out'
            when not flag_value and previous_flag_value then 'opt_in'
        end as flag_action
    from lead_changes

),

lead_flag_events as (

    select
        -- source_record_id: the lead's flag for this address (a history is per lead and address)
        {{ canonical_event({
            'element_index': "case flag_name when 'unsubscribed' then 1 else 2 end",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "concat_ws(':', 'lead', cast(lead_id as " ~ dbt.type_string() ~ "), flag_name, contact_key)",
            'scope': "case flag_name when 'unsubscribed' then 'channel' else 'global' end",
            'channel': "case flag_name when 'unsubscribed' then 'email' end",
            'action': "flag_action",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "updated_at",
            'capture_method': "'system'",
            'capture_point': "'Lead.' || flag_name",
        }) }}
    from lead_flag_actions
    where flag_action is not null

),

identity_records as (

    -- a lead record without a consent change carries identity and country only
    -- (int_contact_countries__unioned)
    select {{ line_outcome('ignored', "'identity_record'") }}
    from leads
    where not is_header and parse_error is null
        and not exists (
            select 1 from lead_flag_events
            where lead_flag_events.file_name = leads.file_name
                and lead_flag_events.line_number = leads.line_number
        )

),

known_leads as (

    -- point in time: a lead record counts only from its own updatedAt, so a record dated after
    -- the run date (in whatever folder it landed) never decides whose address an activity was
    select lead_id, email, contact_key, updated_at, file_name, line_number
    from leads
    where not is_header and parse_error is null
        and updated_at < {{ as_of_instant() }}

),

activities_typed as (

    select
        *,
        lower(replace(changed_attribute, ' ', '')) as attribute_key,
        {{ parse_bool('new_value') }} as new_flag,
        {{ parse_bool('old_value') }} as old_flag
    from activities
    where parse_error is null

),

activities_classified as (

    select
        *,
        case
            when activity_type_id = 9 then 'opt_out'
            when activity_type_id = 8 and bounce_category = '1' then 'undeliverable'
            when activity_type_id = 13
                and attribute_key in ('unsubscribed', 'marketingsuspended', 'emailinvalid', 'donotcall')
                and new_flag is not null and (old_value is null or old_flag is not null)
                then case
                    when new_flag and not coalesce(old_flag, false)
                        then case attribute_key when 'emailinvalid' then 'undeliverable' else 'opt_out' end
                    when not new_flag and old_flag and attribute_key <> 'emailinvalid' then 'opt_in'
                end
        end as mapped_action,
        case
            when activity_type_id = 8 and bounce_category is null then 'missing_bounce_category'
            when activity_type_id = 13 and attribute_key is null then 'missing_attribute_name'
            when activity_type_id = 13
                and attribute_key in ('unsubscribed', 'marketingsuspended', 'emailinvalid', 'donotcall')
                and (new_flag is null or (old_value is not null and old_flag is null))
                then 'invalid_attribute_value'
        end as activity_error
    from activities_typed

),

ignored_activities as (

    select {{
        line_outcome('ignored', "case
            when activity_type_id = 8 then 'not_hard_bounce'
            -- a valid address again is no consent; other flags set to the value they had changed nothing
            when activity_type_id = 13 and attribute_key = 'emailinvalid' and not new_flag then 'no_consent_effect'
            when activity_type_id = 13
                and attribute_key in ('unsubscribed', 'marketingsuspended', 'emailinvalid', 'donotcall')
                then 'no_change'
            else 'no_consent_effect'
        end")
    }}
    from activities_classified
    where activity_error is null and mapped_action is null

),

rejected_activities as (

    select {{ line_outcome('rejected', 'activity_error') }}
    from activities_classified
    where activity_error is not null

),

consent_activities as (

    select
        *,
        case
            when attribute_key = 'marketingsuspended' then 'global'
            else 'channel'
        end as mapped_scope,
        case
            when attribute_key = 'marketingsuspended' then null
            when attribute_key = 'donotcall' then 'phone'
            else 'email'
        end as mapped_channel
    from activities_classified
    where activity_error is null and mapped_action is not null

),

lead_versions as (

    select
        activity.file_name,
        activity.line_number,
        lead.email,
        lead.contact_key,
        row_number() over (
            partition by activity.file_name, activity.line_number
            order by
                case when lead.updated_at <= activity.occurred_at then 0 else 1 end,
                case when lead.updated_at <= activity.occurred_at then lead.updated_at end desc,
                lead.updated_at,
                lead.file_name desc,
                lead.line_number desc
        ) as version_rank
    from consent_activities as activity
    inner join known_leads as lead on lead.lead_id = activity.lead_id

),

activities_with_lead as (

    select
        activity.*,
        lead_version.email,
        lead_version.contact_key
    from consent_activities as activity
    left join lead_versions as lead_version
        on lead_version.file_name = activity.file_name
        and lead_version.line_number = activity.line_number
        and lead_version.version_rank = 1

),

unknown_leads as (

    select {{ line_outcome('rejected', "'unknown_lead'") }}
    from activities_with_lead
    where contact_key is null

),

activity_events as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "marketo_guid",
            'scope': "mapped_scope",
            'channel': "mapped_channel",
            'action': "mapped_action",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "occurred_at",
            'capture_method': "case
                when activity_type_id = 9 then 'email_link'
                when activity_type_id = 8 then 'system'
                when lower(change_source) like '%form%' then 'web_form'
                when lower(change_source) like '%api%' or lower(change_source) like '%web service%' then 'api'
                when lower(change_source) like '%import%' then 'import'
                when lower(change_source) like '%unsubscribe%' then 'email_link'
                when lower(change_source) like '%detail%' or lower(change_source) like '%sales insight%'
                    then 'sales_rep'
                when lower(change_source) like '%flow%' or lower(change_source) like '%system%'
                    or lower(change_source) like '%sync%' then 'system'
            end",
            'capture_point': "case
                when activity_type_id in (8, 9) and primary_attribute_value is not null then primary_attribute_value
                when campaign_id is not null then 'marketo_campaign:' || campaign_id
                else change_reason
            end",
            'ip_hash': "ip_hash",
        }) }}
    from activities_with_lead
    where contact_key is not null

),

final as (

    select * from rejected_lines
    union all
    select * from csv_headers
    union all
    select * from identity_records
    union all
    select * from ignored_activities
    union all
    select * from rejected_activities
    union all
    select * from unknown_leads
    union all
    select * from activity_events
    union all
    select * from lead_flag_events

)

select * from final
