"""Publication is gated and atomic: blocked runs, readers during a run, killed runs, overlapping runs."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.warehouse import connect_published
from tests.conftest import FIXTURES, REPO

AS_OF = "2026-03-10"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=900)


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def site(tmp_path: Path) -> dict:
    """A landing copy, a published warehouse built from it, and the environment for the CLI."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "core" / "landing", landing)
    warehouse = tmp_path / "warehouse" / "ledger.duckdb"
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing), "CONSENT_LEDGER_WAREHOUSE": str(warehouse),
           "CONSENT_LEDGER_REPORTS": str(tmp_path / "reports"), "PYTHONUNBUFFERED": "1"}
    first = cli("run", "--as-of", AS_OF, env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return {"landing": landing, "warehouse": warehouse, "env": env, "root": tmp_path}


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

    from orchestration import paths
    from orchestration.assets import PUBLISHED_WAREHOUSE, published_warehouse
    from orchestration.checks import CHECK_SPECS, audit_trail_expectations
    from orchestration.dbt_assets import consent_ledger_dbt
    from orchestration.partitions import DAILY
    from orchestration.resources import dbt_resource, export_environment

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
    assert result.returncode == 1
    assert "NOT PUBLISHED" in result.stdout
    assert "all_files_balance" in result.stdout
    assert "webforms/2026-03-06/submissions_001.jsonl" in result.stdout
    assert "compressed_gzip" in result.stdout
    assert digest(site["warehouse"]) == before
    report = (site["root"] / "reports" / AS_OF / "run_report.md").read_text()
    assert "NOT published" in report


def test_reader_keeps_a_consistent_view_through_a_run(site: dict) -> None:
    add_submission(site["landing"], "2026-03-07", "s-new-1")
    reader = connect_published(site["warehouse"])
    before = reader.execute("select count(*) from consent.consent_events").fetchone()[0]
    result = cli("run", "--as-of", AS_OF, env=site["env"])
    assert result.returncode == 0, result.stdout[-3000:]
    # the open reader still sees the state it opened; a new reader sees the new one
    assert reader.execute("select count(*) from consent.consent_events").fetchone()[0] == before
    assert reader.execute("select count(*) from audit.load_reconciliation where not is_balanced").fetchone()[0] == 0
    reader.close()
    assert events_in(site["warehouse"]) == before + 1


def test_run_killed_mid_build_leaves_the_published_file_and_the_next_run_succeeds(site: dict) -> None:
    add_submission(site["landing"], "2026-03-07", "s-new-2")
    before = digest(site["warehouse"])
    process = start_cli("run", "--as-of", AS_OF, env=site["env"])
    deadline = time.monotonic() + 300
    seen = ""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen += line
        if "sql table model" in line:  # dbt is writing the working database
            break
    assert "sql table model" in seen, seen[-3000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert digest(site["warehouse"]) == before
    assert events_in(site["warehouse"]) > 0  # still a valid, readable database
    result = cli("run", "--as-of", AS_OF, env=site["env"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert digest(site["warehouse"]) != before


def test_second_concurrent_run_is_refused_and_corrupts_nothing(site: dict) -> None:
    add_submission(site["landing"], "2026-03-07", "s-new-3")
    first = start_cli("run", "--as-of", AS_OF, env=site["env"])
    lock = site["warehouse"].parent / f".{site['warehouse'].name}.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.2)
    second = cli("run", "--as-of", AS_OF, env=site["env"])
    out, _ = first.communicate(timeout=900)
    assert second.returncode == 2
    assert "another Consent Ledger run" in second.stderr
    assert first.returncode == 0, out[-3000:]
    assert events_in(site["warehouse"]) > 0
