"""What marketing tools actually sent (`sends/<day>/sends_*.csv`).

Sends are drawn from the consent the other generators have already landed up to the day (OneTrust
receipts and web-form submissions, read back from the shard's part files), the way a marketing tool
mails its list: most sends go to people with a standing grant, some to people who have since opted
out (a stale list), some to addresses with no consent at all, a few for purposes or channels the
ledger does not know. Must run after the onetrust and webforms writers (WRITERS order).
"""

from __future__ import annotations

import csv
import io
import json
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import Person, Shard, iso_z

HEADER = ["send_id", "sent_at", "email", "channel", "purpose", "campaign_id", "source_system"]
ONETRUST_PURPOSES = {"pur-newsletter": "newsletter", "pur-events": "event_invitations",
                     "pur-product": "product_updates", "pur-partners": "partner_offers",
                     "pur-ads": "advertising"}
ONETRUST_ACTIONS = {"CONFIRMED": "opt_in", "IMPLICIT": "opt_in", "EXTEND": "opt_in",
                    "WITHDRAWN": "opt_out", "OPT_OUT": "opt_out", "HARD_OPT_OUT": "opt_out",
                    "EXPIRED": "opt_out"}
PURPOSES = ["newsletter", "product_updates", "event_invitations", "sales_outreach", "partner_offers",
            "advertising", "research"]
CHANNEL = {"advertising": "ads"}
# cold sends a day for each shard of SHARD_SIZE contacts (6 a day for the whole population before)
COLD_SENDS_PER_SHARD = 6
TOOLS = ["hubspot", "mailchimp", "marketo", "salesforce"]
MALFORMED = [
    "snd-broken,2026-03-02T09:15:00Z,\"unterminated@acme.example,email,newsletter,nl-1,hubspot",
    "snd-no-email,2026-03-02T09:15:00Z,,email,newsletter,nl-1,hubspot",
    "snd-bad-time,yesterday noon,someone@acme.example,email,newsletter,nl-1,mailchimp",
    "snd-short,2026-03-02T09:15:00Z,someone@acme.example",
]

# (email, purpose) -> [(epoch seconds, opt_in | opt_out)], sorted; integers keep the daily loop cheap
Timeline = dict[tuple[str, str], list[tuple[int, str]]]
LAST = chr(0x10FFFF)  # sorts after every action, so (t, LAST) bounds all events at second t


def _parse_time(text: str) -> datetime | None:
    """ISO 8601 with Z or an offset, as the other generators write it."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (AttributeError, ValueError):
        return None


def _read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of one file (none if it is absent); unparseable lines are skipped."""
    records = []
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _add_day(timeline: Timeline, parts: Path, day: date) -> set[tuple[str, str]]:
    """Add (email, purpose) -> (when, opt_in | opt_out) from the receipts and submissions this shard
    landed on `day`. Consent landed on later days is later than any send of this day, so a day's
    sends depend only on the days up to it (prefix stability)."""
    changed = set()
    for r in _read_jsonl(parts / "onetrust" / day.isoformat() / "consent_receipts_001.jsonl"):
        at = _parse_time(str(r.get("interactionDate")))
        if at is None or r.get("test") is not False or r.get("identifierType") != "Email":
            continue
        email = str(r.get("identifier", "")).strip().lower()
        for element in r.get("purposes") or []:
            purpose = ONETRUST_PURPOSES.get(element.get("Id"))
            action = ONETRUST_ACTIONS.get(element.get("TransactionType"))
            if purpose and action:
                timeline[(email, purpose)].append((int(at.timestamp()), action))
                changed.add((email, purpose))
    for s in _read_jsonl(parts / "webforms" / day.isoformat() / "submissions_001.jsonl"):
        at = _parse_time(str(s.get("submitted_at")))
        if at is None or not s.get("email"):
            continue
        email = str(s["email"]).strip().lower()
        for consent in s.get("consents") or []:
            if consent.get("purpose") in PURPOSES:
                action = "opt_in" if consent.get("granted") else "opt_out"
                timeline[(email, consent["purpose"])].append((int(at.timestamp()), action))
                changed.add((email, consent["purpose"]))
    for key in changed:
        timeline[key].sort()
    return changed


def _action_at(events: list[tuple[int, str]], at: int) -> str | None:
    """The latest action at or before `at` (epoch seconds; events are sorted)."""
    i = bisect_right(events, (at, LAST))
    return events[i - 1][1] if i else None


def _line(fields: list[str]) -> str:
    """One RFC 4180 record without the line break."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _send(p: Person, purpose: str, at: datetime, send_id: str, rng: random.Random,
          channel: str | None = None) -> tuple[datetime, list[str]]:
    """One sends row, keyed by its time so a file can be written in send order."""
    campaign = f"{purpose[:3]}-{at.month:02d}{at.day:02d}-{rng.randint(1, 3)}"
    return at, [send_id, iso_z(at), p.variant(rng), channel or CHANNEL.get(purpose, "email"), purpose,
                campaign, rng.choice(TOOLS)]


HEADER_LINE = _line(HEADER) + "\r\n"


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """One file a day: list sends, stale-list sends after opt-outs, cold sends, noise (the
    re-delivery is added by the parent)."""
    by_email = {p.email: p for p in people}
    timeline: Timeline = defaultdict(list)
    keys: list[tuple[str, str]] = []  # sorted(timeline), kept up to date instead of re-sorted daily
    n = shard.id_base
    for day in days:
        for key in _add_day(timeline, parts, day):
            i = bisect_left(keys, key)
            if i == len(keys) or keys[i] != key:
                keys.insert(i, key)
        day_start = datetime.combine(day, time(), tzinfo=UTC)
        day_start_s = int(day_start.timestamp())
        picks: list[tuple[Person, str, datetime, str | None]] = []
        randrange, random_ = rng.randrange, rng.random
        for email, purpose in keys:
            p = by_email.get(email)
            offset = randrange(86400)
            action = _action_at(timeline[(email, purpose)], day_start_s + offset)
            if p is None or action is None:
                continue
            if (action == "opt_in" and random_() < 0.35) or (action == "opt_out" and random_() < 0.08):
                # a list send, or a stale list: sent after the person withdrew
                picks.append((p, purpose, day_start + timedelta(seconds=offset), None))
        for p in rng.sample(people, min(len(people), COLD_SENDS_PER_SHARD)):
            # cold sends: bought lists, sales sequences; no consent anywhere in the ledger
            picks.append((p, rng.choice(PURPOSES), day_start + timedelta(seconds=rng.randrange(86400)), None))
        if shard.edge and rng.random() < 0.5:
            # a purpose the ledger does not know, or a purpose on a channel it is not offered on
            at = day_start + timedelta(seconds=rng.randrange(86400))
            picks.append((rng.choice(people), "webinar_blast", at, None) if rng.random() < 0.5
                         else (rng.choice(people), "newsletter", at, "sms"))
        rows = []
        stamp = f"snd-{day:%Y%m%d}"
        for p, purpose, at, channel in picks:
            n += 1
            rows.append(_send(p, purpose, at, f"{stamp}-{n:06d}", rng, channel))
        rows.sort(key=lambda row: row[0])
        records = [fields for _, fields in rows]
        malformed_at, malformed = len(records), None
        if shard.edge and rng.random() < 0.7:
            malformed_at, malformed = rng.randrange(len(records) + 1), rng.choice(MALFORMED)
        with shard.part(parts, "sends", day, "sends_001.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerows(records[:malformed_at])
            if malformed is not None:
                out.write(malformed + "\r\n")
            writer.writerows(records[malformed_at:])
