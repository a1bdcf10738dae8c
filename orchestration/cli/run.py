"""`consent-ledger run`: the nightly job in-process through Dagster, with progress and a summary."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb

from orchestration.lib import encryption, paths
from orchestration.lib.landing import landing_notes, quarantine_list, unblock_instructions
from orchestration.lib.lock import remove_leftovers, warehouse_lock
from orchestration.lib.permissions import RUN_UMASK, dir_mode, file_mode, make_private, share_tree
from orchestration.lib.report import RunReport, load_charts, load_counts, load_validations


class RunError(RuntimeError):
    """A problem the user can fix (bad paths, no landing data); printed without a traceback."""


class RunEnvironmentError(RunError):
    """The machine refuses (read-only or full disk, permissions): printed without a traceback."""


def _writable(folder: Path, what: str) -> None:
    """Fail before building when a folder the run writes cannot take a file (read-only, full,
    permissions), with the OS's reason instead of a traceback from deep inside dbt or DuckDB."""
    try:
        if not folder.exists():
            folder.mkdir(parents=True)
            if what != "working database":  # people read what lands here: CONSENT_LEDGER_FILE_MODE
                os.chmod(folder, dir_mode(file_mode()))
        probe = folder / f".consent-ledger-write-test-{os.getpid()}"
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 65536)
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as error:
        raise RunEnvironmentError(f"cannot write the {what} in {folder}: {error.strerror or error}") from None


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
    publication_kind: str | None = None
    published_path: Path | None = None
    failed_steps: list[str] = field(default_factory=list)
    tonight: dict[str, Any] = field(default_factory=dict)

    @property
    def blocked_by_gate(self) -> bool:
        """Not published because a check said no (not because a step broke)."""
        return not self.published and not self.failed_steps


PARSE_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests")
PARSE_STAMP = "consent_ledger_parse.json"


def _parse_state() -> dict[str, Any]:
    """What the saved manifest depends on besides file contents: the environment profiles.yml and
    the macros read while parsing (never the run date nor the published file, read at execution
    only), the dbt version."""
    from importlib.metadata import version

    from orchestration.defs.dbt.resources import AS_OF_ENV, PUBLISHED_ENV

    env = {k: v for k, v in sorted(os.environ.items())
           if (k.startswith(("CONSENT_LEDGER_", "DBT_")) and k not in (AS_OF_ENV, PUBLISHED_ENV))}
    if encryption.KEY_ENV in env:  # whether a key is set changes the target; the key is never written
        env[encryption.KEY_ENV] = "set"
    return {"env": env, "dbt": version("dbt-core")}


def _manifest_is_current(target: Path) -> bool:
    """The manifest was written by a parse with the same state, after every project file changed."""
    manifest, stamp = target / "manifest.json", target / PARSE_STAMP
    if not (manifest.exists() and stamp.exists() and (target / "partial_parse.msgpack").exists()):
        return False
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) != _parse_state():
            return False
    except (OSError, ValueError):
        return False
    parsed_at = min(manifest.stat().st_mtime, stamp.stat().st_mtime)
    for name in PARSE_INPUTS:
        root = paths.REPO_ROOT / name
        files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
        if any(f.stat().st_mtime >= parsed_at for f in files):
            return False
    return True


