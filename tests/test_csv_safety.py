"""Every CSV the product writes is safe to open in a spreadsheet (issue 11).

A warehouse is built from tests/fixtures/landing/marketing_ops/ plus hostile people: `=HYPERLINK(...)@acme.example`
signed up for the newsletter (may be contacted), `+1+cmd@evil.example` and `-2+3@evil.example`
objected (global opt-out: every tool must suppress them). Then every writer runs: the suppression
sync, the outboxes, plain and candidates exports (with formula-bearing extra columns). No cell of any
file may start with `=`, `+`, `-`, `@`, tab or CR unless neutralised with a leading `'`, and the
hostile addresses are withheld from the import files and listed for manual handling.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.features.segment_export import export_segment
from orchestration.features.suppression_sync import MANUAL_HANDLING, write_outboxes, write_suppression_sync
from orchestration.lib.csv_safety import UNSAFE_FIRST_CHARACTERS, is_unsafe, neutralise, neutralise_sql, unsafe_sql
from orchestration.lib.publish import publish
from tests.conftest import FIXTURES, dbt_build

AS_OF = "2026-11-28"
HYPERLINK = '=HYPERLINK("http://evil.example","x")@acme.example'
OBJECTORS = ("+1+cmd@evil.example", "-2+3@evil.example")
HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=", HYPERLINK]
HARMLESS = ["a=1", "alice@ops.example", "", " =1", "'=1", "1-2", "#x"]


@pytest.mark.parametrize("value", HOSTILE + HARMLESS)
def test_python_and_sql_rule_agree(value: str) -> None:
    """One rule, two spellings: the SQL the writers use and the Python helper give the same answer."""
    with duckdb.connect() as con:
        unsafe, neutralised = con.execute(f"select {unsafe_sql('$1')}, {neutralise_sql('$1')}", [value]).fetchone()
    assert unsafe == is_unsafe(value) == (value in HOSTILE)
    assert neutralised == neutralise(value)
    assert not neutralise(value).startswith(UNSAFE_FIRST_CHARACTERS)


def test_null_is_safe() -> None:
    assert neutralise(None) is None and not is_unsafe(None)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("csv_safety")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing" / "marketing_ops", landing)
    signup = {
        "submission_id": "evil-1", "submitted_at": "2026-11-20T11:00:00Z", "email": HYPERLINK,
        "form_id": "newsletter-footer", "page_url": "https://example.com/ops", "country": "US",
        "ip": "203.0.113.9", "user_agent": "Mozilla/5.0", "gpc": False, "kind": "signup",
        "policy_version": "3.0", "double_opt_in_confirmed_at": None,
        "consents": [{"purpose": "newsletter", "granted": True, "prechecked": False, "channel": "email"}],
    }
    with (landing / "webforms" / "2026-11-26" / "submissions_001.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(signup) + "\n")
    with (landing / "requests" / "2026-11-26" / "privacy_requests_001.jsonl").open("a", encoding="utf-8") as handle:
        for i, email in enumerate(OBJECTORS):
            handle.write(json.dumps({"request_id": f"evil-dsr-{i}", "received_at": "2026-11-26T12:00:00Z",
                                     "email": email, "type": "objection"}) + "\n")
    database = root / "work.duckdb"
    result = dbt_build(landing, database, AS_OF)
    assert result.returncode == 0, result.stdout[-6000:]
    return publish(database, root / "published" / "consent.duckdb").path


def cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def assert_safe(path: Path) -> None:
    bad = [cell for cell in cells(path) if cell.startswith(UNSAFE_FIRST_CHARACTERS)]
    assert not bad, f"{path}: unsafe cells {bad[:5]}"


def test_sync_withholds_formula_addresses_and_lists_them(published: Path, tmp_path: Path) -> None:
    write_suppression_sync(published, AS_OF, tmp_path)
    written = sorted(tmp_path.rglob("*.csv"))
    assert any(path.name.endswith("_full.csv") for path in written)
    for path in written:
        assert_safe(path)
    for path in (p for p in written if p.parent.name != AS_OF):  # the tool import files
        assert not any("evil.example" in cell for cell in cells(path)), path
    assert "gia@ops.example" in cells(tmp_path / AS_OF / "hubspot" / "hubspot_opt_out_full.csv")
    manual = tmp_path / AS_OF / MANUAL_HANDLING
    listed = cells(manual)
    assert {"'" + email for email in OBJECTORS} <= set(listed)  # neutralised, still recognisable
    summary = (tmp_path / AS_OF / "suppression_sync_summary.txt").read_text()
    assert "2 addresses a spreadsheet would read as a formula are withheld" in summary


def test_outboxes_withhold_formula_addresses(published: Path, tmp_path: Path) -> None:
    written = write_outboxes(published, AS_OF, tmp_path)
    for path in written.values():
        assert_safe(path)
    confirmations = cells(written["withdrawal_confirmations"])
    assert not any("evil.example" in cell for cell in confirmations)
    assert "gia@ops.example" in confirmations
    assert {"'" + email for email in OBJECTORS} <= set(cells(written["manual_handling"]))


def test_plain_export_withholds_a_formula_address(published: Path, tmp_path: Path) -> None:
    out = tmp_path / "newsletter.csv"
    summary = export_segment(published, "newsletter", "email", out)
    assert_safe(out)
    assert HYPERLINK.lower() not in cells(out)
    assert summary.excluded.get("unsafe_for_spreadsheet") == 1
    hashed = tmp_path / "hashed.csv"
    export_segment(published, "newsletter", "email", hashed, hash_emails=True)
    assert len(cells(hashed)) > len(cells(out))  # a hash cannot be a formula: nobody withheld


def test_candidates_export_neutralises_every_column(published: Path, tmp_path: Path) -> None:
    candidates = tmp_path / "crm.csv"
    with candidates.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "note", "=cmd"])
        writer.writerow(["alice@ops.example", "=HYPERLINK(\"http://evil.example\",\"click\")", "-1"])
        writer.writerow([HYPERLINK, "@SUM(1)", "\t=1"])
        writer.writerow(["gia@ops.example", "+1", "\r=2"])
    out = tmp_path / "segment.csv"
    summary = export_segment(published, "newsletter", "email", out, candidates=candidates)
    excluded = Path(str(out) + ".excluded.csv")
    for path in (out, excluded):
        assert_safe(path)
    kept = cells(out)
    assert "alice@ops.example" in kept and "'=HYPERLINK(\"http://evil.example\",\"click\")" in kept
    assert "'=cmd" in kept  # a hostile header too
    assert summary.excluded == {"unsafe_for_spreadsheet": 1, "suppressed:global_opt_out": 1}
    assert "'" + HYPERLINK in cells(excluded)
