"""End to end: `consent-ledger run` on a small hand-written landing set, asserting what the
published warehouse tells an analyst."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.warehouse import connect_published
from tests.conftest import REPO
from tests.expected import key

AS_OF = "2026-03-10"


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def published(nightly_run: tuple[Path, subprocess.CompletedProcess[str]]
              ) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The session's one nightly run of tests/fixtures/landing/nightly_rules (tests/conftest.py)."""
    return nightly_run


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect_published(warehouse) as con:
        return con.execute(sql, params or []).fetchall()


def status(warehouse: Path, email: str, purpose: str, channel: str = "email") -> tuple:
    found = rows(warehouse, "select status, can_contact, blocked_reason from consent.consent_status "
                 "where contact_key = ? and purpose = ? and channel = ?", [key(email), purpose, channel])
    assert len(found) == 1
    return found[0]


def test_summary_names_counts_and_published_file(published: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    warehouse, result = published
    assert f"published       {warehouse}" in result.stdout
    # the broken line, read twice (original and re-delivery), and the request without an address
    assert "rejected 3" in result.stdout
    assert warehouse.exists()


def test_grant_is_marketable(published: tuple) -> None:
    warehouse, _ = published
    assert status(warehouse, "ana.silva@example.com", "newsletter") == ("granted", True, None)
    audience = rows(warehouse, "select email, lawful_basis from consent.marketable_audience "
                    "where purpose = 'newsletter' and channel = 'email' and contact_key = ?",
                    [key("ana.silva@example.com")])
    assert audience == [("ana.silva@example.com", "consent")]


def test_withdrawal_suppresses_the_purpose(published: tuple) -> None:
    warehouse, _ = published
    assert status(warehouse, "bob@example.com", "newsletter") == ("withdrawn", False, "purpose_opt_out")
    suppression = rows(warehouse, "select scope, purpose, reason, suppressed_since, honour_by "
                       "from consent.suppression_list where contact_key = ?", [key("bob@example.com")])
    # 2026-03-04 09:00 -05:00 is 14:00 UTC; CAN-SPAM: 10 business days later
    assert [(s[0], s[1], s[2], str(s[3]), str(s[4])) for s in suppression] == [
        ("purpose", "newsletter", "purpose_opt_out", "2026-03-04 14:00:00", "2026-03-18")]


def test_same_instant_tie_opt_out_wins(published: tuple) -> None:
    warehouse, _ = published
    assert status(warehouse, "cara@example.com", "event_invitations") == ("withdrawn", False, "purpose_opt_out")


def test_unsubscribe_all_is_a_global_opt_out(published: tuple) -> None:
    warehouse, _ = published
    assert status(warehouse, "fay@example.com", "event_invitations") == ("withdrawn", False, "global_opt_out")
    assert rows(warehouse, "select scope, reason from consent.suppression_list where contact_key = ?",
                [key("fay@example.com")]) == [("global", "global_opt_out")]


def test_gpc_blocks_only_sale_and_sharing_purposes(published: tuple) -> None:
    warehouse, _ = published
    assert status(warehouse, "eve@example.com", "partner_offers") == ("withdrawn", False, "sale_opt_out")
    assert status(warehouse, "eve@example.com", "newsletter") == ("granted", True, None)


def test_erasure_is_terminal_and_removes_the_plain_email_everywhere(published: tuple) -> None:
    warehouse, _ = published
    for purpose, channel in [("newsletter", "email"), ("sales_outreach", "phone")]:
        assert status(warehouse, "dan@example.com", purpose, channel) == ("suppressed", False, "erasure")
    assert rows(warehouse, "select email, is_erased from consent.contacts where contact_key = ?",
                [key("dan@example.com")]) == [(None, True)]
    assert rows(warehouse, "select email, reason from consent.suppression_list where contact_key = ?",
                [key("dan@example.com")]) == [(None, "erasure")]
    # no published table holds the plain address in any text column
    with connect_published(warehouse) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = 'ledger' and data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            hits = con.execute(f'select count(*) from {schema}."{table}" where lower("{column}") like ?',
                               ["%dan@example.com%"]).fetchone()[0]
            assert hits == 0, f"{schema}.{table}.{column} holds an erased address"


def test_malformed_line_is_rejected_with_its_raw_text(published: tuple) -> None:
    warehouse, _ = published
    rejected = rows(warehouse, "select file_name, line_number, reason, raw_text from audit.rejected_records "
                    "order by file_name")
    assert [(r[0], r[1], r[2]) for r in rejected] == [
        ("requests/2026-03-06/privacy_requests_002.jsonl", 2, "request_without_address"),
        ("webforms/2026-03-02/submissions_001.jsonl", 3, "invalid_json"),
        ("webforms/2026-03-04/submissions_002.jsonl", 3, "invalid_json"),
    ]
    assert rejected[1][3].startswith('{"submission_id": "s-broken"')


def test_redelivered_file_counts_as_duplicates_and_every_file_balances(published: tuple) -> None:
    warehouse, _ = published
    recon = {r[0]: r[1:] for r in rows(
        warehouse, "select file_name, lines_read, accepted, rejected, duplicates, ignored, is_balanced "
        "from audit.load_reconciliation")}
    assert recon["webforms/2026-03-04/submissions_002.jsonl"] == (6, 0, 1, 5, 0, True)
    assert recon["webforms/2026-03-02/submissions_001.jsonl"] == (6, 5, 1, 0, 0, True)
    assert recon["requests/2026-03-05/privacy_requests_001.jsonl"] == (2, 1, 0, 0, 1, True)
    assert recon["requests/2026-03-06/privacy_requests_002.jsonl"] == (2, 1, 1, 0, 0, True)
    assert all(r[-1] for r in recon.values())
    # the re-delivery added no event: each submission is one event (two for GPC)
    assert rows(warehouse, "select count(*) from consent.consent_events where source_system = 'webforms'") == [(11,)]


def test_every_status_names_its_evidence(published: tuple) -> None:
    warehouse, _ = published
    orphans = rows(warehouse, "select count(*) from consent.consent_status s "
                   "left join consent.consent_events e on e.event_id = s.evidence_event_id "
                   "where s.evidence_event_id is not null and e.event_id is null")
    assert orphans == [(0,)]
    # dense: 6 web-form contacts and the erased requester (the access request adds no contact) x 9
    # purpose-channel cells
    assert rows(warehouse, "select count(*) from consent.consent_status") == [(7 * 9,)]


def test_privacy_request_with_broken_timestamp_is_honoured_and_flagged(published: tuple) -> None:
    """An erasure naming a valid address is never dropped: an impossible received_at (30 February)
    puts it at the end of its file's extract date; it is flagged for review in the run report,
    and a request without an address is a reject the report counts."""
    warehouse, _ = published
    assert status(warehouse, "gus@example.com", "newsletter") == ("suppressed", False, "erasure")
    assert rows(warehouse, "select email, is_erased from consent.contacts where contact_key = ?",
                [key("gus@example.com")]) == [(None, True)]
    erasure = rows(warehouse, "select cast(occurred_at as varchar) from consent.consent_events "
                   "where contact_key = ? and action = 'erasure'", [key("gus@example.com")])
    assert erasure == [("2026-03-06 23:59:59.999999",)]
    report = (warehouse.parent / "reports" / AS_OF / "run_report.md").read_text()  # the default, beside it
    assert "## Needs review" in report
    assert "| privacy_requests_for_review | 1 |" in report
    assert "| privacy_requests_rejected | 1 |" in report
