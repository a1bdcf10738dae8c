"""Marketo landing files end to end: hand-written fixtures (tests/fixtures/landing/hubspot_marketo,
shared with test_source_hubspot.py) built with dbt, checked in the published tables (consent events,
rejects, reconciliation, countries, suppressions)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import key, ts

LANDING = FIXTURES / "landing" / "hubspot_marketo"
AS_OF = "2026-04-30"

ACTIVITIES_1 = "marketo/2026-04-01/activities_001.jsonl"
ACTIVITIES_2 = "marketo/2026-04-02/activities_001.jsonl"
LEADS_1 = "marketo/2026-04-01/leads_hm_fixture_1.csv"
LEADS_2 = "marketo/2026-04-02/leads_hm_fixture_2.csv"
LEADS_3 = "marketo/2026-04-03/leads_hm_fixture_3.csv"


# (file, line, email, scope, channel, purpose, action, lawful_basis, occurred_at UTC, capture_method)
EXPECTED_EVENTS = [
    (ACTIVITIES_1, 1, "ana.silva@example.com", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-10 09:00:00", "email_link"),
    (ACTIVITIES_1, 2, "mia.novak@initech.example", "channel", "email", None, "undeliverable",
     "not_applicable", "2026-03-10 10:00:00", "system"),
    (ACTIVITIES_1, 4, "nils.weber@hooli.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-11 08:00:00", "web_form"),
    (ACTIVITIES_1, 5, "nils.weber@hooli.example", "channel", "email", None, "opt_in", "not_applicable",
     "2026-03-15 08:00:00", "sales_rep"),
    (ACTIVITIES_1, 6, "olga.martin@stark.example", "global", None, None, "opt_out", "not_applicable",
     "2026-03-11 09:00:00", "system"),
    (ACTIVITIES_1, 7, "olga.martin@stark.example", "global", None, None, "opt_in", "not_applicable",
     "2026-03-16 09:00:00", "api"),
    (ACTIVITIES_1, 8, "mia.novak@initech.example", "channel", "email", None, "undeliverable",
     "not_applicable", "2026-03-12 10:00:00", "system"),
    (ACTIVITIES_1, 9, "olga.martin@stark.example", "channel", "phone", None, "opt_out", "not_applicable",
     "2026-03-12 11:00:00", "import"),
    (ACTIVITIES_1, 10, "olga.martin@stark.example", "channel", "phone", None, "opt_in", "not_applicable",
     "2026-03-18 11:00:00", "sales_rep"),
    # lead 5005 changed address on 2026-03-20: each unsubscribe stays with the address it was for
    (ACTIVITIES_1, 14, "pavel.old@wayne.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-10 15:00:00", "email_link"),
    (ACTIVITIES_1, 15, "pavel.new@wayne.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-25 15:00:00", "email_link"),
    # lead snapshots: unsubscribed true → email opt-out, marketingSuspended true → global opt-out,
    # true → false lifts Marketo's own opt-out; the record dated after as_of changes nothing
    (LEADS_3, 2, "rosa.lind@acme.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-21 08:00:00", "system"),
    (LEADS_3, 3, "sven.berg@hooli.example", "global", None, None, "opt_out", "not_applicable",
     "2026-03-22 08:00:00", "system"),
    (LEADS_3, 4, "sven.berg@hooli.example", "global", None, None, "opt_in", "not_applicable",
     "2026-03-26 08:00:00", "system"),
    (LEADS_3, 5, "tomas.ruiz@globex.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-23 08:00:00", "system"),
]

# the plain spelling of macros/redaction.sql's address pattern (the only one these fixtures use)
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!$%'*+^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# (file, line, reason): every rejected line, with the re-delivered Marketo file rejected again
EXPECTED_REJECTS = [
    (LEADS_1, 7, "malformed_csv_line"),
    (LEADS_1, 8, "invalid_email"),
    *[(f, line, reason) for f in (ACTIVITIES_1, ACTIVITIES_2) for line, reason in (
        (13, "unknown_lead"), (16, "invalid_json"), (17, "invalid_attribute_value"),
        (19, "missing_bounce_category"))],
]

# file: (lines_read, accepted, rejected, duplicates, ignored)
EXPECTED_RECONCILIATION = {
    ACTIVITIES_1: (21, 11, 4, 0, 6),
    ACTIVITIES_2: (21, 0, 4, 11, 6),
    LEADS_1: (8, 0, 2, 0, 6),
    LEADS_2: (2, 0, 0, 0, 2),
    LEADS_3: (6, 4, 0, 0, 2),
}


@pytest.fixture(scope="module")
def db(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def test_consent_events_are_exactly_the_expected_ones(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, contact_key, scope, channel, purpose, action, lawful_basis,
               occurred_at, capture_method
        from consent.consent_events
        where source_system = 'marketo'
        order by file_name, line_number
    """)
    expected = sorted(
        (f, line, key(email), scope, channel, purpose, action, basis, ts(at), method)
        for f, line, email, scope, channel, purpose, action, basis, at, method in EXPECTED_EVENTS
    )
    assert rows == expected


