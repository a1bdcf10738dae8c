{{ per_contact_incremental_config() }}

{#- Never-contact rows: one per contact and deciding event, at the scope of that event (a global
    opt-out is one row, not one per purpose). Where a later explicit opt-in lifted a broader
    opt-out for some purposes, the rows name the purpose × channel cells it still blocks, so a
    tool that applies the list never suppresses the purpose the person opted back into. Only a
    grant that still stands lifts (the resolver's lifts_opt_outs_before is null once it lapsed,
    needs re-consent, is invalid or was voided): then the opt-out is listed at its whole scope again.

    Opt-outs are per source (issue 10): every source's global or channel opt-out that the same
    source has not lifted is listed with its own evidence, whether or not it is the one that
    decided consent_status (the resolver names the earliest); an opt-out its source lifted is
    not listed, and never takes another source's opt-out with it. Other reasons (erasure,
    complaint, undeliverable, sale and purpose opt-outs) come from the deciding event.

    Incremental by contact (issue 9): a night rewrites only int_contacts__affected. A contact's
    rows read only its own events, cells and status, the jurisdictions seed and the fixed
    calendar; honour_by counts from the suppression's own date, never from the run date, and an
    opt-out dated after the run date is picked up when the resolver's clock recomputes the contact
    on the night it passes. -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

status as (

    select * from {{ ref('consent_status') }}
    where {{ is_affected_contact() }}

),

current_history as (

    select * from {{ ref('int_consent_history__resolved') }}
    where valid_to is null and {{ is_affected_contact() }}

),

events as (

    select * from {{ ref('consent_events') }}
    where {{ is_affected_contact() }}

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

calendar as (

    select * from {{ ref('int_calendar__business_days') }}

),

event_cells as (

    -- the cells an event reaches (one rule: macro consent_event_cells)
    select * from {{ ref('int_consent_events__cells') }}
    where {{ is_affected_contact() }}

),

opt_out_spans as (

    {{ opt_out_spans('events') }}

),

blocked_cells as (

    -- each cell blocked by its deciding event, broader opt-outs aside
    select contact_key, purpose, channel, blocked_reason as reason, evidence_event_id, jurisdiction
    from status
    where status in ('withdrawn', 'suppressed')
        and blocked_reason not in ('global_opt_out', 'channel_opt_out')
    union all
    -- each cell blocked by a source's global or channel opt-out still in force: not lifted by the
    -- same source, nor for this purpose by a later explicit grant
    select
        cell.contact_key,
        cell.purpose,
        cell.channel,
        opt_out_spans.scope || '_opt_out' as reason,
        opt_out_spans.event_id as evidence_event_id,
        cell.jurisdiction
    from opt_out_spans
    inner join current_history as cell
        on cell.contact_key = opt_out_spans.contact_key
        and (opt_out_spans.scope = 'global' or cell.channel = opt_out_spans.channel)
    where opt_out_spans.opted_out_at < {{ as_of_instant() }}
        and (opt_out_spans.lifted_at is null or opt_out_spans.lifted_at >= {{ as_of_instant() }})
        and (cell.lifts_opt_outs_before is null or cell.lifts_opt_outs_before <= opt_out_spans.opted_out_at)

),

covered_cells as (

    -- the cells each deciding event reaches, whether or not a later grant lifted it there
    select deciding.contact_key, deciding.evidence_event_id, count(*) as covered
    from (select distinct contact_key, evidence_event_id from blocked_cells) as deciding
    inner join event_cells
        on event_cells.contact_key = deciding.contact_key
        and event_cells.event_id = deciding.evidence_event_id
    group by all

),

blocked_counts as (

    select contact_key, evidence_event_id, count(*) as blocked
    from blocked_cells
    group by all

),

whole_scope as (

    -- the event still blocks everything it reaches: one row at the event's own scope
    select distinct
        blocked_cells.contact_key,
        events.scope,
        events.channel,
        events.purpose,
        blocked_cells.reason,
        blocked_cells.evidence_event_id,
        blocked_cells.jurisdiction
    from blocked_cells
    inner join blocked_counts using (contact_key, evidence_event_id)
    inner join covered_cells using (contact_key, evidence_event_id)
    inner join events on events.event_id = blocked_cells.evidence_event_id
    where blocked_counts.blocked = covered_cells.covered

),

lifted_in_part as (

    -- a later explicit grant lifted a broader opt-out for some purposes: list what it still blocks
    select
        blocked_cells.contact_key,
        'purpose' as scope,
        blocked_cells.channel,
        blocked_cells.purpose,
        blocked_cells.reason,
        blocked_cells.evidence_event_id,
        blocked_cells.jurisdiction
    from blocked_cells
    inner join blocked_counts using (contact_key, evidence_event_id)
    inner join covered_cells using (contact_key, evidence_event_id)
    where blocked_counts.blocked <> covered_cells.covered

),

with_scope as (

    select
        suppressions.contact_key,
        suppressions.scope,
        suppressions.channel,
        suppressions.purpose,
        suppressions.reason,
        events.occurred_at as suppressed_since,
        suppressions.evidence_event_id,
        case when suppressions.reason = 'sale_opt_out'
            then jurisdictions.sale_opt_out_honour_business_days
            else jurisdictions.unsubscribe_honour_business_days
        end as honour_business_days
    from (select * from whole_scope union all select * from lifted_in_part) as suppressions
    inner join events on events.event_id = suppressions.evidence_event_id
    inner join jurisdictions on jurisdictions.jurisdiction_code = suppressions.jurisdiction

),

with_deadline as (

    select
        with_scope.*,
        (
            select min(deadline.calendar_date)
            from calendar as deadline
            where deadline.is_business_day
                and deadline.business_day_number = start_day.business_day_number + with_scope.honour_business_days
        ) as honour_by
    from with_scope
    inner join calendar as start_day on start_day.calendar_date = cast(with_scope.suppressed_since as date)

),

final as (

    select
        with_deadline.contact_key,
        contacts.email,
        with_deadline.scope,
        with_deadline.channel,
        with_deadline.purpose,
        with_deadline.reason,
        with_deadline.suppressed_since,
        with_deadline.honour_by,
        with_deadline.evidence_event_id
    from with_deadline
    inner join contacts on contacts.contact_key = with_deadline.contact_key

)

select * from final
