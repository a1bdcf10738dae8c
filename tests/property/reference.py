"""A brute-force reference for the design's "Resolving status" rules, written from the design text
and issue 10 (never from the SQL), so the property tests compare two independent readings.

It works on canonical events (`Event`), which `histories.py` derives from the raw landing records it
renders, and decides one cell (contact x purpose x channel) at one instant by replaying every event
in time order. It is deliberately slow and literal: one small function per rule.

Where the spec is silent the reference fails closed and says so: `Decision.ambiguous` names the
open question, and the tests report such cells apart from real disagreements.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

OPT_OUT_KINDS = ("opt_out", "undeliverable", "complaint", "sale_opt_out")


@dataclass(frozen=True)
class Event:
    """A canonical consent event as the design defines it (only the fields resolution reads)."""

    source: str
    scope: str  # global | channel | purpose
    channel: str | None
    purpose: str | None
    action: str
    occurred_at: datetime
    lawful_basis: str = "not_applicable"
    policy_version: str | None = None
    was_prechecked: bool | None = None
    double_opt_in_at: datetime | None = None
    expires_at: datetime | None = None
    country: str | None = None


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    regime: str
    double_opt_in: bool
    refresh_months: int | None
    legitimate_interest: frozenset[str]
    casl_inquiry_months: int | None
    rank: int


@dataclass
class Decision:
    status: str
    can_contact: bool
    reason: str
    ambiguous: str | None = None  # the open spec question this cell depends on, if any
    also_acceptable: set[str] = field(default_factory=set)  # statuses an equally valid reading gives


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


def _read(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def purposes() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Active purpose -> (channels, is_sale_or_sharing), read from the seed at test time."""
    return {
        row["purpose"]: (tuple(c.strip() for c in row["channels"].split("|")), _bool(row["is_sale_or_sharing"]))
        for row in _read("consent_purposes") if _bool(row["is_active"])
    }


def cells() -> list[tuple[str, str]]:
    return [(p, c) for p, (channels, _) in purposes().items() for c in channels]


@cache
def jurisdictions() -> dict[str, Jurisdiction]:
    """Country code (country rows only; this test gives no subdivisions) -> its rules and strictness."""
    out = {}
    for row in _read("jurisdictions"):
        if row["subdivision_code"]:
            continue
        regime = row["regime"]
        doi = _bool(row["double_opt_in_required"])
        refresh = int(row["consent_refresh_months"]) if row["consent_refresh_months"] else None
        # strictest: opt_in over casl over opt_out, then double opt-in, then a refresh age
        rank = {"opt_in": 3, "casl": 2, "opt_out": 1}[regime] * 100 + (10 if doi else 0) + (1 if refresh else 0)
        out[row["country_code"]] = Jurisdiction(
            code=row["country_code"], regime=regime, double_opt_in=doi, refresh_months=refresh,
            legitimate_interest=frozenset(p for p in row["legitimate_interest_purposes"].split("|") if p),
            casl_inquiry_months=int(row["casl_implied_inquiry_months"]) if row["casl_implied_inquiry_months"] else None,
            rank=rank)
    return out


@cache
def policy_versions() -> tuple[list[str], list[tuple[int, datetime, frozenset[str] | None]]]:
    """Versions in seed order (by effective date) and the re-consent policies (index, effective, purposes)."""
    rows = sorted(_read("policy_versions"), key=lambda r: r["effective_from"])
    order = [r["version"] for r in rows]
    reconsent = [
        (i, datetime.fromisoformat(r["effective_from"]),
         None if r["purposes_affected"] == "all" else frozenset(r["purposes_affected"].split("|")))
        for i, r in enumerate(rows) if _bool(r["requires_reconsent"])
    ]
    return order, reconsent


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month)  # generated days are <= 28


def jurisdiction_of(events: list[Event]) -> Jurisdiction:
    """The strictest regime among the countries given; none, or one without a seed row -> ZZ."""
    table = jurisdictions()
    known = [table[e.country] for e in events if e.country in table]
    if not known or len({e.country for e in events if e.country} - set(table)):
        # a country we have no row for is unknown: the strictest regime (ZZ) competes with the rest
        known.append(table["ZZ"])
    return max(known, key=lambda j: j.rank)


# a grant judged on its own, least permissive first (the resolver's order for same-instant grants)
GRANT_SEVERITY = ("invalid", "pending", "reconsent_required", "expired", "granted")


