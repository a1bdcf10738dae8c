{{ per_contact_incremental_config() }}

{#- The one place consent is resolved. For each contact × purpose × channel, every event that
    touches the cell and every instant a grant can lapse (expiry, re-consent policy) is a change
    point; the state carried to that point decides the status there. consent_status is the row in
    force at the end of the run date, so history and current status cannot disagree.

    Fail closed on every path (issue 10):
    - Global and channel opt-outs are kept per source system (opt_out_spans): an opt-out from a
      tool stays in force until that same tool lifts it (its next opt-in at that scope), or the
      person gives a later explicit opt-in for a purpose, which lifts it for that purpose only
      and only while that grant stands (its own decision is granted). Once the grant lapses
      (expired, reconsent_required) or is not valid or not yet confirmed, the broader opt-out,
      undeliverable/complaint or sale opt-out is back in force with its own evidence.
      A lift in one tool never reopens another tool's opt-out; across tools the least permissive
      state wins, and the earliest opt-out still in force is the evidence.
    - CASL grants are checked like opt-in ones (design step 3): a pre-checked box is invalid
      (prechecked_consent); an unknown pre-check state or a missing capture method/point is no
      proof (incomplete_proof). This holds for CASL implied consent (implied_business,
      implied_inquiry) too: it has no box, but a source that does not record the pre-check state
      (OneTrust IMPLICIT) proves nothing about how it was obtained, and the design lists
      "pre-check state unknown" for CASL without exception, so it fails closed (invalid).
    - A grant's notice version counts only when it is a version of the policy_versions seed;
      versions compare by the seed's version_order, never by parsing their text. In opt-in and
      CASL regimes a grant without a seeded version is invalid (unknown_notice_version).
    - reconsent_required blocks contact in every regime, the opt-out regime included.
    - Grants of one cell at one instant (two receipts, two tools) that disagree: the least
      permissive decides, whatever their ids (an ambiguous conflict fails closed). Each is judged
      on its own at every change point; the first in the order invalid, pending,
      reconsent_required, expired, granted (then event_id) is the grant. In every regime that
      order puts a grant that blocks contact before one that allows it.
    - decision_valid_until: on the interval in force at the end of the run, the next instant
      its decision changes (or may change) without a new event: the grant's expiry (source
      expiry, refresh age, CASL window), its double opt-in confirmation, a re-consent policy
      taking effect. Null when nothing is scheduled, and on closed intervals.

    Incremental (issue 9): a night resolves only int_contacts__affected (every import CTE is
    filtered to them, so the windows run on the slice) and rewrites their rows (delete+insert by
    contact_key); the rules are the same for a slice as for everyone, because a contact's cells
    depend only on that contact's events and jurisdiction. next_point_at, per cell, is the first
    point of its timeline left out because it is at or after the end of the run date (a clock
    point or an event dated later): when a later run date passes it, the cell must be resolved
    again (int_contacts__resolution_state keeps the earliest per contact). -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

cells as (

    select * from {{ ref('int_consent_cells__spined') }}
    where {{ is_affected_contact() }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and {{ is_affected_contact() }}

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}

),

notice_versions as (

    select
        version,
        version_order
    from {{ ref('policy_versions') }}

),

cell_purposes as (

    select distinct purpose from cells

),

reconsent_policies as (

    -- each policy that requires re-consent × each purpose it applies to: the one place that
    -- says which purposes a policy reaches (clock points, needs_reconsent, next_reconsent_at)
    select
        policy_versions.version,
        policy_versions.version_order,
        cast(policy_versions.effective_from as timestamp) as effective_at,
        purposes.purpose
    from {{ ref('policy_versions') }} as policy_versions
    inner join cell_purposes as purposes
        on policy_versions.purposes_affected = 'all'
        or list_contains(string_split(policy_versions.purposes_affected, '|'), purposes.purpose)
    where policy_versions.requires_reconsent

),

