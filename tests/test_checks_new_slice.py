"""Row-level dbt tests on staging read only the files no passing build has tested: a complete
passing build records its files (macros/checks_new_slice.sql); the next build's staging tests skip
those files, mart tests still read everything, a partial build records nothing, and without the
nightly job's code fingerprint nothing is sliced."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, REPO, dbt_build, dbt_env, in_slot

AS_OF = "2026-03-10"
NEW_FILE = "webforms/2026-03-09/submissions_009.jsonl"
FINGERPRINT = "CONSENT_LEDGER_CODE_FINGERPRINT"


def _tested(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {row[0] for row in con.execute("select file_name from checks.tested_files").fetchall()}


def _compile(landing: Path, database: Path, select: str) -> list[str]:
    """The SQL of the tests on `select` as a build would run them now (dbt compile, no build), in
    this process's slot with its target (tests/conftest.py), so dbt parses partially, as after
    the builds above, instead of the whole project for each compile."""
    dbt = Path(sys.executable).with_name("dbt")
    with in_slot(database) as slot:
        env = dbt_env(landing, slot, AS_OF)
        compiled = Path(env["DBT_TARGET_PATH"]) / "compiled"
        shutil.rmtree(compiled, ignore_errors=True)  # only this compile's SQL is read below
        result = subprocess.run([str(dbt), "compile", "--profiles-dir", str(REPO), "--project-dir", str(REPO),
                                 "--select", select], cwd=REPO, env=env, capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, result.stdout[-4000:]
        # a generic test compiles into a folder named after the YAML file that declares it
        return [p.read_text() for p in compiled.rglob("*.sql") if p.parent.suffix == ".yml"]


def test_row_level_tests_read_only_files_not_yet_tested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds and three compiles of one landing copy, all in this process's slot (one dbt
    profile and target: the first parse is the only full one)."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    database = tmp_path / "work" / "work.duckdb"
    database.parent.mkdir()
    monkeypatch.setenv(FINGERPRINT, "test-fingerprint")

    first = dbt_build(landing, database, AS_OF, select="fqn:*")  # as dagster-dbt selects every asset
    assert first.returncode == 0, first.stdout[-4000:]
    files = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}
    assert _tested(database) == files

    (landing / NEW_FILE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(next((landing / "webforms").rglob("*.jsonl")), landing / NEW_FILE)
    partial = dbt_build(landing, database, AS_OF, select="+stg_webforms__submissions")
    assert partial.returncode == 0, partial.stdout[-4000:]
    assert _tested(database) == files  # a partial build records nothing

    staging = _compile(landing, database, "stg_webforms__submissions")
    assert staging and all('"checks"."tested_files"' in sql and "test-fingerprint" in sql for sql in staging)
    marts = _compile(landing, database, "consent_status")
    assert marts and not any("tested_files" in sql for sql in marts)

    # dbt run by hand (no fingerprint): every test reads everything
    monkeypatch.delenv(FINGERPRINT)
    assert not any("tested_files" in sql for sql in _compile(landing, database, "stg_webforms__submissions"))
