"""Issue 9, map once: the mapping models of line-local sources are incremental by file, and the
union writes only the files whose outcomes changed (per-file count and fingerprint). A night maps
only the files staged since the last run; a file re-read with new content, a file mapped under
other rules (a deploy that changed the model's SQL or a seed it reads) is mapped again; the
mapping table and the union still equal a full refresh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import REPO, dbt_build, dbt_env, in_slot

MAPPED = "intermediate.int_webforms_events__mapped"
UNIONED = "intermediate.int_consent_events__unioned"
EXCLUDE = "resource_type:test resource_type:unit_test"


def _line(submission_id: str, day: str, purpose: str = "newsletter") -> str:
    return json.dumps({
        "submission_id": submission_id, "submitted_at": f"{day}T09:00:00Z", "email": f"{submission_id}@example.com",
        "form_id": "newsletter-footer", "country": "FR", "gpc": False, "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": purpose, "channel": "email", "granted": True, "prechecked": False}]})


def _land(landing: Path, day: str, name: str, lines: list[str]) -> None:
    path = landing / "webforms" / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line.encode("utf-8") + b"\n" for line in lines))


def _build(landing: Path, database: Path, as_of: str, select: str = "+int_webforms_events__mapped",
           full_refresh: bool = False) -> None:
    result = dbt_build(landing, database, as_of, select=select, exclude=EXCLUDE, full_refresh=full_refresh)
    assert result.returncode == 0, result.stdout[-3000:]


def _rows(database: Path, table: str, extra: str = "") -> list[tuple]:
    # loaded_at is the run date a line was first read: it differs from a full refresh on purpose
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"select * exclude (loaded_at{extra}) from {table} order by file_name, line_number, element_index"
        ).fetchall()


def test_a_night_maps_only_files_it_has_not_mapped(tmp_path: Path) -> None:
    """A mapped line is not mapped again the next night: a marker written into the stored row of
    an unchanged file survives the second run (a full rebuild would erase it), while the new
    file's lines are mapped."""
    landing, database = tmp_path / "landing", tmp_path / "work" / "work.duckdb"
    _land(landing, "2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02")])
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database)) as con:
        con.execute(f"update {MAPPED} set capture_point = 'mapped-once'")
    _land(landing, "2026-03-03", "submissions_001.jsonl", [_line("s-2", "2026-03-03")])
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select source_record_id, capture_point from {MAPPED} order by all").fetchall()
    assert rows == [("s-1", "mapped-once"), ("s-2", "newsletter-footer")]


def test_rows_mapped_under_other_rules_are_mapped_again(tmp_path: Path) -> None:
    """A deploy that changes the mapping's rules: rows whose mapping_rules fingerprint is not
    tonight's are mapped again (here the stored rows pretend to come from an older model)."""
    landing, database = tmp_path / "landing", tmp_path / "work" / "work.duckdb"
    _land(landing, "2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02")])
    _land(landing, "2026-03-03", "submissions_001.jsonl", [_line("s-2", "2026-03-03")])
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database)) as con:
        con.execute(f"update {MAPPED} set capture_point = 'old rules', mapping_rules = 'an older model'"
                    " where source_record_id = 's-1'")
        con.execute(f"update {MAPPED} set capture_point = 'current rules' where source_record_id = 's-2'")
    _build(landing, database, "2026-03-10")
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select source_record_id, capture_point from {MAPPED} order by all").fetchall()
        rules = con.execute(f"select count(distinct mapping_rules) from {MAPPED}").fetchone()
    assert rows == [("s-1", "newsletter-footer"), ("s-2", "current rules")]
    assert rules == (1,)


