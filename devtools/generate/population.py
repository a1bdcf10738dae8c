"""A synthetic B2B population shared by every source, so the same person shows up in several tools."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

FIRST = ["ana", "bob", "carla", "dmitri", "elif", "femi", "greta", "hiro", "ines", "jon", "kofi",
         "lena", "marta", "nils", "olga", "pavel", "quinn", "rosa", "sami", "tara", "ugo", "vera",
         "wei", "xena", "yusuf", "zoe"]
LAST = ["silva", "smith", "mueller", "rossi", "dubois", "tanaka", "novak", "kowalski", "garcia",
        "jensen", "okafor", "nguyen", "brown", "martin", "larsen", "ivanova", "costa", "weber"]
DOMAINS = ["acme.example", "globex.example", "initech.example", "umbrella.example",
           "hooli.example", "vandelay.example", "wayne.example", "stark.example"]
# Weighted toward the markets a European B2B vendor sells to; None = the source does not know.
COUNTRIES = (["DE"] * 14 + ["FR"] * 8 + ["GB"] * 10 + ["US"] * 20 + ["CA"] * 5 + ["NL"] * 4
             + ["AT"] * 3 + ["IE"] * 3 + ["ES"] * 3 + ["IT"] * 3 + ["BR"] * 2 + ["CH"] * 2
             + ["SE"] * 2 + ["AU"] * 1 + [None] * 8)
US_STATES = ["CA", "NY", "TX", "WA", "MA", "IL"]
# The 0-based index of the day that carries the one-off edge cases (the middle of the default 14
# days); a fixed index, not the middle of whatever was asked for, so earlier days never change.
EDGE_DAY = 7


@dataclass
class Person:
    """One synthetic contact; `email` is canonical, sources write `variant()` of it."""

    index: int
    email: str
    country: str | None
    state: str | None
    created_at: datetime
    tools: set[str] = field(default_factory=set)

    def variant(self, rng: random.Random) -> str:
        """The address as a tool might hold it: any case, sometimes with spaces around it."""
        style = rng.random()
        if style < 0.6:
            text = self.email
        elif style < 0.8:
            local, domain = self.email.split("@")
            text = f"{local.capitalize()}@{domain.capitalize()}"
        elif style < 0.9:
            text = self.email.upper()
        else:
            text = f" {self.email} "
        return text


@dataclass(frozen=True)
class Shard:
    """One slice of the population, generated on its own. `id_base` offsets every counter-based
    record id so ids stay unique across shards; only shard 0 carries the planted edge cases (fixed
    ids, malformed lines), so their number does not grow with the population."""

    index: int
    first: int

    @property
    def id_base(self) -> int:
        return self.index * 10_000_000

    @property
    def edge(self) -> bool:
        return self.index == 0

    def part(self, folder: Path, source: str, day: date, name: str) -> Path:
        """The part file of `name` for this shard and day (the parent merges the parts)."""
        path = folder / source / day.isoformat() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def make_population(rng: random.Random, contacts: int, start: datetime, first: int = 0) -> list[Person]:
    """People with stable emails and countries; each is known to a random subset of tools.
    Indexes run from `first`, so shards of one population never share an address."""
    people = []
    tools = ["webforms", "hubspot", "salesforce", "marketo", "mailchimp", "onetrust"]
    for i in range(first, first + contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{i}@{rng.choice(DOMAINS)}"
        country = rng.choice(COUNTRIES)
        state = rng.choice(US_STATES) if country == "US" else None
        created = start + timedelta(seconds=rng.randrange(0, 86400 * 20))
        known = {t for t in tools if rng.random() < 0.45} or {"webforms"}
        people.append(Person(i, email, country, state, created, known))
    return people


def iso_z(ts: datetime) -> str:
    """HubSpot / Marketo style: 2026-03-02T09:15:00.000Z."""
    ts = ts.astimezone(UTC)  # fields by hand: strftime is a hot spot at tens of millions of lines
    return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}."
            f"{ts.microsecond // 1000:03d}Z")


def iso_offset(ts: datetime, hours: int) -> str:
    """Web form style with a local offset: 2026-03-02T10:15:00+01:00."""
    from datetime import timezone

    local = ts.astimezone(timezone(timedelta(hours=hours)))
    return local.isoformat(timespec="seconds")
