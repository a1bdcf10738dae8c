"""The audit-trail suites, defined in code. Each reads its query's rows from the working database
(read-only, in batches: expectations/runner.py) and checks them with Great Expectations; decisions
are re-checked from the evidence, independently of the models that made them. Every expectation
holds row by row, so it holds on the table when it holds on every batch: whatever spans rows
(uniqueness, joins to other tables) is computed in the query's SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import great_expectations as gx
from great_expectations.expectations import Expectation

STATUSES = ["granted", "withdrawn", "pending", "not_given", "invalid", "reconsent_required",
            "expired", "suppressed"]
BLOCKED_REASONS = ["erasure", "complaint", "undeliverable", "global_opt_out", "channel_opt_out",
                   "sale_opt_out", "purpose_opt_out", "not_given", "no_consent", "pending_confirmation",
                   "double_opt_in_unconfirmed", "prechecked_consent", "unknown_notice_version",
                   "incomplete_proof", "legitimate_interest_not_allowed", "basis_not_valid_for_regime",
                   "reconsent_required", "expired"]
SUPPRESSION_REASONS = ["erasure", "complaint", "undeliverable", "global_opt_out", "channel_opt_out",
                       "sale_opt_out", "purpose_opt_out"]
ACTIONS = ["opt_in", "opt_out", "pending", "not_given", "undeliverable", "complaint", "erasure",
           "sale_opt_out"]


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: the asset it guards, the SQL that reads its frame, and its expectations."""

    name: str
    asset: tuple[str, str]
    description: str
    query: str
    expectations: Callable[[date], list[Expectation]]


def _end_of(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), time())


def _not_null(*columns: str) -> list[Expectation]:
    return [gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def _events(as_of: date) -> list[Expectation]:
    return [
        *_not_null("contact_key", "occurred_at", "source_system", "action", "file_name", "line_number"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="event_id"),
        # uniqueness spans every batch, so it is counted in SQL over the whole table
        gx.expectations.ExpectColumnValuesToBeInSet(column="event_id_repeated", value_set=[False]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="action", value_set=ACTIONS),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="occurred_at", min_value=datetime(2000, 1, 1), max_value=_end_of(as_of),
            strict_max=True),
    ]


def _decisions(as_of: date) -> list[Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        gx.expectations.ExpectColumnValuesToBeInSet(column="blocked_reason", value_set=BLOCKED_REASONS),
        # every decision names an event that exists (null only for "never asked")
        gx.expectations.ExpectColumnValuesToBeInSet(column="evidence_missing", value_set=[False]),
        # a blocked row always says why
        gx.expectations.ExpectColumnValuesToBeInSet(column="blocked_without_reason", value_set=[False]),
        # a decision's horizon lies after the run date: one that already lapsed is a bug
        gx.expectations.ExpectColumnValuesToBeInSet(column="lapsed_before_run_end", value_set=[False]),
    ]


def _opt_in_grants(as_of: date) -> list[Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="evidence_action", value_set=["opt_in"]),
        *_not_null("evidence_occurred_at", "capture_method", "capture_point", "policy_version",
                   "lawful_basis"),
        gx.expectations.ExpectColumnValuesToBeInSet(column="was_prechecked", value_set=[False]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="double_opt_in_ok", value_set=[True]),
        # the notice the person saw is a version of the policy_versions seed
        gx.expectations.ExpectColumnValuesToBeInSet(column="notice_version_known", value_set=[True]),
    ]


def _suppressions(as_of: date) -> list[Expectation]:
    return [
        *_not_null("reason", "suppressed_since", "evidence_event_id"),
        gx.expectations.ExpectColumnValuesToBeInSet(column="reason", value_set=SUPPRESSION_REASONS),
        gx.expectations.ExpectColumnValuesToBeInSet(column="evidence_found", value_set=[True]),
    ]


def _audience_overlap(as_of: date) -> list[Expectation]:
    return [gx.expectations.ExpectTableRowCountToEqual(value=0)]


