"""Principle 5: landing files are read once, incrementally, and the result equals a full refresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.conftest import FIXTURES, dbt_build

AS_OF = "2026-03-10"


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in ('consent', 'audit') order by all", [catalog]).fetchall()


def test_incremental_runs_equal_a_full_refresh(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "core" / "landing", landing)
    later = tmp_path / "later_requests"
    shutil.move(landing / "requests", later)

    incremental = tmp_path / "incremental" / "work.duckdb"
    incremental.parent.mkdir()
    assert dbt_build(landing, incremental, AS_OF).returncode == 0
    shutil.move(later, landing / "requests")  # the next extract lands
    second = dbt_build(landing, incremental, AS_OF)
    assert second.returncode == 0, second.stdout[-3000:]

    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, AS_OF, full_refresh=True).returncode == 0

    with duckdb.connect() as con:
        con.execute("attach ? as inc (read_only)", [str(incremental)])
        con.execute("attach ? as ful (read_only)", [str(full)])
        tables = published_tables(con, "inc")
        assert tables == published_tables(con, "ful")
        assert len(tables) == 12
        erasures = con.execute("select count(*) from inc.consent.consent_events where action = 'erasure'").fetchone()
        # dan's erasure and gus's (honoured despite an impossible received_at)
        assert erasures == (2,), "the second increment was read"
        for schema, table in tables:
            for a, b in (("inc", "ful"), ("ful", "inc")):
                extra = con.execute(
                    f'select count(*) from (select * from {a}.{schema}."{table}" '
                    f'except all select * from {b}.{schema}."{table}")').fetchone()[0]
                assert extra == 0, f"{schema}.{table}: {extra} rows in {a} not in {b}"
