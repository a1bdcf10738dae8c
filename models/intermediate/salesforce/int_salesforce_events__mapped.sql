{#- Salesforce lines → canonical consent events, one row per outcome (event, rejected, ignored).
    Salesforce sends a record again whenever it changes, so events come from the first version of
    a record and from each change between consecutive versions (int_salesforce_*__changes); a
    version that changes nothing is ignored ('unchanged_snapshot'), a re-delivered copy yields the
    same event again (a duplicate downstream), a deleted record keeps its line but changes no
    state ('deleted_record').

    - Contact: HasOptedOutOfEmail / DoNotCall true → channel opt-out (email / phone); false after
      true → channel opt-in that lifts the opt-out (sales_rep; grants no purpose by itself).
      EmailBouncedDate newly set → undeliverable (email) at the bounce date.
    - Individual: HasOptedOutSolicit (or HasOptedOutProcessing) true → global opt-out, both false
      after → global opt-in lift; ShouldForget true → erasure. Events go to every address of the
      contacts that link to the Individual; none → rejected 'unknown_individual'.
    - ContactPointTypeConsent: PartyId → the Individual's addresses; ContactPointType Email /
      Phone / MailingAddress → email / phone / postal, Social and Web have no canonical channel →
      rejected 'unmapped_channel'; DataUsePurposeName → source_scope_map ('Marketing' is the whole
      channel), unmapped → 'unmapped_scope'. A new capture is an event at CaptureDate; an edit of
      status, purpose or channel without a new CaptureDate at LastModifiedDate (so it is not
      back-dated before events that came in between); a newly set DoubleConsentCaptureDate on an
      opt-in re-issues the grant at that instant (double_opt_in); EffectiveTo set or moved earlier
      on an opt-in ends the grant at EffectiveTo ('not_given', system: like an expiry; a future
      date is rejected as occurred_after_as_of until it has passed); an extension changes nothing.
      EffectiveTo is expires_at of the events, EffectiveFrom is not used. CaptureContactPointType
      Web / Email / Phone gives capture_method web_form / email_link / sales_rep; missing or any
      other value leaves it null (no proof of capture, never a guessed import).

    Point in time: a Contact or ContactPointTypeConsent version whose LastModifiedDate is after
    the run date changes nothing yet, even when the event it carries is dated earlier (a bounce
    date, a CaptureDate): it is rejected 'recorded_after_as_of' for that run (a later run reads it).
    Individual events are dated LastModifiedDate, so the run-date check downstream covers them.

    element_index: 1-3 are the rules above; an event fanned out to several addresses of one
    Individual gets 10 × (address number - 1) + rule. -#}
with

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

individuals as (

    select * from {{ ref('stg_salesforce__individuals') }}

),

consents as (

    select * from {{ ref('stg_salesforce__contact_point_type_consents') }}

),

contact_versions as (

    select * from {{ ref('int_salesforce_contacts__changes') }}

),

individual_versions as (

    select * from {{ ref('int_salesforce_individuals__changes') }}

),

consent_versions as (

    select * from {{ ref('int_salesforce_contact_point_type_consents__changes') }}

),

individual_emails as (

    select * from {{ ref('int_salesforce_individuals__emails') }}

),

scope_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'salesforce' and source_field = 'data_use_purpose'

),

staged_lines as (

    select source_system, file_name, line_number, loaded_at, is_header, is_deleted, parse_error
    from contacts
    union all
    select source_system, file_name, line_number, loaded_at, is_header, is_deleted, parse_error
    from individuals
    union all
    select source_system, file_name, line_number, loaded_at, is_header, is_deleted, parse_error
    from consents

),

header_lines as (

    select {{ line_outcome('ignored', "'csv_header'") }}
    from staged_lines
    where is_header and parse_error is null

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }}
    from staged_lines
    where parse_error is not null

),

deleted_records as (

    select {{ line_outcome('ignored', "'deleted_record'") }}
    from staged_lines
    where not is_header and parse_error is null and is_deleted

),

-- Contact ------------------------------------------------------------------------------------

contact_changes as (

    select
        *,
        1 as rule_number,
        'email' as change_channel,
        case
            when has_opted_out_of_email and not coalesce(previous_has_opted_out_of_email, false) then 'opt_out'
            when not has_opted_out_of_email and previous_has_opted_out_of_email then 'opt_in'
        end as change_action,
        last_modified_at as changed_at,
        'Contact.HasOptedOutOfEmail' as changed_field
    from contact_versions

    union all

    select
        *,
        2 as rule_number,
        'phone' as change_channel,
        case
            when do_not_call and not coalesce(previous_do_not_call, false) then 'opt_out'
            when not do_not_call and previous_do_not_call then 'opt_in'
        end as change_action,
        last_modified_at as changed_at,
        'Contact.DoNotCall' as changed_field
    from contact_versions

    union all

    select
        *,
        3 as rule_number,
        'email' as change_channel,
        case
            when email_bounced_at is not null
                and email_bounced_at is distinct from previous_email_bounced_at then 'undeliverable'
        end as change_action,
        email_bounced_at as changed_at,
        'Contact.EmailBouncedDate' as changed_field
    from contact_versions

),

