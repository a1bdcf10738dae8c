"""Mailchimp end to end: hand-written landing files (tests/fixtures/landing/salesforce_mailchimp/,
shared with test_source_salesforce.py) through the whole dbt build, checking every event, reject,
ignored line and duplicate exactly.

Mailchimp sends member snapshots: a member comes again whenever it changes, so the fixtures hold
first observations, changes, unchanged repeats, archived members and one re-delivered file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import canonical_event
from tests.people import LENA, MARTA, NILS, OLGA, QUINN, TARA, UGO

LANDING = FIXTURES / "landing" / "salesforce_mailchimp"
AS_OF = "2026-11-28"

M20 = "mailchimp/2026-11-20/members_sfmc_fixture_1120.jsonl"
M24 = "mailchimp/2026-11-24/members_sfmc_fixture_1124.jsonl"
M26 = "mailchimp/2026-11-26/members_sfmc_fixture_1126.jsonl"
M27 = "mailchimp/2026-11-27/members_sfmc_fixture_1124_redelivered.jsonl"



# (file, line, element_index) -> the event it must yield
EXPECTED_EVENTS: dict[tuple, tuple] = {
    # Mailchimp: subscribed -> opt-in for the list's purpose, timestamp_opt is the double opt-in
    (M20, 1, 0): canonical_event(LENA, "a1b2c3/m-lena", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 10:05:00", "web_form", "Hosted Signup Form",
        doi="2026-11-19 10:05:00", country="DE", ip="203.0.113.10"),
    # permissions seen first: enabled -> opt_in, not enabled -> not_given
    (M20, 1, 1): canonical_event(LENA, "a1b2c3/m-lena", "channel", "email", None, "opt_in",
        "2026-11-19 10:05:00", "web_form", "Hosted Signup Form",
        doi="2026-11-19 10:05:00", country="DE", ip="203.0.113.10"),
    (M20, 1, 2): canonical_event(LENA, "a1b2c3/m-lena", "purpose", "ads", "advertising", "not_given",
        "2026-11-19 10:05:00", "web_form", "Hosted Signup Form", country="DE"),
    (M20, 2, 0): canonical_event(MARTA, "a1b2c3/m-marta", "purpose", "email", "newsletter", "pending",
        "2026-11-19 11:00:00", "api", "API - Generic", country="AT", ip="198.51.100.7"),
    # cleaned is undeliverable even on a list nobody mapped
    (M20, 3, 0): canonical_event(NILS, "zz9999/m-nils", "channel", "email", None, "undeliverable",
        "2026-11-19 12:00:00", "system", "Import"),
    (M20, 4, 0): canonical_event(OLGA, "a1b2c3/m-olga", "purpose", "email", "newsletter", "not_given",
        "2026-11-19 13:00:00", "api", "API - Generic", country="US"),
    (M20, 10, 0): canonical_event(TARA, "a1b2c3/m-tara", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 18:10:00", "web_form", "Landing Page",
        doi="2026-11-19 18:10:00", country="IE", ip="203.0.113.21"),
    (M20, 11, 0): canonical_event(UGO, "a1b2c3/m-ugo", "purpose", "email", "newsletter", "opt_out",
        "2026-11-19 19:00:00", "email_link", "Hosted Signup Form", country="FR"),
    # pending -> subscribed
    (M24, 2, 0): canonical_event(MARTA, "a1b2c3/m-marta", "purpose", "email", "newsletter", "opt_in",
        "2026-11-23 09:00:00", "api", "API - Generic",
        doi="2026-11-23 09:00:00", country="AT", ip="198.51.100.8"),
    # the Email permission was malformed before: now valid, so seen first (not enabled -> not_given)
    (M24, 3, 3): canonical_event(TARA, "a1b2c3/m-tara", "channel", "email", None, "not_given",
        "2026-11-23 10:00:00", "web_form", "Landing Page", country="IE"),
    # permission changes: Email true -> false opt-out, advertising false -> true opt-in
    (M24, 4, 1): canonical_event(LENA, "a1b2c3/m-lena", "channel", "email", None, "opt_out",
        "2026-11-23 15:00:00", "preference_center", "Hosted Signup Form", country="DE"),
    (M24, 4, 2): canonical_event(LENA, "a1b2c3/m-lena", "purpose", "ads", "advertising", "opt_in",
        "2026-11-23 15:00:00", "preference_center", "Hosted Signup Form",
        doi="2026-11-19 10:05:00", country="DE", ip="203.0.113.10"),
    # archived twice, then subscribed: the first version of the member
    (M26, 1, 0): canonical_event(QUINN, "a1b2c3/m-quinn", "purpose", "email", "newsletter", "opt_in",
        "2026-11-25 09:03:00", "web_form", "Pop-up Form",
        doi="2026-11-25 09:03:00", country="GB", ip="203.0.113.41"),
}

EXPECTED_REJECTED = {
    (M20, 5, 0, "unmapped_scope"), (M20, 7, 0, "invalid_json"), (M20, 8, 0, "missing_email"),
    (M20, 9, 0, "unknown_status"), (M20, 10, 1, "unmapped_scope"), (M20, 10, 2, "invalid_permission_element"),
    (M20, 10, 3, "invalid_permission_flag"),
    (M24, 3, 2, "invalid_permission_element"), (M27, 3, 2, "invalid_permission_element"),
}

EXPECTED_IGNORED = {
    (M20, 6, "archived_member"),
    (M24, 1, "unchanged_snapshot"), (M24, 5, "archived_member"), (M24, 6, "unchanged_snapshot"),
    (M26, 2, "archived_member"), (M26, 3, "unchanged_snapshot"),
    (M27, 1, "unchanged_snapshot"), (M27, 5, "archived_member"), (M27, 6, "unchanged_snapshot"),
}

# the re-delivered file: each event-bearing snapshot again, same event_id
EXPECTED_DUPLICATES = {
    (M27, 2, 0), (M27, 3, 3), (M27, 4, 1), (M27, 4, 2),
}

# file -> (lines_read, accepted, rejected, duplicates, ignored)
EXPECTED_RECONCILIATION = {
    M20: (11, 6, 4, 0, 1), M24: (6, 3, 0, 0, 3), M26: (3, 1, 0, 0, 2), M27: (6, 0, 0, 3, 3),
}


@pytest.fixture(scope="module")
def database(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def _ts(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%d %H:%M:%S')"


def test_events_are_exactly_the_expected(database: Path) -> None:
    rows = query(database, f"""
        select file_name, line_number, element_index, contact_key, source_record_id, scope, channel,
               purpose, action, lawful_basis, {_ts('occurred_at')}, capture_method, capture_point,
               {_ts('double_opt_in_at')}, {_ts('expires_at')}, country_code, ip_hash
        from consent.consent_events where source_system = 'mailchimp'
    """)
    actual = {(r[0], r[1], r[2]): r[3:] for r in rows}
    assert len(actual) == len(rows), "two events from one element of one line"
    expected = EXPECTED_EVENTS
    assert sorted(set(actual) - set(expected)) == [], "unexpected events"
    assert sorted(set(expected) - set(actual)) == [], "missing events"
    for where, row in expected.items():
        assert actual[where] == row, where


def test_rejected_records_are_exactly_the_expected(database: Path) -> None:
    rows = query(database, """
        select file_name, line_number, element_index, reason, raw_text
        from audit.rejected_records where source_system = 'mailchimp'
    """)
    assert Counter((f, n, e, r) for f, n, e, r, _ in rows) == Counter(EXPECTED_REJECTED)


def test_ignored_lines_carry_their_reason(database: Path) -> None:
    rows = query(database, """
        select file_name, line_number, reason from intermediate.int_consent_events__deduplicated
        where source_system = 'mailchimp' and outcome = 'ignored'
    """)
    assert Counter(rows) == Counter(EXPECTED_IGNORED)


def test_redelivered_files_are_duplicates_not_new_events(database: Path) -> None:
    rows = query(database, """
        select file_name, line_number, element_index from intermediate.int_consent_events__deduplicated
        where source_system = 'mailchimp' and outcome = 'duplicate'
    """)
    assert Counter(rows) == Counter(EXPECTED_DUPLICATES)


def test_every_file_balances(database: Path) -> None:
    rows = query(database, """
        select file_name, lines_read, accepted, rejected, duplicates, ignored, unaccounted, is_balanced,
               file_status
        from audit.load_reconciliation where source_system = 'mailchimp'
    """)
    assert {r[0]: r[1:6] for r in rows} == EXPECTED_RECONCILIATION
    assert all(r[6] == 0 and r[7] and r[8] == "loaded" for r in rows), rows
