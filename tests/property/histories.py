"""Random single-contact histories: raw records of several sources, a hypothesis strategy for them,
their rendering as landing files in the real formats (landing-formats.md), and their meaning as
canonical events for the reference (read from landing-formats.md, not from the mapping SQL).

Timestamps come from a small grid of instants (so same-instant ties are common) chosen away from
the legal boundaries (refresh age, CASL window, end of each run date), so a test never hinges on a
second's rounding; time-zone offsets in the rendered text move local dates across midnight.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import strategies as st

from tests.property.reference import Event

NIGHT_1 = date(2026, 3, 31)
NIGHT_2 = date(2026, 6, 30)
CRM_RECORD_AT = datetime(2023, 1, 2, 6, 0)

DAYS = [date(2023, 5, 10), date(2024, 2, 12), date(2024, 5, 20), date(2024, 9, 3), date(2025, 4, 15),
        date(2025, 8, 20), date(2025, 11, 5), date(2026, 1, 8), date(2026, 2, 3), date(2026, 3, 12),
        date(2026, 3, 30), date(2026, 4, 22), date(2026, 5, 28), date(2026, 6, 29)]
HOURS = [(2, 0), (8, 0), (13, 30)]
OFFSETS = [0, 60, -300, 330]  # minutes east of UTC used when rendering local times

COUNTRIES = ["US", "FR", "DE", "CA", "GB", "IE", "JP", None]  # JP: no seed row (unknown -> ZZ)
VERSIONS = ["1.0", "2.1", "3.0", "3.0", "9.9", "v2.1", None]  # valid, unknown, malformed, missing

WEBFORM_PURPOSES = [("newsletter", "email"), ("product_updates", "email"), ("partner_offers", "email"),
                    ("advertising", "ads"), ("event_invitations", "phone")]
HUBSPOT_SUBSCRIPTIONS = {"Newsletter": ("9001", "newsletter"), "Product Updates": ("9002", "product_updates"),
                         "Event Invitations": ("9003", "event_invitations")}
HUBSPOT_BASES = {"CONSENT_WITH_NOTICE": "consent", "LEGITIMATE_INTEREST_OTHER": "legitimate_interest",
                 "NON_GDPR": "not_applicable", None: "not_applicable"}
ONETRUST_PURPOSES = {"pur-newsletter": ("newsletter", "email"), "pur-product": ("product_updates", "email"),
                     "pur-partners": ("partner_offers", "email"), "pur-ads": ("advertising", "ads"),
                     "pur-events": ("event_invitations", "email")}
ONETRUST_ACTIONS = {"CONFIRMED": "opt_in", "IMPLICIT": "opt_in", "WITHDRAWN": "opt_out", "OPT_OUT": "opt_out",
                    "NOTGIVEN": "not_given", "EXPIRED": "not_given"}


# --- records ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Webform:
    at: datetime
    kind: str  # signup | preference_update | unsubscribe_all
    consents: tuple[tuple[str, str, bool, bool | None], ...]  # purpose, channel, granted, prechecked
    policy_version: str | None
    double_opt_in: bool
    country: str | None
    gpc: bool
    offset: int


@dataclass(frozen=True)
class Request:
    at: datetime
    type: str  # erasure | do_not_sell | objection | access


@dataclass(frozen=True)
class HubspotSubscription:
    at: datetime
    name: str
    status: str  # SUBSCRIBED | UNSUBSCRIBED | NOT_SPECIFIED
    legal_basis: str | None


@dataclass(frozen=True)
class HubspotWide:
    at: datetime
    status: str  # UNSUBSCRIBED | SUBSCRIBED


@dataclass(frozen=True)
class HubspotEmailEvent:
    at: datetime
    type: str  # BOUNCE (hard) | SPAMREPORT


@dataclass(frozen=True)
class SalesforceIndividual:
    at: datetime
    opted_out: bool  # HasOptedOutSolicit
    forget: bool  # ShouldForget


@dataclass(frozen=True)
class OneTrustReceipt:
    at: datetime
    country: str | None
    double_opt_in: bool
    test: bool
    purposes: tuple[tuple[str, str, str | None, datetime | None], ...]  # id, transaction, version, expiry
    offset: int


@dataclass(frozen=True)
class MarketoActivity:
    at: datetime
    kind: str  # unsubscribe_email (9) | unsubscribed_on / unsubscribed_off / suspended_on (13)


MARKETO_CHANGES = {"unsubscribed_on": ("Unsubscribed", "false", "true"),
                   "unsubscribed_off": ("Unsubscribed", "true", "false"),
                   "suspended_on": ("Marketing Suspended", "false", "true")}


Record = (Webform | Request | HubspotSubscription | HubspotWide | HubspotEmailEvent | SalesforceIndividual
          | OneTrustReceipt | MarketoActivity)


@dataclass(frozen=True)
class History:
    """One contact's raw records; `crm_country` is the country of the CRM records that link a tool's
    ids to the address: the Salesforce Contact (MailingCountry) of the Individual, the Marketo lead
    (written only when the history has records of that tool)."""

    records: tuple[Record, ...]
    crm_country: str | None = None
    shout: bool = False  # render the address in capitals with spaces around it

    def describe(self) -> str:
        lines = [f"History(crm_country={self.crm_country!r}, shout={self.shout})"]
        lines += [f"  {r!r}" for r in sorted(self.records, key=lambda r: r.at)]
        return "\n".join(lines)


def email_of(index: int) -> str:
    return f"prop{index:05d}@example.com"


def contact_key(index: int) -> str:
    return hashlib.sha256(email_of(index).encode()).hexdigest()


# --- the meaning of each record (canonical events) ---------------------------------------------

def events_of(history: History, landed: set[int] | None = None) -> list[Event]:
    """Canonical events of the records that have landed (all when `landed` is None)."""
    records = [r for i, r in enumerate(history.records) if landed is None or i in landed]
    out: list[Event] = []
    for r in records:
        if isinstance(r, Webform):
            base = dict(source="webforms", occurred_at=r.at, country=r.country, policy_version=r.policy_version)
            if r.kind == "unsubscribe_all":
                out.append(Event(scope="global", channel=None, purpose=None, action="opt_out", **base))
            for purpose, channel, granted, prechecked in r.consents:
                action = "opt_in" if granted else ("opt_out" if r.kind == "preference_update" else "not_given")
                out.append(Event(scope="purpose", channel=channel, purpose=purpose, action=action,
                                 lawful_basis="consent" if granted else "not_applicable",
                                 was_prechecked=prechecked,
                                 double_opt_in_at=r.at + timedelta(minutes=5) if r.double_opt_in else None, **base))
            if r.gpc:
                out.append(Event(scope="global", channel=None, purpose=None, action="sale_opt_out", **base))
        elif isinstance(r, Request):
            action = {"erasure": "erasure", "do_not_sell": "sale_opt_out", "objection": "opt_out"}.get(r.type)
            if action:
                out.append(Event("requests", "global", None, None, action, r.at))
        elif isinstance(r, HubspotSubscription):
            _, purpose = HUBSPOT_SUBSCRIPTIONS[r.name]
            action = {"SUBSCRIBED": "opt_in", "UNSUBSCRIBED": "opt_out", "NOT_SPECIFIED": "not_given"}[r.status]
            basis = HUBSPOT_BASES[r.legal_basis] if action == "opt_in" else "not_applicable"
            out.append(Event("hubspot", "purpose", "email", purpose, action, r.at, lawful_basis=basis))
        elif isinstance(r, HubspotWide):
            out.append(Event("hubspot", "channel", "email", None,
                             "opt_out" if r.status == "UNSUBSCRIBED" else "opt_in", r.at))
        elif isinstance(r, HubspotEmailEvent):
            out.append(Event("hubspot", "channel", "email", None,
                             "undeliverable" if r.type == "BOUNCE" else "complaint", r.at))
        elif isinstance(r, MarketoActivity):
            # Marketo's unsubscribe is one flag per address: type 9 sets it, Unsubscribed true→false lifts it
            if r.kind == "suspended_on":
                out.append(Event("marketo", "global", None, None, "opt_out", r.at))
            else:
                out.append(Event("marketo", "channel", "email", None,
                                 "opt_in" if r.kind == "unsubscribed_off" else "opt_out", r.at))
        elif isinstance(r, OneTrustReceipt):
            if r.test:
                continue
            for purpose_id, transaction, version, expiry in r.purposes:
                purpose, channel = ONETRUST_PURPOSES[purpose_id]
                action = ONETRUST_ACTIONS[transaction]
                basis = {"CONFIRMED": "consent", "IMPLICIT": "implied_inquiry"}.get(transaction, "not_applicable")
                out.append(Event(
                    "onetrust", "purpose", channel, purpose, action, r.at, lawful_basis=basis,
                    policy_version=version,
                    # a CONFIRMED receipt records the person's own act; an IMPLICIT one proves no box
                    was_prechecked=False if transaction == "CONFIRMED" else None,
                    double_opt_in_at=r.at if r.double_opt_in else None, expires_at=expiry, country=r.country))
    contact_landed = any(isinstance(r, SalesforceIndividual) for r in history.records) and (
        landed is None or -1 in landed)
    if any(isinstance(r, MarketoActivity) for r in history.records) and (landed is None or -2 in landed):
        # the lead record maps the lead id to the address and gives a country of its own
        out.append(Event("marketo", "none", None, None, "country", CRM_RECORD_AT, country=history.crm_country))
    out += _salesforce_events(history, [r for r in records if isinstance(r, SalesforceIndividual)], contact_landed)
    return out


def _salesforce_events(history: History, observations: list[SalesforceIndividual],
                       contact_landed: bool) -> list[Event]:
    """Snapshot source: the first observation or a change of a flag is an event at LastModifiedDate."""
    out: list[Event] = []
    if contact_landed:
        # the linking Contact record is a country record of its own (it creates no contact by itself)
        out.append(Event("salesforce", "none", None, None, "country", CRM_RECORD_AT,
                         country=history.crm_country))
    opted, forgot = False, False
    for obs in sorted(observations, key=lambda o: o.at):
        if obs.opted_out != opted:
            out.append(Event("salesforce", "global", None, None, "opt_out" if obs.opted_out else "opt_in", obs.at))
        if obs.forget and not forgot:
            out.append(Event("salesforce", "global", None, None, "erasure", obs.at))
        opted, forgot = obs.opted_out, forgot or obs.forget
    return out


def has_contact_events(events: list[Event]) -> bool:
    return any(e.action != "country" for e in events)


# --- hypothesis strategies -----------------------------------------------------------------------

instants = st.builds(lambda d, h: datetime(d.year, d.month, d.day, *h), st.sampled_from(DAYS), st.sampled_from(HOURS))
prechecked = st.sampled_from([False, False, False, True, None])


def _countries(primary: str | None) -> st.SearchStrategy[str | None]:
    return st.sampled_from([primary, primary, primary, None, "US", "DE"])


def webforms(primary: str | None) -> st.SearchStrategy[Webform]:
    consent = st.tuples(st.sampled_from(WEBFORM_PURPOSES), st.booleans(), prechecked).map(
        lambda t: (t[0][0], t[0][1], t[1], t[2]))
    consents = st.lists(consent, min_size=1, max_size=2, unique_by=lambda c: (c[0], c[1])).map(tuple)
    kind = st.sampled_from(["signup", "signup", "preference_update", "unsubscribe_all"])
    def build(at: datetime, k: str, cs: tuple, v: str | None, doi: bool, c: str | None, gpc: bool, off: int) -> Webform:
        return Webform(at, k, () if k == "unsubscribe_all" else cs, v, doi, c, gpc, off)

    return st.builds(
        build, instants, kind, consents, st.sampled_from(VERSIONS), st.booleans(), _countries(primary),
        st.sampled_from([False, False, False, True]), st.sampled_from(OFFSETS))


requests = st.builds(Request, instants, st.sampled_from(["erasure", "do_not_sell", "objection", "objection", "access"]))
hubspot_subscriptions = st.builds(
    HubspotSubscription, instants, st.sampled_from(sorted(HUBSPOT_SUBSCRIPTIONS)),
    st.sampled_from(["SUBSCRIBED", "SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"]),
    st.sampled_from(list(HUBSPOT_BASES)))
hubspot_wide = st.builds(HubspotWide, instants, st.sampled_from(["UNSUBSCRIBED", "SUBSCRIBED"]))
hubspot_email_events = st.builds(HubspotEmailEvent, instants, st.sampled_from(["BOUNCE", "SPAMREPORT"]))
marketo_activities = st.builds(MarketoActivity, instants, st.sampled_from(
    ["unsubscribe_email", "unsubscribed_on", "unsubscribed_off", "unsubscribed_off", "suspended_on"]))
salesforce_individuals = st.builds(SalesforceIndividual, instants, st.booleans(),
                                   st.sampled_from([False, False, False, False, True]))
expiries = st.one_of(st.none(), instants)


def onetrust(primary: str | None) -> st.SearchStrategy[OneTrustReceipt]:
    purpose = st.tuples(st.sampled_from(sorted(ONETRUST_PURPOSES)), st.sampled_from(sorted(ONETRUST_ACTIONS)),
                        st.sampled_from(VERSIONS), expiries)
    return st.builds(OneTrustReceipt, instants, _countries(primary), st.booleans(),
                     st.sampled_from([False] * 9 + [True]),
                     st.lists(purpose, min_size=1, max_size=2, unique_by=lambda p: p[0]).map(tuple),
                     st.sampled_from(OFFSETS))


@st.composite
def histories(draw: st.DrawFn) -> History:
    primary = draw(st.sampled_from(COUNTRIES))
    record = st.one_of(webforms(primary), requests, hubspot_subscriptions, hubspot_wide, hubspot_email_events,
                       salesforce_individuals, onetrust(primary), marketo_activities)
    records = draw(st.lists(record, min_size=1, max_size=7))
    # Salesforce sends one version of a record per LastModifiedDate: keep one observation per instant
    seen: set[datetime] = set()
    kept = []
    for r in records:
        if isinstance(r, SalesforceIndividual):
            if r.at in seen:
                continue
            seen.add(r.at)
        kept.append(r)
    return History(tuple(kept), draw(st.sampled_from([primary, primary, None])), draw(st.booleans()))


# --- rendering as landing files ------------------------------------------------------------------

def _local(moment: datetime, offset: int) -> str:
    if offset == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment + timedelta(minutes=offset)
    sign = "+" if offset > 0 else "-"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _hubspot_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _salesforce_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


MARKETO_LEADS_HEADER = "id,email,country,unsubscribed,marketingSuspended,updatedAt"
SALESFORCE_INDIVIDUAL_HEADER = "Id,HasOptedOutSolicit,HasOptedOutProcessing,ShouldForget,LastModifiedDate,IsDeleted"
SALESFORCE_CONTACT_HEADER = ("Id,IndividualId,Email,MailingCountry,HasOptedOutOfEmail,DoNotCall,EmailBouncedDate,"
                             "EmailBouncedReason,LastModifiedDate,IsDeleted")


@dataclass(frozen=True)
class Line:
    """One rendered landing line: where it goes (source, file stem) and when it can land at the earliest."""

    source: str
    stem: str
    text: str
    at: datetime
    index: int  # history index
    position: int  # record position in the history (-1: the Salesforce linking Contact, -2: the Marketo lead)


def render(index: int, history: History) -> list[Line]:
    raw_email = email_of(index)
    email = f"  {raw_email.upper()} " if history.shout else raw_email
    out: list[Line] = []
    individual_id, contact_id = f"0PK{index:012d}AAA", f"003{index:012d}AAA"

    def add(source: str, stem: str, position: int, at: datetime, payload: dict | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(Line(source, stem, text, at, index, position))

    for j, r in enumerate(history.records):
        rid = f"{index}-{j}"
        if isinstance(r, Webform):
            doc: dict = {"submission_id": f"s-{rid}", "submitted_at": _local(r.at, r.offset), "email": email,
                         "form_id": "prop-form", "page_url": "https://example.com/p", "ip": "203.0.113.9",
                         "user_agent": "hypothesis", "gpc": r.gpc, "kind": r.kind,
                         "consents": [{"purpose": p, "channel": c, "granted": g,
                                       **({} if pre is None else {"prechecked": pre})} for p, c, g, pre in r.consents]}
            if r.country:
                doc["country"] = r.country
            if r.policy_version is not None:
                doc["policy_version"] = r.policy_version
            if r.double_opt_in:
                doc["double_opt_in_confirmed_at"] = _local(r.at + timedelta(minutes=5), r.offset)
            add("webforms", "submissions", j, r.at, doc)
        elif isinstance(r, Request):
            add("requests", "privacy_requests", j, r.at,
                {"request_id": f"dsr-{rid}", "received_at": _local(r.at, 0), "email": email, "type": r.type})
        elif isinstance(r, HubspotSubscription):
            sub_id, _ = HUBSPOT_SUBSCRIPTIONS[r.name]
            doc = {"subscriberIdString": email, "channel": "EMAIL", "subscriptionId": sub_id,
                   "subscriptionName": r.name, "status": r.status, "source": "FORM",
                   "timestamp": _hubspot_time(r.at), "businessUnitId": 0,
                   "setStatusSuccessReason": "REQUESTED_CHANGE_OCCURRED"}
            if r.legal_basis:
                doc["legalBasis"] = r.legal_basis
            add("hubspot", "subscription_statuses", j, r.at, doc)
        elif isinstance(r, HubspotWide):
            add("hubspot", "wide_statuses", j, r.at,
                {"subscriberIdString": email, "channel": "EMAIL", "status": r.status,
                 "wideStatusType": "PORTAL_WIDE", "businessUnitId": 0, "timestamp": _hubspot_time(r.at)})
        elif isinstance(r, HubspotEmailEvent):
            epoch = int((r.at - datetime(1970, 1, 1)).total_seconds() * 1000)
            doc = {"id": f"ev-{rid}", "type": r.type, "recipient": email, "created": epoch}
            if r.type == "BOUNCE":
                doc["category"] = "HARD_BOUNCE"
            add("hubspot", "email_events", j, r.at, doc)
        elif isinstance(r, SalesforceIndividual):
            add("salesforce", "individual", j, r.at, ",".join([
                individual_id, _csv_bool(r.opted_out), "false", _csv_bool(r.forget), _salesforce_time(r.at), "false"]))
        elif isinstance(r, MarketoActivity):
            doc = {"marketoGUID": f"m-{rid}", "leadId": 700000 + index, "activityDate": _local(r.at, 0),
                   "activityTypeId": 9 if r.kind == "unsubscribe_email" else 13, "campaignId": 77,
                   "primaryAttributeValue": "prop", "attributes": []}
            if r.kind != "unsubscribe_email":
                name, old, new = MARKETO_CHANGES[r.kind]
                doc["attributes"] = [{"name": "Attribute Name", "value": name}, {"name": "Old Value", "value": old},
                                     {"name": "New Value", "value": new}, {"name": "Source", "value": "Web form"}]
            add("marketo", "activities", j, r.at, doc)
        elif isinstance(r, OneTrustReceipt):
            add("onetrust", "consent_receipts", j, r.at, {
                "receiptId": f"r-{rid}", "identifier": email, "identifierType": "Email",
                "interactionDate": _local(r.at, r.offset), "collectionPointId": "cp-prop", "collectionPointVersion": 1,
                "moc": "HOSTED_WEB_FORM", "doubleOptIn": r.double_opt_in, "test": r.test,
                "geoLocation": {"country": r.country, "state": None},
                "purposes": [{"Id": pid, "Version": 1, "TransactionType": txn,
                              "ExpiryDate": None if exp is None else _local(exp, 0),
                              "PrivacyNotices": [] if ver is None else [{"Id": "pn-main", "Version": ver}]}
                             for pid, txn, ver, exp in r.purposes]})
    if any(isinstance(r, MarketoActivity) for r in history.records):
        add("marketo", "leads", -2, CRM_RECORD_AT, ",".join([
            str(700000 + index), email.strip(), history.crm_country or "", "false", "false",
            _local(CRM_RECORD_AT, 0)]))
    if any(isinstance(r, SalesforceIndividual) for r in history.records):
        row = io.StringIO()
        csv.writer(row, lineterminator="").writerow([
            contact_id, individual_id, email, history.crm_country or "", "false", "false", "", "",
            _salesforce_time(CRM_RECORD_AT), "false"])
        add("salesforce", "contact", -1, CRM_RECORD_AT, row.getvalue())
    return out


def _csv_bool(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class Layout:
    """How lines are laid out in a landing folder: which night each lands, how files are split and
    ordered. The default is one file per kind in one folder, in history order."""

    night_of: dict[tuple[int, int], date] = field(default_factory=dict)
    parts: int = 1
    rng: random.Random | None = None


def write_landing(root: Path, lines: list[Line], night: date, layout: Layout) -> None:
    """Write every line that has landed by `night` under root/<source>/<night date>/<stem>_<part>.ext."""
    files: dict[Path, list[str]] = defaultdict(list)
    for line in lines:
        landed = layout.night_of.get((line.index, line.position), NIGHT_2)
        if landed > night:
            continue
        part = 0 if layout.rng is None else layout.rng.randrange(layout.parts)
        ext = "csv" if line.source == "salesforce" or line.stem == "leads" else "jsonl"
        files[root / line.source / landed.isoformat() / f"{line.stem}_{part:03d}.{ext}"].append(line.text)
    for path, texts in files.items():
        if layout.rng is not None:
            layout.rng.shuffle(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"individual": SALESFORCE_INDIVIDUAL_HEADER, "contact": SALESFORCE_CONTACT_HEADER,
                  "leads": MARKETO_LEADS_HEADER}.get(
            path.stem.rsplit("_", 1)[0])
        path.write_text("\n".join(([header] if header else []) + texts) + "\n", encoding="utf-8")