opt_out_spans as (

    -- per contact, source and scope (global, or one channel): each opt-out still standing, until
    -- the same source lifts it
    {{ opt_out_spans('events') }}

),

cell_rules as (

    select
        cells.*,
        jurisdictions.regime,
        jurisdictions.double_opt_in_required,
        jurisdictions.consent_refresh_months,
        jurisdictions.casl_implied_purchase_months,
        jurisdictions.casl_implied_inquiry_months,
        coalesce(
            list_contains(string_split(jurisdictions.legitimate_interest_purposes, '|'), cells.purpose),
            false
        ) as legitimate_interest_allowed
    from cells
    inner join jurisdictions on jurisdictions.jurisdiction_code = cells.jurisdiction_code

),

event_cells as (

    -- the cells each event reaches (the rule of int_consent_events__cells, on this slice)
    {{ consent_event_cells('cells', 'events') }}

),

cell_events as (

    select
        event_cells.contact_key,
        event_cells.purpose,
        event_cells.channel,
        event_cells.event_id,
        event_cells.source_system,
        event_cells.occurred_at as changed_at,
        event_cells.priority,
        event_cells.kind,
        {
            'event_id': event_cells.event_id,
            'action': event_cells.action,
            'at': event_cells.occurred_at
        } as ref
    from event_cells

),

grant_events as (

    select
        cell_rules.contact_key,
        cell_rules.purpose,
        cell_rules.channel,
        events.event_id,
        events.occurred_at,
        events.lawful_basis,
        events.was_prechecked,
        events.policy_version,
        events.double_opt_in_at,
        events.capture_method,
        events.capture_point,
        notice_versions.version_order as policy_version_order,
        least(
            events.expires_at,
            case when cell_rules.regime = 'opt_in' and cell_rules.consent_refresh_months is not null
                then events.occurred_at + to_months(cell_rules.consent_refresh_months) end,
            case when cell_rules.regime = 'casl' and events.lawful_basis = 'implied_business'
                then events.occurred_at + to_months(cell_rules.casl_implied_purchase_months) end,
            case when cell_rules.regime = 'casl' and events.lawful_basis = 'implied_inquiry'
                then events.occurred_at + to_months(cell_rules.casl_implied_inquiry_months) end
        ) as lapses_at
    from cell_events
    inner join events on events.event_id = cell_events.event_id
    inner join cell_rules
        on cell_rules.contact_key = cell_events.contact_key
        and cell_rules.purpose = cell_events.purpose
        and cell_rules.channel = cell_events.channel
    -- an exact seeded version, or none: text that is not a version never gets an order
    left join notice_versions on notice_versions.version = events.policy_version
    where cell_events.kind = 'purpose' and events.action = 'opt_in'

),

clock_points as (

    -- instants where a grant changes without any event: expiry, confirmation, re-consent policies
    select contact_key, purpose, channel, lapses_at as changed_at
    from grant_events
    where lapses_at is not null
    union
    -- a pending grant becomes valid when the address confirms it
    select contact_key, purpose, channel, double_opt_in_at
    from grant_events
    where double_opt_in_at > occurred_at
    union
    select grant_events.contact_key, grant_events.purpose, grant_events.channel, reconsent_policies.effective_at
    from grant_events
    inner join reconsent_policies
        on reconsent_policies.purpose = grant_events.purpose
        and reconsent_policies.effective_at > grant_events.occurred_at

),

origin_points as (

    -- every cell's history starts when the contact became known, so "never asked" is a row
    select cells.contact_key, cells.purpose, cells.channel, contacts.first_event_at as changed_at
    from cells
    inner join contacts on contacts.contact_key = cells.contact_key

),

timeline as (

    select contact_key, purpose, channel, changed_at, priority, kind, event_id, ref
    from cell_events
    union all
    select
        contact_key, purpose, channel, changed_at, 0 as priority, 'clock' as kind,
        cast(null as varchar) as event_id, null as ref
    from (select * from clock_points union select * from origin_points)

),

