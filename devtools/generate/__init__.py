"""Deterministic synthetic landing files for every source (`consent-ledger generate`).

Built to scale to tens of millions of events on a laptop:

- **Sharded.** Contacts are split into fixed shards of `SHARD_SIZE`; each shard is generated on its
  own (all sources, all days) with random streams seeded by (seed, source, shard), in a pool of
  worker processes. A shard holds only its own people's state, so memory is bounded by the shard
  size, not the population; the output does not depend on how many workers ran.
- **Streaming.** Each shard writes one part file per source file and day as it goes; the parent then
  concatenates the parts in shard order into the landed file (one file per source file and day, as a
  real extract), adding the CSV header once, and deletes the parts.
- **Prefix-stable.** Nothing a day holds depends on how many days are generated: every scheduled
  event (a full re-export, a re-delivered file, a planted edge case) is keyed on the day's index from
  the first day, and random draws for day i come only after those of days before it. So the files of
  days 1..N are byte-identical whether N or N+1 days are generated with the same seed and first day.
"""

from __future__ import annotations

import math
import os
import random
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate import (
    hubspot,
    mailchimp,
    marketo,
    onetrust,
    requests,
    salesforce,
    sends,
    webforms,
)
from devtools.generate.population import Person, Shard, make_population

# Each source module exposes write(people, parts, rng, days, shard): it writes its part files under
# parts/<source>/<day>/<file name>, body only (no CSV header).
Writer = Callable[[list[Person], Path, random.Random, list[date], Shard], None]
WRITERS: dict[str, Writer] = {
    "webforms": webforms.write,
    "requests": requests.write,
    "hubspot": hubspot.write,
    "marketo": marketo.write,
    "onetrust": onetrust.write,
    "salesforce": salesforce.write,
    "mailchimp": mailchimp.write,
    # sends are drawn from the consent already landed: after onetrust and webforms
    "sends": sends.write,
}
# The header line a merged CSV file starts with, by file name.
HEADERS: dict[str, str] = {
    "leads_001.csv": marketo.HEADER_LINE,
    "contact_001.csv": salesforce.HEADER_LINES["contact"],
    "individual_001.csv": salesforce.HEADER_LINES["individual"],
    "contact_point_type_consent_001.csv": salesforce.HEADER_LINES["contact_point_type_consent"],
    "sends_001.csv": sends.HEADER_LINE,
}
# Re-delivered extracts: on each day with index % 14 == 13 (the last day of the default 14), the file
# of `back` days earlier is delivered again under a second name (every line a duplicate).
REDELIVERY_EVERY = 14
REDELIVERIES: list[tuple[str, str, int, str]] = [
    ("webforms", "submissions_001.jsonl", 1, "submissions_002.jsonl"),
    ("hubspot", "subscription_statuses_001.jsonl", 1, "subscription_statuses_002.jsonl"),
    ("marketo", "activities_001.jsonl", 1, "activities_002.jsonl"),
    ("onetrust", "consent_receipts_001.jsonl", 2, "consent_receipts_002.jsonl"),
    ("salesforce", "contact_001.csv", 1, "contact_002.csv"),
    ("mailchimp", "members_001.jsonl", 1, "members_002.jsonl"),
    ("sends", "sends_001.csv", 1, "sends_002.csv"),
]
SHARD_SIZE = 2500
# Consent events (rows of consent.consent_events) per contact: about EVENTS_FIRST_DAY from the full
# exports of the first day plus EVENTS_PER_DAY for each later day. Measured with `make bench`; used
# only to turn an `--events` target into a number of contacts (the result is approximate).
EVENTS_FIRST_DAY = 2.9
EVENTS_PER_DAY = 0.375


def contacts_for_events(events: int, days: int) -> int:
    """How many contacts make about `events` consent events over `days` extract days."""
    per_contact = EVENTS_FIRST_DAY + EVENTS_PER_DAY * (days - 1)
    return max(1, math.ceil(events / per_contact))


def redelivery_due(day_index: int) -> bool:
    """Whether the day with this 0-based index gets the re-delivered extracts."""
    return day_index % REDELIVERY_EVERY == REDELIVERY_EVERY - 1


def _shard_job(args: tuple[Path, int, int, int, int, list[date]]) -> None:
    """Generate every source for one shard of contacts into parts/<shard>/ (runs in a worker)."""
    parts, seed, shard_index, first, count, day_list = args
    shard = Shard(shard_index, first)
    start = datetime.combine(day_list[0], time(), tzinfo=UTC) - timedelta(days=20)
    people = make_population(random.Random(f"{seed}-population-{shard_index}"), count, start, first)
    folder = parts / f"{shard_index:06d}"
    for source, writer in WRITERS.items():
        writer(people, folder, random.Random(f"{seed}-{source}-{shard_index}"), day_list, shard)


def _merge(parts: Path, out: Path, shards: int, day_list: list[date]) -> dict[str, int]:
    """Concatenate each file's parts in shard order into the landing folder; add re-deliveries."""
    counts: dict[str, int] = {}
    shard_dirs = [parts / f"{s:06d}" for s in range(shards)]
    for source in WRITERS:
        counts[source] = 0
        for i, day in enumerate(day_list):
            names = sorted({p.name for d in shard_dirs for p in (d / source / day.isoformat()).glob("*")})
            target_dir = out / source / day.isoformat()
            for name in names:
                target_dir.mkdir(parents=True, exist_ok=True)
                with (target_dir / name).open("wb") as target:
                    if name in HEADERS:
                        target.write(HEADERS[name].encode("utf-8"))
                    for d in shard_dirs:
                        part = d / source / day.isoformat() / name
                        if part.exists():
                            with part.open("rb") as handle:
                                shutil.copyfileobj(handle, target, 1 << 20)
                            part.unlink()
                counts[source] += 1
            if redelivery_due(i):
                for redelivered, name, back, again in REDELIVERIES:
                    earlier = out / redelivered / day_list[i - back].isoformat() / name
                    if redelivered == source and earlier.exists():
                        target_dir.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(earlier, target_dir / again)
                        counts[source] += 1
    return counts


def generate_landing(out: Path, contacts: int = 1000, days: int = 14, seed: int = 42,
                     end_date: date | None = None, start_date: date | None = None,
                     workers: int | None = None) -> dict[str, int]:
    """Write landing files for `days` extract days from `start_date` (or ending at `end_date`,
    default today); same seed and first day, same bytes. Returns files written per source."""
    if start_date is None:
        end_date = end_date or datetime.now(UTC).date()
        start_date = end_date - timedelta(days=days - 1)
    day_list = [start_date + timedelta(days=i) for i in range(days)]
    shards = math.ceil(contacts / SHARD_SIZE)
    jobs = []
    parts = out / ".parts"
    for s in range(shards):
        first = s * SHARD_SIZE
        jobs.append((parts, seed, s, first, min(SHARD_SIZE, contacts - first), day_list))
    workers = min(workers or os.cpu_count() or 1, shards)
    if workers <= 1:
        for job in jobs:
            _shard_job(job)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(_shard_job, jobs):
                pass
    counts = _merge(parts, out, shards, day_list)
    shutil.rmtree(parts)
    return counts