def _prepare_manifest() -> None:
    """dagster-dbt reads target/manifest.json at import; outside `dagster dev` we parse first, as
    the build will (no dbt vars), so the build reuses this parse. Skipped when nothing it depends on changed
    (each `dbt parse` is seconds of CPU even when dbt's partial parsing has nothing to do)."""
    from orchestration.defs.dbt.resources import dbt_executable

    target = paths.dbt_target()
    if _manifest_is_current(target):
        return
    state = _parse_state()
    command = [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(paths.REPO_ROOT),
               "--project-dir", str(paths.REPO_ROOT)]
    env = {**os.environ, "DBT_TARGET_PATH": str(target)}
    result = subprocess.run(command, cwd=paths.REPO_ROOT, env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RunError("dbt could not parse the project:\n" + (result.stdout + result.stderr)[-3000:])
    (target / PARSE_STAMP).write_text(json.dumps(state), encoding="utf-8")


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DBT_OUTPUT = "dbt_output.log"
DBT_STEP = "consent_ledger_dbt"  # the step of orchestration/defs/dbt/assets.py (every dbt node)


class _PlainFile(io.TextIOBase):
    """dbt's console output (dagster-dbt re-emits every dbt line on sys.stdout) into a file,
    without terminal colour codes, instead of ~400 lines on the operator's screen."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._handle.write(ANSI_ESCAPE.sub("", text))
        return len(text)

    def flush(self) -> None:
        self._handle.flush()


class _Progress:
    """Progress per stage on stderr instead of Dagster's full event log: on a terminal one bar
    rewritten in place (stages done, and dbt nodes done inside the dbt stage), in a log plain lines,
    one per stage start and finish. Warnings and errors logged by a step are always shown.

    Fed by the instance's event listener for the run (`listen`), which sees every structured event
    (step start and finish, materializations, check results) and every `context.log` message."""

    def __init__(self, stages: int, dbt_nodes: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.stages, self.dbt_nodes = max(stages, 1), dbt_nodes
        self.done = 0
        self.nodes = 0
        self.current = ""
        self.started: dict[str, float] = {}

    def listen(self, instance: Any) -> str:
        """Subscribe to the events of a new run on `instance`; returns the run id to execute with."""
        run_id = str(uuid.uuid4())
        instance.add_event_listener(run_id, self.on_event)
        return run_id

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self._bar()
        self.stream.flush()

    def _bar(self) -> None:
        if not self.tty or not self.current:
            return
        width = 30
        filled = int(width * self.done / self.stages)
        detail = f" {self.current}"
        if self.dbt_nodes and self.nodes and self.current == DBT_STEP:
            detail += f" ({min(self.nodes, self.dbt_nodes)}/{self.dbt_nodes} dbt nodes)"
        self.stream.write(f"\r\x1b[K[{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.stages} stages{detail}"[: shutil.get_terminal_size().columns - 1])
        self.stream.flush()

    def finish(self) -> None:
        """Clear the bar before the summary is printed."""
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def on_event(self, entry: Any) -> None:
        step = entry.step_key or ""
        event = entry.dagster_event
        if event is None:
            if entry.level >= logging.WARNING and step:
                self._line(f"  [{step}] {entry.user_message}")
            return
        kind = event.event_type_value
        now = time.monotonic()
        if kind == "STEP_START":
            self.started[step] = now
            self.current = step
            if self.tty:
                self._bar()
            else:
                self._line(f"- {step} ...")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.done += 1
            took = now - self.started.get(step, now)
            self._line(f"- {step} {'done' if kind == 'STEP_SUCCESS' else 'FAILED'} ({took:.1f} s)")
        elif kind == "STEP_SKIPPED":
            self.done += 1
            self._line(f"- {step} skipped")
        elif kind in ("ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION") and step == DBT_STEP:
            self.nodes += 1
            self._bar()


def _quiet(dbt_output: Path) -> contextlib.ExitStack:
    """While the job runs: dbt's console lines go to `dbt_output` (dbt's debug log stays where
    dagster-dbt puts it, target/consent_ledger_dbt-<id>/dbt.log), Dagster's own log records and
    its beta and preview warnings are not printed (the progress shows what a step logs at warning
    level and above). Close the returned stack to undo all of it."""
    stack = contextlib.ExitStack()
    dbt_output.parent.mkdir(parents=True, exist_ok=True)
    print(f"- dbt output goes to {dbt_output}", file=sys.stderr)
    handle = stack.enter_context(open(dbt_output, "w", encoding="utf-8"))  # noqa: SIM115 (the stack closes it)
    stack.enter_context(contextlib.redirect_stdout(_PlainFile(handle)))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    dagster_logger = logging.getLogger("dagster")
    previous = dagster_logger.propagate
    silent = logging.NullHandler()  # also keeps Python's last-resort handler from printing
    dagster_logger.addHandler(silent)
    dagster_logger.propagate = False
    stack.callback(dagster_logger.removeHandler, silent)
    stack.callback(setattr, dagster_logger, "propagate", previous)
    return stack


def _dbt_node_count() -> int:
    """Models, seeds, snapshots and data tests the nightly dbt build runs (for the progress bar)."""
    try:
        manifest = json.loads((paths.dbt_target() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(1 for node in manifest.get("nodes", {}).values()
               if node.get("resource_type") in ("model", "seed", "snapshot", "test"))


def _dbt_failures(working: Path) -> list[str]:
    """Rows stored by failing dbt tests configured with store_failures (e.g. unbalanced files)."""
    lines: list[str] = []
    if not working.exists():
        return lines
    try:
        with encryption.connect(working) as con:
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
    """Build, check and (only if every blocking check passes) publish; never raises on a blocked run.
    Runs under umask 077 (nothing it creates is readable by others until it is meant to be)."""
    previous_umask = os.umask(RUN_UMASK)
    try:
        return _run_nightly(landing, warehouse, as_of, full_refresh)
    finally:
        os.umask(previous_umask)


def _run_nightly(landing: Path, warehouse: Path, as_of: date, full_refresh: bool) -> RunOutcome:
    landing, warehouse = landing.resolve(), warehouse.resolve()
    file_mode()  # a bad CONSENT_LEDGER_FILE_MODE is a user error before anything runs, not a failed publish
    if encryption.encryption_key() is not None:
        try:
            encryption.crypto_extension()  # a key without DuckDB's crypto module: say so before building
        except encryption.EncryptionSetupError as error:
            raise RunError(str(error)) from None
    today = datetime.now(UTC).date()
    if as_of > today:
        raise RunError(f"--as-of {as_of.isoformat()} is in the future (today is {today.isoformat()}, UTC): "
                       "a run can only decide on what has already landed")
    if not landing.is_dir():
        raise RunError(f"landing folder {landing} does not exist (set --landing or CONSENT_LEDGER_LANDING)")
    if not any(files for _, _, files in os.walk(landing)):
        raise RunError(f"landing folder {landing} has no files under <source>/<yyyy-mm-dd>/")
    paths.use(paths.Settings.resolve(landing, warehouse))
    from orchestration.defs.dbt.resources import export_as_of

    export_as_of(as_of.isoformat())
    working = paths.working_db()
    for folder, what in ((warehouse.parent, "published warehouse"), (working.parent, "working database"),
                         (paths.reports_dir(), "run report"), (paths.exports_dir(), "tool exports")):
        _writable(folder, what)
    try:
        make_private(working.parent)  # raw lines and plain addresses: the service user only
    except OSError as error:
        raise RunEnvironmentError(f"cannot restrict {working.parent} to its owner: {error.strerror}") from None

    with warehouse_lock(warehouse):
        for leftover in remove_leftovers(warehouse, paths.exports_dir()):
            print(f"- removed {leftover.name}, left by a run that was stopped", file=sys.stderr)
        print(f"- run date {as_of.isoformat()}: loading the dbt project and Dagster ...", file=sys.stderr)
        _prepare_manifest()
        from orchestration.definitions import defs
        from orchestration.lib.instance import open_instance

        job = defs.resolve_job_def("nightly")
        progress = _Progress(stages=len(job.nodes), dbt_nodes=_dbt_node_count())
        quiet = _quiet(paths.reports_dir() / as_of.isoformat() / DBT_OUTPUT)
        try:
            with open_instance() as instance:  # shared with `make ui`: the run shows in its history
                result = job.execute_in_process(
                    partition_key=as_of.isoformat(),
                    instance=instance,
                    run_id=progress.listen(instance),
                    raise_on_error=False,
                    tags={"consent_ledger/full_refresh": str(full_refresh).lower()},
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                )
        finally:
            quiet.close()
            progress.finish()

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
    failed_steps = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                message = data.user_failure_data.description
            else:
                message = _root_cause(data.error) if data.error else "unknown error"
            failures.append(f"step {event.step_key} failed: {message}")
            if not _only_failed_tests(data):
                failed_steps.append(event.step_key)
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
        tonight=tonight_counts(working, as_of.isoformat()),
        checks=checks,
        failures=failures,
        data_docs=docs if docs.exists() else None,
        failed_steps=failed_steps,
    )
    publish_meta = next(
        (m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
         if m.asset_key.path == ["warehouse", "published"]),
        {},
    )
    outcome.publication_kind = _value(publish_meta.get("kind"))
    outcome.published_path = Path(_value(publish_meta["path"])) if publish_meta.get("path") else None
    sync = None
    if published and outcome.publication_kind != "backfill":
        from orchestration.features.suppression_sync import sync_counts

        sync = sync_counts(paths.exports_dir(), outcome.as_of)
    report_path = RunReport(
        as_of=outcome.as_of, published=published, warehouse=str(outcome.published_path or warehouse),
        counts=outcome.counts, publication_kind=outcome.publication_kind, sync=sync,
        checks=[{"name": c["name"], "asset": c["asset"], "passed": c["passed"],
                 "kind": "expectations" if "data_docs_page" in c["metadata"] else "dbt test",
                 "page": c["metadata"].get("data_docs_page") or None} for c in checks],
        blocked_by=failures, data_docs=str(docs) if docs.exists() else None,
        deferred_files=deferred, landing_incidents=incidents,
        charts=load_charts(working, outcome.as_of),
        validations=(load_validations(paths.reports_dir() / outcome.as_of, outcome.as_of)
                     if any("data_docs_page" in c["metadata"] for c in checks) else []),
    ).write(paths.reports_dir())
    outcome.report = report_path if report_path.exists() else None
    for shared in (paths.reports_dir() / outcome.as_of, paths.exports_dir() / outcome.as_of):
        share_tree(shared)  # CONSENT_LEDGER_FILE_MODE (default 0640)
    return outcome


TONIGHT_SQL = {
    "events_added": "select count(*) from consent.consent_events where cast(loaded_at as date) = $as_of",
    "contacts_touched": "select count(distinct contact_key) from consent.consent_events "
                        "where cast(loaded_at as date) = $as_of",
    "files_read": "select count(*) from audit.load_reconciliation where cast(loaded_at as date) = $as_of",
}
TONIGHT_REJECTS_SQL = """
    select reason, source_system, count(*) as n
    from audit.rejected_records
    where cast(loaded_at as date) = $as_of
    group by all
    order by n desc, reason, source_system
