{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="
            {% if is_incremental() %}
            delete from {{ this }} as stored
            where exists (
                select 1 from {{ ref('int_sends__changed') }} as changed
                where changed.sent_by_system = stored.source_system
                    and changed.send_id = stored.send_id
            )
            or not exists (
                select 1 from {{ ref('int_sends__linked') }} as linked
                where linked.send_outcome = 'send'
                    and linked.sent_by_system = stored.source_system
                    and linked.send_id = stored.send_id
                    and linked.file_name = stored.file_name
                    and linked.line_number = stored.line_number
            )
            {% endif %}
        ",
    )
}}

{#- Every send whose contact could not be contacted for that purpose and channel at sent_at.
    The status at the send is the consent_history interval in force then
    (valid_from <= sent_at < valid_to, open-ended when valid_to is null). Fail closed where the
    ledger cannot say yes:
    - a purpose that is not an active purpose of the seed, a channel that is not a known channel,
      or a purpose not offered on that channel: no consent can exist for it, in any regime;
    - an address with no history at all: its country is unknown, so the strictest regime
      (opt-in) applies and there is no consent;
    - a send before the contact's first event: no consent yet, so a breach unless the contact's
      regime is opt-out (CAN-SPAM style: contact unless suppressed).
    Honour-by window: the law gives N business days to honour an opt-out (unsubscribe: CAN-SPAM
    and CASL 10; CCPA sale/sharing: 15; N from the jurisdictions seed, counted from the day of
    the deciding opt-out event, as suppression_list.honour_by). A send blocked by a global,
    channel, purpose or sale opt-out on or before honour_by was lawful but late
    (sent_within_honour_window true); after it, a breach (false). Other reasons (no consent,
    erasure, complaint, bounce, invalid or expired grant...) have no window: null.

    Incremental (issue 9): a night judges only int_sends__changed (the sends of tonight's affected
    contacts, sends read or let in since the previous successful run; every send when a seed, the
    run date going back, missing state or a re-read sends file calls for it; see that model for
    why each can change a verdict). The pre-hook deletes their stored rows, and the stored rows
    whose send is no longer a send line as stored (its line replaced, or another reading now
    counts); the slice is inserted (append). Every other stored row stays: its send line,
    contact history, seeds and run-date window are what they were when it was judged. Not
    detected, so they need --full-refresh: a change to this model's SQL, to
    int_calendar__business_days or to a macro it calls (known_channels). -#}
-- depends_on: {{ ref('int_sends__linked') }}
-- depends_on: {{ ref('int_sends__changed') }}
with

sends as (

    {% if is_incremental() -%}
    select * from {{ ref('int_sends__changed') }}
    {%- else -%}
    select * from {{ ref('int_sends__linked') }}
    where send_outcome = 'send'
    {%- endif %}

),

history as (

    select * from {{ ref('int_consent_history__resolved') }}

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

events as (

    select * from {{ ref('consent_events') }}

),

calendar as (

    select * from {{ ref('int_calendar__business_days') }}

),

purposes as (

    select * from {{ ref('consent_purposes') }}
    where is_active

),

purpose_channels as (

    select purpose, trim(unnest(string_split(channels, '|'))) as channel
    from purposes

),

sends_in_context as (

    select
        sends.*,
        contacts.contact_key is not null as is_known_contact,
        coalesce(contacts.jurisdiction_code, 'ZZ') as contact_jurisdiction,
        sends.channel in {{ known_channels() }} as is_known_channel,
        sends.purpose in (select purpose from purposes) as is_known_purpose,
        exists (
            select 1 from purpose_channels
            where purpose_channels.purpose = sends.purpose
                and purpose_channels.channel = sends.channel
        ) as is_offered
    from sends
    left join contacts on contacts.contact_key = sends.contact_key

),

at_send as (

    select
        sends_in_context.*,
        history.status as history_status,
        history.can_contact as history_can_contact,
        history.blocked_reason as history_blocked_reason,
        history.evidence_event_id as history_evidence_event_id,
        history.jurisdiction as history_jurisdiction,
        history.regime as history_regime
    from sends_in_context
    left join history
        on history.contact_key = sends_in_context.contact_key
        and history.purpose = sends_in_context.purpose
        and history.channel = sends_in_context.channel
        and history.valid_from <= sends_in_context.sent_at
        and (history.valid_to is null or sends_in_context.sent_at < history.valid_to)

),

decided as (

    select
        at_send.*,
        coalesce(at_send.history_jurisdiction, at_send.contact_jurisdiction) as jurisdiction,
        coalesce(at_send.history_regime, jurisdictions.regime, 'opt_in') as regime,
        case
            when not is_known_channel then {'status': 'not_given', 'can_contact': false, 'reason': 'unknown_channel', 'evidence': null}
            when not is_known_purpose then {'status': 'not_given', 'can_contact': false, 'reason': 'unknown_purpose', 'evidence': null}
            when not is_offered then {'status': 'not_given', 'can_contact': false, 'reason': 'purpose_not_offered_on_channel', 'evidence': null}
            when not is_known_contact then {'status': 'not_given', 'can_contact': false, 'reason': 'no_consent_record', 'evidence': null}
            when history_status is not null then {
                'status': history_status,
                'can_contact': history_can_contact,
                'reason': history_blocked_reason,
                'evidence': history_evidence_event_id
            }
            -- before the contact's first event: nothing granted and nothing suppressed yet
            else {
                'status': 'not_given',
                'can_contact': coalesce(jurisdictions.regime, 'opt_in') = 'opt_out',
                'reason': case when coalesce(jurisdictions.regime, 'opt_in') <> 'opt_out' then 'no_consent' end,
                'evidence': null
            }
        end as decision
    from at_send
    left join jurisdictions on jurisdictions.jurisdiction_code = at_send.contact_jurisdiction

),

honour_windows as (

    -- sends blocked by an opt-out the law lets a sender take N business days to honour
    select
        decided.sent_by_system,
        decided.send_id,
        cast(events.occurred_at as date) as opted_out_on,
        case when decided.decision.reason = 'sale_opt_out'
            then jurisdictions.sale_opt_out_honour_business_days
            else jurisdictions.unsubscribe_honour_business_days
        end as honour_business_days
    from decided
    inner join events on events.event_id = decided.decision.evidence
    inner join jurisdictions on jurisdictions.jurisdiction_code = decided.jurisdiction
    where decided.decision.reason in ('global_opt_out', 'channel_opt_out', 'purpose_opt_out', 'sale_opt_out')

),

honour_deadlines as (

    select
        honour_windows.sent_by_system,
        honour_windows.send_id,
        (
            select min(deadline.calendar_date)
            from calendar as deadline
            where deadline.is_business_day
                and deadline.business_day_number = start_day.business_day_number + honour_windows.honour_business_days
        ) as honour_by
    from honour_windows
    inner join calendar as start_day on start_day.calendar_date = honour_windows.opted_out_on

),

final as (

    select
        decided.send_id,
        sent_at,
        contact_key,
        channel,
        purpose,
        campaign_id,
        decided.sent_by_system as source_system,
        decision.status as status_at_send,
        coalesce(decision.reason, 'no_consent') as blocked_reason,
        decision.evidence as evidence_event_id,
        jurisdiction,
        regime,
        honour_deadlines.honour_by,
        cast(sent_at as date) <= honour_deadlines.honour_by as sent_within_honour_window,
        file_name,
        line_number
    from decided
    left join honour_deadlines
        on honour_deadlines.sent_by_system = decided.sent_by_system
        and honour_deadlines.send_id = decided.send_id
    where not decision.can_contact

)

select * from final