def _tie_order(action: str) -> int:
    """Within one instant the least permissive act is applied last, so it wins."""
    return {"opt_in": 0, "pending": 1, "not_given": 2}.get(action, 3)


def _in_time_order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.occurred_at, _tie_order(e.action)))


def _broader_blocks(cell_events: list[Event], channel: str, sharing: bool) -> list[tuple[str, Event]]:
    """Every broader act that blocks this cell, each with the key of the state it belongs to.
    Opt-outs are kept per source: only the same source's own lift (a global or channel opt_in of the
    same scope) ends one. Undeliverable, complaint and sale opt-out have no source-level lift."""
    keyed = []
    for e in cell_events:
        if e.scope == "global" and e.action in ("opt_out", "opt_in"):
            keyed.append(((e.source, "global"), e))
        elif e.scope == "channel" and e.channel == channel and e.action in ("opt_out", "opt_in"):
            keyed.append(((e.source, "channel"), e))
        elif e.action in ("undeliverable", "complaint") and e.channel == channel:
            keyed.append(((e.source, e.action), e))
        elif e.action == "sale_opt_out" and sharing:
            keyed.append((("any", "sale_opt_out"), e))
    return keyed


def _in_force(keyed: list[tuple[str, Event]]) -> list[Event]:
    """Per key, the latest opt-out that no later same-key lift ended (ties: the opt-out wins)."""
    state: dict[tuple[str, str], Event | None] = {}
    for key, e in sorted(keyed, key=lambda ke: (ke[1].occurred_at, _tie_order(ke[1].action))):
        state[key] = None if e.action == "opt_in" else e
    return [e for e in state.values() if e is not None]


def resolve(events: list[Event], purpose: str, channel: str, at: datetime) -> Decision:
    """Status and can_contact for one cell, counting only what had happened before `at`."""
    seen = [e for e in events if e.occurred_at < at]
    sharing = purposes()[purpose][1]
    juris = jurisdiction_of(seen)

    erasures = [e for e in seen if e.action == "erasure"]
    if erasures:
        return Decision("suppressed", False, "erasure")

    purpose_events = _in_time_order(
        [e for e in seen if e.scope == "purpose" and e.purpose == purpose and e.channel == channel])

    # the latest purpose event sets the state; not_given never lifts an earlier opt-out
    state: Event | None = None
    for e in purpose_events:
        if e.action == "not_given" and state is not None and state.action == "opt_out":
            continue
        state = e
    grant = state if state is not None and state.action == "opt_in" else None

    keyed = _broader_blocks(seen, channel, sharing)
    in_force = _in_force(keyed)
    decision: Decision | None = None
    voided = False
    if grant is not None:
        # a broader opt-out after the grant voids it for good, even once that opt-out is lifted
        voided = any(b.occurred_at >= grant.occurred_at and b.action in OPT_OUT_KINDS for _, b in keyed)
        # grants of one cell at one instant that disagree (two receipts, other proof): the least
        # permissive decides, whatever order they arrived in; among those that block contact,
        # the first of GRANT_SEVERITY
        twins = [e for e in purpose_events if e.action == "opt_in" and e.occurred_at == grant.occurred_at]
        decision = min((_grant(e, purpose, juris, at) for e in twins),
                       key=lambda d: (d.can_contact, GRANT_SEVERITY.index(d.status)))
    # a later explicit opt-in for this purpose lifts a broader opt-out for this purpose only, for as
    # long as that grant stands: it is the purpose's state (a later withdrawal or not_given leaves
    # the opt-out), valid, current and not voided (design "Least permissive wins": an implied,
    # invalid, lapsed or voided grant is no explicit opt-in, so the opt-out is back in force)
    lifting = grant if decision is not None and decision.status == "granted" and not voided else None
    blocking = [b for b in in_force if lifting is None or b.occurred_at >= lifting.occurred_at]
    if blocking:
        kinds = {b.action for b in blocking}
        statuses = {"suppressed" if k in ("undeliverable", "complaint") else "withdrawn" for k in kinds}
        status = "withdrawn" if "withdrawn" in statuses else "suppressed"
        acceptable = statuses - {status}
        if state is not None and state.action == "opt_out":
            acceptable.add("withdrawn")
        return Decision(status, False, "broader_opt_out:" + ",".join(sorted(kinds)), also_acceptable=acceptable)

    if grant is not None and decision is not None:
        if voided:
            return _never_asked(juris, "grant_voided_by_broader_opt_out")
        # nothing in force (a grant that does not stand lifts nothing, so it was blocked above)
        return decision
    if state is None:
        return _never_asked(juris, "never_asked")
    if state.action == "opt_out":
        return Decision("withdrawn", False, "purpose_opt_out")
    if state.action == "pending":
        return Decision("pending", False, "pending")
    return Decision("not_given", False, "explicit_not_given")