"""


def tonight_counts(database: Path, as_of: str) -> dict[str, Any]:
    """What this run date added, from the built database (`loaded_at` is the run date that first
    read a line or file), so the summary shows tonight's change beside the cumulative totals."""
    if not database.exists():
        return {}
    tonight: dict[str, Any] = {}
    try:
        with encryption.connect(database) as con:
            for name, sql in TONIGHT_SQL.items():
                try:
                    tonight[name] = int(con.execute(sql, {"as_of": as_of}).fetchone()[0])
                except duckdb.Error:
                    tonight[name] = None
            try:
                tonight["rejects"] = [
                    {"reason": r, "source": src, "count": int(n)}
                    for r, src, n in con.execute(TONIGHT_REJECTS_SQL, {"as_of": as_of}).fetchall()
                ]
            except duckdb.Error:
                tonight["rejects"] = None
    except duckdb.Error:
        return {}
    return tonight


def source_freshness(landing: Path, warehouse: Path) -> int:
    """Freshness of each landed source table: the age of its newest regular file against the
    warn_after / error_after its sources yml declares (read from the manifest the build parses).

    Not `dbt source freshness`: its read_blob() follows symbolic links (a link to a fresh file
    elsewhere would pass a stale source, a link to /etc would be read) and blocks on a pipe. The
    landing folder is walked with lstat like the nightly scan (orchestration.lib.landing): links
    and special files are never read, only counted. Prints one line per table; returns 0 when
    every table is fresh or only warned, 1 when one is past its error threshold (or has no file)."""
    from orchestration.lib.landing import freshness_rules, landing_freshness

    landing, warehouse = landing.resolve(), warehouse.resolve()
    if not landing.is_dir():
        raise RunError(f"landing folder {landing} does not exist (set --landing or CONSENT_LEDGER_LANDING)")
    paths.use(paths.Settings.resolve(landing, warehouse))
    _prepare_manifest()  # the thresholds as the build parses them (a no-op when nothing changed)
    manifest = json.loads((paths.dbt_target() / "manifest.json").read_text(encoding="utf-8"))
    results, never_read = landing_freshness(landing, freshness_rules(manifest))
    print(format_freshness(landing, results, never_read))
    return 1 if any(r.status == "error" for r in results) else 0


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} seconds"