contact_events as (

    select
        {{ canonical_event({
            'element_index': "rule_number",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "contact_id",
            'scope': "'channel'",
            'channel': "change_channel",
            'action': "change_action",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "changed_at",
            'capture_method': "case when change_action = 'undeliverable' then 'system' else 'sales_rep' end",
            'capture_point': "changed_field",
            'country_code': "country_code",
        }) }}
    from contact_changes
    where change_action is not null
        and last_modified_at < {{ as_of_instant() }}

),

contacts_recorded_later as (

    -- point in time: the version itself is dated after the run date (its bounce date may be earlier)
    select {{ line_outcome('rejected', "'recorded_after_as_of'", 'rule_number') }}
    from contact_changes
    where change_action is not null
        and last_modified_at >= {{ as_of_instant() }}

),

contacts_without_change as (

    select {{ line_outcome(
        'ignored', "case when is_unchanged then 'unchanged_snapshot' else 'no_consent_effect' end"
    ) }}
    from contact_versions
    where not exists (
        select 1 from contact_changes
        where contact_changes.file_name = contact_versions.file_name
            and contact_changes.line_number = contact_versions.line_number
            and contact_changes.change_action is not null
    )

),

-- Individual ---------------------------------------------------------------------------------

individual_changes as (

    select
        *,
        1 as rule_number,
        case
            when is_opted_out and not coalesce(previous_is_opted_out, false) then 'opt_out'
            when not is_opted_out and previous_is_opted_out then 'opt_in'
        end as change_action,
        case
            when has_opted_out_solicit or not has_opted_out_processing then 'Individual.HasOptedOutSolicit'
            else 'Individual.HasOptedOutProcessing'
        end as changed_field
    from individual_versions

    union all

    select
        *,
        2 as rule_number,
        -- erasure is terminal: ShouldForget going back to false changes nothing
        case when should_forget and not coalesce(previous_should_forget, false) then 'erasure' end as change_action,
        'Individual.ShouldForget' as changed_field
    from individual_versions

),

individual_actions as (

    select * from individual_changes
    where change_action is not null

),

individual_events as (

    select
        {{ canonical_event({
            'source_system': "individual_actions.source_system",
            'file_name': "individual_actions.file_name",
            'line_number': "individual_actions.line_number",
            'element_index': "10 * (individual_emails.address_number - 1) + individual_actions.rule_number",
            'loaded_at': "individual_actions.loaded_at",
            'email': "individual_emails.email",
            'contact_key': "individual_emails.contact_key",
            'source_record_id': "individual_actions.individual_id || '/' || individual_emails.record_suffix",
            'scope': "'global'",
            'action': "individual_actions.change_action",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "individual_actions.last_modified_at",
            'capture_method': "'sales_rep'",
            'capture_point': "individual_actions.changed_field",
        }) }}
    from individual_actions
    inner join individual_emails on individual_emails.individual_id = individual_actions.individual_id

),

unknown_individuals as (

    select {{ line_outcome('rejected', "'unknown_individual'", 'rule_number') }}
    from individual_actions
    where not exists (
        select 1 from individual_emails
        where individual_emails.individual_id = individual_actions.individual_id
    )

),

individuals_without_change as (

    select {{ line_outcome(
        'ignored', "case when is_unchanged then 'unchanged_snapshot' else 'no_consent_effect' end"
    ) }}
    from individual_versions
    where not exists (
        select 1 from individual_actions
        where individual_actions.file_name = individual_versions.file_name
            and individual_actions.line_number = individual_versions.line_number
    )

),

-- ContactPointTypeConsent --------------------------------------------------------------------

consent_changes as (

    select
        *,
        case
            when is_first_version or captured_at is distinct from previous_captured_at then 'capture'
            when contact_point_type is distinct from previous_contact_point_type
                or data_use_purpose_name is distinct from previous_data_use_purpose_name
                or consent_action is distinct from previous_consent_action then 'edit'
            when consent_action = 'opt_in' and double_consent_captured_at is not null
                and double_consent_captured_at is distinct from previous_double_consent_captured_at
                then 'double_opt_in'
            -- an earlier end of a grant (EffectiveTo set or moved earlier) ends it then; an
            -- extension is no new act of consent and changes nothing (the grant keeps its expiry)
            when consent_action = 'opt_in' and effective_to is not null
                and (previous_effective_to is null or effective_to < previous_effective_to)
                then 'grant_ended'
        end as change_kind
    from consent_versions

),