def test_events_carry_source_ids_and_no_invented_notice(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, source_record_id, policy_version, ip_hash
        from consent.consent_events
        where (file_name, line_number) in (
            ('marketo/2026-04-01/activities_001.jsonl', 1))
        order by file_name
    """)
    assert rows == [
        (ACTIVITIES_1, 1, "m-0001", None, hashlib.sha256(b"203.0.113.9").hexdigest()),
    ]


def test_rejected_records_keep_raw_text_and_reason(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, reason, raw_text
        from audit.rejected_records
        where source_system = 'marketo'
        order by file_name, line_number
    """)
    assert [(f, line, reason) for f, line, reason, _ in rows] == sorted(EXPECTED_REJECTS)
    for f, line, _, raw in rows:
        landed = (LANDING / f).read_text(encoding="utf-8").splitlines()[line - 1]
        assert raw == PLAIN_ADDRESS.sub("[email redacted]", landed)  # a rejected line never publishes an address


def test_every_file_balances(db: Path) -> None:
    rows = query(db, """
        select file_name, lines_read, accepted, rejected, duplicates, ignored, unaccounted,
               is_balanced, file_status
        from audit.load_reconciliation
        where source_system = 'marketo'
    """)
    got = {r[0]: r[1:6] for r in rows}
    assert got == EXPECTED_RECONCILIATION
    assert all(r[6] == 0 and r[7] and r[8] == "loaded" for r in rows)


def test_countries_from_leads(db: Path) -> None:
    rows = query(db, """
        select contact_key, source_system, country_code
        from intermediate.int_contact_countries__unioned
        where source_system = 'marketo'
        order by all
    """)
    expected = sorted([
        (key("ana.silva@example.com"), "marketo", "DE"),
        (key("mia.novak@initech.example"), "marketo", "FR"),
        (key("nils.weber@hooli.example"), "marketo", "US"),
        (key("olga.martin@stark.example"), "marketo", "CA"),
        (key("pavel.old@wayne.example"), "marketo", "GB"),
        (key("pavel.new@wayne.example"), "marketo", "GB"),
        (key("rosa.lind@acme.example"), "marketo", "US"),
        (key("sven.berg@hooli.example"), "marketo", "SE"),
        # tomas's FR record is dated 2026-05-15, after as_of: it does not count yet
        (key("tomas.ruiz@globex.example"), "marketo", "US"),
    ])
    assert rows == expected


def test_suppressions_follow_the_address(db: Path) -> None:
    rows = query(db, """
        select contact_key, scope, channel, reason, suppressed_since
        from consent.suppression_list
        where contact_key in (?, ?, ?, ?)
        order by suppressed_since
    """, [key("pavel.old@wayne.example"), key("pavel.new@wayne.example"),
          key("olga.martin@stark.example"), key("carla.rossi@acme.example")])
    # olga's global opt-out (Marketo) and carla's opt-out of all email (HubSpot) were lifted: none left
    assert rows == [
        (key("pavel.old@wayne.example"), "channel", "email", "channel_opt_out", ts("2026-03-10 15:00:00")),
        (key("pavel.new@wayne.example"), "channel", "email", "channel_opt_out", ts("2026-03-25 15:00:00")),
    ]


def test_lead_snapshot_flags_are_opt_outs_until_marketo_lifts_them(db: Path) -> None:
    """A Marketo lead extract with unsubscribed / marketingSuspended true and no activity is a
    real opt-out (never ignored); Marketo's own true → false lifts only its own opt-out."""
    rows = query(db, """
        select contact_key, scope, channel, reason, suppressed_since
        from consent.suppression_list
        where contact_key in (?, ?, ?)
        order by suppressed_since
    """, [key("rosa.lind@acme.example"), key("sven.berg@hooli.example"), key("tomas.ruiz@globex.example")])
    assert rows == [
        (key("rosa.lind@acme.example"), "channel", "email", "channel_opt_out", ts("2026-03-21 08:00:00")),
        (key("tomas.ruiz@globex.example"), "channel", "email", "channel_opt_out", ts("2026-03-23 08:00:00")),
    ]
