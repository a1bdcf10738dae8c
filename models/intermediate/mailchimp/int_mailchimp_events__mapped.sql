{#- Mailchimp member snapshots → canonical consent events, one row per outcome (event, rejected,
    ignored). A change between two snapshots of the same list_id + id, or the first snapshot, is an
    event at last_changed (int_mailchimp_members__changes); a snapshot that changes nothing is
    ignored ('unchanged_snapshot'), a re-delivered copy yields the same events again (duplicates
    downstream), an archived member changes no consent ('archived_member').

    - status (element 0): subscribed → opt_in (timestamp_opt is the double opt-in confirmation),
      unsubscribed → opt_out, pending → pending, transactional → not_given, each for the list's
      purpose from source_scope_map (list_id; unmapped → rejected 'unmapped_scope'); cleaned →
      undeliverable on the email channel, whatever the list (an address that bounces is
      undeliverable for every purpose).
    - marketing_permissions (element = position in the array): each maps by its text through
      source_scope_map ('marketing_permission'; unmapped → 'unmapped_scope'). First time a
      permission is seen: enabled → opt_in, not enabled → not_given; afterwards a change of enabled
      is opt_in / opt_out (preference_center). A malformed element is rejected on its own.
    - capture_method from the member's `source` (forms → web_form, API → api, else import; no
      source → null, unknown proof is never guessed);
      unsubscribed → email_link, cleaned → system. capture_point is `source`; unsubscribe_reason
      is free text the person may have typed and is not carried (minimal PII).
    - ip_signup / ip_opt are only carried hashed, on grants and pending events. -#}
with

members as (

    select * from {{ ref('stg_mailchimp__members') }}

),

member_versions as (

    select * from {{ ref('int_mailchimp_members__changes') }}

),

list_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'mailchimp' and source_field = 'list_id'

),

permission_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'mailchimp' and source_field = 'marketing_permission'

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }}
    from members
    where parse_error is not null

),

archived_members as (

    select {{ line_outcome('ignored', "'archived_member'") }}
    from members
    where parse_error is null and member_status = 'archived'

),

versions_with_method as (

    select
        *,
        case
            -- no source: how the consent was captured is unknown (no proof), never an import
            when signup_source is null then null
            when signup_source ilike '%form%' or signup_source ilike '%landing page%' then 'web_form'
            when signup_source ilike 'api%' or signup_source ilike '%integration%' then 'api'
            else 'import'
        end as signup_method
    from member_versions

),

-- status --------------------------------------------------------------------------------------

status_changes as (

    select
        versions_with_method.*,
        case member_status
            when 'subscribed' then 'opt_in'
            when 'unsubscribed' then 'opt_out'
            when 'cleaned' then 'undeliverable'
            when 'pending' then 'pending'
            when 'transactional' then 'not_given'
        end as status_action,
        list_map.source_value is not null as is_list_mapped,
        list_map.scope as list_scope,
        list_map.channel as list_channel,
        list_map.purpose as list_purpose
    from versions_with_method
    left join list_map on list_map.source_value = versions_with_method.list_id
    where is_first_version or member_status is distinct from previous_member_status

),

status_events as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "list_id || '/' || member_id",
            'scope': "case when status_action = 'undeliverable' then 'channel' else list_scope end",
            'channel': "case
                when status_action = 'undeliverable' then 'email'
                when list_scope = 'global' then null
                else coalesce(list_channel, 'email')
            end",
            'purpose': "case when status_action <> 'undeliverable' and list_scope = 'purpose' then list_purpose end",
            'action': "status_action",
            'lawful_basis': "case when status_action = 'opt_in' then 'consent' else 'not_applicable' end",
            'occurred_at': "last_changed_at",
            'capture_method': "case member_status
                when 'unsubscribed' then 'email_link'
                when 'cleaned' then 'system'
                else signup_method
            end",
            'capture_point': "signup_source",
            'double_opt_in_at': "case when status_action = 'opt_in' then opted_in_at end",
            'country_code': "country_code",
            'ip_hash': "case when status_action in ('opt_in', 'pending') then coalesce(ip_opt_hash, ip_signup_hash) end",
        }) }}
    from status_changes
    where status_action = 'undeliverable' or is_list_mapped

),

status_rejections as (

    select {{ line_outcome('rejected', "'unmapped_scope'") }}
    from status_changes
    where status_action <> 'undeliverable' and not is_list_mapped

),

-- marketing permissions -------------------------------------------------------------------------

permission_elements as (

    select
        versions_with_method.*,
        unnest(marketing_permissions) as permission
    from versions_with_method

),

permission_changes as (

    select
        permission_elements.*,
        permission.element_index as permission_index,
        permission.permission_text,
        permission.enabled,
        permission.element_error,
        list_filter(
            coalesce(previous_permission_states, []),
            lambda state: state.permission_key
                = coalesce(permission.permission_id, permission.permission_text)
        ) as previous_states
    from permission_elements

),

permission_actions as (

    select
        permission_changes.*,
        case
            when len(previous_states) = 0 then case when enabled then 'opt_in' else 'not_given' end
            when enabled and not previous_states[1].enabled then 'opt_in'
            when not enabled and previous_states[1].enabled then 'opt_out'
        end as permission_action,
        len(previous_states) = 0 as is_first_seen,
        permission_map.source_value is not null as is_permission_mapped,
        permission_map.scope as permission_scope,
        permission_map.channel as permission_channel,
        permission_map.purpose as permission_purpose
    from permission_changes
    left join permission_map on permission_map.source_value = permission_changes.permission_text
    where element_error is null

),

permission_events as (

    select
        {{ canonical_event({
            'element_index': "permission_index",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "list_id || '/' || member_id",
            'scope': "permission_scope",
            'channel': "case when permission_scope = 'global' then null else coalesce(permission_channel, 'email') end",
            'purpose': "case when permission_scope = 'purpose' then permission_purpose end",
            'action': "permission_action",
            'lawful_basis': "case when permission_action = 'opt_in' then 'consent' else 'not_applicable' end",
            'occurred_at': "last_changed_at",
            'capture_method': "case when is_first_seen then signup_method else 'preference_center' end",
            'capture_point': "signup_source",
            'double_opt_in_at': "case when permission_action = 'opt_in' and member_status = 'subscribed' then opted_in_at end",
            'country_code': "country_code",
            'ip_hash': "case when permission_action = 'opt_in' then coalesce(ip_opt_hash, ip_signup_hash) end",
        }) }}
    from permission_actions
    where permission_action is not null and is_permission_mapped

),

permission_rejections as (

    select {{ line_outcome('rejected', 'element_error', 'permission_index') }}
    from permission_changes
    where element_error is not null

    union all

    select {{ line_outcome('rejected', "'unmapped_scope'", 'permission_index') }}
    from permission_actions
    where permission_action is not null and not is_permission_mapped

),

mapped as (

    select * from status_events
    union all
    select * from status_rejections
    union all
    select * from permission_events
    union all
    select * from permission_rejections

),

members_without_change as (

    select {{ line_outcome(
        'ignored', "case when is_unchanged then 'unchanged_snapshot' else 'no_consent_effect' end"
    ) }}
    from member_versions
    where not exists (
        select 1 from mapped
        where mapped.file_name = member_versions.file_name
            and mapped.line_number = member_versions.line_number
    )

),

final as (

    select * from rejected_lines
    union all
    select * from archived_members
    union all
    select * from mapped
    union all
    select * from members_without_change

)

select * from final