def test_incremental_mapping_and_union_equal_a_full_refresh(tmp_path: Path) -> None:
    """Night by night: new files; a file re-read with new content (another purpose, one line
    more); a file replaced by one with no readable line (its outcomes must leave the mapping and
    the union); an event dated after the run date, let in by a later run date with nothing new
    landed. Each night the mapping table and the union are the ones a full refresh builds."""
    landing, database = tmp_path / "landing", tmp_path / "incremental" / "work.duckdb"
    nights: list[tuple[str, list[tuple[str, str, list[str]]]]] = [
        ("2026-03-03", [("2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02")]),
                        ("2026-03-02", "submissions_002.jsonl", [_line("s-2", "2026-03-02")]),
                        ("2026-03-03", "submissions_003.jsonl", [_line("s-3", "2026-03-05")])]),
        ("2026-03-03", [("2026-03-02", "submissions_001.jsonl",
                         [_line("s-1", "2026-03-02", "research"), _line("s-1b", "2026-03-02")])]),
        ("2026-03-04", [("2026-03-02", "submissions_002.jsonl", ['{"submission_id": "s-2", "submission_id": "s-3"}'])]),
        ("2026-03-06", []),
    ]
    select = "+int_consent_events__unioned"
    for night, (as_of, files) in enumerate(nights):
        for day, name, lines in files:
            _land(landing, day, name, lines)
        _build(landing, database, as_of, select)
        full = tmp_path / f"full{night}" / "work.duckdb"
        _build(landing, full, as_of, select, full_refresh=True)
        assert _rows(database, MAPPED) == _rows(full, MAPPED), f"mapping, night {night} ({as_of})"
        assert _rows(database, UNIONED) == _rows(full, UNIONED), f"union, night {night} ({as_of})"
        shutil.rmtree(full.parent)
    with duckdb.connect(str(database), read_only=True) as con:
        outcomes = con.execute(
            f"select source_record_id, purpose, outcome, reason from {UNIONED} order by all").fetchall()
    assert outcomes == [("s-1", "research", "event", None), ("s-1b", "newsletter", "event", None),
                        ("s-3", "newsletter", "event", None)]


def _project_copy(root: Path) -> Path:
    """The dbt project (models, macros, seeds, data tests) in a folder of its own, so a test can
    change a seed as a deploy would without touching the repository."""
    project = root / "project"
    for name in ("models", "macros", "seeds", "data-tests"):
        shutil.copytree(REPO / name, project / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO / name, project / name)
    return project


def _build_project(project: Path, landing: Path, database: Path, as_of: str, full_refresh: bool = False) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    database.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(dbt), "build", "--profiles-dir", str(project), "--project-dir", str(project),
           "--select", "+int_webforms_events__mapped", "--exclude", *EXCLUDE.split()]
    if full_refresh:
        cmd.append("--full-refresh")
    # on the slot's database path (tests/conftest.py), so the three builds of a test share one profile
    # and the project copy's target parses partially after the first
    with in_slot(database) as slot:
        env = {**dbt_env(landing, slot, as_of), "DBT_TARGET_PATH": str(project / "target"),
               "DBT_LOG_PATH": str(project / "logs"), "PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO))}
        result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_seed_change_remaps_files_mapped_before(tmp_path: Path) -> None:
    """A deploy that changes source_scope_map (research stops being a mapped purpose) maps every
    file again: the file mapped the night before now holds an unmapped_scope rejection, as a
    full refresh under the new seed has it."""
    project, landing = _project_copy(tmp_path), tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    _land(landing, "2026-03-02", "submissions_001.jsonl", [_line("s-1", "2026-03-02", "research")])
    _build_project(project, landing, database, "2026-03-10")
    with duckdb.connect(str(database), read_only=True) as con:
        before = con.execute(f"select outcome, reason from {MAPPED}").fetchall()
    assert before == [("event", None)]
    seed = project / "seeds" / "source_scope_map.csv"
    seed.write_text("".join(line for line in seed.read_text().splitlines(keepends=True)
                            if not line.startswith("webforms,purpose,research,")))
    _build_project(project, landing, database, "2026-03-10")
    full = tmp_path / "full" / "work.duckdb"
    _build_project(project, landing, full, "2026-03-10", full_refresh=True)
    with duckdb.connect(str(database), read_only=True) as con:
        after = con.execute(f"select outcome, reason from {MAPPED}").fetchall()
    assert after == [("rejected", "unmapped_scope")]
    assert _rows(database, MAPPED) == _rows(full, MAPPED)
