"""Issue 9, parse once: staging models are incremental by file. A night parses only the file
versions the model has not staged yet, and the staging table still equals a full refresh (a file
re-read with new content, one whose new version has no readable line, one whose extract date the
run date reaches later)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from tests.conftest import dbt_build

SELECT = "+stg_webforms__submissions"
TABLE = "staging.stg_webforms__submissions"


def _line(submission_id: str, day: str) -> str:
    return json.dumps({
        "submission_id": submission_id, "submitted_at": f"{day}T09:00:00Z", "email": f"{submission_id}@example.com",
        "form_id": "newsletter-footer", "country": "FR", "gpc": False, "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": "newsletter", "channel": "email", "granted": True, "prechecked": False}]})


def _land(landing: Path, day: str, name: str, lines: list[str]) -> None:
    path = landing / "webforms" / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line.encode("utf-8") + b"\n" for line in lines))


def _build(landing: Path, database: Path, as_of: str, full_refresh: bool = False) -> None:
    result = dbt_build(landing, database, as_of, select=SELECT, exclude="resource_type:test resource_type:unit_test",
                       full_refresh=full_refresh)
    assert result.returncode == 0, result.stdout[-3000:]


def _rows(database: Path) -> list[tuple]:
    # loaded_at is the run date a line was first read: it differs from a full refresh on purpose
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select * exclude (loaded_at) from {TABLE} order by file_name, line_number").fetchall()


def test_a_night_parses_only_files_it_has_not_staged(tmp_path: Path) -> None:
    """A staged line is not parsed again the next night: a marker written into the stored row of
    an unchanged file survives the second run (a full rebuild would erase it), while the new
    file's lines are staged."""
    landing, database = tmp_path / "landing", tmp_path / "work" / "work.duckdb"
    database.parent.mkdir()
    _land(landing, "2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02")])
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database)) as con:
        con.execute(f"update {TABLE} set form_id = 'staged-once'")
    _land(landing, "2026-03-03", "submissions_001.jsonl", [_line("s-2", "2026-03-03")])
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select submission_id, form_id from {TABLE} order by all").fetchall()
    assert rows == [("s-1", "staged-once"), ("s-2", "newsletter-footer")]


def test_incremental_staging_equals_a_full_refresh(tmp_path: Path) -> None:
    """Night by night: a new file; a file replaced with new content; a file replaced by one with no
    readable line (its old rows must go); a file dated after the run date, staged only once the run
    date reaches it. Each night the staging table is the one a full refresh builds."""
    landing, database = tmp_path / "landing", tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    nights: list[tuple[str, list[tuple[str, str, list[str]]]]] = [
        ("2026-03-03", [("2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02")]),
                        ("2026-03-02", "submissions_002.jsonl", [_line("s-2", "2026-03-02")]),
                        ("2026-03-05", "submissions_001.jsonl", [_line("s-5", "2026-03-05")])]),
        ("2026-03-03", [("2026-03-02", "submissions_001.jsonl",
                         [_line("s-1", "2026-03-02"), _line("s-1b", "2026-03-02")])]),
        ("2026-03-04", [("2026-03-02", "submissions_002.jsonl", ['{"submission_id": "s-2", "submission_id": "s-3"}'])]),
        ("2026-03-06", [("2026-03-06", "submissions_001.jsonl", [_line("s-6", "2026-03-06")])]),
    ]
    for night, (as_of, files) in enumerate(nights):
        for day, name, lines in files:
            _land(landing, day, name, lines)
        _build(landing, database, as_of)
        full = tmp_path / f"full{night}" / "work.duckdb"
        full.parent.mkdir()
        _build(landing, full, as_of, full_refresh=True)
        assert _rows(database) == _rows(full), f"night {night} ({as_of})"
        shutil.rmtree(full.parent)
    with duckdb.connect(str(database), read_only=True) as con:
        staged = con.execute(f"select submission_id from {TABLE} order by all").fetchall()
    assert staged == [("s-1",), ("s-1b",), ("s-5",), ("s-6",)]
