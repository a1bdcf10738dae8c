"""OneTrust consent receipts end to end over hand-written landing files.

The fixture (tests/fixtures/landing/onetrust_sends, shared with test_source_sends.py) has one OneTrust
extract with every TransactionType and every line- and element-level defect the mapping knows, and a
second extract re-delivering two receipts. Expected rows are written out by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import key, ts

LANDING = FIXTURES / "landing" / "onetrust_sends"
AS_OF = "2026-03-31"
RECEIPTS = "onetrust/2026-03-10/consent_receipts_001.jsonl"
RECEIPTS_AGAIN = "onetrust/2026-03-11/consent_receipts_001.jsonl"


@pytest.fixture(scope="module")
def db(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def test_onetrust_events_are_exactly_the_expected_ones(db: Path) -> None:
    rows = query(db, """
        select source_record_id, file_name, line_number, element_index, contact_key, scope, channel,
               purpose, action, lawful_basis, occurred_at, capture_method, capture_point,
               policy_version, was_prechecked, double_opt_in_at, country_code, expires_at
        from consent.consent_events
        where source_system = 'onetrust'
    """)
    ana, bob, dmitri, elif_, femi, hiro, kofi = (
        key(e) for e in ["ana@example.com", "bob@example.com", "dmitri@example.com", "elif@example.com",
                         "femi@example.com", "hiro@example.com", "kofi@example.com"])
    march = {d: ts(f"2026-03-{d}") for d in ["02 09:15", "03 09:00", "04 08:00", "04 08:30", "05 12:00",
                                             "06 09:00", "07 20:30", "08 10:00", "09 10:00"]}
    expected = {
        # r-1: CONFIRMED on a hosted web form, notice 3.0 (its re-delivery is a duplicate); a
        # CONFIRMED receipt is the person's own act, so not pre-checked
        ("r-1", RECEIPTS, 1, 1, ana, "purpose", "email", "newsletter", "opt_in", "consent",
         march["02 09:15"], "web_form", "cp-web-1", "3.0", False, None, "FR", None),
        # r-2: +01:00 offset to UTC; IMPLICIT is implied_inquiry; highest of 2.10, 2.9, 'v1-draft'
        ("r-2", RECEIPTS, 2, 1, bob, "purpose", "email", "newsletter", "opt_in", "implied_inquiry",
         march["03 09:00"], "api", "cp-api-1", None, None, None, "US", None),
        ("r-2", RECEIPTS, 2, 2, bob, "purpose", "email", "event_invitations", "opt_in", "consent",
         march["03 09:00"], "api", "cp-api-1", "2.10", False, None, "US", None),
        ("r-6", RECEIPTS, 6, 1, ana, "purpose", "email", "newsletter", "opt_out", "not_applicable",
         march["05 12:00"], "preference_center", "cp-pref-1", "3.0", None, None, "FR", None),
        ("r-7", RECEIPTS, 7, 1, dmitri, "purpose", "email", "newsletter", "pending", "not_applicable",
         march["04 08:00"], "web_form", "cp-web-2", "3.0", None, None, "DE", None),
        # r-8: doubleOptIn true → confirmed at interactionDate; ExpiryDate → expires_at
        ("r-8", RECEIPTS, 8, 1, dmitri, "purpose", "email", "newsletter", "opt_in", "consent",
         march["04 08:30"], "web_form", "cp-web-2", "3.0", False, march["04 08:30"], "DE",
         ts("2028-03-04 08:30")),
        # r-9: NOTGIVEN, NO_CHOICE, and EXPIRED (not_given by the system)
        ("r-9", RECEIPTS, 9, 1, elif_, "purpose", "email", "partner_offers", "not_given", "not_applicable",
         march["06 09:00"], "web_form", "cp-web-1", "3.0", None, None, "GB", None),
        ("r-9", RECEIPTS, 9, 2, elif_, "purpose", "ads", "advertising", "not_given", "not_applicable",
         march["06 09:00"], "web_form", "cp-web-1", "3.0", None, None, "GB", None),
        ("r-9", RECEIPTS, 9, 3, elif_, "purpose", "email", "event_invitations", "not_given", "not_applicable",
         march["06 09:00"], "system", "cp-web-1", "2.1", None, None, "GB", ts("2026-03-06 00:00")),
        # r-10: -05:00 offset; OPT_OUT and HARD_OPT_OUT withdraw, EXTEND grants
        ("r-10", RECEIPTS, 10, 1, femi, "purpose", "email", "product_updates", "opt_out", "not_applicable",
         march["07 20:30"], "preference_center", "cp-pref-1", None, None, None, "CA", None),
        ("r-10", RECEIPTS, 10, 2, femi, "purpose", "email", "event_invitations", "opt_out", "not_applicable",
         march["07 20:30"], "preference_center", "cp-pref-1", None, None, None, "CA", None),
        ("r-10", RECEIPTS, 10, 3, femi, "purpose", "email", "newsletter", "opt_in", "consent",
         march["07 20:30"], "preference_center", "cp-pref-1", "3.0", False, None, "CA", None),
        # r-12: the withdrawal survives the defects that reject the grants on the same receipt
        ("r-12", RECEIPTS, 12, 2, hiro, "purpose", "email", "newsletter", "opt_out", "not_applicable",
         march["08 10:00"], "web_form", "cp-web-1", "3.0", None, None, "US", None),
        # r-16: a moc the pipeline does not know → capture_method null, not guessed
        ("r-16", RECEIPTS_AGAIN, 3, 1, kofi, "purpose", "email", "newsletter", "opt_in", "consent",
         march["09 10:00"], None, "cp-kiosk-1", "3.0", False, None, "US", None),
    }
    assert set(rows) == expected
    assert len(rows) == len(expected)


def test_onetrust_rejects_name_line_element_and_reason(db: Path) -> None:
    rows = query(db, "select file_name, line_number, element_index, reason from audit.rejected_records "
                     "where source_system = 'onetrust'")
    assert sorted(rows) == sorted([
        (RECEIPTS, 2, 3, "unmapped_scope"),
        (RECEIPTS, 4, 0, "unsupported_identifier"),
        (RECEIPTS, 5, 0, "invalid_json"),
        (RECEIPTS, 12, 1, "invalid_expiry_date"),
        (RECEIPTS, 12, 3, "invalid_double_opt_in_flag"),
        (RECEIPTS, 13, 0, "missing_timestamp"),
        (RECEIPTS, 14, 1, "unknown_transaction_type"),
        (RECEIPTS, 15, 0, "invalid_email"),
    ])
    raw = query(db, "select raw_text from audit.rejected_records where file_name = ? and line_number = 4",
                [RECEIPTS])
    assert '"identifierType": "Phone"' in raw[0][0]


def test_test_receipts_and_no_change_transactions_are_ignored_never_consent(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, element_index, reason
        from intermediate.int_consent_events__deduplicated
        where source_system = 'onetrust' and outcome = 'ignored'
    """)
    assert sorted(rows) == sorted([
        (RECEIPTS, 2, 4, "no_consent_change"),
        (RECEIPTS, 3, 0, "test_receipt"),
        (RECEIPTS, 11, 0, "no_consent_choices"),
    ])
    # carla only ever appeared in a test receipt: unknown to the ledger
    assert query(db, "select count(*) from consent.contacts where contact_key = ?",
                 [key("carla@example.com")]) == [(0,)]


def test_reconciliation_balances_every_onetrust_file(db: Path) -> None:
    rows = query(db, """
        select file_name, lines_read, accepted, rejected, duplicates, ignored, unaccounted,
               partially_rejected, events, is_balanced
        from audit.load_reconciliation
        where source_system = 'onetrust'
    """)
    assert sorted(rows) == sorted([
        (RECEIPTS, 15, 8, 5, 0, 2, 0, 2, 13, True),
        (RECEIPTS_AGAIN, 3, 1, 0, 2, 0, 0, 0, 1, True),
    ])


def test_us_state_resolves_to_its_own_jurisdiction_row(db: Path) -> None:
    rows = query(db, "select contact_key, jurisdiction, regime from consent.contacts "
                     "where contact_key in (?, ?, ?)",
                 [key("bob@example.com"), key("hiro@example.com"), key("kofi@example.com")])
    assert sorted(rows) == sorted([
        (key("bob@example.com"), "US-CA", "opt_out"),  # state "CA"
        (key("hiro@example.com"), "US", "opt_out"),  # "US-NY": no New York row in the seed
        (key("kofi@example.com"), "US", "opt_out"),  # "TX"
    ])
