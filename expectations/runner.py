"""Run a suite on a frame read read-only from DuckDB (GX's SQL datasource fails on DuckDB)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx

from expectations.suites import SuiteSpec
from orchestration import encryption


@dataclass
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} rows" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.examples[:3]}" if self.examples else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass
class SuiteResult:
    suite: str
    success: bool
    rows: int
    evaluated: int
    failures: list[Failure]
    example_rows: list[dict[str, Any]]
    docs_index: Path | None = None
    docs_page: Path | None = None
    expectations: list[dict[str, Any]] = field(default_factory=list)


# what the run report shows of the gate, beside the Data Docs (which need a network for their styles)
VALIDATION_RESULTS = "validation_results.json"


def _context(docs_dir: Path | None) -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="consent_ledger",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def run_suites(specs: list[SuiteSpec], database: Path, as_of: date,
               docs_dir: Path | None = None) -> list[SuiteResult]:
    """Validate suites in one context, so one Data Docs site lists them all.

    The database is opened read-only, so validation never competes with a writer.
    """
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = _context(docs_dir)
    source = context.data_sources.add_pandas("consent_ledger")
    results = []
    with duckdb.connect() as con:
        # attached under a fixed name: a file called consent.duckdb would shadow schema consent
        encryption.attach(con, database, "db", read_only=True)
        con.execute("use db")
        frames = {spec.name: con.execute(spec.query).df() for spec in specs}
    for spec in specs:
        frame = frames[spec.name]
        batch = source.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe("run")
        suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
        for expectation in spec.expectations(as_of):
            suite.add_expectation(expectation)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=f"{spec.name}_{as_of.isoformat()}")
        )
        result = validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        failures = [
            Failure(
                expectation=r.expectation_config.type,
                column=r.expectation_config.kwargs.get("column"),
                unexpected_count=r.result.get("unexpected_count", r.result.get("observed_value")),
                examples=[_plain(v) for v in r.result.get("partial_unexpected_list", []) or []],
            )
            for r in result.results
            if not r.success
        ]
        results.append(SuiteResult(
            suite=spec.name,
            success=bool(result.success),
            rows=len(frame),
            evaluated=len(result.results),
            failures=failures,
            example_rows=_example_rows(frame, failures),
            expectations=[_outcome(r) for r in result.results],
        ))
    if docs_dir is not None:
        context.build_data_docs(site_names=["consent_ledger"])
        for result in results:
            result.docs_index = docs_dir / "index.html"
            # the page of this validation: static HTML that opens without the index's scripts
            pages = sorted((docs_dir / "validations" / result.suite).rglob("*.html"))
            result.docs_page = pages[-1] if pages else None
        _write_details(docs_dir / VALIDATION_RESULTS, as_of, results)
    return results


def _outcome(r: Any) -> dict[str, Any]:
    """One expectation's result as plain data: what was expected, whether it held, how many rows
    broke it and a few of their values."""
    config = r.expectation_config
    kwargs = {k: _plain(v) for k, v in config.kwargs.items() if k not in ("column", "batch_id", "result_format")}
    return {
        "expectation": config.type,
        "column": config.kwargs.get("column"),
        "kwargs": kwargs,
        "success": bool(r.success),
        "unexpected_count": r.result.get("unexpected_count"),
        "observed_value": _plain(r.result.get("observed_value")),
        "examples": [_plain(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]],
    }


def _write_details(path: Path, as_of: date, results: list[SuiteResult]) -> None:
    """The same validation details as the Data Docs, for the run report to show offline."""
    suites = [{"suite": r.suite, "success": r.success, "rows": r.rows, "evaluated": r.evaluated,
               "example_rows": r.example_rows, "expectations": r.expectations,
               "docs_page": str(r.docs_page) if r.docs_page else None} for r in results]
    path.write_text(json.dumps({"as_of": as_of.isoformat(), "suites": suites}, indent=2, default=str))


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _example_rows(frame: Any, failures: list[Failure]) -> list[dict[str, Any]]:
    """A few offending rows so a blocked run can show what to look at."""
    if not failures:
        return []
    rows = frame
    for failure in failures:
        if failure.column and failure.column in frame.columns and failure.examples:
            rows = frame[frame[failure.column].isin(failure.examples)]
            break
        if failure.column and failure.column in frame.columns:
            rows = frame[frame[failure.column].isna()]
            break
    return [{k: _plain(v) for k, v in row.items()} for row in rows.head(5).to_dict("records")]
