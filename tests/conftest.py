"""Shared pytest fixtures: build the dbt project over a landing folder into a temporary DuckDB, once
per session, and share the result read-only (tests that change a warehouse work on a copy).

The dbt unit tests check the SQL, not a fixture's data: they run once, in tests/test_dbt_unit_tests.py
(`make unit` runs them alone), never inside these builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestration.features.segment_export import ExportError
from orchestration.features.suppression_sync import write_outboxes, write_suppression_sync
from orchestration.lib.publish import publish
from orchestration.lib.warehouse import connect_published

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
LANDING = FIXTURES / "landing"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Files a test writes are seconds old; the nightly job defers files younger than the settle time
# (default 60 s) to the next run. Tests of the settle time itself set it explicitly.
os.environ.setdefault("CONSENT_LEDGER_SETTLE_SECONDS", "0")

UNIT_TESTS = "resource_type:unit_test"


def dbt_env(landing: Path, database: Path, as_of: str) -> dict[str, str]:
    """The environment the nightly job gives dbt: its own database, target and log folders."""
    work = database.parent
    return {
        **{k: v for k, v in os.environ.items() if k != "CONSENT_LEDGER_PUBLISHED_DB"},
        "CONSENT_LEDGER_LANDING": str(landing.resolve()),
        "CONSENT_LEDGER_WORKING_DB": str(database.resolve()),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "CONSENT_LEDGER_AS_OF": as_of,
    }


# dbt re-parses the whole project (seconds of CPU) when the profile changes, and the profile holds
# the database path. Every build of this test process therefore runs on one fixed path, its slot,
# with one target folder kept between builds: the database is moved into the slot for the build
# and back out after it, so each test still owns its file and the next build's parse is partial.
# One slot per process, so pytest-xdist workers never share one.
SLOT = Path(tempfile.gettempdir()) / f"consent-ledger-tests-{os.getpid()}"


@contextmanager
def in_slot(database: Path) -> Iterator[Path]:
    """The slot's database path, holding `database` (if it exists) for the duration."""
    slot = SLOT / "work.duckdb"
    SLOT.mkdir(parents=True, exist_ok=True)
    pairs = [(Path(f"{database}{suffix}"), Path(f"{slot}{suffix}")) for suffix in ("", ".wal")]
    for _, parked in pairs:
        parked.unlink(missing_ok=True)
    for own, parked in pairs:
        if own.exists():
            shutil.move(own, parked)
    try:
        yield slot
    finally:
        database.parent.mkdir(parents=True, exist_ok=True)
        for own, parked in pairs:
            if parked.exists():
                shutil.move(parked, own)
        shutil.rmtree(Path(f"{slot}.tmp"), ignore_errors=True)


