"""The working-store purge costs what the new day costs (issue 9) and keeps issue 11's guarantees.

A small landing (the nightly_rules fixture and one person, Dana Purge, who is erased) is built with
dbt, then purged with the macro the nightly job runs (macros/purge.sql). Who a line names is found
once, when the line lands (int_landing_lines__mentions); the purge is a key join. These tests pin:
a line that names the person only through a JSON escape is purged everywhere; a second purge
touches nothing; the next night's purge touches only the new night's lines and the index reads
only the new file; a table rebuilt from the landing is purged again; a stale declaration stops
the purge; the compaction leaves no purged byte in the file; a file whose name holds her address
loses its path (kept only in base_landing__scan) and stays known by its path_key.

What is shared: night one is built once (module fixture `night_one`); each test purges its own copy
of that file. Every build and purge runs in this process's slot (tests/conftest.py `in_slot`), so
dbt parses the whole project once, not once per purge.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from tests.conftest import NIGHTLY_LANDING, REPO, dbt_build, dbt_env, in_slot
from tests.expected import key

AS_OF, NEXT_NIGHT = "2026-03-10", "2026-03-11"
ADDRESS = "dana.purge@example.com"
# the address in the spellings the regular expression knows, and one it can only see decoded
SPELLINGS = (ADDRESS, "dana.purge%40example.com", "dana.purge\\u0040example.com")
JSON_ONLY = "dana\\u002epurge\\u0040example.com"  # `\u002e` in the local part: plain only once decoded
NEW_FILE = f"webforms/{NEXT_NIGHT}/submissions_001.jsonl"
NAMED_FILE = f"webforms/2026-03-05/submissions_{ADDRESS}.jsonl"  # her address in a file's name only


def submission(submission_id: str, email: str, form_id: str | None, page_url: str) -> str:
    return json.dumps({
        "submission_id": submission_id, "submitted_at": "2026-03-05T08:00:00Z", "email": email,
        "form_id": form_id, "page_url": page_url, "country": "US", "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": "newsletter", "channel": "email", "granted": True, "prechecked": False}],
    })


def land_first_night(landing: Path) -> None:
    shutil.copytree(NIGHTLY_LANDING, landing)
    forms = landing / "webforms" / "2026-03-05"
    forms.mkdir(parents=True)
    lines = [
        submission("purge-1", ADDRESS, "newsletter", "https://example.com/signup"),
        # a bystander's submission naming Dana only in its page URL, JSON-escaped past the pattern
        submission("purge-2", "bystander.one@example.org", "footer", "https://example.com/x").replace(
            "https://example.com/x", f"https://example.com/ref?friend={JSON_ONLY}"),
        submission("purge-3", "bystander.two@example.org", "footer", "https://example.com/pricing"),
    ]
    (forms / "submissions_001.jsonl").write_text("\n".join(lines) + "\n")
    (landing / NAMED_FILE).write_text(
        submission("purge-6", "bystander.five@example.org", "footer", "https://example.com/") + "\n")
    requests = landing / "requests" / "2026-03-06"
    (requests / "privacy_requests_purge.jsonl").write_text(json.dumps(
        {"request_id": "purge-dsr-1", "received_at": "2026-03-06T09:00:00Z", "email": ADDRESS,
         "type": "erasure"}) + "\n")


def land_next_night(landing: Path) -> None:
    forms = landing / "webforms" / NEXT_NIGHT
    forms.mkdir(parents=True)
    (forms / "submissions_001.jsonl").write_text("\n".join([
        submission("purge-4", "bystander.three@example.org", None, "https://example.com/?ref=dana.purge%40example.com"),
        submission("purge-5", "bystander.four@example.org", "footer", "https://example.com/pricing"),
    ]) + "\n")


def build(landing: Path, database: Path, as_of: str, *args: str) -> None:
    result = dbt_build(landing, database, as_of, *args)
    assert result.returncode == 0, result.stdout[-4000:]


def purge(landing: Path, database: Path, as_of: str) -> dict[str, int]:
    """Run the purge as orchestration/defs/publish/erasure.py does; rows purged per relation."""
    return {relation: rows for relation, (rows, _) in purge_counts(landing, database, as_of).items()}


def run_purge(landing: Path, database: Path, as_of: str, run_id: str) -> subprocess.CompletedProcess[str]:
    """`dbt run-operation purge_erased_personal_data` on `database`, in this process's slot like
    every dbt_build (tests/conftest.py: one profile and target, so dbt parses partially)."""
    dbt = Path(sys.executable).with_name("dbt")
    with in_slot(database) as slot:
        return subprocess.run(
            [str(dbt), "run-operation", "purge_erased_personal_data", "--args", json.dumps({"run_id": run_id}),
             "--profiles-dir", str(REPO), "--project-dir", str(REPO)],
            cwd=REPO, env=dbt_env(landing, slot, as_of), capture_output=True, text=True, check=False)


def purge_counts(landing: Path, database: Path, as_of: str) -> dict[str, tuple[int, int]]:
    """The purge; per relation, the rows purged and how many of them held an address."""
    run_id = uuid.uuid4().hex
    result = run_purge(landing, database, as_of, run_id)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select relation_name, rows_purged, rows_with_address from main.erasure_purges "
                           "where run_id = ?", [run_id]).fetchall()
    assert len(rows) > 30  # every declared table was purged
    return {relation: (purged, with_address) for relation, purged, with_address in rows}


def compact(database: Path) -> None:
    """The nightly job's compaction, loaded from its module alone: the package orchestration.defs
    loads the dbt assets, which need a parsed manifest this test does not make."""
    spec = importlib.util.spec_from_file_location(
        "purge_erasure", REPO / "orchestration" / "defs" / "publish" / "erasure.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.compact(database)


def spellings_left(database: Path) -> list[str]:
    """Every VARCHAR column of the working store's staging and intermediate tables (the raw lines
    and free text the seed declares) and audit.rejected_records holding any spelling of Dana's
    address; parsed address columns the seed leaves out on purpose (email) are not searched."""
    found = []
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema in ('staging', 'intermediate', 'audit') "
            "and column_name not in ('email', 'identifier')").fetchall()
        for schema, table, column in columns:
            values = con.execute(f'select distinct lower("{column}") from "{schema}"."{table}"').fetchall()
            for (value,) in values:
                if value and (any(s in value for s in SPELLINGS) or JSON_ONLY in value
                              or "dana.purge" in value):
                    found.append(f"{schema}.{table}.{column}: {value[:80]}")
    return found


@pytest.fixture(scope="module")
def night_one(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("purge")
    landing, database = root / "landing", root / "work" / "work.duckdb"
    land_first_night(landing)
    build(landing, database, AS_OF)
    return {"root": root, "landing": landing, "database": database}


def copy_of(night_one: dict[str, Path], name: str) -> Path:
    database = night_one["root"] / name / "work.duckdb"
    database.parent.mkdir()
    shutil.copy2(night_one["database"], database)
    return database


def test_a_line_naming_the_person_only_in_json_escapes_is_purged(night_one: dict[str, Path]) -> None:
    """The bystander's line names Dana only as `dana\\u002epurge\\u0040...` in its page URL: its
    raw line is purged in every table of lines, not only where the URL is parsed."""
    database = copy_of(night_one, "escaped")
    assert spellings_left(database)  # precondition: the build holds her lines
    purged = purge(night_one["landing"], database, AS_OF)
    assert sum(purged.values()) > 0
    assert spellings_left(database) == []
    with duckdb.connect(str(database), read_only=True) as con:
        lines = con.execute(
            "select line_number, raw_text like '[erased line %' from staging.base_landing__lines "
            "where file_name = 'webforms/2026-03-05/submissions_001.jsonl' and line_number > 0 "
            "order by line_number").fetchall()
    assert lines == [(1, True), (2, True), (3, False)]  # the other bystander's line stays


def test_a_bystander_naming_her_keeps_their_own_address(night_one: dict[str, Path]) -> None:
    """The bystander's line names Dana in its page URL: its raw line and page URL are purged, its own
    email (and contact key) stay in staging and mapping, so the bystander keeps an address."""
    database = copy_of(night_one, "bystander")
    purge(night_one["landing"], database, AS_OF)
    with duckdb.connect(str(database), read_only=True) as con:
        # the line's text is kept only in base_landing__lines (issue 9)
        staged = con.execute(
            "select staged.email, staged.page_url, lines.raw_text like '[erased line %' "
            "from staging.stg_webforms__submissions as staged "
            "inner join staging.base_landing__lines as lines "
            "on lines.file_name = staged.file_name and lines.line_number = staged.line_number "
            "where staged.submission_id = 'purge-2'").fetchall()
        mapped = con.execute(
            "select distinct email from intermediate.int_webforms_events__mapped "
            "where source_record_id = 'purge-2'").fetchall()
        erased = con.execute(
            "select count(*) from staging.stg_webforms__submissions "
            "where submission_id = 'purge-1' and email is null and page_url is null").fetchone()[0]
    assert staged == [("bystander.one@example.org", None, True)]
    assert mapped == [("bystander.one@example.org",)]
    assert erased == 1  # Dana's own row loses every declared value


def test_the_next_purge_touches_only_the_new_night(night_one: dict[str, Path]) -> None:
    """A second purge right after the first touches no row; after the next night's build, the
    purge touches the rows of the new line that names her (in the tables kept by file, those
    only), and the index of who each line names read only the new file."""
    landing, database = night_one["landing"], copy_of(night_one, "nights")
    assert sum(purge(landing, database, AS_OF).values()) > 0
    assert sum(purge(landing, database, AS_OF).values()) == 0
    land_next_night(landing)
    try:
        build(landing, database, NEXT_NIGHT)
        with duckdb.connect(str(database), read_only=True) as con:
            newly_indexed = con.execute(
                "select distinct file_name from intermediate.int_landing_lines__mentions "
                "where file_name not in (select file_name from staging.base_landing__lines "
                "    where extract_date < ?)", [NEXT_NIGHT]).fetchall()
            expected = {}
            for relation in purge_relations(con):
                columns = [d[0] for d in con.execute(f"select * from {relation} limit 0").description]
                expected[relation] = con.execute(
                    f"select count(*) from {relation} where file_name = ? and line_number = 1", [NEW_FILE]
                ).fetchone()[0] if "file_name" in columns else 0
        tonight = purge(landing, database, NEXT_NIGHT)
    finally:
        shutil.rmtree(landing / "webforms" / NEXT_NIGHT)
    assert newly_indexed == [(NEW_FILE,)]
    # the tables kept by file (the lines, staging) lose exactly the new line's text; a table the
    # build recreates whole (a mapping model, a mart) may also hold fresh values of erased
    # contacts' rows again, which are purged again (test_a_rebuilt_table_is_purged_again)
    kept_by_file = {relation for relation in expected if '"staging"' in relation}
    # the scan is rebuilt from the landing folder: the path of the file named after her is back
    expected['"work"."staging"."base_landing__scan"'] = 1
    assert {r: tonight[r] for r in kept_by_file} == {r: expected[r] for r in kept_by_file}
    assert all(tonight[r] >= expected[r] for r in expected)
    assert tonight['"work"."staging"."base_landing__lines"'] == 1
    assert spellings_left(database) == []


def test_a_file_named_after_her_loses_its_path(night_one: dict[str, Path]) -> None:
    """Her address is only in the file's name (a bystander's line): the purge clears the file's
    path in base_landing__scan, the only table that keeps it, and nothing else of that file; the
    other files keep their paths; the file stays known by its path_key (the scan cache finds it)."""
    from orchestration.lib.landing import known_files

    database = copy_of(night_one, "named")
    with duckdb.connect(str(database), read_only=True) as con:
        before = con.execute("select count(*) from staging.base_landing__scan "
                             "where line_number = 0 and file_path is not null").fetchone()[0]
        assert con.execute("select count(*) from staging.base_landing__scan where relative_path = ?",
                           [NAMED_FILE]).fetchone()[0] == 1
    purged = purge(night_one["landing"], database, AS_OF)
    assert purged['"work"."staging"."base_landing__scan"'] == 1
    assert spellings_left(database) == []
    with duckdb.connect(str(database), read_only=True) as con:
        paths = con.execute("select count(*) from staging.base_landing__scan "
                            "where line_number = 0 and file_path is not null").fetchone()[0]
        line = con.execute(
            "select lines.raw_text like '%bystander.five@example.org%' from staging.base_landing__lines as lines "
            "inner join staging.base_landing__scan as scan on scan.path_key = lines.path_key "
            "where scan.file_path is null and scan.line_number = 0 and lines.line_number = 1").fetchall()
        known = known_files(con, "staging.base_landing__scan", "staging.base_landing__lines", full_refresh=False)
        key = con.execute("select path_key from staging.base_landing__scan where file_path is null").fetchall()
    assert paths == before - 1
    assert line == [(True,)]  # the bystander's line stays
    assert [k for (k,) in key if k in known] == [k for (k,) in key] and len(key) == 1


def purge_relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [relation for (relation,) in con.execute(
        "select distinct relation_name from main.erasure_purges order by 1").fetchall()]


def test_a_rebuilt_table_is_purged_again(night_one: dict[str, Path]) -> None:
    """A full refresh of the lines re-reads the landed files (her raw lines are back); the next
    purge finds them by the index again."""
    landing, database = night_one["landing"], copy_of(night_one, "rebuilt")
    purge(landing, database, AS_OF)
    assert spellings_left(database) == []
    build(landing, database, AS_OF, "+int_landing_lines__mentions", True)
    assert spellings_left(database)
    assert sum(purge(landing, database, AS_OF).values()) > 0
    assert spellings_left(database) == []


def test_a_stale_declaration_stops_the_purge(night_one: dict[str, Path]) -> None:
    database = copy_of(night_one, "stale")
    with duckdb.connect(str(database)) as con:
        con.execute("drop table staging.stg_webforms__submissions")
    result = run_purge(night_one["landing"], database, AS_OF, "stale")
    assert result.returncode != 0
    assert "declares stg_webforms__submissions, which is not in the working store" in result.stdout


def test_compaction_leaves_no_purged_byte(night_one: dict[str, Path]) -> None:
    """DuckDB does not zero freed blocks: the escaped spelling, held only in raw lines, stays in
    the file's bytes after the purge until the file is compacted."""
    database = copy_of(night_one, "compacted")
    assert sum(purge(night_one["landing"], database, AS_OF).values()) > 0
    raw_only = "dana\\u002epurge"
    assert raw_only in database.read_bytes().decode("utf-8", errors="replace").lower()
    compact(database)
    assert raw_only not in database.read_bytes().decode("utf-8", errors="replace").lower()


