"""Row-level dbt tests on staging read only the files no passing build has tested: a complete
passing build records its files (macros/checks_new_slice.sql); the next build's staging tests skip
those files, mart tests still read everything, a partial build records nothing, and without the
nightly job's code fingerprint nothing is sliced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, REPO, dbt_build

AS_OF = "2026-03-10"
NEW_FILE = "webforms/2026-03-09/submissions_009.jsonl"
FINGERPRINT = "CONSENT_LEDGER_CODE_FINGERPRINT"


def _tested(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {row[0] for row in con.execute("select file_name from checks.tested_files").fetchall()}


def _compile(landing: Path, database: Path, select: str) -> list[str]:
    """The SQL of the tests on `select` as a build would run them now (dbt compile, no build)."""
    work = database.parent
    shutil.rmtree(work / "compiled", ignore_errors=True)
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing), "CONSENT_LEDGER_WORKING_DB": str(database),
           "DBT_TARGET_PATH": str(work / "compiled"), "DBT_LOG_PATH": str(work / "logs"),
           "CONSENT_LEDGER_AS_OF": AS_OF}
    result = subprocess.run([str(Path(sys.executable).with_name("dbt")), "compile", "--profiles-dir", str(REPO),
                             "--project-dir", str(REPO), "--select", select],
                            cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    # a generic test compiles into a folder named after the YAML file that declares it
    return [p.read_text() for p in (work / "compiled" / "compiled").rglob("*.sql") if p.parent.suffix == ".yml"]


def test_row_level_tests_read_only_files_not_yet_tested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
