"""Area schedules: the nightly job and its 02:00 UTC schedule."""

from dagster import Definitions

from orchestration.defs.schedules.nightly import nightly_job, nightly_schedule

defs = Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
