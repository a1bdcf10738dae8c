"""The default run date, shared by `consent-ledger run` and the nightly schedule.

A run decides on the day that has ended: the schedule (02:00 UTC) runs the previous day, and the
CLI without `--as-of` does the same, so a hand-run and the scheduled run of a night build the same
partition. Kept free of Dagster and dbt imports: the CLI reads it before anything heavy loads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def run_date_for(moment: datetime | None = None) -> date:
    """The run date (as_of) for a run started at `moment` (default now): the UTC day before it."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (moment - timedelta(days=1)).date()
