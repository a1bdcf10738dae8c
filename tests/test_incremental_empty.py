"""Issue 9: a night with nothing new costs little more than the gate and publish.

On a night when nothing landed, the incremental models after the union must find that nothing
changed by reading keys only (file, line, outcome, event id, content hash, watermarks): the cost
of that check follows the number of rows, but a scan that reads a line's payload (raw text, the
event's fields, the line's error) may only run for files that changed. The queries are run on a
store built from a fixture, with DuckDB's profiler, and every scan is checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, REPO, dbt_build, dbt_env, in_slot
from tests.test_incremental import assert_same_published

AS_OF = "2026-03-10"
GENERATED_END = "2026-03-09"
TESTS = "resource_type:test resource_type:unit_test"
MODELS = ("int_consent_events__deduplicated", "int_landing_lines__classified")
INPUTS = ("int_consent_events__unioned", "base_landing__lines", "int_consent_events__deduplicated",
          "int_landing_lines__classified")
# what tells whether a file changed: reading these for every row is the nightly check itself
KEYS = frozenset({"file_name", "line_number", "element_index", "outcome", "reason", "event_id",
                  "content_sha256", "extract_date", "written_at", "outcomes_written_at"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store built from a generated history, and the compiled SQL of the next (empty) night."""
    root = tmp_path_factory.mktemp("empty_night")
    landing = root / "landing"
    # generated, not a hand-written fixture: which side of a join the engine hashes follows the
    # tables' sizes, and only with many lines per file is the plan the one a real store gets
    generated = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "generate", "--out", str(landing), "--contacts", "300",
         "--days", "3", "--seed", "11", "--end-date", GENERATED_END],
        cwd=REPO, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert generated.returncode == 0, generated.stderr[-3000:]
    database = root / "store" / "work.duckdb"  # catalog `work`, as in the slot the SQL is compiled in
    database.parent.mkdir()
    result = dbt_build(landing, database, AS_OF, exclude=TESTS)
    assert result.returncode == 0, result.stdout[-3000:]
    dbt = Path(sys.executable).with_name("dbt")
    with in_slot(database) as slot:
        env = dbt_env(landing, slot, AS_OF)
        compiled = subprocess.run(
            [str(dbt), "compile", "--select", *MODELS, "--profiles-dir", str(REPO), "--project-dir", str(REPO)],
            cwd=REPO, env=env, capture_output=True, text=True, check=False)
        target = Path(env["DBT_TARGET_PATH"])
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    sql_folder = root / "compiled"
    shutil.copytree(target / "compiled" / "consent_ledger" / "models" / "intermediate" / "consent", sql_folder)
    return database, sql_folder


def scans(node: dict) -> list[dict]:
    found = [node] if node.get("type") == "TABLE_SCAN" else []
    for child in node.get("children", []):
        found += scans(child)
    return found