next_points as (

    -- the first point of each cell's timeline this run date leaves out
    select contact_key, purpose, channel, min(changed_at) as next_point_at
    from timeline
    where changed_at >= {{ as_of_instant() }}
    group by contact_key, purpose, channel

),

carried as (

    select
        contact_key,
        purpose,
        channel,
        changed_at,
        priority,
        event_id,
        {% for name, condition in [
            ('purpose_last', "kind = 'purpose'"),
            ('purpose_decisive', "kind = 'purpose' and ref.action <> 'not_given'"),
            ('global_last', "kind = 'global'"),
            ('global_opt_out', "kind = 'global' and ref.action = 'opt_out'"),
            ('channel_last', "kind = 'channel'"),
            ('channel_opt_out', "kind = 'channel' and ref.action = 'opt_out'"),
            ('delivery_block', "kind = 'delivery'"),
            ('sale_block', "kind = 'sale'"),
            ('erasure', "kind = 'erasure'"),
        ] %}
        last_value(case when {{ condition }} then ref end ignore nulls) over cell_order as {{ name }},
        {% endfor %}
        row_number() over (
            partition by contact_key, purpose, channel, changed_at
            order by priority desc, event_id desc nulls last
        ) as rank_at_instant
    from timeline
    window cell_order as (
        partition by contact_key, purpose, channel
        order by changed_at, priority, event_id nulls first
        rows between unbounded preceding and current row
    )

),

change_points as (

    -- one state per instant: the last one after every event at that instant is applied
    select * exclude (rank_at_instant)
    from carried
    where rank_at_instant = 1
        and changed_at < {{ as_of_instant() }}

),

with_grant as (

    select
        change_points.*,
        case when purpose_last.action = 'opt_in' then purpose_last.at end as grant_at,
        grant_events.lawful_basis as grant_basis,
        grant_events.was_prechecked as grant_prechecked,
        grant_events.policy_version as grant_policy_version,
        grant_events.policy_version_order as grant_policy_version_order,
        grant_events.double_opt_in_at as grant_double_opt_in_at,
        grant_events.capture_method as grant_capture_method,
        grant_events.capture_point as grant_capture_point,
        grant_events.lapses_at as grant_lapses_at,
        grant_events.event_id as grant_event_id,
        cell_rules.regime,
        cell_rules.jurisdiction_code,
        cell_rules.double_opt_in_required,
        cell_rules.legitimate_interest_allowed,
        greatest(global_opt_out.at, channel_opt_out.at) as broader_opt_out_at,
        case when global_last.action = 'opt_in' and global_last.at >= coalesce(channel_last.at, global_last.at)
            then global_last.event_id else channel_last.event_id end as broader_lift_event_id
    from change_points
    inner join cell_rules
        on cell_rules.contact_key = change_points.contact_key
        and cell_rules.purpose = change_points.purpose
        and cell_rules.channel = change_points.channel
    -- every grant of the cell at the latest grant's instant (one, unless grants tie)
    left join grant_events
        on change_points.purpose_last.action = 'opt_in'
        and grant_events.occurred_at = change_points.purpose_last.at
        and grant_events.contact_key = change_points.contact_key
        and grant_events.purpose = change_points.purpose
        and grant_events.channel = change_points.channel

),

with_reconsent as (

    select
        with_grant.*,
        exists (
            select 1
            from reconsent_policies
            where reconsent_policies.purpose = with_grant.purpose
                and reconsent_policies.effective_at <= with_grant.changed_at
                and (
                    with_grant.grant_policy_version_order is null
                    or with_grant.grant_policy_version_order < reconsent_policies.version_order
                )
        ) as needs_reconsent,
        (
            select min(reconsent_policies.effective_at)
            from reconsent_policies
            where reconsent_policies.purpose = with_grant.purpose
                and reconsent_policies.effective_at > with_grant.changed_at
                and (
                    with_grant.grant_policy_version_order is null
                    or with_grant.grant_policy_version_order < reconsent_policies.version_order
                )
        ) as next_reconsent_at
    from with_grant

),

