"""Run each suite on its query's rows, read read-only from DuckDB in bounded batches (GX's SQL
datasource fails on DuckDB): every row is validated, but no more than one batch is held in pandas at
a time, so the gate's memory does not grow with the tables. Batch results are merged per
expectation into one result per suite (one Data Docs page)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx

from expectations.suites import SuiteSpec
from orchestration.lib import encryption


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

BATCH_ROWS_ENV = "CONSENT_LEDGER_GX_BATCH_ROWS"
DEFAULT_BATCH_ROWS = 250_000
EXAMPLE_LIMIT = 20


def batch_rows() -> int:
    """Rows per validated batch: CONSENT_LEDGER_GX_BATCH_ROWS (default 250,000, some tens of MB)."""
    try:
        return max(int(os.environ.get(BATCH_ROWS_ENV, DEFAULT_BATCH_ROWS)), 1)
    except ValueError:
        return DEFAULT_BATCH_ROWS


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
               docs_dir: Path | None = None, batch_size: int | None = None) -> list[SuiteResult]:
    """Validate suites in one context, so one Data Docs site lists them all.

    The database is opened read-only, so validation never competes with a writer. Each suite's
    query is streamed in batches of `batch_size` rows (default: batch_rows()).
    """
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    size = batch_size or batch_rows()
    context = _context(docs_dir)
    source = context.data_sources.add_pandas("consent_ledger")
    results = []
    with duckdb.connect() as con:
        # attached under a fixed name: a file called consent.duckdb would shadow schema consent
        encryption.attach(con, database, "db", read_only=True)
        con.execute("use db")
        for spec in specs:
            results.append(_run_suite(context, source, con, spec, as_of, size))
    if docs_dir is not None:
        context.build_data_docs(site_names=["consent_ledger"])
        for result in results:
            result.docs_index = docs_dir / "index.html"
            # the page of this validation: static HTML that opens without the index's scripts
            pages = sorted((docs_dir / "validations" / result.suite).rglob("*.html"))
            result.docs_page = pages[-1] if pages else None
        _write_details(docs_dir / VALIDATION_RESULTS, as_of, results)
    return results


def _batches(con: duckdb.DuckDBPyConnection, query: str, size: int) -> Iterator[Any]:
    """The query's rows as pandas frames of at most `size` rows, streamed (at least one frame, so
    an empty result is validated too)."""
    reader = con.sql(query).to_arrow_reader(size)
    empty = True
    for batch in reader:
        if batch.num_rows == 0:
            continue
        empty = False
        yield batch.to_pandas()
    if empty:
        yield reader.schema.empty_table().to_pandas()


def _run_suite(context: Any, source: Any, con: duckdb.DuckDBPyConnection, spec: SuiteSpec, as_of: date,
               size: int) -> SuiteResult:
    """Validate every batch of one suite with the same run id (the results store keeps one result
    per suite and run), then store the merged result in its place."""
    from great_expectations.core.run_identifier import RunIdentifier

    batch = source.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe("run")
    suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
    for expectation in spec.expectations(as_of):
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch, suite=suite, name=f"{spec.name}_{as_of.isoformat()}")
    )
    run_id = RunIdentifier(run_name=f"{spec.name}_{as_of.isoformat()}")
    merged: Any = None
    rows = 0
    example_rows: list[dict[str, Any]] = []
    for frame in _batches(con, spec.query, size):
        result = validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY", run_id=run_id)
        rows += len(frame)
        if not result.success and len(example_rows) < 5:
            example_rows += _example_rows(frame, _failures(result))[:5 - len(example_rows)]
        merged = result if merged is None else _merge(merged, result)
        del frame
    _store_merged(context, spec.name, run_id, merged)
    failures = _failures(merged)
    return SuiteResult(
        suite=spec.name,
        success=bool(merged.success),
        rows=rows,
        evaluated=len(merged.results),
        failures=failures,
        example_rows=example_rows,
        expectations=[_outcome(r) for r in merged.results],
    )


def _failures(result: Any) -> list[Failure]:
    return [
        Failure(
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column"),
            unexpected_count=r.result.get("unexpected_count", r.result.get("observed_value")),
            examples=[_plain(v) for v in r.result.get("partial_unexpected_list", []) or []],
        )
        for r in result.results
        if not r.success
    ]


def _merge(total: Any, part: Any) -> Any:
    """One suite result from two batches' results: an expectation holds when it holds in every
    batch; counts add up, examples are kept up to EXAMPLE_LIMIT, a row count is the sum."""
    for mine, theirs in zip(total.results, part.results, strict=True):
        mine.success = bool(mine.success and theirs.success)
        a, b = mine.result, theirs.result
        for key in ("element_count", "unexpected_count", "missing_count"):
            if key in a or key in b:
                a[key] = (a.get(key) or 0) + (b.get(key) or 0)
        if "partial_unexpected_list" in b:
            a["partial_unexpected_list"] = ((a.get("partial_unexpected_list") or [])
                                            + b["partial_unexpected_list"])[:EXAMPLE_LIMIT]
        if mine.expectation_config.type == "expect_table_row_count_to_equal":
            a["observed_value"] = (a.get("observed_value") or 0) + (b.get("observed_value") or 0)
        elements = a.get("element_count") or 0
        if elements and "unexpected_count" in a:
            a["unexpected_percent"] = 100.0 * a["unexpected_count"] / elements
            nonmissing = elements - (a.get("missing_count") or 0)
            a["unexpected_percent_nonmissing"] = (100.0 * a["unexpected_count"] / nonmissing) if nonmissing else None
    total.success = all(r.success for r in total.results)
    successful = sum(1 for r in total.results if r.success)
    evaluated = len(total.results)
    total.statistics.update(evaluated_expectations=evaluated, successful_expectations=successful,
                            unsuccessful_expectations=evaluated - successful,
                            success_percent=100.0 * successful / evaluated if evaluated else None)
    return total


def _store_merged(context: Any, suite: str, run_id: Any, merged: Any) -> None:
    """Replace the last batch's stored result (same suite and run id) by the merged one, so the
    Data Docs page of the suite describes every row."""
    store = context.validation_results_store
    for key in store.list_keys():
        if key.expectation_suite_identifier.name == suite and key.run_id == run_id:
            store.set(key, merged)


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
