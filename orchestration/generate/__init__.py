"""Deterministic synthetic landing files for every source (`consent-ledger generate`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from orchestration.generate import (
    hubspot,
    mailchimp,
    marketo,
    onetrust,
    requests,
    salesforce,
    sends,
    webforms,
)
from orchestration.generate.population import Person, make_population

Writer = Callable[[list[Person], Path, random.Random, list[date]], list[Path]]

# Each source module exposes write(people, landing, rng, days) -> files written.
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


def generate_landing(out: Path, contacts: int = 1000, days: int = 14, seed: int = 42,
                     end_date: date | None = None) -> dict[str, int]:
    """Write landing files for `days` extract days ending at `end_date`; same seed, same bytes."""
    end_date = end_date or datetime.now(UTC).date()
    day_list = [end_date - timedelta(days=days - 1 - i) for i in range(days)]
    start = datetime.combine(day_list[0], time(), tzinfo=UTC) - timedelta(days=20)
    rng = random.Random(seed)
    people = make_population(rng, contacts, start)
    counts: dict[str, int] = {}
    for source, writer in WRITERS.items():
        files = writer(people, out, random.Random(f"{seed}-{source}"), day_list)
        counts[source] = len(files)
    return counts

