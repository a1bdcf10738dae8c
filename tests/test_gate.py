"""The Great Expectations gate on a real build: it passes on what dbt built, and it blocks an
audience row for a cell a standing suppression blocks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations.runner import run_suites
from expectations.suites import SUITES
from tests.conftest import FIXTURES

LANDING = FIXTURES / "landing" / "marketing_ops"
AS_OF = "2026-11-28"
OVERLAP = next(spec for spec in SUITES if spec.name == "audience_excludes_suppressed")


@pytest.fixture(scope="module")
def built(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def test_every_suite_passes_on_a_clean_build(built: Path) -> None:
    results = run_suites(SUITES, built, date.fromisoformat(AS_OF))
    assert [r.suite for r in results if not r.success] == []


def test_an_audience_row_a_suppression_reaches_blocks_the_gate(built: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy2(built, tampered)
    with duckdb.connect(str(tampered)) as con:
        # a global opt-out in force blocks every cell of its contact
        cell = con.execute("""
            select s.contact_key, c.purpose, c.channel
            from consent.suppression_list as s
            inner join consent.consent_status as c on c.contact_key = s.contact_key
            where s.scope = 'global' and s.reason <> 'sale_opt_out'
            order by all
            limit 1
        """).fetchone()
        assert cell is not None, "the fixture has no global suppression"
        con.execute("""
            insert into consent.marketable_audience (contact_key, email, purpose, channel, lawful_basis, regime)
            values (?, 'planted@example.com', ?, ?, 'consent', 'opt_in')
        """, list(cell))
    [result] = run_suites([OVERLAP], tampered, date.fromisoformat(AS_OF))
    assert not result.success


def test_the_gate_reads_which_cells_a_suppression_reaches_from_dbt() -> None:
    """The scope rule lives once (macro consent_event_cells, int_suppression_list__cells): the
    check joins those cells and restates no scope of its own."""
    assert "int_suppression_list__cells" in OVERLAP.query
    assert "scope" not in OVERLAP.query and "is_sale_or_sharing" not in OVERLAP.query


def plant(built: Path, tmp_path: Path, contact_sql: str, purpose_sql: str) -> bool:
    """Copy the build, add the audience row for the first cell the queries pick, run the check."""
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy2(built, tampered)
    with duckdb.connect(str(tampered)) as con:
        cell = con.execute(f"""
            select c.contact_key, c.purpose, c.channel
            from consent.consent_status as c
            inner join reference.consent_purposes as p on p.purpose = c.purpose
            where c.contact_key in ({contact_sql}) and {purpose_sql}
            order by all
            limit 1
        """).fetchone()
        assert cell is not None, "the fixture has no such cell"
        con.execute("""
            insert into consent.marketable_audience (contact_key, email, purpose, channel, lawful_basis, regime)
            values (?, 'planted@example.com', ?, ?, 'consent', 'opt_in')
        """, list(cell))
    [result] = run_suites([OVERLAP], tampered, date.fromisoformat(AS_OF))
    return result.success


SALE_ONLY = ("select contact_key from consent.suppression_list group by contact_key "
             "having bool_and(reason = 'sale_opt_out')")
PURPOSE_ONLY = ("select contact_key from consent.suppression_list group by contact_key "
                "having bool_and(scope = 'purpose' and reason = 'purpose_opt_out') and count(*) = 1")


def test_a_sale_opt_out_reaches_only_sale_or_sharing_purposes(built: Path, tmp_path: Path) -> None:
    assert not plant(built, tmp_path, SALE_ONLY, "p.is_sale_or_sharing")
    assert plant(built, tmp_path, SALE_ONLY, "not p.is_sale_or_sharing")


def test_a_purpose_opt_out_reaches_only_its_purpose(built: Path, tmp_path: Path) -> None:
    reached = ("exists (select 1 from consent.suppression_list as s where s.contact_key = c.contact_key "
               "and s.purpose = c.purpose and coalesce(s.channel, c.channel) = c.channel)")
    assert not plant(built, tmp_path, PURPOSE_ONLY, reached)
    assert plant(built, tmp_path, PURPOSE_ONLY, f"not ({reached})")
