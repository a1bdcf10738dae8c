"""`consent-ledger run`: the nightly job in-process through Dagster, with progress and a summary."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration import paths
from orchestration.landing import landing_notes, quarantine_list, unblock_instructions
from orchestration.locking import warehouse_lock
from orchestration.report import RunReport, load_counts


class RunError(RuntimeError):
    """A problem the user can fix (bad paths, no landing data); printed without a traceback."""


@dataclass
class RunOutcome:
    as_of: str
    published: bool
    warehouse: Path
    counts: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    report: Path | None = None
    data_docs: Path | None = None


def _prepare_manifest(as_of: date) -> None:
    """dagster-dbt reads target/manifest.json at import; outside `dagster dev` we parse first,
    with the run's vars so the build can reuse the partial parse."""
    from orchestration.resources import dbt_executable

    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(paths.REPO_ROOT),
         "--project-dir", str(paths.REPO_ROOT), "--vars", json.dumps({"as_of": as_of.isoformat()})],
        cwd=paths.REPO_ROOT, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RunError("dbt could not parse the project:\n" + (result.stdout + result.stderr)[-3000:])


class _ProgressHandler(logging.Handler):
    """One line per step start/finish and per check, instead of Dagster's full event log."""

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.INFO and step:
                print(f"  [{step}] {meta.get('orig_message', record.getMessage())}", file=sys.stderr)
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            print(f"- {step} ...", file=sys.stderr)
        elif kind == "STEP_SUCCESS":
            print(f"- {step} done", file=sys.stderr)
        elif kind == "STEP_FAILURE":
            print(f"- {step} FAILED", file=sys.stderr)
        elif kind == "STEP_SKIPPED":
            print(f"- {step} skipped", file=sys.stderr)


def _dbt_failures(working: Path) -> list[str]:
    """Rows stored by failing dbt tests configured with store_failures (e.g. unbalanced files)."""
    lines: list[str] = []
    if not working.exists():
        return lines
    try:
        with duckdb.connect(str(working), read_only=True) as con:
            tables = con.execute(
                "select table_name from information_schema.tables where table_schema = 'test_failures'"
            ).fetchall()
            for (table,) in tables:
                rows = con.execute(f'select * from test_failures."{table}" limit 3').fetchall()
                if rows:
                    cols = [d[0] for d in con.description]
                    examples = "; ".join(str(dict(zip(cols, r, strict=True))) for r in rows)
                    lines.append(f"dbt test {table}: e.g. {examples}")
    except duckdb.Error:
        pass
    return lines


