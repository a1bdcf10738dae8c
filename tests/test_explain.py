"""`consent-ledger explain EMAIL` over the warehouse built from tests/fixtures/landing/marketing_ops/
(see test_export)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from orchestration.cli.features import add_explain_parser
from orchestration.features.explain import contact_key, explain
from orchestration.features.segment_export import ExportError
from tests.conftest import FIXTURES, query

LANDING = FIXTURES / "landing" / "marketing_ops"
AS_OF = "2026-11-28"


@pytest.fixture(scope="module")
def warehouse(build_warehouse) -> Path:
    return build_warehouse(LANDING, AS_OF)


def cell(found: dict, purpose: str, channel: str) -> dict:
    (row,) = [r for r in found["status"] if r["purpose"] == purpose and r["channel"] == channel]
    return row


def event(found: dict, event_id: str) -> dict:
    (row,) = [e for e in found["events"] if e["event_id"] == event_id]
    return row


def test_granted_contact_with_evidence(warehouse: Path) -> None:
    text, code = explain(warehouse, "  ALICE@ops.example ", as_json=True)
    assert code == 0
    found = json.loads(text)
    assert found["contact"]["email"] == "alice@ops.example"
    assert found["contact"]["contact_key"] == contact_key("alice@ops.example")
    newsletter = cell(found, "newsletter", "email")
    assert newsletter["status"] == "granted" and newsletter["can_contact"] is True
    assert newsletter["blocked_reason"] is None
    evidence = event(found, newsletter["evidence_event_id"])
    assert evidence["file_name"] == "webforms/2026-11-20/submissions_001.jsonl"
    assert evidence["line_number"] == 1
    assert evidence["action"] == "opt_in" and evidence["source_system"] == "webforms"
    assert evidence["is_evidence"] is True
    # every status row the warehouse holds is shown, no more, no fewer
    rows = query(warehouse, "select count(*) from consent.consent_status where contact_key = ?",
                 [contact_key("alice@ops.example")])[0][0]
    assert len(found["status"]) == rows
    assert found["suppressions"] == []


def test_withdrawn_contact_names_its_suppression_and_evidence(warehouse: Path) -> None:
    found = json.loads(explain(warehouse, "gia@ops.example", as_json=True)[0])
    newsletter = cell(found, "newsletter", "email")
    assert (newsletter["status"], newsletter["can_contact"], newsletter["blocked_reason"]) == (
        "withdrawn", False, "global_opt_out")
    (suppression,) = found["suppressions"]
    assert suppression["reason"] == "global_opt_out" and suppression["scope"] == "global"
    assert suppression["honour_by"] is not None
    evidence = event(found, suppression["evidence_event_id"])
    assert evidence["file_name"] == "requests/2026-11-26/privacy_requests_001.jsonl"
    assert evidence["line_number"] == 1 and evidence["action"] == "opt_out"
    assert [e["occurred_at"] for e in found["events"]] == sorted(e["occurred_at"] for e in found["events"])

    text, code = explain(warehouse, "gia@ops.example", as_json=False)
    assert code == 0
    assert "requests/2026-11-26/privacy_requests_001.jsonl:1" in text
    assert "webforms/2026-11-20/submissions_001.jsonl:8" in text
    assert "May contact   nothing" in text
    ref = f"[{evidence['ref']}]"
    status_lines = [line for line in text.splitlines() if line.strip().startswith("newsletter ")]
    assert status_lines and "global_opt_out" in status_lines[0] and status_lines[0].rstrip().endswith(ref)


def test_text_is_aligned(warehouse: Path) -> None:
    text, _ = explain(warehouse, "jorge@ops.example", as_json=False)
    lines = text.splitlines()
    start = lines.index("Status per purpose x channel") + 1
    end = lines.index("", start)
    header, *rows = lines[start:end]
    assert len(rows) >= 9
    column = header.index("STATUS")
    for row in rows:
        assert row[column - 2:column] == "  " and row[column] != " ", row
    assert "purpose_opt_out" in text


def test_erased_contact_is_reported_without_any_address(warehouse: Path) -> None:
    text, code = explain(warehouse, "Ivan@Ops.Example", as_json=False)
    assert code == 0
    assert "ERASED" in text
    assert contact_key("ivan@ops.example") in text
    assert "@" not in text  # neither the address typed nor any other
    found_text, code = explain(warehouse, "ivan@ops.example", as_json=True)
    found = json.loads(found_text)
    assert code == 0 and "@" not in found_text
    assert found["contact"]["is_erased"] is True and found["contact"]["email"] is None
    assert {row["blocked_reason"] for row in found["status"]} == {"erasure"}


def test_unknown_address(warehouse: Path) -> None:
    text, code = explain(warehouse, "stranger@ops.example", as_json=False)
    assert code == 1
    assert "not found" in text and "opt-in" in text
    found_text, code = explain(warehouse, "x'or'1'='1@ops.example", as_json=True)
    assert code == 1
    assert json.loads(found_text) == {"found": False, "contact_key": contact_key("x'or'1'='1@ops.example")}


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="consent-ledger")
    add_explain_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_explain(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["explain", "alice@ops.example", "--warehouse", str(warehouse)]) == 0
    assert "alice@ops.example" in capsys.readouterr().out
    assert run_cli(["explain", "alice@ops.example", "--json", "--warehouse", str(warehouse)]) == 0
    assert json.loads(capsys.readouterr().out)["found"] is True
    assert run_cli(["explain", "stranger@ops.example", "--warehouse", str(warehouse)]) == 1
    assert "not found" in capsys.readouterr().out
    assert run_cli(["explain", "alice@ops.example", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "warehouse not found" in err and "Traceback" not in err
    assert run_cli(["explain", "   ", "--warehouse", str(warehouse)]) == 2
    assert "email is empty" in capsys.readouterr().err
    with pytest.raises(ExportError):
        explain(warehouse, "", as_json=False)