def dbt_build(landing: Path, database: Path, as_of: str, select: str | None = None,
              full_refresh: bool = False, published: Path | None = None,
              exclude: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `dbt build` (seeds, models, data tests; never the unit tests, which check the SQL and run
    once per suite) as a subprocess on `database` (built in this process's slot, see SLOT), for the
    run date `as_of` passed as the nightly job does (CONSENT_LEDGER_AS_OF, not a dbt var);
    `published` is the last published file (withdrawal_sla reads it); `env` adds settings."""
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "build", "--profiles-dir", str(REPO), "--project-dir", str(REPO)]
    if select:
        cmd += ["--select", select]
    excluded = exclude.split() if exclude else []
    cmd += ["--exclude", *dict.fromkeys([*excluded, UNIT_TESTS])]
    if full_refresh:
        cmd.append("--full-refresh")
    with in_slot(database) as slot:
        env = {**dbt_env(landing, slot, as_of), **(env or {})}
        if published:  # as the nightly job passes it: read at execution, so the parse stays partial
            env["CONSENT_LEDGER_PUBLISHED_DB"] = str(published)
        return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)


# The nightly job's own dbt target (saved parse, manifest) for every CLI run of this process: runs
# in two workers at once must not rewrite one target/ folder. Set, not defaulted: pytest-xdist
# workers inherit the controller's environment, so a default would hand every worker the
# controller's folder.
DBT_TARGET_ENV = "CONSENT_LEDGER_DBT_TARGET"
os.environ[DBT_TARGET_ENV] = str(SLOT / "cli-target")


@pytest.fixture(scope="session")
def parsed_project() -> None:
    """orchestration.definitions reads the manifest in this process's dbt target when it is
    imported: parse first, as every run does (a test that imports it must not depend on another
    test's CLI run having parsed in the same worker)."""
    from orchestration.cli.run import _prepare_manifest

    _prepare_manifest()


def pytest_sessionfinish() -> None:
    """The slot goes in every process, the xdist controller's too (it runs no fixture)."""
    shutil.rmtree(SLOT, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks (else no group)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (`make test` runs `-n auto --dist loadgroup`), tests that share a built
    warehouse run in one worker, so it is built once there: the users of ops_history, then those of
    nightly_run, then those of one build_warehouse build (a module that builds one names its landing
    folder LANDING and run date AS_OF), then the tests of a module with a module fixture of ours,
    unless the module sets SPREAD_OVER_WORKERS (each worker then builds that fixture itself: worth
    it when the module's own tests cost more than the fixture). Other tests go wherever a worker is
    free."""
    for item in items:
        fixtures = item._fixtureinfo.name2fixturedefs
        ours = {name: defs[-1].scope for name, defs in fixtures.items()
                if defs and defs[-1].baseid.startswith("tests")}
        module = item.module
        if "ops_history" in ours or "nightly_run" in ours:
            group = "ops_history" if "ops_history" in ours else "nightly_run"
        elif "build_warehouse" in ours and hasattr(module, "LANDING") and hasattr(module, "AS_OF"):
            group = f"{Path(module.LANDING).name}@{module.AS_OF}"
        elif any(scope == "module" for scope in ours.values()) and not getattr(module, "SPREAD_OVER_WORKERS", False):
            group = module.__name__
        else:
            continue
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a landing folder once per (folder, as_of) in a session; returns the database path.
    Read it only (`query`)."""
    built: dict[tuple[str, str], Path] = {}

    def build(landing: Path, as_of: str) -> Path:
        key = (str(landing), as_of)
        if key not in built:
            work = tmp_path_factory.mktemp("dbt")
            database = work / "work.duckdb"
            result = dbt_build(landing, database, as_of)
            assert result.returncode == 0, result.stdout[-6000:]
            built[key] = database
        return built[key]

    return build


def cli_env(**settings: str) -> dict[str, str]:
    """The environment of a CLI run that takes only its own settings: another test module may have
    left CONSENT_LEDGER_* (or a Dagster home) in os.environ. This process's dbt target stays."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CONSENT_LEDGER_") and k not in ("DAGSTER_HOME", "DBT_TARGET_PATH")}
    env[DBT_TARGET_ENV] = os.environ[DBT_TARGET_ENV]
    return {**env, "CONSENT_LEDGER_SETTLE_SECONDS": "0", **settings}


NIGHTLY_LANDING = LANDING / "nightly_rules"
NIGHTLY_AS_OF = "2026-03-10"


@pytest.fixture(scope="session")
def nightly_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One `consent-ledger run` of the nightly_rules landing fixture for 2026-03-10, shared read-only
    by every test that asserts on a plain nightly run (summary, statuses, report, run history):
    the warehouse (ledger.duckdb; reports/, dagster/ and work/ beside it) and the CLI's output."""
    warehouse = tmp_path_factory.mktemp("nightly_run") / "warehouse" / "ledger.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--landing", str(NIGHTLY_LANDING),
         "--warehouse", str(warehouse), "--as-of", NIGHTLY_AS_OF],
        cwd=REPO, env=cli_env(), capture_output=True, text=True, check=False, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return warehouse, result


OPS_LANDING = LANDING / "marketing_ops"
OPS_STEPS = (("nightly1", "2026-11-22"), ("nightly2", "2026-11-28"), ("nightly3", "2026-11-29"),
             ("backfill", "2026-11-22"), ("rerun", "2026-11-29"))


def land_until(source: Path, landing: Path, as_of: str) -> None:
    """Copy a fixture's day folders up to as_of into the landing (later days have not landed)."""
    for day in sorted(source.glob("*/*")):
        target = landing / day.parent.name / day.name
        if day.name <= as_of and not target.exists():
            shutil.copytree(day, target)


def csv_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.csv"))}


@pytest.fixture(scope="session")
def ops_history(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Five publishes of one warehouse built from the marketing_ops landing as it grows day by day
    (OPS_STEPS: three nightly runs, a backfill of the first date, a rerun of the last), each followed
    by what the nightly job runs after dbt: publish, then the tool files and outboxes. Shared
    read-only by test_backfill.py (all five) and test_sync.py (the first two nightly publishes):
    states[step] holds the run date, a copy of the latest published file after it, the file it
    published and the exports written so far."""
    root = tmp_path_factory.mktemp("ops_history")
    landing, database = root / "landing", root / "work" / "work.duckdb"
    warehouse, exports = root / "warehouse" / "ledger.duckdb", root / "warehouse" / "exports"
    states: dict[str, dict] = {}
    for step, as_of in OPS_STEPS:
        land_until(OPS_LANDING, landing, max(as_of, "2026-11-29") if step in ("backfill", "rerun") else as_of)
        result = dbt_build(landing, database, as_of, published=warehouse if warehouse.exists() else None)
        assert result.returncode == 0, result.stdout[-6000:]
        publication = publish(database, warehouse)
        try:
            write_suppression_sync(warehouse, as_of, exports)
            write_outboxes(warehouse, as_of, exports)
        except ExportError:
            pass  # the latest warehouse is for another date: nothing for the tools
        copy = root / "states" / f"{step}.duckdb"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(warehouse, copy)
        states[step] = {"as_of": as_of, "latest": copy, "published": publication.path, "exports": csv_tree(exports)}
    return {"states": states, "warehouse": warehouse, "exports": exports, "root": root}


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query against a built database, opened read-only."""
    with connect_published(database) as con:
        return con.execute(sql, params or []).fetchall()
