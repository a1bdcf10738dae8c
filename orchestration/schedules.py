"""The nightly job: every night at 02:00 UTC, build, check and publish the day that just ended."""


from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from orchestration.partitions import DAILY
from orchestration.run_dates import run_date_for

# In-process: DuckDB has one writer, so steps (dbt, checks, publish) must never overlap.
nightly_job = define_asset_job(
    name="nightly",
    selection=AssetSelection.all(include_sources=False),
    partitions_def=DAILY,
    executor_def=in_process_executor,
    description="Build the working warehouse for the run date, check it, publish it, export.",
)


@schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="UTC",
          name="nightly_0200_utc")
def nightly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """The run date (as_of) is the day that ended before the scheduled time."""
    as_of = run_date_for(context.scheduled_execution_time).isoformat()
    return RunRequest(run_key=as_of, partition_key=as_of)
