"""The nightly job: every night at 02:00 UTC, build, check and publish the day that just ended."""


from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from orchestration.defs.partitions import DAILY
from orchestration.lib.run_dates import run_date_for

# In-process: DuckDB has one writer, so steps (dbt, checks, publish) must never overlap.
nightly_job = define_asset_job(
    name="nightly",
    selection=AssetSelection.all(include_sources=False),
    partitions_def=DAILY,
    executor_def=in_process_executor,
    description="Build the working warehouse for the run date (the daily partition), check it, publish "
    "it, write the tool files. One partition per run date: a past date is a backfill.",
)


# Stopped by default: a fresh clone must not start writing warehouses and tool files on its own.
# Turn it on in the UI (Automation -> nightly_0200_utc -> toggle) or `dagster schedule start
# nightly_0200_utc` with the same DAGSTER_HOME (README, "Dagster UI and the nightly schedule").
# Not build_schedule_from_partitioned_job: with DAILY's end_offset=1 its "last partition" is today,
# and the nightly run is for the day that ended.
@schedule(
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    name="nightly_0200_utc",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every night at 02:00 UTC, one run of the nightly job for the daily partition of the day "
    "that just ended (the tick of 2026-11-29 02:00 runs partition 2026-11-28). Stopped by default.",
    tags={"consent_ledger/trigger": "schedule"},
    metadata={"partitions": "daily, from 2024-01-01 (UTC): the run date as_of",
              "partition_of_a_tick": "the tick's date minus one day"},
)
def nightly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """The run date (as_of) is the day that ended before the scheduled time; the run key makes a
    tick that is evaluated twice launch one run."""
    as_of = run_date_for(context.scheduled_execution_time).isoformat()
    return RunRequest(run_key=as_of, partition_key=as_of)