def _never_asked(juris: Jurisdiction, reason: str) -> Decision:
    # opt-out regimes: contact unless refused; opt-in and CASL: no consent, no contact
    return Decision("not_given", juris.regime == "opt_out", reason)


def _version_index(version: str | None) -> int | None:
    order, _ = policy_versions()
    return order.index(version) if version in order else None


def _needs_reconsent(grant: Event, purpose: str, at: datetime) -> bool | None:
    """True/False, or None when the grant's notice version is unknown (cannot be compared)."""
    index = _version_index(grant.policy_version)
    _, policies = policy_versions()
    relevant = [(i, eff) for i, eff, affected in policies
                if eff < at and (affected is None or purpose in affected)]
    if not relevant:
        return False
    if index is None:
        return None
    return any(index < i for i, _ in relevant)


def _grant(grant: Event, purpose: str, juris: Jurisdiction, at: datetime) -> Decision:
    regime = juris.regime
    basis = grant.lawful_basis

    if regime == "opt_out":
        reconsent = _needs_reconsent(grant, purpose, at)
        if reconsent:
            return Decision("reconsent_required", False, "reconsent")
        if grant.expires_at is not None and grant.expires_at <= at:
            return Decision("expired", False, "source_expiry",
                            ambiguous="expired grant in an opt-out regime (never asked would be contactable)")
        if reconsent is None:
            return Decision("granted", True, "granted_unknown_version",
                            ambiguous="re-consent for a grant with no known notice version in an opt-out regime",
                            also_acceptable={"reconsent_required", "invalid"})
        return Decision("granted", True, "granted")

    # opt_in and casl
    if basis == "legitimate_interest":
        if regime != "opt_in" or purpose not in juris.legitimate_interest:
            return Decision("invalid", False, "legitimate_interest_not_allowed")
        # no box to tick, but the person must have been told: the notice version is checked for any grant
        if _version_index(grant.policy_version) is None:
            return Decision("invalid", False, "unknown_notice_version")
        return _expiry_checks(grant, juris, at, express=True)
    if basis not in ("consent", "implied_inquiry"):
        return Decision("invalid", False, f"basis_{basis}")
    if basis == "implied_inquiry" and regime == "opt_in":
        return Decision("invalid", False, "implied_consent_in_opt_in")
    if grant.was_prechecked is not False:
        if basis == "implied_inquiry":
            return Decision("invalid", False, "precheck_unknown",
                            ambiguous="CASL implied consent has no box: is an unknown pre-check state invalid?",
                            also_acceptable={"granted", "expired", "reconsent_required"})
        return Decision("invalid", False, "prechecked_or_unknown")
    if _version_index(grant.policy_version) is None:
        return Decision("invalid", False, "unknown_notice_version")
    if juris.double_opt_in and (grant.double_opt_in_at is None or grant.double_opt_in_at >= at):
        return Decision("pending", False, "double_opt_in_unconfirmed")
    if _needs_reconsent(grant, purpose, at):
        return Decision("reconsent_required", False, "reconsent")
    return _expiry_checks(grant, juris, at, express=basis == "consent")


def _expiry_checks(grant: Event, juris: Jurisdiction, at: datetime, express: bool) -> Decision:
    if grant.expires_at is not None and grant.expires_at <= at:
        return Decision("expired", False, "source_expiry")
    if juris.regime == "opt_in" and juris.refresh_months and add_months(grant.occurred_at, juris.refresh_months) <= at:
        return Decision("expired", False, "refresh_age")
    if juris.regime == "casl" and not express and juris.casl_inquiry_months \
            and add_months(grant.occurred_at, juris.casl_inquiry_months) <= at:
        return Decision("expired", False, "casl_implied_window")
    return Decision("granted", True, "granted")