with_grant_decision as (

    -- steps 3-5 for the cell's latest purpose grant, on its own: whether it is valid, confirmed,
    -- current and unexpired. Only a grant that stands (granted) lifts a broader opt-out.
    select
        with_reconsent.*,
        case when purpose_last.action = 'opt_in' then case
        -- 3. grant validity where the regime requires opt-in or is CASL
            when regime = 'opt_in' and grant_basis = 'legitimate_interest' and not legitimate_interest_allowed
                then {'status': 'invalid', 'reason': 'legitimate_interest_not_allowed', 'evidence': grant_event_id}
            when regime = 'opt_in' and coalesce(grant_basis, 'unknown') not in ('consent', 'legitimate_interest')
                then {'status': 'invalid', 'reason': 'basis_not_valid_for_regime', 'evidence': grant_event_id}
            -- CASL: express consent, or implied consent within its window
            when regime = 'casl'
                and coalesce(grant_basis, 'unknown') not in ('consent', 'implied_business', 'implied_inquiry')
                then {'status': 'invalid', 'reason': 'basis_not_valid_for_regime', 'evidence': grant_event_id}
            -- a box the person ticked: pre-checked is no consent, an unknown pre-check state is no
            -- proof. CASL implied consent has no box, but a source that records none proves none
            -- (fail closed: such a grant is invalid too)
            when regime in ('opt_in', 'casl') and grant_basis in ('consent', 'implied_business', 'implied_inquiry')
                and grant_prechecked
                then {'status': 'invalid', 'reason': 'prechecked_consent', 'evidence': grant_event_id}
            when regime in ('opt_in', 'casl') and grant_basis in ('consent', 'implied_business', 'implied_inquiry')
                and grant_prechecked is null
                then {'status': 'invalid', 'reason': 'incomplete_proof', 'evidence': grant_event_id}
            -- the notice the person saw must be a seeded version: missing, malformed or unknown is no proof
            when regime in ('opt_in', 'casl') and grant_policy_version_order is null
                then {'status': 'invalid', 'reason': 'unknown_notice_version', 'evidence': grant_event_id}
            -- proof of consent (GDPR Art. 7(1), CASL s. 13): how and where it was captured
            when regime in ('opt_in', 'casl') and (grant_capture_method is null or grant_capture_point is null)
                then {'status': 'invalid', 'reason': 'incomplete_proof', 'evidence': grant_event_id}
            when double_opt_in_required and grant_basis = 'consent'
                and (grant_double_opt_in_at is null or grant_double_opt_in_at > changed_at)
                then {'status': 'pending', 'reason': 'double_opt_in_unconfirmed', 'evidence': grant_event_id}
        -- 4. policy versions that require re-consent; 5. expiry
            when needs_reconsent
                then {'status': 'reconsent_required', 'reason': 'reconsent_required', 'evidence': grant_event_id}
            when grant_lapses_at <= changed_at
                then {'status': 'expired', 'reason': 'expired', 'evidence': grant_event_id}
            else {'status': 'granted', 'reason': null, 'evidence': grant_event_id}
        end end as grant_decision
    from with_reconsent

),

ranked_grants as (

    -- grants at one instant that disagree: the least permissive is the grant (fail closed)
    select
        *,
        row_number() over (
            partition by contact_key, purpose, channel, changed_at
            order by
                case grant_decision.status
                    when 'invalid' then 1 when 'pending' then 2 when 'reconsent_required' then 3
                    when 'expired' then 4 else 5
                end,
                grant_event_id
        ) as grant_rank
    from with_grant_decision

),

