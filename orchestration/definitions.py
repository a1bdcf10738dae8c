"""The Dagster code location (`dagster dev` loads it from pyproject's [tool.dagster])."""

from dagster import Definitions

from orchestration.assets import published_warehouse
from orchestration.checks import audit_trail_expectations
from orchestration.dbt_assets import consent_ledger_dbt
from orchestration.exports import outboxes, suppression_sync
from orchestration.resources import dbt_resource
from orchestration.schedules import nightly_job, nightly_schedule

defs = Definitions(
    assets=[consent_ledger_dbt, published_warehouse, suppression_sync, outboxes],
    asset_checks=[audit_trail_expectations],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    resources={"dbt": dbt_resource()},
)
