"""Every dbt model, seed and test as Dagster assets and asset checks, built for one run date."""


import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Failure, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration import paths
from orchestration.locking import warehouse_lock
from orchestration.partitions import DAILY
from orchestration.resources import DBT_PROJECT, dbt_vars, export_as_of, export_environment


class SchemaTranslator(DagsterDbtTranslator):
    """Asset keys follow the published names: consent/consent_status, audit/load_reconciliation."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)


TRANSLATOR = SchemaTranslator()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    partitions_def=DAILY,
    dagster_dbt_translator=TRANSLATOR,
    pool="consent_ledger_warehouse",
)
def consent_ledger_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build the working database for the partition's run date (CONSENT_LEDGER_AS_OF)."""
    export_environment()
    export_as_of(context.partition_key)
    # unit tests check the SQL, not the data: CI runs them (tests/conftest.py builds with them)
    args = ["build", "--exclude-resource-type", "unit_test"]
    if variables := dbt_vars():
        args += ["--vars", json.dumps(variables)]
    full_refresh = context.op_execution_context.run.tags.get("consent_ledger/full_refresh") == "true"
    if full_refresh or _is_backfill(paths.working_db(), context.partition_key):
        args.append("--full-refresh")
    paths.working_db().parent.mkdir(parents=True, exist_ok=True)
    with warehouse_lock(paths.published_db()):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        yield from invocation.stream()
    if not invocation.is_successful():
        problems = _failed_nodes(invocation.get_artifact("run_results.json"))
        raise Failure(
            description="dbt build failed, nothing will be published:\n" + "\n".join(problems),
            metadata={"failed_nodes": MetadataValue.json(problems)},
        )


def _is_backfill(working: Path, as_of: str) -> bool:
    """A run date older than the one the working database was last built for: incremental models
    hold lines landed after it, so the run rebuilds everything (a backfill stays correct)."""
    if not working.exists():
        return False
    try:
        with duckdb.connect(str(working), read_only=True) as con:
            row = con.execute("select max(as_of) from consent.consent_status").fetchone()
    except duckdb.Error:
        return False
    return bool(row and row[0] is not None and row[0].isoformat() > as_of)


def _failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Which models and tests failed and why, for the CLI summary and the Dagster UI."""
    problems = []
    for result in run_results.get("results", []):
        if result.get("status") in ("error", "fail", "runtime error"):
            message = " ".join((result.get("message") or "").split())[:400]
            problems.append(f"{result['unique_id']} ({result['status']}): {message}")
    return problems or ["dbt exited with an error before running any node (see the dbt log)"]