def table_scans(database: Path, sql: str, profile: Path) -> list[tuple[str, set[str], int]]:
    """Each table scan of `sql` run on `database` (DuckDB's JSON profile): the table, the columns it
    projected and the rows it read."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        con.execute(sql).fetchall()
        con.execute("pragma disable_profiling")
    found = []
    for operator in json.loads(profile.read_text())["operator"]:
        for scan in scans(operator):
            info = scan.get("extra_info", {})
            projections = info.get("Projections", [])
            columns = projections if isinstance(projections, list) else projections.split(",")
            found.append((str(info.get("Table", "")).split(".")[-1], {c.strip() for c in columns},
                          scan.get("rows_scanned", 0)))
    return found


def payload_scans(database: Path, sql: str, profile: Path) -> list[str]:
    """Each scan of an input table that read rows and a column beyond the keys."""
    return [f"{table}: {rows} rows of {sorted(columns - KEYS)}"
            for table, columns, rows in table_scans(database, sql, profile)
            if table in INPUTS and columns - KEYS and rows > 0]


@pytest.mark.parametrize("model", MODELS)
def test_an_empty_night_reads_no_payload(built: tuple[Path, Path], model: str, tmp_path: Path) -> None:
    database, sql_folder = built
    sql = (sql_folder / f"{model}.sql").read_text()
    assert "work" in sql
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute(f"select count(*) from ({sql})").fetchone()[0] == 0, "nothing landed: nothing rewritten"
    assert payload_scans(database, sql, tmp_path / "profile.json") == []


def test_a_file_name_with_a_quote_is_judged_on_the_night_it_lands(tmp_path: Path) -> None:
    """The changed files reach the incremental queries as quoted constants (value_in): a landed
    file whose name holds a quote lands on a later night and gives the tables a full refresh gives."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    quoted = landing / "webforms" / "2026-03-04" / "submissions_o'brien.jsonl"
    later = tmp_path / "later.jsonl"
    shutil.move(landing / "webforms" / "2026-03-04" / "submissions_002.jsonl", later)
    incremental = tmp_path / "incremental" / "work.duckdb"
    incremental.parent.mkdir()
    assert dbt_build(landing, incremental, AS_OF, exclude=TESTS).returncode == 0
    shutil.move(later, quoted)  # lands the next night, under a name with a quote
    second = dbt_build(landing, incremental, AS_OF, exclude=TESTS)
    assert second.returncode == 0, second.stdout[-3000:]
    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, AS_OF, exclude=TESTS, full_refresh=True).returncode == 0
    assert_same_published(incremental, full)
    with duckdb.connect(str(incremental), read_only=True) as con:
        assert con.execute("select count(*) from intermediate.int_landing_lines__classified "
                           "where file_name like '%o''brien%'").fetchone()[0] > 0


def materialized_ctes(plan: list[dict]) -> dict[str, list[str]]:
    """The CTEs DuckDB holds whole in this plan, each with the columns its definition projects."""
    held: dict[str, list[str]] = {}
    pending = list(plan)
    while pending:
        node = pending.pop()
        if node.get("name") == "CTE":
            # the definition's output columns: its first operator that lists projections (a
            # filter passes its input's columns through)
            definition = node.get("children", [{}])[0]
            while "Projections" not in definition.get("extra_info", {}) and definition.get("children"):
                definition = definition["children"][0]
            projections = definition.get("extra_info", {}).get("Projections", [])
            held[node.get("extra_info", {}).get("CTE Name")] = (
                projections.split("\n") if isinstance(projections, str) else list(projections))
        pending.extend(node.get("children", []))
    return held


def test_a_full_refresh_streams_the_landed_lines_once(built: tuple[Path, Path]) -> None:
    """No model's full refresh holds the landed lines' text in a materialized CTE: DuckDB
    materializes a CTE read twice, and one that carries every line's text is the whole landing
    held at once. At 10M events base_landing__lines spilled 20 GB that way, the address index
    (int_landing_lines__mentions) 20 GB and ran 561 s, and every CSV staging model (its header
    lines were read from the same CTE as its records) gigabytes more."""
    database, _ = built
    dbt = Path(sys.executable).with_name("dbt")
    with in_slot(database) as slot:
        env = dbt_env(database.parent, slot, AS_OF)
        compiled = subprocess.run(
            [str(dbt), "compile", "--select", "resource_type:model", "--full-refresh",
             "--profiles-dir", str(REPO), "--project-dir", str(REPO)],
            cwd=REPO, env=env, capture_output=True, text=True, check=False)
        models = Path(env["DBT_TARGET_PATH"]) / "compiled" / "consent_ledger" / "models"
        sql_files = {path.stem: path.read_text() for path in models.rglob("*.sql")}
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    assert "base_landing__scan" in sql_files["base_landing__lines"]
    held_text = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for name, sql in sql_files.items():
            plan = json.loads(con.execute(f"explain (format json) {sql}").fetchall()[-1][1])
            for cte, columns in materialized_ctes(plan).items():
                if "raw_text" in columns:
                    held_text[f"{name}.{cte}"] = columns
    # the models that read the landed lines, so the check is not vacuous
    assert {"base_landing__lines", "int_landing_lines__mentions", "stg_sends__sends",
            "stg_salesforce__contacts", "stg_marketo__leads"} <= set(sql_files)
    assert held_text == {}, held_text
