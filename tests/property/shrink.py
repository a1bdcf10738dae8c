"""Shrinking a failing history to a minimal one, batched: each round builds every one-step-smaller
candidate (drop a record, drop a consent element, drop the Salesforce country, plain address) as its
own contact in ONE dbt build, keeps the first candidate that still fails, and stops when none does.
A dbt build per candidate (hypothesis's own sequential shrinker) would take minutes per step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tests.property.conftest import Workspace
from tests.property.histories import History, Webform


def candidates(history: History) -> list[History]:
    out = []
    records = history.records
    for i in range(len(records)):
        if len(records) > 1:
            out.append(replace(history, records=records[:i] + records[i + 1:]))
        r = records[i]
        if isinstance(r, Webform):
            for j in range(len(r.consents)):
                if len(r.consents) > 1:
                    smaller = replace(r, consents=r.consents[:j] + r.consents[j + 1:])
                    out.append(replace(history, records=(*records[:i], smaller, *records[i + 1:])))
            if r.gpc:
                out.append(replace(history, records=(*records[:i], replace(r, gpc=False), *records[i + 1:])))
    if history.crm_country is not None:
        out.append(replace(history, crm_country=None))
    if history.shout:
        out.append(replace(history, shout=False))
    return out


def shrink(history: History, workspace: Workspace, night: date, rounds: int = 12) -> tuple[History, list]:
    """The smallest history found that still fails like the original: the same cell, the same kind
    of mismatch (unsafe, status, missing) as its first mismatching cell. Returns it and its mismatches."""
    from tests.property.test_resolution_properties import build_batch, compare

    def failing(index: int, candidate: History, rows: dict) -> list:
        return [m for m in compare({index: candidate}, rows, night) if m.kind != "ambiguous"]

    base = 90000
    current, target, mismatches = history, None, []
    for _ in range(rounds):
        batch = {base + k: h for k, h in enumerate([current, *candidates(current)])}
        rows = build_batch(batch, workspace, night)
        mismatches = failing(base, current, rows)
        if not mismatches:
            return current, ["(does not fail on its own: it fails only beside other histories)"]
        if target is None:
            target = (mismatches[0].purpose, mismatches[0].channel, mismatches[0].kind)
        found = None
        for index, candidate in list(batch.items())[1:]:
            if any((m.purpose, m.channel, m.kind) == target for m in failing(index, candidate, rows)):
                found = candidate
                break
        if found is None:
            return current, mismatches
        current = found
    return current, mismatches
