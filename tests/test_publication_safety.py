"""Publication is gated and atomic: blocked runs, readers during a run, killed runs, overlapping runs."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.main import EXIT_BLOCKED, EXIT_BUSY, EXIT_OK, EXIT_RUN_FAILED, EXIT_USER_ERROR
from orchestration.lib.warehouse import connect_published
from tests.conftest import FIXTURES, REPO

AS_OF = "2026-03-10"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=1800)


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


# Each test here is a whole nightly run of its own on a restored first run: spread over the pytest
# workers, each worker makes its own first run (tests/conftest.py) rather than one worker doing all.
# The first run is a session fixture, so a worker makes it once: as a module fixture it was torn
# down (and run again, ~80 s) each time the worker ran another module's test between two of these.
SPREAD_OVER_WORKERS = True


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def site_env(root: Path) -> dict[str, str]:
    """The CLI's environment for a site under `root` (landing, warehouse, reports, exports)."""
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(root / "landing"),
           "CONSENT_LEDGER_WAREHOUSE": str(root / "warehouse" / "ledger.duckdb"),
           "CONSENT_LEDGER_REPORTS": str(root / "reports"), "CONSENT_LEDGER_EXPORTS": str(root / "exports"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("CONSENT_LEDGER_FILE_MODE", None)
    return env


@pytest.fixture(scope="session")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One first run of the nightly_rules landing, kept as a template: every test of this module
    starts from a copy of it at the same absolute path (the working database remembers the landing
    paths it read), so each test sees exactly what a fresh first run leaves, for one build."""
    root = tmp_path_factory.mktemp("publication_site")
    live = root / "site"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", live / "landing")
    first = cli("run", "--as-of", AS_OF, env=site_env(live))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    shutil.copytree(live, root / "template", symlinks=True)
    return root


def restore(first_run: Path) -> dict:
    """A landing copy, a published warehouse built from it, and the environment for the CLI: the
    module's first run restored (modes and times kept), whatever the previous test did to it."""
    live = first_run / "site"
    shutil.rmtree(live)
    shutil.copytree(first_run / "template", live, symlinks=True)
    return {"landing": live / "landing", "warehouse": live / "warehouse" / "ledger.duckdb",
            "env": site_env(live), "root": live}


@pytest.fixture
def site(first_run: Path) -> dict:
    """The module's first run, restored for this test (`restore`)."""
    return restore(first_run)


def events_in(warehouse: Path) -> int:
    with connect_published(warehouse) as con:
        return con.execute("select count(*) from consent.consent_events").fetchone()[0]


def add_submission(landing: Path, day: str, submission_id: str) -> None:
    folder = landing / "webforms" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "submissions_001.jsonl").write_text(
        f'{{"submission_id": "{submission_id}", "submitted_at": "{day}T08:00:00Z", "email": "new@example.com", '
        '"form_id": "footer", "country": "US", "kind": "signup", "policy_version": "3.0", '
        '"consents": [{"purpose": "newsletter", "channel": "email", "granted": true}]}\n')


def test_corrupted_decision_blocks_publication_and_keeps_the_old_file(site: dict) -> None:
    """A can_contact grant whose evidence lost its notice version is caught by the GX gate."""
    os.environ.update({k: v for k, v in site["env"].items() if k.startswith("CONSENT_LEDGER")})
    from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job, in_process_executor

    from orchestration.defs.dbt.assets import consent_ledger_dbt
    from orchestration.defs.dbt.resources import dbt_resource, export_environment
    from orchestration.defs.gate.checks import CHECK_SPECS, audit_trail_expectations
    from orchestration.defs.partitions import DAILY
    from orchestration.defs.publish.assets import PUBLISHED_WAREHOUSE, published_warehouse
    from orchestration.lib import paths

    export_environment()
    gate = define_asset_job(
        "gate_and_publish",
        selection=AssetSelection.assets(PUBLISHED_WAREHOUSE) | AssetSelection.checks(*[s.key for s in CHECK_SPECS]),
        partitions_def=DAILY, executor_def=in_process_executor)
    job = Definitions(assets=[consent_ledger_dbt, published_warehouse], asset_checks=[audit_trail_expectations],
                      jobs=[gate], resources={"dbt": dbt_resource()}).resolve_job_def("gate_and_publish")

    def gate_run() -> tuple[dict[str, bool], bool]:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(partition_key=AS_OF, instance=instance, raise_on_error=False)
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        published = any(m.asset_key == PUBLISHED_WAREHOUSE for m in result.get_asset_materialization_events())
        return checks, published

    # the untouched working database passes and publishes
    checks, published = gate_run()
    assert all(checks.values()) and published

    before = digest(site["warehouse"])
    with duckdb.connect(str(paths.working_db())) as con:
        con.execute("update consent.consent_events set policy_version = null where event_id in "
                    "(select evidence_event_id from consent.consent_status where can_contact and regime = 'opt_in')")
    checks, published = gate_run()
    assert checks["opt_in_contact_rests_on_proof"] is False
    assert not published
    assert digest(site["warehouse"]) == before


