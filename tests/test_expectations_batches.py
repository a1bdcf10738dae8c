"""The Great Expectations gate reads its tables in bounded batches: no batch holds more than the
configured rows, every batch is validated, and a bad row in a late batch (or a duplicate spanning two
batches) still fails the gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations import runner
from expectations.suites import SUITES

EVENTS = next(spec for spec in SUITES if spec.name == "consent_events_complete")
AS_OF = date(2026, 3, 10)
ROWS = 1000
BATCH = 100


def _events_db(path: Path, bad_action_at: int | None = None, duplicate_of: tuple[int, int] | None = None) -> Path:
    """A working database holding only consent.consent_events, ROWS valid events."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema consent")
        con.execute(f"""
            create table consent.consent_events as
            select
                'e' || i as event_id, 'c' || (i % 50) as contact_key,
                timestamp '2026-03-01 10:00:00' + to_seconds(i) as occurred_at,
                'hubspot' as source_system, 'opt_in' as action,
                'hubspot/2026-03-01/x.jsonl' as file_name, i as line_number
            from range(1, {ROWS} + 1) as t(i)
        """)
        if bad_action_at is not None:
            con.execute("update consent.consent_events set action = 'bogus' where line_number = ?", [bad_action_at])
        if duplicate_of is not None:
            first, second = duplicate_of
            con.execute("update consent.consent_events set event_id = 'e' || ? where line_number = ?",
                        [first, second])
    return path


@pytest.fixture
def frames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every frame the gate hands to Great Expectations."""
    sizes: list[int] = []
    batches = runner._batches

    def spy(con: Any, query: str, size: int) -> Any:
        for frame in batches(con, query, size):
            sizes.append(len(frame))
            yield frame

    monkeypatch.setattr(runner, "_batches", spy)
    return sizes


def test_clean_table_passes_in_bounded_batches(tmp_path: Path, frames: list[int]) -> None:
    [result] = runner.run_suites([EVENTS], _events_db(tmp_path / "w.duckdb"), AS_OF, batch_size=BATCH)
    assert result.success, [f.describe() for f in result.failures]
    assert result.rows == ROWS
    assert len(frames) == ROWS // BATCH and max(frames) <= BATCH


def test_bad_row_in_last_batch_fails_the_gate(tmp_path: Path, frames: list[int]) -> None:
    database = _events_db(tmp_path / "w.duckdb", bad_action_at=ROWS - 3)
    [result] = runner.run_suites([EVENTS], database, AS_OF, docs_dir=tmp_path / "docs", batch_size=BATCH)
    assert not result.success
    assert max(frames) <= BATCH and len(frames) >= 2
    [failure] = result.failures
    assert (failure.column, failure.unexpected_count, failure.examples) == ("action", 1, ["bogus"])
    assert result.example_rows and result.example_rows[0]["action"] == "bogus"
    # the stored (and documented) result is the merged one: one bad row out of every row read
    [outcome] = [o for o in result.expectations if o["column"] == "action" and not o["success"]]
    assert outcome["unexpected_count"] == 1
    assert (tmp_path / "docs" / "index.html").exists()


def test_duplicate_event_id_across_batches_fails_the_gate(tmp_path: Path, frames: list[int]) -> None:
    database = _events_db(tmp_path / "w.duckdb", duplicate_of=(5, ROWS - 5))
    [result] = runner.run_suites([EVENTS], database, AS_OF, batch_size=BATCH)
    assert not result.success
    assert [f.column for f in result.failures] == ["event_id_repeated"]
    assert result.failures[0].unexpected_count == 2


def test_empty_table_is_validated(tmp_path: Path, frames: list[int]) -> None:
    database = _events_db(tmp_path / "w.duckdb")
    with duckdb.connect(str(database)) as con:
        con.execute("delete from consent.consent_events")
    [result] = runner.run_suites([EVENTS], database, AS_OF, batch_size=BATCH)
    assert result.success and result.rows == 0 and frames == [0]


def test_batch_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runner.BATCH_ROWS_ENV, "1234")
    assert runner.batch_rows() == 1234
    monkeypatch.setenv(runner.BATCH_ROWS_ENV, "many")
    assert runner.batch_rows() == runner.DEFAULT_BATCH_ROWS


def test_data_docs_describe_every_batch(tmp_path: Path, frames: list[int]) -> None:
    """The stored result is the merge of all batches: a bad row in the first batch is on the suite's
    Data Docs page although the last batch validated clean."""
    database = _events_db(tmp_path / "w.duckdb", bad_action_at=3)
    [result] = runner.run_suites([EVENTS], database, AS_OF, docs_dir=tmp_path / "docs", batch_size=BATCH)
    assert not result.success and len(frames) == ROWS // BATCH
    assert result.docs_page is not None and "bogus" in result.docs_page.read_text()
