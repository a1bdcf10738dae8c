"""HubSpot extracts (`hubspot/<day>/{subscription_statuses,wide_statuses,email_events,contacts}_*.jsonl`).

Shapes follow HubSpot's APIs: communication-preferences v4 `PublicStatus` / `PublicWideStatus`,
the email events API (`created` in epoch milliseconds) and CRM contacts (free-text country).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import EDGE_DAY, Person, Shard, iso_z

# (subscriptionId, subscriptionName). "One to One" is HubSpot's default sales-email subscription;
# it is deliberately not in source_scope_map, so its rare lines are rejected as unmapped_scope.
SUBSCRIPTIONS = [("9001", "Newsletter"), ("9002", "Product Updates"), ("9003", "Event Invitations"),
                 ("9004", "Sales Outreach")]
UNMAPPED_SUBSCRIPTION = ("9010", "One to One")
LEGAL_BASES = (["CONSENT_WITH_NOTICE"] * 10 + ["LEGITIMATE_INTEREST_PQL"] * 2
               + ["LEGITIMATE_INTEREST_CLIENT"] * 2 + ["LEGITIMATE_INTEREST_OTHER"]
               + ["PERFORMANCE_OF_CONTRACT"] + ["NON_GDPR"] * 2 + ["PROCESS_AND_STORE"] + [None] * 2)
SUBSCRIBE_SOURCES = ["FORM"] * 5 + ["SUBSCRIPTION_PREFERENCES"] * 2 + ["IMPORT", "API", "CRM_UI"]
UNSUBSCRIBE_SOURCES = ["UNSUBSCRIBE_LINK"] * 4 + ["SUBSCRIPTION_PREFERENCES"] * 3 + ["CRM_UI", "API"]
NON_CONSENT_EVENTS = ["DELIVERED"] * 10 + ["OPEN"] * 6 + ["CLICK"] * 2 + ["SENT", "DEFERRED"]
SOFT_BOUNCES = ["MAILBOX_FULL", "GREYLISTING", "POLICY", "CONTENT", "TIMEOUT"]
# HubSpot's Country/Region property is free text: portals hold codes and names side by side.
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "GB": "United Kingdom", "US": "United States",
                 "CA": "Canada", "NL": "Netherlands", "AT": "Austria", "ES": "Spain"}
MALFORMED_STATUSES = [
    '{"subscriberIdString": "ana.silva@acme.example", "channel": "EMAIL", "subscriptionId": "9001", '
    '"subscriptionName": "Newsletter", "status": "SUBSCR',
    '{"subscriberIdString": "", "channel": "EMAIL", "subscriptionId": "9002", "subscriptionName": '
    '"Product Updates", "status": "UNSUBSCRIBED", "timestamp": "2026-03-02T09:15:00.000Z"}',
]


@dataclass
class _Contact:
    """What HubSpot currently holds for one person, so each change is a real change."""

    person: Person
    hubspot_id: str
    statuses: dict[str, str] = field(default_factory=dict)
    wide_unsubscribed: bool = False


def _at(day: date, rng: random.Random) -> datetime:
    """A moment during the day before the extract (changes land the next morning)."""
    start = datetime.combine(day - timedelta(days=1), time(), tzinfo=UTC)
    return start + timedelta(milliseconds=rng.randrange(86_400_000))


def _status(c: _Contact, rng: random.Random, sub: tuple[str, str], status: str, at: datetime) -> dict:
    sources = UNSUBSCRIBE_SOURCES if status == "UNSUBSCRIBED" else SUBSCRIBE_SOURCES
    basis = rng.choice(LEGAL_BASES)
    line = {
        "subscriberIdString": c.person.variant(rng),
        "channel": "EMAIL",
        "subscriptionId": sub[0],
        "subscriptionName": sub[1],
        "status": status,
        "source": rng.choice(sources),
        "timestamp": iso_z(at),
        "businessUnitId": 0,
        "setStatusSuccessReason": "REQUESTED_CHANGE_OCCURRED",
    }
    if basis is not None:
        line["legalBasis"] = basis
        line["legalBasisExplanation"] = "Recorded by the " + line["source"].lower().replace("_", " ")
    return line


def _contact_record(c: _Contact, rng: random.Random, at: datetime) -> dict:
    country = c.person.country
    if country is not None and rng.random() < 0.25:
        country = COUNTRY_NAMES.get(country, country)
    properties = {"email": c.person.variant(rng), "country": country}
    if rng.random() < 0.5:
        properties["hs_legal_basis"] = "Freely given consent from contact"
    return {"id": c.hubspot_id, "properties": properties, "updatedAt": iso_z(at)}


def _email_event(c: _Contact, rng: random.Random, at: datetime) -> dict:
    roll = rng.random()
    kind = "BOUNCE" if roll < 0.04 else "SPAMREPORT" if roll < 0.05 else rng.choice(NON_CONSENT_EVENTS)
    event: dict = {
        "id": f"{rng.getrandbits(128):032x}",
        "type": kind,
        "recipient": c.person.variant(rng),
        "created": int(at.timestamp() * 1000),
        "emailCampaignId": rng.choice([311, 312, 318, 325]),
    }
    if kind == "BOUNCE":
        event["category"] = "HARD_BOUNCE" if rng.random() < 0.4 else rng.choice(SOFT_BOUNCES)
    return event


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """A full contacts and status export on the first day, then daily changes and email events."""
    contacts = [_Contact(p, str(100_000 + p.index)) for p in people if "hubspot" in p.tools]
    for i, day in enumerate(days):
        statuses: list[str] = []
        wide: list[str] = []
        events: list[str] = []
        records: list[str] = []
        for c in contacts:
            if i == 0:
                # the initial export: what each contact had chosen before the window
                at = min(c.person.created_at, datetime.combine(day, time(), tzinfo=UTC) - timedelta(hours=1))
                records.append(json.dumps(_contact_record(c, rng, at)))
                for sub in rng.sample(SUBSCRIPTIONS, rng.randint(1, 3)):
                    status = "SUBSCRIBED" if rng.random() < 0.75 else "NOT_SPECIFIED"
                    c.statuses[sub[0]] = status
                    statuses.append(json.dumps(_status(c, rng, sub, status, at)))
                continue
            if rng.random() < 0.08:
                sub = rng.choice(SUBSCRIPTIONS)
                current = c.statuses.get(sub[0], "NOT_SPECIFIED")
                status = "UNSUBSCRIBED" if current == "SUBSCRIBED" else "SUBSCRIBED"
                c.statuses[sub[0]] = status
                statuses.append(json.dumps(_status(c, rng, sub, status, _at(day, rng))))
            if rng.random() < 0.003:
                unmapped = _status(c, rng, UNMAPPED_SUBSCRIPTION, "SUBSCRIBED", _at(day, rng))
                statuses.append(json.dumps(unmapped))
            if not c.wide_unsubscribed and rng.random() < 0.006:
                c.wide_unsubscribed = True
                wide.append(json.dumps({
                    "subscriberIdString": c.person.variant(rng), "channel": "EMAIL",
                    "status": "UNSUBSCRIBED", "wideStatusType": "PORTAL_WIDE", "businessUnitId": 0,
                    "timestamp": iso_z(_at(day, rng)),
                }))
            elif c.wide_unsubscribed and rng.random() < 0.1:
                # the person opted back in (e.g. a form with explicit consent) and the portal lifted it
                c.wide_unsubscribed = False
                wide.append(json.dumps({
                    "subscriberIdString": c.person.variant(rng), "channel": "EMAIL",
                    "status": "SUBSCRIBED", "wideStatusType": "PORTAL_WIDE", "businessUnitId": 0,
                    "timestamp": iso_z(_at(day, rng)),
                }))
            if rng.random() < 0.3:
                events.append(json.dumps(_email_event(c, rng, _at(day, rng))))
            if rng.random() < 0.03:
                records.append(json.dumps(_contact_record(c, rng, _at(day, rng))))
        if shard.edge and i == 1:
            statuses.insert(rng.randrange(len(statuses) + 1), MALFORMED_STATUSES[0])
            # a bounce whose category the export lost: it cannot be judged, so it is rejected
            events.append(json.dumps({"id": "ev-no-category", "type": "BOUNCE",
                                      "recipient": "kofi.nguyen@umbrella.example",
                                      "created": int(_at(day, rng).timestamp() * 1000)}))
        if shard.edge and i == EDGE_DAY:
            statuses.append(MALFORMED_STATUSES[1])
            # HubSpot contacts without an email exist (imported from a business card, say)
            records.append(json.dumps({"id": "999001", "properties": {"country": "DE"},
                                       "updatedAt": iso_z(_at(day, rng))}))
        for name, lines in (("subscription_statuses_001.jsonl", statuses), ("wide_statuses_001.jsonl", wide),
                            ("email_events_001.jsonl", events), ("contacts_001.jsonl", records)):
            if lines:
                path = shard.part(parts, "hubspot", day, name)
                path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
