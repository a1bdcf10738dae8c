"""Every dbt model, seed and test as Dagster assets and asset checks, built for one run date."""


import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec, Failure, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_shared.record import replace  # AssetCheckSpec is an immutable record

from orchestration.defs.dbt.resources import DBT_PROJECT, export_as_of, export_environment, export_published
from orchestration.defs.partitions import DAILY
from orchestration.lib import paths
from orchestration.lib.lock import warehouse_lock
from orchestration.lib.permissions import share

# The layer (Dagster asset group) of a dbt node, from its folder under models/: the landing
# inventory is its own layer, marts split into the two published schemas; seeds are reference data
# the staging layer maps into.
RUN_RESULTS = "dbt_run_results.json"  # in <reports>/<as_of>/

LAYER_OF_FOLDER = {
    ("staging", "landing"): "landing",
    ("staging",): "staging",
    ("intermediate",): "intermediate",
    ("marts", "consent"): "consent",
    ("marts", "audit"): "audit",
}
LAYERS = ("landing", "staging", "intermediate", "consent", "audit", "publish", "exports")


class SchemaTranslator(DagsterDbtTranslator):
    """Asset keys follow the published names (consent/consent_status, audit/load_reconciliation),
    groups follow the layers, and every dbt test has a description in the UI."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"][unique_id]
        attached = manifest["nodes"].get(test.get("attached_node") or "", {})
        return replace(spec, description=describe_test(test, attached.get("name") or asset_spec.key.path[-1]))


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The group of a model, seed or source; a folder not in LAYER_OF_FOLDER is an error, so a new
    folder is placed on purpose rather than falling into Dagster's `default` group."""
    kind = dbt_resource_props.get("resource_type")
    if kind == "seed":
        return "staging"
    if kind == "source":
        return "landing"
    folders = tuple(dbt_resource_props["fqn"][1:-1])
    for depth in (2, 1):
        if folders[:depth] in LAYER_OF_FOLDER:
            return LAYER_OF_FOLDER[folders[:depth]]
    raise ValueError(f"no Dagster group for dbt {kind} {dbt_resource_props.get('name')} in models/"
                     f"{'/'.join(folders)}: add its folder to LAYER_OF_FOLDER")


def describe_test(test: Mapping[str, Any], model: str) -> str:
    """A dbt test's own YAML description, else one said from its name and arguments, e.g.
    `not_null on consent_status.contact_key: never null`."""
    if (test.get("description") or "").strip():
        return test["description"].strip()
    if (test.get("meta", {}).get("description") or "").strip():
        return test["meta"]["description"].strip()
    metadata = test.get("test_metadata") or {}
    name, kwargs = metadata.get("name"), metadata.get("kwargs") or {}
    if not name:  # a singular test: its file says what it pins
        return f"singular dbt test {test['name']} ({test.get('original_file_path', '')}) on {model}"
    column = kwargs.get("column_name")
    target = f"{model}.{column}" if column else model
    columns = ", ".join(kwargs.get("columns") or [])
    said = {
        "not_null": "never null",
        "unique": "no two rows share a value",
        "accepted_values": "one of " + ", ".join(str(v) for v in kwargs.get("values") or []),
        "relationships": "every value exists in "
        + f"{_ref_name(str(kwargs.get('to', '')))}.{kwargs.get('field', '')}",
        "unique_combination": f"one row per ({columns})",
        "not_null_columns": f"{columns} never null",
        "all_files_balance": "every landed file balances (lines read = accepted + rejected + "
        "duplicates + ignored) and none is quarantined",
    }.get(name, f"dbt test {name} with {json.dumps({k: v for k, v in kwargs.items() if k != 'model'})}")
    severity = (test.get("config", {}).get("severity") or "error").lower()
    return f"{name} on {target}: {said}" + ("" if severity == "error" else " (warning only)")


def _ref_name(ref: str) -> str:
    """`ref('consent_events')` -> consent_events."""
    return ref.split("(", 1)[-1].rstrip(")").strip("'\" ") if "(" in ref else ref


TRANSLATOR = SchemaTranslator()

FINGERPRINT_ENV = "CONSENT_LEDGER_CODE_FINGERPRINT"
# what decides the rows a dbt build writes and the tests it runs on them
CODE_PATHS = ("models", "macros", "seeds", "data-tests", "snapshots", "dbt_project.yml")


def code_fingerprint(root: Path = paths.REPO_ROOT) -> str:
    """A hash of the dbt project's files, so rows a build tested are re-tested after any change of
    code or seeds (macros/checks_new_slice.sql; dbt's node checksums do not cover macros)."""
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
    export_published()
    os.environ[FINGERPRINT_ENV] = code_fingerprint()
    # unit tests check the SQL, not the data: they run once per suite (make unit, tests/test_dbt_unit_tests.py)
    args = ["build", "--exclude-resource-type", "unit_test"]
    full_refresh = context.op_execution_context.run.tags.get("consent_ledger/full_refresh") == "true"
    if full_refresh or _is_backfill(paths.working_db(), context.partition_key):
        args.append("--full-refresh")
    paths.working_db().parent.mkdir(parents=True, exist_ok=True)
    with warehouse_lock(paths.published_db()):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        yield from invocation.stream()
    _keep_node_timings(invocation.target_path / "run_results.json", context.partition_key)
    if not invocation.is_successful():
        problems = _failed_nodes(invocation.get_artifact("run_results.json"))
        raise Failure(
            description="dbt build failed, nothing will be published:\n" + "\n".join(problems),
            metadata={"failed_nodes": MetadataValue.json(problems)},
        )


def _keep_node_timings(run_results: Path, as_of: str) -> None:
    """Beside the run report: the build's per-node timings (where a night's time went), without
    dbt's compiled SQL and messages. The purge's run-operation later overwrites dbt's own copy."""
    if not run_results.exists():
        return
    results = json.loads(run_results.read_text(encoding="utf-8"))
    timings = {
        "args": {"which": results.get("args", {}).get("which")},
        "elapsed_time": results.get("elapsed_time"),
        "results": [{"unique_id": r.get("unique_id"), "status": r.get("status"),
                     "execution_time": r.get("execution_time")} for r in results.get("results", [])],
    }
    folder = paths.reports_dir() / as_of
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / RUN_RESULTS
    target.write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    share(target)


def _is_backfill(working: Path, as_of: str) -> bool:
    """A run date older than the one the working database was last built for: incremental models
    hold lines landed after it, so the run rebuilds everything (a backfill stays correct)."""
    if not working.exists():
        return False
    try:
        from orchestration.lib.encryption import connect

        with connect(working) as con:
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
