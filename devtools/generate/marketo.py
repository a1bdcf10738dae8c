"""Marketo extracts (`marketo/<day>/activities_*.jsonl` and `marketo/<day>/leads_*.csv`).

Activities follow the bulk activity export (marketoGUID, leadId, activityDate, activityTypeId,
campaignId, primaryAttributeValue, attributes[{name, value}]); leads are a CSV of
`id,email,country,unsubscribed,marketingSuspended,updatedAt` with every changed lead.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import DOMAINS, EDGE_DAY, Person, Shard

LEAD_COLUMNS = ["id", "email", "country", "unsubscribed", "marketingSuspended", "updatedAt"]
# Activity types with no consent meaning: delivered, open, click, web visit, form fill, new lead.
NOISE_TYPES = [(7, "March digest"), (10, "March digest"), (11, "March digest"),
               (1, "example.com/pricing"), (2, "Contact us form"), (12, None)]
EMAILS = ["March digest", "Spring webinar invite", "Product release notes", "Customer survey"]
SOFT_BOUNCE_CATEGORIES = ["2", "3", "4", "9"]
CHANGE_SOURCES = {"unsubscribe": "Email unsubscribe", "form": "Web form fillout",
                  "api": "Web service API", "flow": "Marketo Flow Action", "ui": "Person Detail Page"}
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "GB": "United Kingdom", "US": "USA",
                 "CA": "Canada", "IE": "Ireland", "IT": "Italy"}


@dataclass
class _Lead:
    """A Marketo lead and the flags Marketo holds for it, so Old Value is always the real one."""

    person: Person
    lead_id: int
    email: str
    updated_at: datetime
    unsubscribed: bool = False
    suspended: bool = False
    email_invalid: bool = False
    do_not_call: bool = False


def _marketo_ts(ts: datetime) -> str:
    """Marketo style: 2026-03-02T09:15:00Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(day: date, rng: random.Random) -> datetime:
    """A moment during the day before the extract (the export runs each morning)."""
    return datetime.combine(day - timedelta(days=1), time(), tzinfo=UTC) + timedelta(
        seconds=rng.randrange(86_400))


class _Activities:
    """Collects activity lines with increasing marketoGUIDs."""

    def __init__(self, start_guid: int) -> None:
        self.next_guid = start_guid
        self.lines: list[str] = []

    def add(self, lead: _Lead | int, at: datetime, type_id: int, primary: str | None,
            attributes: list[tuple[str, str]], campaign: int | None = None) -> None:
        self.next_guid += 1
        record: dict = {
            "marketoGUID": str(self.next_guid),
            "leadId": lead.lead_id if isinstance(lead, _Lead) else lead,
            "activityDate": _marketo_ts(at),
            "activityTypeId": type_id,
        }
        if campaign is not None:
            record["campaignId"] = campaign
        if primary is not None:
            record["primaryAttributeValue"] = primary
        record["attributes"] = [{"name": name, "value": value} for name, value in attributes]
        self.lines.append(json.dumps(record))

    def change(self, lead: _Lead, at: datetime, field: str, old: bool, new: bool, source: str,
               reason: str, campaign: int | None = None) -> None:
        """A Change Data Value (13) on a boolean field."""
        self.add(lead, at, 13, field, [("Attribute Name", field), ("Old Value", str(old).lower()),
                                       ("New Value", str(new).lower()), ("Reason", reason),
                                       ("Source", source)], campaign)


def _touch(lead: _Lead, at: datetime, changed: list[_Lead]) -> None:
    """The lead record changed at `at`: it is in the next extract with that updatedAt."""
    lead.updated_at = max(lead.updated_at, at)
    changed.append(lead)


def _lead_row(lead: _Lead, rng: random.Random) -> list[str]:
    country = lead.person.country or ""
    if country and rng.random() < 0.2:
        country = COUNTRY_NAMES.get(country, country.lower())
    return [str(lead.lead_id), lead.email, country, str(lead.unsubscribed).lower(),
            str(lead.suspended).lower(), _marketo_ts(lead.updated_at)]