def run_nightly(landing: Path, warehouse: Path, as_of: date, full_refresh: bool = False) -> RunOutcome:
    """Build, check and (only if every blocking check passes) publish; never raises on a blocked run."""
    landing, warehouse = landing.resolve(), warehouse.resolve()
    if not landing.is_dir():
        raise RunError(f"landing folder {landing} does not exist (set --landing or CONSENT_LEDGER_LANDING)")
    if not any(files for _, _, files in os.walk(landing)):
        raise RunError(f"landing folder {landing} has no files under <source>/<yyyy-mm-dd>/")
    os.environ["CONSENT_LEDGER_LANDING"] = str(landing)
    os.environ["CONSENT_LEDGER_WAREHOUSE"] = str(warehouse)
    from orchestration.resources import export_environment

    export_environment()
    working = paths.working_db()
    working.parent.mkdir(parents=True, exist_ok=True)

    with warehouse_lock(warehouse):
        _prepare_manifest(as_of)
        from dagster import DagsterInstance

        from orchestration.definitions import defs

        job = defs.resolve_job_def("nightly")
        handler = _ProgressHandler()
        dagster_logger = logging.getLogger("dagster")
        dagster_logger.addHandler(handler)
        previous_propagate = dagster_logger.propagate
        try:
            with DagsterInstance.ephemeral() as instance:
                result = job.execute_in_process(
                    partition_key=as_of.isoformat(),
                    instance=instance,
                    raise_on_error=False,
                    tags={"consent_ledger/full_refresh": str(full_refresh).lower()},
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                )
        finally:
            dagster_logger.removeHandler(handler)
            dagster_logger.propagate = previous_propagate

    checks = [
        {
            "name": e.check_name,
            "asset": e.asset_key.to_user_string(),
            "passed": e.passed,
            "metadata": {k: getattr(v, "value", v) for k, v in (e.metadata or {}).items()},
        }
        for e in result.get_asset_check_evaluations()
    ]
    published = any(
        m.asset_key.path == ["warehouse", "published"] for m in result.get_asset_materialization_events()
    )
    failures = [f"check {c['name']} on {c['asset']}: " + "; ".join(
        str(x) for x in (c["metadata"].get("failures") or [c["metadata"].get("dagster_dbt/failed_row_count", "")]))
        + (f" — example rows: {c['metadata']['example_rows'][:3]}" if c["metadata"].get("example_rows") else "")
        for c in checks if not c["passed"]]
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                message = data.user_failure_data.description
            else:
                message = data.error.message.strip().splitlines()[0] if data.error else "unknown error"
            failures.append(f"step {event.step_key} failed: {message}")
    failures += _dbt_failures(working)
    if not published:
        failures += unblock_instructions(landing, quarantine_list(working))
    deferred, incidents = landing_notes(working, as_of.isoformat())

    docs = paths.reports_dir() / as_of.isoformat() / "data_docs" / "index.html"
    outcome = RunOutcome(
        as_of=as_of.isoformat(),
        published=published,
        warehouse=warehouse,
        counts=load_counts(working),
        checks=checks,
        failures=failures,
        data_docs=docs if docs.exists() else None,
    )
    publish_meta = next(
        (m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
         if m.asset_key.path == ["warehouse", "published"]),
        {},
    )
    report_path = RunReport(
        as_of=outcome.as_of, published=published, warehouse=str(warehouse), counts=outcome.counts,
        checks=[{"name": c["name"], "asset": c["asset"], "passed": c["passed"],
                 "kind": "expectations" if "data_docs_page" in c["metadata"] else "dbt test",
                 "page": c["metadata"].get("data_docs_page") or None} for c in checks],
        suppressions_added=_value(publish_meta.get("suppressions_added")),
        suppressions_lifted=_value(publish_meta.get("suppressions_lifted")),
        blocked_by=failures, data_docs=str(docs) if docs.exists() else None,
        deferred_files=deferred, landing_incidents=incidents,
    ).write(paths.reports_dir())
    outcome.report = report_path if report_path.exists() else None
    return outcome


def _value(metadata_value: Any) -> Any:
    return getattr(metadata_value, "value", metadata_value)


def format_summary(outcome: RunOutcome) -> str:
    c = outcome.counts
    passed = sum(1 for x in outcome.checks if x["passed"])
    lines = [
        "",
        f"Consent Ledger run as of {outcome.as_of}",
        f"  files           {c.get('files', '?')} ({c.get('files_quarantined', 0)} quarantined, "
        f"{c.get('files_deferred', 0)} deferred to the next run)",
        f"  lines read      {c.get('lines_read', '?')}: accepted {c.get('lines_accepted', '?')}, "
        f"rejected {c.get('lines_rejected', '?')}, duplicates {c.get('lines_duplicate', '?')}, "
        f"ignored {c.get('lines_ignored', '?')}",
        f"  events          {c.get('events', '?')}",
        f"  contacts        {c.get('contacts', '?')}",
        f"  suppressions    {c.get('suppressions', '?')}",
        f"  checks          {passed} of {len(outcome.checks)} passed",
    ]
    if outcome.report:
        lines.append(f"  run report      {outcome.report.with_suffix('.html')} (and .md)")
    if outcome.data_docs:
        lines.append(f"  data docs       {outcome.data_docs}")
    if outcome.published:
        lines.append(f"  published       {outcome.warehouse}")
        exports = paths.exports_dir() / outcome.as_of
        if exports.exists():
            lines.append(f"  tool exports    {exports}")
    else:
        lines.append(f"  NOT PUBLISHED: {outcome.warehouse} keeps its previous state")
        lines += [f"  - {f}" for f in outcome.failures]
    return "\n".join(lines)
