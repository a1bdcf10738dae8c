"""Every dbt model, seed and test as Dagster assets and asset checks, built for one run date."""


import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Failure, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration import paths
from orchestration.locking import warehouse_lock
from orchestration.partitions import DAILY
from orchestration.resources import DBT_PROJECT, export_environment


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
    """Build the working database for the partition's run date (dbt var as_of)."""
    export_environment()
    dbt_vars = {"as_of": context.partition_key}
    if paths.published_db().exists():
        # audit.withdrawal_sla keeps the date each suppression was first published
        dbt_vars["published_db"] = str(paths.published_db())
    # unit tests check the SQL, not the data: CI runs them (tests/conftest.py builds with them)
    args = ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"]
    if context.op_execution_context.run.tags.get("consent_ledger/full_refresh") == "true":
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


def _failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Which models and tests failed and why, for the CLI summary and the Dagster UI."""
    problems = []
    for result in run_results.get("results", []):
        if result.get("status") in ("error", "fail", "runtime error"):
            message = " ".join((result.get("message") or "").split())[:400]
            problems.append(f"{result['unique_id']} ({result['status']}): {message}")
    return problems or ["dbt exited with an error before running any node (see the dbt log)"]