with_lift as (

    select
        *,
        -- the grant that lifts broader opt-outs given before it, while it stands: valid,
        -- confirmed, current, and not voided by a broader opt-out after it (a grant voided by
        -- one tool's opt-out does not keep lifting another tool's once that one is reset)
        case when grant_decision.status = 'granted' and not coalesce(grant_at <= broader_opt_out_at, false)
            then grant_at end as lifting_grant_at
    from ranked_grants
    where grant_rank = 1

),

standing_opt_outs as (

    -- every source's global or channel opt-out in force at the change point that no later
    -- explicit purpose grant standing at that point lifted; the earliest of each scope decides
    select
        with_lift.contact_key,
        with_lift.purpose,
        with_lift.channel,
        with_lift.changed_at,
        opt_out_spans.scope,
        opt_out_spans.event_id,
        row_number() over (
            partition by with_lift.contact_key, with_lift.purpose, with_lift.channel,
                with_lift.changed_at, opt_out_spans.scope
            order by opt_out_spans.opted_out_at, opt_out_spans.event_id
        ) as standing_rank
    from with_lift
    inner join opt_out_spans
        on opt_out_spans.contact_key = with_lift.contact_key
        and (opt_out_spans.scope = 'global' or opt_out_spans.channel = with_lift.channel)
        and opt_out_spans.opted_out_at <= with_lift.changed_at
        and (opt_out_spans.lifted_at is null or with_lift.changed_at < opt_out_spans.lifted_at)
    -- a lapsed, withdrawn or otherwise invalid grant lifts nothing: the opt-out is back in force
    where with_lift.lifting_grant_at is null or with_lift.lifting_grant_at <= opt_out_spans.opted_out_at

),

with_standing as (

    select
        with_lift.*,
        global_standing.event_id as global_opt_out_event_id,
        channel_standing.event_id as channel_opt_out_event_id
    from with_lift
    left join standing_opt_outs as global_standing
        on global_standing.contact_key = with_lift.contact_key
        and global_standing.purpose = with_lift.purpose
        and global_standing.channel = with_lift.channel
        and global_standing.changed_at = with_lift.changed_at
        and global_standing.scope = 'global'
        and global_standing.standing_rank = 1
    left join standing_opt_outs as channel_standing
        on channel_standing.contact_key = with_lift.contact_key
        and channel_standing.purpose = with_lift.purpose
        and channel_standing.channel = with_lift.channel
        and channel_standing.changed_at = with_lift.changed_at
        and channel_standing.scope = 'channel'
        and channel_standing.standing_rank = 1

),

decided as (

    select
        *,
        -- 1. suppressions first: erasure, then broader blocks no later grant standing now has lifted
        case
            when erasure is not null then {'status': 'suppressed', 'reason': 'erasure', 'evidence': erasure.event_id}
            when delivery_block is not null and (lifting_grant_at is null or lifting_grant_at <= delivery_block.at)
                then {'status': 'suppressed', 'reason': delivery_block.action, 'evidence': delivery_block.event_id}
            -- a global or channel opt-out from any source that the same source has not lifted
            when global_opt_out_event_id is not null
                then {'status': 'withdrawn', 'reason': 'global_opt_out', 'evidence': global_opt_out_event_id}
            when channel_opt_out_event_id is not null
                then {'status': 'withdrawn', 'reason': 'channel_opt_out', 'evidence': channel_opt_out_event_id}
            when sale_block is not null and (lifting_grant_at is null or lifting_grant_at <= sale_block.at)
                then {'status': 'withdrawn', 'reason': 'sale_opt_out', 'evidence': sale_block.event_id}
        -- 2. the latest purpose event; not_given never lifts an earlier opt-out
            when purpose_last.action = 'opt_out'
                then {'status': 'withdrawn', 'reason': 'purpose_opt_out', 'evidence': purpose_last.event_id}
            when purpose_last.action = 'not_given' and purpose_decisive.action = 'opt_out'
                then {'status': 'withdrawn', 'reason': 'purpose_opt_out', 'evidence': purpose_decisive.event_id}
            when purpose_last.action = 'not_given'
                then {'status': 'not_given', 'reason': 'not_given', 'evidence': purpose_last.event_id}
            when purpose_last.action = 'pending'
                then {'status': 'pending', 'reason': 'pending_confirmation', 'evidence': purpose_last.event_id}
            -- a grant older than a broader opt-out stays void after that opt-out is lifted
            when purpose_last.action = 'opt_in' and grant_at <= broader_opt_out_at
                then {'status': 'not_given', 'reason': 'no_consent', 'evidence': broader_lift_event_id}
        -- 3.-5. the grant's own validity, confirmation, re-consent and expiry
            when purpose_last.action = 'opt_in' then grant_decision
            else {'status': 'not_given', 'reason': 'no_consent', 'evidence': broader_lift_event_id}
        end as decision
    from with_standing

),