def test_unreadable_landing_file_blocks_publication(site: dict) -> None:
    before = digest(site["warehouse"])
    folder = site["landing"] / "webforms" / "2026-03-06"
    folder.mkdir()
    (folder / "submissions_001.jsonl").write_bytes(gzip.compress(b'{"submission_id": "s-z"}\n'))
    result = cli("run", "--as-of", AS_OF, env=site["env"])
    assert result.returncode == EXIT_BLOCKED  # the gate said no: not a crash, not a user error
    assert "NOT PUBLISHED" in result.stdout
    assert "all_files_balance" in result.stdout
    assert "webforms/2026-03-06/submissions_001.jsonl" in result.stdout
    assert "compressed_gzip" in result.stdout
    assert "To unblock: remove each file, or replace it" in result.stdout  # says exactly how
    assert digest(site["warehouse"]) == before
    report = (site["root"] / "reports" / AS_OF / "run_report.md").read_text()
    assert "NOT published" in report


# The next two tests share one second night (`overlapping_runs`): a run with a reader open on the
# published file throughout and a second run started while the first holds the lock. They run in
# one worker (the group below), so that night is run once for both.
OVERLAPPING = pytest.mark.xdist_group("publication_safety_overlapping_runs")


@pytest.fixture(scope="module")
def overlapping_runs(first_run: Path) -> dict:
    """On the restored first run, with one new submission landed: a reader opens the published file,
    a run starts, a second run is started once the first holds the warehouse lock, then the first
    finishes. What each saw is kept (the site itself is restored again by the next test)."""
    site = restore(first_run)
    add_submission(site["landing"], "2026-03-07", "s-new-1")
    reader = connect_published(site["warehouse"])
    try:
        before = reader.execute("select count(*) from consent.consent_events").fetchone()[0]
        first = start_cli("run", "--as-of", AS_OF, env=site["env"])
        lock = site["warehouse"].parent / f".{site['warehouse'].name}.lock"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
            time.sleep(0.2)
        second = cli("run", "--as-of", AS_OF, env=site["env"])
        out, _ = first.communicate(timeout=900)
        # the open reader, after the run: the state it opened
        reader_after = reader.execute("select count(*) from consent.consent_events").fetchone()[0]
        reader_unbalanced = reader.execute(
            "select count(*) from audit.load_reconciliation where not is_balanced").fetchone()[0]
    finally:
        reader.close()
    return {"before": before, "first": first, "first_output": out, "second": second,
            "reader_after": reader_after, "reader_unbalanced": reader_unbalanced,
            "events_after": events_in(site["warehouse"])}


@OVERLAPPING
def test_reader_keeps_a_consistent_view_through_a_run(overlapping_runs: dict) -> None:
    """Shares its run with the concurrent-run test (`overlapping_runs`)."""
    runs = overlapping_runs
    assert runs["first"].returncode == 0, runs["first_output"][-3000:]
    # the open reader still sees the state it opened; a new reader sees the new one
    assert runs["reader_after"] == runs["before"]
    assert runs["reader_unbalanced"] == 0
    assert runs["events_after"] == runs["before"] + 1