def _csv(rows: list[list[str]]) -> str:
    """CSV rows without the header (the parent writes it once per merged file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


HEADER_LINE = ",".join(LEAD_COLUMNS) + "\n"


def _day_activities(leads: list[_Lead], acts: _Activities, rng: random.Random, day: date,
                    changed: list[_Lead]) -> None:
    """Realistic activity mix for one day, updating each lead's flags as Marketo would."""
    for lead in leads:
        if rng.random() < 0.25:
            type_id, primary = rng.choice(NOISE_TYPES)
            acts.add(lead, _at(day, rng), type_id, primary, [("Client IP Address", "198.51.100.7")])
        if not lead.unsubscribed and rng.random() < 0.012:
            # the unsubscribe link: activity 9, and Marketo sets Unsubscribed at the same moment
            at = _at(day, rng)
            email = rng.choice(EMAILS)
            acts.add(lead, at, 9, email, [("Client IP Address", f"203.0.113.{rng.randint(1, 254)}"),
                                          ("Webpage ID", "1042")], campaign=77)
            acts.change(lead, at, "Unsubscribed", False, True, CHANGE_SOURCES["unsubscribe"],
                        "Unsubscribed via email link")
            lead.unsubscribed = True
            _touch(lead, at, changed)
        elif lead.unsubscribed and rng.random() < 0.05:
            # re-subscribed through a form with an explicit opt-in box
            at = _at(day, rng)
            acts.change(lead, at, "Unsubscribed", True, False, CHANGE_SOURCES["form"],
                        "Web form fillout: /preferences")
            lead.unsubscribed = False
            _touch(lead, at, changed)
        if rng.random() < 0.006:
            at = _at(day, rng)
            hard = rng.random() < 0.4
            category = "1" if hard else rng.choice(SOFT_BOUNCE_CATEGORIES)
            acts.add(lead, at, 8, rng.choice(EMAILS),
                     [("Category", category), ("Details", "550 5.1.1 user unknown" if hard else "452 4.2.2")],
                     campaign=78)
            if hard and not lead.email_invalid:
                acts.change(lead, at, "Email Invalid", False, True, CHANGE_SOURCES["flow"], "Hard bounce")
                lead.email_invalid = True
        if rng.random() < 0.004:
            at = _at(day, rng)
            new = not lead.suspended
            acts.change(lead, at, "Marketing Suspended", lead.suspended, new,
                        rng.choice([CHANGE_SOURCES["ui"], CHANGE_SOURCES["api"]]),
                        "Requested no marketing" if new else "Marketing resumed", campaign=92)
            lead.suspended = new
            _touch(lead, at, changed)
        if rng.random() < 0.004:
            new = not lead.do_not_call
            acts.change(lead, _at(day, rng), "Do Not Call", lead.do_not_call, new,
                        rng.choice([CHANGE_SOURCES["ui"], "List Import"]), "Phone preference")
            lead.do_not_call = new
        if rng.random() < 0.01:
            acts.add(lead, _at(day, rng), 13, "Job Title",
                     [("Attribute Name", "Job Title"), ("Old Value", "Manager"), ("New Value", "Director"),
                      ("Source", CHANGE_SOURCES["api"])])


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """A full lead extract on the first day and changed leads after; daily activity exports."""
    leads: list[_Lead] = []
    next_id = 5000 + shard.id_base
    for p in people:
        if "marketo" not in p.tools:
            continue
        next_id += 1
        leads.append(_Lead(p, next_id, p.variant(rng), p.created_at))
        if rng.random() < 0.03:
            # a duplicate lead for the same address (a second form fill): unsubscribes are per address
            next_id += 1
            leads.append(_Lead(p, next_id, p.variant(rng), p.created_at + timedelta(hours=3)))
    acts = _Activities(start_guid=7_000_000 + shard.id_base * 10)
    for i, day in enumerate(days):
        acts.lines = []
        changed: list[_Lead] = []
        if i > 0:
            _day_activities(leads, acts, rng, day, changed)
            touched_today = {lead.lead_id for lead in changed}
            for lead in leads:
                if lead.lead_id not in touched_today and rng.random() < 0.004:
                    # the person changed jobs: same lead, new address. Earlier unsubscribes stay
                    # with the old address; Marketo resets the flag for the new one (durable
                    # unsubscribe), logging it as a Change Data Value.
                    at = _at(day, rng)
                    local, domain = lead.person.email.split("@")
                    old_email = lead.email
                    lead.email = f"{local}@{rng.choice([d for d in DOMAINS if d != domain])}"
                    acts.add(lead, at, 13, "Email Address",
                             [("Attribute Name", "Email Address"), ("Old Value", old_email.strip()),
                              ("New Value", lead.email), ("Source", CHANGE_SOURCES["ui"])])
                    if lead.unsubscribed:
                        acts.change(lead, at, "Unsubscribed", True, False, "System flow action",
                                    "System flow action sysActionChangeDataValue resetLeadEmailStatus")
                        lead.unsubscribed = False
                    _touch(lead, at, changed)
            if shard.edge and i == 1:
                acts.lines.insert(rng.randrange(len(acts.lines) + 1),
                                  '{"marketoGUID": "6999999", "leadId": 5001, "activityDate": "2026-')
            if shard.edge and i == EDGE_DAY:
                # activity of a lead deleted from Marketo before the lead extract ran
                acts.add(4_999_999, _at(day, rng), 9, "March digest", [], campaign=77)
        extract = leads if i == 0 else sorted({lead.lead_id: lead for lead in changed}.values(),
                                              key=lambda lead: lead.lead_id)
        rows = [_lead_row(lead, rng) for lead in extract]
        if shard.edge and i == 0 and rows:
            rows.insert(rng.randrange(len(rows) + 1),
                        ["5999999", "n/a", "DE", "false", "false", _marketo_ts(_at(day, rng))])
        if rows:
            text = _csv(rows)
            if shard.edge and i == 0:
                # a row the CRM sync broke (an unbalanced quote): rejected as a malformed line
                text += '5999998,"quinn.weber@acme.example,US,false,false,2026-01-05T10:00:00Z\n'
            shard.part(parts, "marketo", day, "leads_001.csv").write_text(text, encoding="utf-8")
        if acts.lines:
            path = shard.part(parts, "marketo", day, "activities_001.jsonl")
            path.write_text("".join(line + "\n" for line in acts.lines), encoding="utf-8")
