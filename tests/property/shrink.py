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
    if history.salesforce_country is not None:
        out.append(replace(history, salesforce_country=None))
    if history.shout:
        out.append(replace(history, shout=False))
    return out


def shrink(history: History, workspace: Workspace, night: date, rounds: int = 12) -> tuple[History, list]:
    """The smallest failing history found, and its mismatching cells."""
    from tests.property.test_resolution_properties import build_batch, compare

    current = history
    failing = []
    base = 90000
    for _ in range(rounds):
        options = candidates(current)
        batch = {base + k: h for k, h in enumerate([current, *options])}
        rows = build_batch(batch, workspace, night)
        found = None
        for index, candidate in batch.items():
            mismatches = [m for m in compare({index: candidate}, rows, night) if m.kind != "ambiguous"]
            if index == base:
                failing = mismatches
                if not mismatches:
                    return current, ["(no longer fails on its own)"]
                continue
            if mismatches:
                found = (candidate, mismatches)
                break
        if found is None:
            return current, failing
        current, failing = found
    return current, failing