consent_actions as (

    select
        consent_changes.*,
        scope_map.scope as mapped_scope,
        case
            when scope_map.scope = 'global' then null
            else coalesce(scope_map.channel, consent_changes.channel)
        end as mapped_channel,
        case when scope_map.scope = 'purpose' then scope_map.purpose end as mapped_purpose,
        case consent_changes.change_kind when 'grant_ended' then 'not_given' else consent_changes.consent_action end
            as change_action,
        case consent_changes.change_kind
            when 'capture' then consent_changes.captured_at
            when 'double_opt_in' then consent_changes.double_consent_captured_at
            when 'grant_ended' then consent_changes.effective_to
            else consent_changes.last_modified_at
        end as changed_at,
        case consent_changes.change_kind
            when 'double_opt_in' then 'double_opt_in'
            when 'grant_ended' then 'system'
            else
                -- a missing or unknown CaptureContactPointType is no proof of how consent was
                -- captured: null (incomplete proof in opt-in regimes), never a guessed import
                case lower(consent_changes.capture_contact_point_type)
                    when 'web' then 'web_form'
                    when 'email' then 'email_link'
                    when 'phone' then 'sales_rep'
                end
        end as capture_method,
        case
            when consent_changes.channel is null then 'unmapped_channel'
            when scope_map.source_value is null then 'unmapped_scope'
            when scope_map.channel is not null and scope_map.channel <> consent_changes.channel
                then 'channel_mismatch'
        end as mapping_error
    from consent_changes
    left join scope_map on scope_map.source_value = consent_changes.data_use_purpose_name
    where consent_changes.change_kind is not null

),

consent_events as (

    select
        {{ canonical_event({
            'source_system': "consent_actions.source_system",
            'file_name': "consent_actions.file_name",
            'line_number': "consent_actions.line_number",
            'element_index': "10 * (individual_emails.address_number - 1) + 1",
            'loaded_at': "consent_actions.loaded_at",
            'email': "individual_emails.email",
            'contact_key': "individual_emails.contact_key",
            'source_record_id': "consent_actions.consent_id || '/' || individual_emails.record_suffix",
            'scope': "consent_actions.mapped_scope",
            'channel': "consent_actions.mapped_channel",
            'purpose': "consent_actions.mapped_purpose",
            'action': "consent_actions.change_action",
            'lawful_basis': "case when consent_actions.change_action = 'opt_in' then 'consent' else 'not_applicable' end",
            'occurred_at': "consent_actions.changed_at",
            'capture_method': "consent_actions.capture_method",
            'capture_point': "consent_actions.capture_source",
            'double_opt_in_at': "case when consent_actions.change_action = 'opt_in' then consent_actions.double_consent_captured_at end",
            'expires_at': "consent_actions.effective_to",
        }) }}
    from consent_actions
    inner join individual_emails on individual_emails.individual_id = consent_actions.party_id
    where consent_actions.mapping_error is null
        and consent_actions.last_modified_at < {{ as_of_instant() }}

),

consent_rejections as (

    select {{ line_outcome('rejected', 'mapping_error', '1') }}
    from consent_actions
    where mapping_error is not null

    union all

    -- point in time: the version itself is dated after the run date (its CaptureDate may be earlier)
    select {{ line_outcome('rejected', "'recorded_after_as_of'", '1') }}
    from consent_actions
    where mapping_error is null
        and last_modified_at >= {{ as_of_instant() }}

    union all

    select {{ line_outcome('rejected', "'unknown_individual'", '1') }}
    from consent_actions
    where mapping_error is null
        and last_modified_at < {{ as_of_instant() }}
        and not exists (
            select 1 from individual_emails
            where individual_emails.individual_id = consent_actions.party_id
        )

),

consents_without_change as (

    select {{ line_outcome(
        'ignored', "case when is_unchanged then 'unchanged_snapshot' else 'no_consent_effect' end"
    ) }}
    from consent_changes
    where change_kind is null

),

final as (

    select * from header_lines
    union all
    select * from rejected_lines
    union all
    select * from deleted_records
    union all
    select * from contact_events
    union all
    select * from contacts_recorded_later
    union all
    select * from contacts_without_change
    union all
    select * from individual_events
    union all
    select * from unknown_individuals
    union all
    select * from individuals_without_change
    union all
    select * from consent_events
    union all
    select * from consent_rejections
    union all
    select * from consents_without_change

)

select * from final
