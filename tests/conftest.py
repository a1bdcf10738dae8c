"""Shared pytest fixtures: build the dbt project over a landing folder into a temporary DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.lib.warehouse import connect_published

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Files a test writes are seconds old; the nightly job defers files younger than the settle time
# (default 60 s) to the next run. Tests of the settle time itself set it explicitly.
os.environ.setdefault("CONSENT_LEDGER_SETTLE_SECONDS", "0")


def dbt_build(landing: Path, database: Path, as_of: str, select: str | None = None,
              full_refresh: bool = False, published: Path | None = None,
              exclude: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `dbt build` as a subprocess on its own database, target and log folders, for the run date
    `as_of` passed as the nightly job does (CONSENT_LEDGER_AS_OF, not a dbt var); `published` is the
    last published file (withdrawal_sla reads it)."""
    work = database.parent
    env = {
        **os.environ,
        "CONSENT_LEDGER_LANDING": str(landing.resolve()),
        "CONSENT_LEDGER_WORKING_DB": str(database.resolve()),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "CONSENT_LEDGER_AS_OF": as_of,
    }
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "build", "--profiles-dir", str(REPO), "--project-dir", str(REPO)]
    if published:
        cmd += ["--vars", json.dumps({"published_db": str(published)})]
    if select:
        cmd += ["--select", select]
    if exclude:
        cmd += ["--exclude", exclude]
    if full_refresh:
        cmd.append("--full-refresh")
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a landing folder once per (folder, as_of) in a session; returns the database path."""
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


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query against a built database, opened read-only."""
    with connect_published(database) as con:
        return con.execute(sql, params or []).fetchall()
