"""Privacy requests from the DSR tool (`requests/<day>/privacy_requests_*.jsonl`)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from orchestration.generate.population import Person, iso_z

TYPES = ["erasure"] * 2 + ["do_not_sell"] * 3 + ["objection"] * 2 + ["access"] * 3


def write(people: list[Person], landing: Path, rng: random.Random, days: list[date]) -> list[Path]:
    """A handful of requests a day (about 0.2% of people over the period), one malformed line."""
    files: list[Path] = []
    n = 0
    for i, day in enumerate(days):
        lines = []
        for p in people:
            if rng.random() < 0.002 / max(len(days), 1) * 7:
                n += 1
                at = datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=rng.randrange(86400))
                lines.append(json.dumps({
                    "request_id": f"dsr-{n:05d}",
                    "received_at": iso_z(at),
                    "email": p.variant(rng),
                    "type": rng.choice(TYPES),
                }))
        if i == len(days) // 2:
            lines.append('{"request_id": "dsr-bad", "received_at": "2026-13-45T00:00:00Z", '
                         '"email": "someone@acme.example", "type": "erasure"}')
        if not lines:
            continue
        folder = landing / "requests" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "privacy_requests_001.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        files.append(path)
    return files