with_contactability as (

    select
        *,
        -- 6. the regime: opt-in and CASL need a standing grant; opt-out regimes contact
        -- unless the person is suppressed, withdrew, declined, has not confirmed, or a notice
        -- change requires fresh consent (re-consent blocks in every regime)
        case regime
            when 'opt_out' then decision.status not in ('withdrawn', 'suppressed', 'pending', 'reconsent_required')
                and not (decision.status = 'not_given' and decision.reason = 'not_given')
            else decision.status = 'granted'
        end as can_contact,
        -- the next instant this decision changes without an event: only a decision resting on
        -- the grant has a clock (its lapse, its confirmation, a re-consent policy)
        case when decision.evidence = grant_event_id then least(
            case when grant_lapses_at > changed_at then grant_lapses_at end,
            case when grant_double_opt_in_at > changed_at then grant_double_opt_in_at end,
            next_reconsent_at
        ) end as next_scheduled_at
    from decided

),

islands as (

    select
        *,
        coalesce(
            lag(decision) over cell_order is distinct from decision
            or lag(can_contact) over cell_order is distinct from can_contact,
            true
        ) as is_change,
        -- the cell's state at its last change point, for the interval in force at the end
        last_value(next_scheduled_at) over cell_to_end as current_next_scheduled_at,
        last_value(lifting_grant_at) over cell_to_end as current_grant_at
    from with_contactability
    window
        cell_order as (partition by contact_key, purpose, channel order by changed_at),
        cell_to_end as (
            partition by contact_key, purpose, channel order by changed_at
            rows between unbounded preceding and unbounded following
        )

),

intervals as (

    select
        islands.*,
        lead(changed_at) over (partition by contact_key, purpose, channel order by changed_at) as valid_to
    from islands
    where is_change

),

final as (

    select
        intervals.contact_key,
        intervals.purpose,
        intervals.channel,
        changed_at as valid_from,
        valid_to,
        decision.status as status,
        can_contact,
        case when not can_contact then coalesce(decision.reason, 'no_consent') end as blocked_reason,
        decision.reason as status_reason,
        case when decision.status in ('granted', 'expired', 'reconsent_required', 'invalid')
                or decision.reason = 'double_opt_in_unconfirmed'
            then grant_basis end as lawful_basis,
        case when decision.evidence = grant_event_id then grant_at end as granted_at,
        case when decision.evidence = grant_event_id then grant_lapses_at end as expires_at,
        case when decision.evidence = grant_event_id then grant_policy_version end as policy_version,
        jurisdiction_code as jurisdiction,
        regime,
        decision.evidence as evidence_event_id,
        case when valid_to is null then current_next_scheduled_at end as decision_valid_until,
        -- broader opt-outs given before this purpose grant, while it stands, are lifted for the cell (read by
        -- suppression_list to list only the opt-outs that still block it)
        case when valid_to is null then current_grant_at end as lifts_opt_outs_before,
        next_points.next_point_at
    from intervals
    left join next_points
        on next_points.contact_key = intervals.contact_key
        and next_points.purpose = intervals.purpose
        and next_points.channel = intervals.channel

)

select * from final