SUITES: list[SuiteSpec] = [
    SuiteSpec(
        name="consent_events_complete",
        asset=("consent", "consent_events"),
        description="Every event has contact_key, occurred_at, source, action, file and line; "
        "event_id is unique; occurred_at lies between 2000 and the end of the run date.",
        query="""
            select
                event_id, contact_key, occurred_at, source_system, action, file_name, line_number,
                coalesce(event_id in (
                    select event_id from consent.consent_events group by event_id having count(*) > 1
                ), false) as event_id_repeated
            from consent.consent_events
        """,
        expectations=_events,
    ),
    SuiteSpec(
        name="consent_decisions_valid",
        asset=("consent", "consent_status"),
        description="Statuses and reasons are within their value sets, every blocked row has a "
        "reason, every evidence_event_id exists in consent.consent_events, and no "
        "decision_valid_until lies before the end of the run date.",
        query="""
            select
                s.status, s.blocked_reason,
                s.evidence_event_id is not null and e.event_id is null as evidence_missing,
                not s.can_contact and s.blocked_reason is null as blocked_without_reason,
                coalesce(s.decision_valid_until < s.as_of + interval 1 day, false) as lapsed_before_run_end
            from consent.consent_status as s
            left join consent.consent_events as e on e.event_id = s.evidence_event_id
        """,
        expectations=_decisions,
    ),
    SuiteSpec(
        name="opt_in_contact_rests_on_proof",
        asset=("consent", "consent_status"),
        description="Every can_contact in an opt-in regime rests on an opt-in event with "
        "occurred_at, capture_method, capture_point, a policy_version that is in the "
        "policy_versions seed and lawful_basis, not pre-checked, and double opt-in where the "
        "jurisdiction requires it.",
        query="""
            select
                s.contact_key, s.purpose, s.channel, s.jurisdiction, s.evidence_event_id,
                e.action as evidence_action, e.occurred_at as evidence_occurred_at,
                e.capture_method, e.capture_point, e.policy_version, e.lawful_basis,
                coalesce(e.was_prechecked, true) as was_prechecked,
                not coalesce(j.double_opt_in_required, true) or e.double_opt_in_at is not null
                    or e.lawful_basis <> 'consent' as double_opt_in_ok,
                e.policy_version in (select version from reference.policy_versions) as notice_version_known
            from consent.consent_status as s
            left join consent.consent_events as e on e.event_id = s.evidence_event_id
            left join intermediate.int_jurisdictions__ranked as j on j.jurisdiction_code = s.jurisdiction
            where s.can_contact and s.regime = 'opt_in'
        """,
        expectations=_opt_in_grants,
    ),
    SuiteSpec(
        name="suppressions_have_evidence",
        asset=("consent", "suppression_list"),
        description="Every suppression has a reason, suppressed_since and an evidence event that exists.",
        query="""
            select s.reason, s.suppressed_since, s.evidence_event_id, e.event_id is not null as evidence_found
            from consent.suppression_list as s
            left join consent.consent_events as e on e.event_id = s.evidence_event_id
        """,
        expectations=_suppressions,
    ),
    SuiteSpec(
        name="audience_excludes_suppressed",
        asset=("consent", "marketable_audience"),
        description="No contact is both in the marketable audience and suppressed for the same "
        "purpose and channel (the cells a suppression reaches are dbt's rule: int_suppression_list__cells).",
        # which cells a suppression row reaches (global, channel, purpose; a sale opt-out only sale
        # or sharing purposes) is the macro consent_event_cells, applied to each suppression row at
        # its own scope by int_suppression_list__cells: joined here, never restated
        query="""
            select a.contact_key, a.purpose, a.channel, s.reason, s.evidence_event_id
            from consent.marketable_audience as a
            inner join intermediate.int_suppression_list__cells as s
                on s.contact_key = a.contact_key and s.purpose = a.purpose and s.channel = a.channel
        """,
        expectations=_audience_overlap,
    ),
]
