"""Web form and preference-center submissions (`webforms/<day>/submissions_*.jsonl`)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import Person, Shard, iso_offset

PURPOSES = ["newsletter", "product_updates", "event_invitations", "sales_outreach",
            "partner_offers", "advertising", "research"]
CHANNEL = {"advertising": "ads"}
FORMS = [("newsletter-footer", "https://example.com/blog"),
         ("webinar-signup", "https://example.com/webinars/spring"),
         ("demo-request", "https://example.com/demo"),
         ("preference-center", "https://example.com/preferences")]
POLICY_VERSIONS = ["2.0", "2.1", "3.0", "3.0", "3.0", None]
MALFORMED = [
    '{"submission_id": "broken", "submitted_at": "2026-03-02T10:15:00+01:00", "email": ',
    "not json at all",
    '{"submission_id": "s-missing-email", "submitted_at": "2026-03-02T10:15:00Z", "kind": "signup"}',
    '{"submission_id": "s-bad-time", "submitted_at": "yesterday", "email": "x@acme.example", "kind": "signup"}',
]


def _submission(p: Person, rng: random.Random, day: date, n: int) -> dict:
    at = datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=rng.randrange(86400))
    form_id, page = rng.choice(FORMS)
    roll = rng.random()
    kind = "signup" if roll < 0.6 else "preference_update" if roll < 0.92 else "unsubscribe_all"
    consents = []
    if kind != "unsubscribe_all":
        for purpose in rng.sample(PURPOSES, rng.randint(1, 3)):
            consents.append({
                "purpose": purpose,
                "channel": CHANNEL.get(purpose, "email"),
                "granted": rng.random() < (0.8 if kind == "signup" else 0.5),
                "prechecked": rng.random() < 0.05,
            })
    doi = None
    if kind == "signup" and rng.random() < 0.7:
        doi = iso_offset(at + timedelta(minutes=rng.randint(1, 600)), 1)
    return {
        "submission_id": f"s-{day:%Y%m%d}-{n:06d}",
        "submitted_at": iso_offset(at, rng.choice([0, 1, 2, -5])),
        "email": p.variant(rng),
        "form_id": form_id,
        "page_url": page,
        "country": p.country,
        "ip": f"203.0.113.{rng.randint(1, 254)}",
        "user_agent": "Mozilla/5.0",
        "gpc": rng.random() < 0.04,
        "kind": kind,
        "policy_version": rng.choice(POLICY_VERSIONS),
        "double_opt_in_confirmed_at": doi,
        "consents": consents,
    }


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """One file a day, about one submission per person known to web forms per week (re-deliveries
    are added by the parent, see REDELIVERIES)."""
    members = [p for p in people if "webforms" in p.tools]
    n = shard.id_base
    for day in days:
        with shard.part(parts, "webforms", day, "submissions_001.jsonl").open("w", encoding="utf-8") as out:
            lines = []
            for p in members:
                if rng.random() < 1 / 7:
                    n += 1
                    lines.append(json.dumps(_submission(p, rng, day, n)))
            if shard.edge and rng.random() < 0.5:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(MALFORMED))
            out.write("".join(line + "\n" for line in lines))
