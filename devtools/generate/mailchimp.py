"""Mailchimp list-member snapshots (`mailchimp/<day>/members_*.jsonl`, API `members` shape).

The first day is a full export of every audience; later days hold the members whose
`last_changed` moved since the day before (a status change, a marketing permission toggled, or a
profile edit that changes no consent), and day 8 (then every four weeks) is a full export again,
so most of its lines repeat snapshots already seen.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import EDGE_DAY, Person, Shard

# a full re-export of the audience every four weeks (the first on day 8)
FULL_EXPORT_EVERY = 28
MAIN_LIST = "a1b2c3"  # mapped to the newsletter in source_scope_map
PARTNER_LIST = "9f8e7d"  # a list nobody mapped yet: its status changes are rejected (unmapped_scope)
PERMISSIONS = [("p-email", "Email"), ("p-ads", "Customized Online Advertising")]
UNMAPPED_PERMISSION = ("p-mail", "Direct Mail")
STATUSES = (["subscribed"] * 13 + ["pending"] * 2 + ["unsubscribed"] * 2 + ["cleaned"]
            + ["transactional"] + ["archived"])
SOURCES = ["Hosted Signup Form", "Embedded Form", "API - Generic", "Import", "Admin Add", "Pop-up Form"]
UNSUBSCRIBE_REASONS = [None, "I no longer want to receive these emails", "The emails are spam",
                       "N/A (Unsubscribed by an admin)"]
MALFORMED = [
    '{"id": "0badc0de", "list_id": "a1b2c3", "email_address": "broken@acme.example", "status": "subscri',
    '{"id": "0badc0de", "list_id": "a1b2c3", "email_address": "", "status": "subscribed", '
    '"last_changed": "2026-03-02T09:15:00+00:00"}',
    '{"id": "0badc0df", "list_id": "a1b2c3", "email_address": "someone@acme.example", "status": "bounced", '
    '"last_changed": "2026-03-02T09:15:00+00:00"}',
    '{"id": "0badc0e0", "list_id": "a1b2c3", "email_address": "late@acme.example", "status": "subscribed", '
    '"last_changed": "last tuesday"}',
]


def mc_timestamp(ts: datetime) -> str:
    """Mailchimp API style: 2026-03-01T10:05:00+00:00."""
    return ts.astimezone(UTC).isoformat(timespec="seconds")


def _ip(rng: random.Random) -> str:
    return f"203.0.113.{rng.randint(1, 254)}"


def _new_member(p: Person, list_id: str, rng: random.Random) -> dict:
    signed_up = p.created_at + timedelta(minutes=rng.randint(0, 300))
    status = rng.choice(STATUSES)
    confirmed = signed_up + timedelta(minutes=rng.randint(1, 45))
    permissions = []
    if list_id == MAIN_LIST:
        permissions = [{"marketing_permission_id": pid, "text": text, "enabled": rng.random() < 0.6}
                       for pid, text in PERMISSIONS]
        if rng.random() < 0.05:
            pid, text = UNMAPPED_PERMISSION
            permissions.append({"marketing_permission_id": pid, "text": text, "enabled": True})
    opted = status in ("subscribed", "unsubscribed", "cleaned")
    return {
        "id": hashlib.md5(p.email.lower().encode(), usedforsecurity=False).hexdigest(),
        "email_address": p.variant(rng).strip(),
        "unique_email_id": f"u{p.index:08x}",
        "list_id": list_id,
        "status": status,
        "timestamp_signup": mc_timestamp(signed_up),
        "ip_signup": _ip(rng),
        "timestamp_opt": mc_timestamp(confirmed) if opted else "",
        "ip_opt": _ip(rng) if opted else "",
        "last_changed": mc_timestamp(confirmed if opted else signed_up),
        "unsubscribe_reason": rng.choice(UNSUBSCRIBE_REASONS[1:]) if status == "unsubscribed" else None,
        "location": {"country_code": p.country or "", "timezone": ""},
        "source": rng.choice(SOURCES),
        "marketing_permissions": permissions,
    }


def _change(member: dict, at: datetime, rng: random.Random) -> None:
    """One change of a member: a status move, a permission toggled, or a profile edit."""
    status = member["status"]
    roll = rng.random()
    moves = {
        "pending": ["subscribed"],
        "subscribed": ["unsubscribed", "unsubscribed", "cleaned", "archived"],
        "unsubscribed": ["subscribed", "archived"],
        "archived": ["subscribed"],
        "transactional": ["subscribed"],
        "cleaned": ["archived"],
    }
    if roll < 0.5:
        new = rng.choice(moves[status])
        member["status"] = new
        if new == "subscribed":
            member["timestamp_opt"] = mc_timestamp(at)
            member["ip_opt"] = _ip(rng)
            member["unsubscribe_reason"] = None
        if new == "unsubscribed":
            member["unsubscribe_reason"] = rng.choice(UNSUBSCRIBE_REASONS)
    elif roll < 0.8 and member["marketing_permissions"]:
        permission = rng.choice(member["marketing_permissions"])
        permission["enabled"] = not permission["enabled"]
    # else: a merge field (name, company) changed: no change of consent
    member["last_changed"] = mc_timestamp(at)


def full_export_due(day_index: int) -> bool:
    """The first day, and every FULL_EXPORT_EVERY days from day 8, are full exports of the audience."""
    return day_index == 0 or day_index % FULL_EXPORT_EVERY == EDGE_DAY


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """Full exports (see full_export_due), changed members on the other days; a few malformed
    lines (re-deliveries are added by the parent)."""
    members = []
    for p in people:
        if "mailchimp" not in p.tools:
            continue
        members.append(_new_member(p, MAIN_LIST, rng))
        if rng.random() < 0.1:
            members.append(_new_member(p, PARTNER_LIST, rng))
    for i, day in enumerate(days):
        changed = []
        if i > 0:
            start = datetime.combine(day - timedelta(days=1), time(), tzinfo=UTC)
            for member in members:
                if rng.random() < 0.05:
                    _change(member, start + timedelta(seconds=rng.randrange(86400)), rng)
                    changed.append(member)
        snapshot = members if full_export_due(i) else changed
        lines = [json.dumps(member) for member in snapshot]
        rng.shuffle(lines)
        if shard.edge and rng.random() < 0.4:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(MALFORMED))
        path = shard.part(parts, "mailchimp", day, "members_001.jsonl")
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