def test_run_killed_mid_build_leaves_the_published_file_and_the_next_run_succeeds(site: dict) -> None:
    add_submission(site["landing"], "2026-03-07", "s-new-2")
    before = digest(site["warehouse"])
    dbt_output = site["root"] / "reports" / AS_OF / "dbt_output.log"
    dbt_output.unlink(missing_ok=True)  # the first run's
    process = start_cli("run", "--as-of", AS_OF, env=site["env"])
    deadline = time.monotonic() + 300
    seen = ""
    while time.monotonic() < deadline and process.poll() is None:
        seen = dbt_output.read_text() if dbt_output.exists() else ""
        if "sql table model" in seen:  # dbt is writing the working database
            break
        time.sleep(0.05)
    assert "sql table model" in seen, seen[-3000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert digest(site["warehouse"]) == before
    assert events_in(site["warehouse"]) > 0  # still a valid, readable database
    result = cli("run", "--as-of", AS_OF, env=site["env"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert digest(site["warehouse"]) != before


@OVERLAPPING
def test_second_concurrent_run_is_refused_and_corrupts_nothing(overlapping_runs: dict) -> None:
    """Shares its runs with the reader test (`overlapping_runs`)."""
    second, first = overlapping_runs["second"], overlapping_runs["first"]
    assert second.returncode == EXIT_BUSY
    assert "another Consent Ledger run" in second.stderr
    assert first.returncode == 0, overlapping_runs["first_output"][-3000:]
    assert overlapping_runs["events_after"] > 0


LEFTOVER_PATTERNS = (".*.publishing", ".*.publishing.wal", ".*.tmp-*")


def leftovers(site: dict) -> list[Path]:
    found = []
    for root in (site["warehouse"].parent, site["root"] / "exports"):
        for pattern in LEFTOVER_PATTERNS:
            found += list(root.rglob(pattern))
    return found


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def assert_clean_exit(result: subprocess.CompletedProcess[str]) -> None:
    """A foreseeable failure: no traceback, and never a summary claiming every check passed."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out[-3000:]
    for line in result.stdout.splitlines():
        if line.strip().startswith("checks") and "INCOMPLETE" not in line:
            passed, total = line.split()[1], line.split()[3]
            assert passed != total or result.returncode == EXIT_OK, line


def test_files_are_readable_by_whom_they_are_meant_for(site: dict) -> None:
    """The working store is the service user's only; what people read gets 0640 by default."""
    work = site["warehouse"].parent / "work"
    assert mode(work) == 0o700
    assert [p for p in work.iterdir() if p.is_file()] and all(mode(p) == 0o600 for p in work.iterdir() if p.is_file())
    assert mode(site["warehouse"]) == 0o640
    shared = [p for root in (site["root"] / "exports" / AS_OF, site["root"] / "reports" / AS_OF)
              for p in root.rglob("*") if p.is_file()]
    assert shared and {mode(p) for p in shared} == {0o640}, {str(p): oct(mode(p)) for p in shared}
    assert not [p for p in (site["root"] / "exports").rglob("*") if p.is_dir() and mode(p) & 0o007]


def test_foreseeable_errors_have_their_exit_code_and_no_traceback(tmp_path: Path) -> None:
    """Refused before anything is built (no published file is needed to see it)."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing),
           "CONSENT_LEDGER_WAREHOUSE": str(tmp_path / "warehouse" / "consent.duckdb"),
           "CONSENT_LEDGER_REPORTS": str(tmp_path / "reports"), "CONSENT_LEDGER_EXPORTS": str(tmp_path / "exports")}
    env.pop("CONSENT_LEDGER_FILE_MODE", None)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = cli("run", "--as-of", tomorrow, env=env)
    assert future.returncode == EXIT_USER_ERROR and "in the future" in future.stderr
    assert_clean_exit(future)
    missing = cli("run", "--as-of", AS_OF, "--landing", str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == EXIT_USER_ERROR and "does not exist" in missing.stderr
    assert_clean_exit(missing)
    bad_mode = cli("run", "--as-of", AS_OF, env={**env, "CONSENT_LEDGER_FILE_MODE": "rw-r"})
    assert bad_mode.returncode == EXIT_USER_ERROR and "CONSENT_LEDGER_FILE_MODE" in bad_mode.stderr
    assert_clean_exit(bad_mode)
    assert not (tmp_path / "warehouse" / "consent.duckdb").exists()


def _run_until(site: dict, ready: Callable[[str], bool], delay: float = 0.0) -> str:
    """Start a run and SIGKILL its whole process group as soon as `ready(output so far)` holds
    (checked every 20 ms; output is drained by a thread so the run never blocks on the pipe)."""
    process = start_cli("run", "--as-of", AS_OF, env=site["env"])
    output: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 900
    fired = False
    while time.monotonic() < deadline and process.poll() is None:
        if ready("".join(output)):
            time.sleep(delay)
            os.killpg(process.pid, signal.SIGKILL)
            fired = True
            break
        time.sleep(0.02)
    process.wait(timeout=60)
    reader.join(timeout=10)
    assert fired, "".join(output)[-3000:]
    return "".join(output)


def test_runs_killed_in_the_gate_and_in_publish_leave_no_trace(site: dict) -> None:
    """kill -9 while the Great Expectations gate runs, then while publishing: the published file
    is never half-written, and the next run removes what the killed runs left and publishes."""
    add_submission(site["landing"], "2026-03-07", "s-kill-gate")
    before = digest(site["warehouse"])
    # the Great Expectations gate has started (the run's progress line; it takes seconds)
    _run_until(site, lambda out: "- audit_trail_expectations ..." in out, delay=0.5)
    assert digest(site["warehouse"]) == before
    assert events_in(site["warehouse"]) > 0

    # the half-written copy beside the published file exists: publish() is copying tables
    folder, name = site["warehouse"].parent, site["warehouse"].name
    _run_until(site, lambda _: any(folder.glob(f".{name}.*.publishing")))
    # killed just as publish started: the old file, or (if the rename won the race) a complete new one
    assert events_in(site["warehouse"]) > 0
    # what a kill inside publish() leaves: a half-written copy, its WAL, a half-written export
    stale = [site["warehouse"].parent / f".{site['warehouse'].name}.4242.publishing",
             site["warehouse"].parent / f".{site['warehouse'].name}.4242.publishing.wal",
             site["root"] / "exports" / AS_OF / "hubspot" / ".hubspot_opt_out_full.csv.tmp-4242"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")

    env = {**site["env"], "CONSENT_LEDGER_FILE_MODE": "0600"}
    result = cli("run", "--as-of", AS_OF, env=env)
    assert result.returncode == EXIT_OK, result.stdout[-3000:] + result.stderr[-3000:]
    assert not leftovers(site), leftovers(site)
    assert "removed" in result.stderr
    assert digest(site["warehouse"]) != before
    assert mode(site["warehouse"]) == 0o600  # CONSENT_LEDGER_FILE_MODE applies


def _mount_tmpfs(target: Path, options: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small file system")
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {result.stderr.strip()}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


def test_full_disk_fails_clearly_and_publishes_nothing(tmp_path: Path) -> None:
    """The warehouse on a 1 MB file system: the working database cannot grow. The run fails with
    its exit code and a clear message, never a traceback or "all checks passed"."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    small = tmp_path / "small"
    _mount_tmpfs(small, "size=1m")
    try:
        env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing),
               "CONSENT_LEDGER_WAREHOUSE": str(small / "consent.duckdb"),
               "CONSENT_LEDGER_REPORTS": str(tmp_path / "reports"), "CONSENT_LEDGER_EXPORTS": str(tmp_path / "exports")}
        result = cli("run", "--as-of", AS_OF, env=env)
        assert result.returncode == EXIT_RUN_FAILED, result.stdout[-3000:] + result.stderr[-3000:]
        assert_clean_exit(result)
        out = result.stdout + result.stderr
        assert "NOT PUBLISHED" in out or "nothing was published" in out
        assert "no space left" in out.lower(), out[-3000:]
        assert not (small / "consent.duckdb").exists()
    finally:
        _umount(small)


def test_read_only_warehouse_fails_clearly(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    frozen = tmp_path / "frozen"
    _mount_tmpfs(frozen, "ro,size=1m")
    try:
        env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing),
               "CONSENT_LEDGER_WAREHOUSE": str(frozen / "consent.duckdb"),
               "CONSENT_LEDGER_REPORTS": str(tmp_path / "reports"), "CONSENT_LEDGER_EXPORTS": str(tmp_path / "exports")}
        result = cli("run", "--as-of", AS_OF, env=env)
        assert result.returncode == EXIT_RUN_FAILED, result.stdout[-3000:] + result.stderr[-3000:]
        assert_clean_exit(result)
        assert "read-only" in result.stderr.lower()
    finally:
        _umount(frozen)
