"""Great Expectations suites as blocking Dagster asset checks: a failure stops publication."""


from collections.abc import Iterator
from datetime import date

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from expectations.runner import run_suites
from expectations.suites import SUITES
from orchestration.defs.dbt.resources import export_environment
from orchestration.lib import paths

CHECK_SPECS = [
    AssetCheckSpec(name=spec.name, asset=AssetKey(list(spec.asset)), blocking=True,
                   description=f"Great Expectations suite (blocks publication): {spec.description}")
    for spec in SUITES
]


@multi_asset_check(
    specs=CHECK_SPECS,
    name="audit_trail_expectations",
    description="The Great Expectations gate: every suite in expectations/suites.py validates the working "
    "database after dbt's tests; one failing expectation blocks publication (and so every export). "
    "Results, failing examples and the Data Docs page are in each check's metadata.",
)
def audit_trail_expectations(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
    """All suites in one validation context so one Data Docs site lists every result."""
    export_environment()
    as_of = date.fromisoformat(context.run.tags.get("dagster/partition") or date.today().isoformat())
    docs = paths.reports_dir() / as_of.isoformat() / "data_docs"
    results = run_suites(SUITES, paths.working_db(), as_of, docs_dir=docs)
    for spec, result in zip(SUITES, results, strict=True):
        yield AssetCheckResult(
            asset_key=AssetKey(list(spec.asset)),
            check_name=spec.name,
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": result.rows,
                "expectations": result.evaluated,
                "failures": MetadataValue.json([f.describe() for f in result.failures]),
                "example_rows": MetadataValue.json(result.example_rows),
                "data_docs": MetadataValue.path(str(result.docs_index or "")),
                "data_docs_page": MetadataValue.path(str(result.docs_page or "")),
            },
        )
