"""Where the published file and its outputs live (no dbt build: fast)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib import paths
from orchestration.lib.publish import PUBLISHED_SCHEMAS, snapshot_path


def test_the_default_file_name_differs_from_every_schema(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_WAREHOUSE", raising=False)
    monkeypatch.setattr(paths, "LEGACY_WAREHOUSE", tmp_path / "none.duckdb")
    published = paths.published_db()
    assert published.name == "ledger.duckdb"
    assert published.stem not in PUBLISHED_SCHEMAS
    # and so the natural way of opening it resolves consent.* (the old name made it ambiguous)
    file = tmp_path / published.name
    with duckdb.connect(str(file)) as con:
        con.execute("create schema consent; create table consent.suppression_list as select 1 as x")
    with duckdb.connect(str(file), read_only=True) as con:
        assert con.execute("select count(*) from consent.suppression_list").fetchone() == (1,)


def test_a_warehouse_at_the_old_default_name_is_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    legacy, current = tmp_path / "warehouse" / "consent.duckdb", tmp_path / "warehouse" / "ledger.duckdb"
    (tmp_path / "warehouse" / "work").mkdir(parents=True)
    legacy.write_bytes(b"published")
    paths.working_db(legacy).write_bytes(b"working")
    monkeypatch.delenv("CONSENT_LEDGER_WAREHOUSE", raising=False)
    monkeypatch.setattr(paths, "LEGACY_WAREHOUSE", legacy)
    monkeypatch.setattr(paths, "DEFAULT_WAREHOUSE", current)
    monkeypatch.setattr(paths.adopt_legacy_warehouse, "__defaults__", (legacy, current))
    assert paths.published_db() == current
    assert current.read_bytes() == b"published" and not legacy.exists()
    assert paths.working_db(current).read_bytes() == b"working"
    # never over an existing warehouse
    legacy.write_bytes(b"older")
    assert paths.adopt_legacy_warehouse(legacy, current) is False
    assert current.read_bytes() == b"published"


def test_outputs_live_beside_the_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_EXPORTS", raising=False)
    monkeypatch.delenv("CONSENT_LEDGER_REPORTS", raising=False)
    monkeypatch.setenv("CONSENT_LEDGER_WAREHOUSE", str(tmp_path / "test" / "ledger.duckdb"))
    assert paths.exports_dir() == tmp_path / "test" / "exports"
    assert paths.reports_dir() == tmp_path / "test" / "reports"
    monkeypatch.setenv("CONSENT_LEDGER_EXPORTS", str(tmp_path / "x"))
    monkeypatch.setenv("CONSENT_LEDGER_REPORTS", str(tmp_path / "y"))
    assert (paths.exports_dir(), paths.reports_dir()) == (tmp_path / "x", tmp_path / "y")


def test_a_backfill_snapshot_sits_beside_the_warehouse(tmp_path: Path) -> None:
    snapshot = snapshot_path(tmp_path / "ledger.duckdb", "2026-09-01")
    assert snapshot == tmp_path / "ledger_as_of_2026-09-01.duckdb"


def test_every_variable_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for variable in ("CONSENT_LEDGER_LANDING", "CONSENT_LEDGER_WAREHOUSE", "CONSENT_LEDGER_EXPORTS",
                     "CONSENT_LEDGER_REPORTS"):
        assert f"`{variable}`" in readme, variable