def test_values_naming_no_one_are_cleared_without_a_copy(night_one: dict[str, Path]) -> None:
    """A night maps only new files (issue 9), so her purged request keeps its cleared values; a
    mapping model rebuilt in full from purged staging (a deploy that changes its rules remaps
    every file) recreates her erasure request's capture point (`privacy_request:erasure`, naming
    no one); the next purge clears it again and records no address, so the nightly job does not
    copy the whole file for it (issue 9: the copy cost the 1M-event night 139 CPU s and 7.7 GB).
    The first purge, of her raw lines, records addresses."""
    landing, database = night_one["landing"], copy_of(night_one, "constants")
    first = purge_counts(landing, database, AS_OF)
    assert first['"work"."staging"."base_landing__lines"'][1] > 0
    build(landing, database, AS_OF, "int_requests_events__mapped")
    with duckdb.connect(str(database), read_only=True) as con:
        kept = con.execute("select capture_point, email from intermediate.int_requests_events__mapped "
                           "where contact_key = ?", [key(ADDRESS)]).fetchall()
    assert kept == [(None, None)]
    result = dbt_build(landing, database, AS_OF, "int_requests_events__mapped", full_refresh=True)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(database), read_only=True) as con:
        recreated = con.execute("select capture_point, email from intermediate.int_requests_events__mapped "
                                "where contact_key = ?", [key(ADDRESS)]).fetchall()
    assert recreated == [("privacy_request:erasure", None)]
    again = purge_counts(landing, database, AS_OF)
    purged, with_address = again['"work"."intermediate"."int_requests_events__mapped"']
    assert purged >= 1 and with_address == 0  # hers, and other erased contacts' requests
    assert sum(with_address for _, with_address in again.values()) == 0
    assert spellings_left(database) == []
