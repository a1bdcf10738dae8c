"""Erasure reaches everything (issue 11).

One person, Carla Sweep, appears in several spellings across sources and free text: a web-form
signup as ` CARLA.Sweep@Example.com ` with her address in the form id and (URL-escaped) in the page
URL, a second submission whose broken JSON spells it `carla.sweep\\u0040example.com`, and a rejected
privacy request naming her; then an erasure request. After one successful nightly run, no spelling
of her address may be found in any published table (queried column by column, and in the file's
bytes), in the tool exports, the run report, the Data Docs or the dbt log.

Another person's address in free text (`unsub?email=victim.person@example.com`) is redacted too:
free text is redacted for every contact, not only erased ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import working_db
from orchestration.warehouse import connect_published
from tests.conftest import FIXTURES, REPO

AS_OF = "2026-03-10"
ADDRESS = "carla.sweep@example.com"
SPELLINGS = (ADDRESS, "carla.sweep\\u0040example.com", "carla.sweep%40example.com", "carla.sweep&#64;example.com")
BYSTANDER = "victim.person@example.com"


def submission(submission_id: str, email: str, form_id: str, page_url: str) -> str:
    return json.dumps({
        "submission_id": submission_id, "submitted_at": "2026-03-05T08:00:00Z", "email": email,
        "form_id": form_id, "page_url": page_url, "country": "US", "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": "newsletter", "channel": "email", "granted": True, "prechecked": False}],
    })


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("erasure_sweep")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    forms = landing / "webforms" / "2026-03-05"
    forms.mkdir(parents=True)
    (forms / "submissions_001.jsonl").write_text("\n".join([
        submission("sweep-1", " CARLA.Sweep@Example.com ", f"{ADDRESS}-form",
                   "https://example.com/signup?email=carla.sweep%40example.com&name=Carla"),
        # broken JSON (no closing brace): rejected, its raw text spells the address escaped
        '{"submission_id": "sweep-2", "email": "carla.sweep\\u0040example.com", "form_id": "x"',
        submission("sweep-3", "victim@example.org", "footer", f"https://example.com/unsub?email={BYSTANDER}"),
    ]) + "\n")
    requests = landing / "requests" / "2026-03-06"
    requests.mkdir(parents=True, exist_ok=True)  # the core fixture has requests that day too
    (requests / "privacy_requests_sweep.jsonl").write_text("\n".join([
        json.dumps({"request_id": "sweep-dsr-0", "email": "Carla.Sweep%40Example.com", "type": "erasure"}),
        json.dumps({"request_id": "sweep-dsr-1", "received_at": "2026-03-06T09:00:00Z", "email": ADDRESS,
                    "type": "erasure"}),
    ]) + "\n")
    warehouse = root / "warehouse" / "ledger.duckdb"
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(landing), "CONSENT_LEDGER_WAREHOUSE": str(warehouse),
           "CONSENT_LEDGER_REPORTS": str(root / "reports"), "CONSENT_LEDGER_EXPORTS": str(root / "exports")}
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--as-of", AS_OF], cwd=REPO,
                            env=env, capture_output=True, text=True, check=False, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (root / "cli_output.txt").write_text(result.stdout + result.stderr)
    return {"root": root, "warehouse": warehouse}


def spelled_in(text: str) -> list[str]:
    lowered = text.lower()
    return [spelling for spelling in SPELLINGS if spelling in lowered]


def test_the_erasure_was_honoured(swept: dict[str, Path]) -> None:
    """Precondition: the person is known and erased (else the sweep proves nothing)."""
    with connect_published(swept["warehouse"]) as con:
        erased = con.execute("select is_erased, email from consent.contacts where contact_key = sha256(?)",
                             [ADDRESS]).fetchall()
        rejected = con.execute("select count(*) from audit.rejected_records where contact_key = sha256(?)",
                               [ADDRESS]).fetchone()[0]
    assert erased == [(True, None)]
    assert rejected >= 1  # the broken submission (and the broken request), found by key


def test_no_published_column_holds_any_spelling(swept: dict[str, Path]) -> None:
    with connect_published(swept["warehouse"]) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = 'ledger' and data_type = 'VARCHAR'").fetchall()
        assert len(columns) > 20
        for schema, table, column in columns:
            values = con.execute(f'select distinct lower("{column}") from {schema}.{table}').fetchall()
            found = [(value, spelled_in(value)) for (value,) in values if value and spelled_in(value)]
            assert not found, f"{schema}.{table}.{column}: {found[:3]}"
            assert not [v for (v,) in values if v and BYSTANDER in v], f"{schema}.{table}.{column}"


def test_no_file_written_holds_any_spelling(swept: dict[str, Path]) -> None:
    """Published file bytes, exports, run report, Data Docs, the CLI's own output and the dbt log."""
    root = swept["root"]
    files = [swept["warehouse"], root / "cli_output.txt",
             *(p for folder in ("exports", "reports") for p in (root / folder).rglob("*") if p.is_file())]
    dbt_log = REPO / "logs" / "dbt.log"
    if dbt_log.is_file():
        files.append(dbt_log)
    assert len(files) > 10
    for path in files:
        found = spelled_in(path.read_bytes().decode("utf-8", errors="replace"))
        assert not found, f"{path}: {found}"


@pytest.mark.xfail(strict=True, reason=(
    "the working store still keeps the erased person's raw lines: purging them needs the resolver to "
    "keep erasures by contact_key (else the next incremental run would forget the erasure); see README"))
def test_working_store_holds_no_spelling(swept: dict[str, Path]) -> None:
    working = working_db(swept["warehouse"])
    with duckdb.connect(str(working), read_only=True) as con:
        columns = con.execute("select table_schema, table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            values = con.execute(f'select distinct lower("{column}") from "{schema}"."{table}"').fetchall()
            assert not [v for (v,) in values if v and spelled_in(v)], f"{schema}.{table}.{column}"