def format_freshness(landing: Path, results: list[Any], never_read: dict[str, int]) -> str:
    """One line per source table, then the entries never read (by type, no names: a name can hold
    an address; the next run's `consent-ledger quarantine list` shows them masked)."""
    lines = [f"source freshness of {landing} (the newest regular file of each table):"]
    width = max((len(r.rule.name) for r in results), default=0)
    for r in results:
        age = "no file landed" if r.newest_age is None else f"newest {_duration(r.newest_age)} old"
        lines.append(f"  {r.status.upper():<5}  {r.rule.name:<{width}}  {r.files} file(s), {age} "
                     f"(warn after {_duration(r.rule.warn_after)}, error after {_duration(r.rule.error_after)})")
    if never_read:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(never_read.items()))
        lines.append(f"  not read: {sum(never_read.values())} link(s) or special file(s) ({kinds}); the next run "
                     "quarantines them (`consent-ledger quarantine list`)")
    return "\n".join(lines)


def _root_cause(error: Any) -> str:
    """The innermost error's first line (e.g. `IO Error: ... No space left on device`), not
    Dagster's wrapper ("Error occurred while executing op ...")."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line for line in (error.message or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else error.cls_name or "unknown error"


def _only_failed_tests(data: Any) -> bool:
    """A dbt step that failed only because dbt tests failed is the gate saying no; any model or
    test that errored (disk full, bad SQL) is a broken run."""
    failure = data.user_failure_data
    if failure is None:
        return False
    nodes = _value((failure.metadata or {}).get("failed_nodes")) or []
    return bool(nodes) and all(" (fail):" in str(node) for node in nodes)


def _value(metadata_value: Any) -> Any:
    return getattr(metadata_value, "value", metadata_value)


def _num(value: Any) -> str:
    return "?" if value is None else str(value)


def _sync_change(outcome: RunOutcome) -> str:
    """Suppressions added and lifted tonight: the sync step's own numbers (the same as its
    summary file and the run report), so every place agrees."""
    if not outcome.published or outcome.publication_kind == "backfill":
        return "(not synced)"
    from orchestration.features.suppression_sync import sync_counts

    sync = sync_counts(paths.exports_dir(), outcome.as_of) or {}
    if "addresses_added" not in sync:
        return "(not synced)"
    return f"{sync['addresses_added']} added, {sync.get('addresses_lifted', 0)} lifted"


def _reject_lines(rejects: list[dict[str, Any]] | None, limit: int = 8) -> list[str]:
    if not rejects:
        return [] if rejects is None else ["  rejected        none tonight"]
    total = sum(r["count"] for r in rejects)
    lines = [f"  rejected        {total} tonight, by reason and source:"]
    lines += [f"    {r['count']:>7}  {r['reason']} ({r['source']})" for r in rejects[:limit]]
    if len(rejects) > limit:
        rest = sum(r["count"] for r in rejects[limit:])
        lines.append(f"    {rest:>7}  in {len(rejects) - limit} other reason/source pairs (audit.rejected_records)")
    return lines


def format_summary(outcome: RunOutcome) -> str:
    c, t = outcome.counts, outcome.tonight
    passed = sum(1 for x in outcome.checks if x["passed"])
    lines = [
        "",
        f"Consent Ledger run as of {outcome.as_of}",
        f"  files           {c.get('files', '?')} ({c.get('files_quarantined', 0)} quarantined, "
        f"{c.get('files_deferred', 0)} deferred to the next run)",
        f"  lines read      {c.get('lines_read', '?')}: accepted {c.get('lines_accepted', '?')}, "
        f"rejected {c.get('lines_rejected', '?')}, duplicates {c.get('lines_duplicate', '?')}, "
        f"ignored {c.get('lines_ignored', '?')}",
        "  (ignored: valid lines without a consent change, e.g. unchanged snapshot repeats; docs/glossary.md)",
        "",
        f"  {'':<16}{'tonight':<24}{'in all':>8}",
        f"  {'events':<16}{_num(t.get('events_added')) + ' added':<24}{_num(c.get('events')):>8}",
        f"  {'contacts':<16}{_num(t.get('contacts_touched')) + ' touched':<24}{_num(c.get('contacts')):>8}",
        f"  {'suppressions':<16}{_sync_change(outcome):<24}{_num(c.get('suppressions')):>8}",
        "  (suppressions tonight: addresses added to and lifted from the tool sync files)",
        *_reject_lines(t.get("rejects")),
        f"  checks          {passed} of {len(outcome.checks)} passed"
        + ("" if not outcome.failed_steps else
           f"; INCOMPLETE: step {', '.join(outcome.failed_steps)} failed, so not every check ran"),
    ]
    if outcome.report:
        lines.append(f"  run report      {outcome.report.with_suffix('.html')} (and .md)")
    if outcome.data_docs:
        lines.append(f"  data docs       {outcome.data_docs}")
    if outcome.published and outcome.publication_kind == "backfill":
        lines.append(f"  published       {outcome.published_path} (backfill snapshot; the latest "
                     f"{outcome.warehouse} was not replaced; no tool files or outbox)")
    elif outcome.published:
        lines.append(f"  published       {outcome.warehouse}"
                     + (f" ({outcome.publication_kind})" if outcome.publication_kind else ""))
        exports = paths.exports_dir() / outcome.as_of
        if exports.exists():
            lines.append(f"  tool exports    {exports}")
        if outcome.failed_steps:
            lines.append("  BUT A LATER STEP FAILED:")
            lines += [f"  - {f}" for f in outcome.failures]
    else:
        lines.append(f"  NOT PUBLISHED: {outcome.warehouse} keeps its previous state")
        lines += [f"  - {f}" for f in outcome.failures]
    return "\n".join(lines)
