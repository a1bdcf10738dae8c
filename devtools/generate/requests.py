"""Privacy requests from the DSR tool (`requests/<day>/privacy_requests_*.jsonl`)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import EDGE_DAY, Person, Shard, iso_z

# per person and day: the 0.2% over a 14-day window the generator always made, as a steady rate
DAILY_RATE = 0.001
TYPES = ["erasure"] * 2 + ["do_not_sell"] * 3 + ["objection"] * 2 + ["access"] * 3


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """A handful of requests a day (about 0.1% of people a day), one malformed line on day 8."""
    n = shard.id_base
    for i, day in enumerate(days):
        lines = []
        for p in people:
            if rng.random() < DAILY_RATE:
                n += 1
                at = datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=rng.randrange(86400))
                lines.append(json.dumps({
                    "request_id": f"dsr-{n:05d}",
                    "received_at": iso_z(at),
                    "email": p.variant(rng),
                    "type": rng.choice(TYPES),
                }))
        if shard.edge and i == EDGE_DAY:
            lines.append('{"request_id": "dsr-bad", "received_at": "2026-13-45T00:00:00Z", '
                         '"email": "someone@acme.example", "type": "erasure"}')
        if lines:
            path = shard.part(parts, "requests", day, "privacy_requests_001.jsonl")
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
