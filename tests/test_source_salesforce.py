"""Salesforce end to end: hand-written landing files (tests/fixtures/landing/salesforce_mailchimp/,
shared with test_source_mailchimp.py) through the whole dbt build, checking every event, reject,
ignored line and duplicate exactly, and the state the snapshots resolve to.

Salesforce sends snapshots (Contact, Individual, ContactPointTypeConsent): a record comes again
whenever it changes, so the fixtures hold first observations, changes, unchanged repeats, versions
out of file order and one re-delivered file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import canonical_event, key
from tests.people import (
    ANA,
    ANA2,
    BOB,
    CARLA,
    CONTACT_A,
    CONTACT_B,
    CONTACT_C,
    CONTACT_I,
    CONTACT_J,
    CPT1,
    CPT2,
    CPT3,
    CPT8,
    CPT10,
    HIRO,
    IND_A,
    IND_B,
    IND_K,
    INES,
    JON,
    KOFI,
    LENA,
    NILS,
)

LANDING = FIXTURES / "landing" / "salesforce_mailchimp"
AS_OF = "2026-11-28"

C20 = "salesforce/2026-11-20/contact_sfmc_fixture_1120.csv"
I20 = "salesforce/2026-11-20/individual_sfmc_fixture_1120.csv"
P20 = "salesforce/2026-11-20/contact_point_type_consent_sfmc_fixture_1120.csv"
C24 = "salesforce/2026-11-24/contact_sfmc_fixture_1124.csv"
I24 = "salesforce/2026-11-24/individual_sfmc_fixture_1124.csv"
P24 = "salesforce/2026-11-24/contact_point_type_consent_sfmc_fixture_1124.csv"
C26 = "salesforce/2026-11-26/contact_sfmc_fixture_1126.csv"
P26 = "salesforce/2026-11-26/contact_point_type_consent_sfmc_fixture_1126.csv"
C27 = "salesforce/2026-11-27/contact_sfmc_fixture_1126_redelivered.csv"



# (file, line, element_index) -> the event it must yield
EXPECTED_EVENTS: dict[tuple, tuple] = {
    # Contact: HasOptedOutOfEmail and DoNotCall true on the first observation: two channel opt-outs
    (C20, 3, 1): canonical_event(BOB, CONTACT_B, "channel", "email", None, "opt_out",
        "2026-11-19 10:00:00", "sales_rep", "Contact.HasOptedOutOfEmail", country="US"),
    (C20, 3, 2): canonical_event(BOB, CONTACT_B, "channel", "phone", None, "opt_out",
        "2026-11-19 10:00:00", "sales_rep", "Contact.DoNotCall", country="US"),
    # EmailBouncedDate on the first observation: undeliverable at the bounce date
    (C20, 4, 3): canonical_event(CARLA, CONTACT_C, "channel", "email", None, "undeliverable",
        "2026-11-18 07:30:00", "system", "Contact.EmailBouncedDate", country="FR"),
    # false -> true: opt-out; true -> false: the lift (sales_rep channel opt-in)
    (C24, 2, 1): canonical_event(ANA, CONTACT_A, "channel", "email", None, "opt_out",
        "2026-11-23 08:00:00", "sales_rep", "Contact.HasOptedOutOfEmail", country="DE"),
    (C24, 3, 1): canonical_event(BOB, CONTACT_B, "channel", "email", None, "opt_in",
        "2026-11-23 09:00:00", "sales_rep", "Contact.HasOptedOutOfEmail", country="US",
        basis="not_applicable"),
    (C26, 2, 2): canonical_event(BOB, CONTACT_B, "channel", "phone", None, "opt_in",
        "2026-11-25 09:00:00", "sales_rep", "Contact.DoNotCall", country="US", basis="not_applicable"),
    # a new bounce date is a new undeliverable
    (C26, 3, 3): canonical_event(CARLA, CONTACT_C, "channel", "email", None, "undeliverable",
        "2026-11-25 06:00:00", "system", "Contact.EmailBouncedDate", country="FR"),
    # the contact's new address starts its own history: its first observation is opted out
    (C26, 4, 1): canonical_event(ANA2, CONTACT_A, "channel", "email", None, "opt_out",
        "2026-11-25 10:00:00", "sales_rep", "Contact.HasOptedOutOfEmail", country="DE"),
    # jon's line 5 (14:00, opted out) is newer than line 6 (13:00): ordered by LastModifiedDate
    (C26, 5, 1): canonical_event(JON, CONTACT_J, "channel", "email", None, "opt_out",
        "2026-11-25 14:00:00", "sales_rep", "Contact.HasOptedOutOfEmail", country="NL"),
    # Individual: HasOptedOutSolicit -> global opt-out; ShouldForget -> erasure
    (I20, 3, 1): canonical_event(BOB, f"{IND_B}/{CONTACT_B}", "global", None, None, "opt_out",
        "2026-11-19 10:05:00", "sales_rep", "Individual.HasOptedOutSolicit"),
    (I20, 5, 2): canonical_event(KOFI, f"{IND_K}/003A00000000011AAA", "global", None, None, "erasure",
        "2026-11-19 17:05:00", "sales_rep", "Individual.ShouldForget"),
    # HasOptedOutProcessing -> global opt-out for every address of the Individual (three)
    (I24, 2, 1): canonical_event(ANA, f"{IND_A}/{CONTACT_A}", "global", None, None, "opt_out",
        "2026-11-23 08:30:00", "sales_rep", "Individual.HasOptedOutProcessing"),
    (I24, 2, 11): canonical_event(ANA2, f"{IND_A}/{CONTACT_A}#2", "global", None, None, "opt_out",
        "2026-11-23 08:30:00", "sales_rep", "Individual.HasOptedOutProcessing"),
    (I24, 2, 21): canonical_event(INES, f"{IND_A}/{CONTACT_I}", "global", None, None, "opt_out",
        "2026-11-23 08:30:00", "sales_rep", "Individual.HasOptedOutProcessing"),
    # both flags false after true: the global opt-out is lifted
    (I24, 3, 1): canonical_event(BOB, f"{IND_B}/{CONTACT_B}", "global", None, None, "opt_in",
        "2026-11-23 09:30:00", "sales_rep", "Individual.HasOptedOutSolicit", basis="not_applicable"),
    # ContactPointTypeConsent: Email + Newsletter OptIn at CaptureDate, EffectiveTo as expiry
    (P20, 2, 1): canonical_event(BOB, f"{CPT1}/{CONTACT_B}", "purpose", "email", "newsletter", "opt_in",
        "2026-11-18 08:00:00", "web_form", "Website footer", expires="2027-11-18 00:00:00"),
    # Phone + Marketing: the whole phone channel
    (P20, 3, 1): canonical_event(BOB, f"{CPT2}/{CONTACT_B}", "channel", "phone", None, "opt_out",
        "2026-11-18 09:00:00", "sales_rep", "Call center"),
    # MailingAddress + Events, Seen: not_given on postal
    (P20, 4, 1): canonical_event(BOB, f"{CPT3}/{CONTACT_B}", "purpose", "postal", "event_invitations", "not_given",
        "2026-11-18 10:00:00", None, "Trade show"),
    (P20, 9, 1): canonical_event(BOB, f"{CPT8}/{CONTACT_B}", "purpose", "email", "partner_offers", "not_given",
        "2026-11-18 14:00:00", "web_form", "Website footer"),
    (P20, 11, 1): canonical_event(ANA, f"{CPT10}/{CONTACT_A}", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:00:00", "web_form", "Signup form"),
    (P20, 11, 11): canonical_event(ANA2, f"{CPT10}/{CONTACT_A}#2", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:00:00", "web_form", "Signup form"),
    (P20, 11, 21): canonical_event(INES, f"{CPT10}/{CONTACT_I}", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:00:00", "web_form", "Signup form"),
    # DoubleConsentCaptureDate newly set: the grant re-issued at the confirmation
    (P24, 2, 1): canonical_event(ANA, f"{CPT10}/{CONTACT_A}", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:20:00", "double_opt_in", "Signup form", doi="2026-11-19 07:20:00"),
    (P24, 2, 11): canonical_event(ANA2, f"{CPT10}/{CONTACT_A}#2", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:20:00", "double_opt_in", "Signup form", doi="2026-11-19 07:20:00"),
    (P24, 2, 21): canonical_event(INES, f"{CPT10}/{CONTACT_I}", "purpose", "email", "newsletter", "opt_in",
        "2026-11-19 07:20:00", "double_opt_in", "Signup form", doi="2026-11-19 07:20:00"),
    # a new capture (new CaptureDate): OptOut at that date
    (P24, 3, 1): canonical_event(BOB, f"{CPT1}/{CONTACT_B}", "purpose", "email", "newsletter", "opt_out",
        "2026-11-23 12:00:00", "email_link", "Preference center"),
    # status edited without a new CaptureDate: dated LastModifiedDate
    (P24, 5, 1): canonical_event(BOB, f"{CPT3}/{CONTACT_B}", "purpose", "postal", "event_invitations", "opt_in",
        "2026-11-23 13:00:00", None, "Trade show"),
    # EffectiveTo set on an opt-in: the grant ends at EffectiveTo
    (P26, 2, 1): canonical_event(ANA, f"{CPT10}/{CONTACT_A}", "purpose", "email", "newsletter", "not_given",
        "2026-11-25 00:00:00", "system", "Signup form", expires="2026-11-25 00:00:00"),
    (P26, 2, 11): canonical_event(ANA2, f"{CPT10}/{CONTACT_A}#2", "purpose", "email", "newsletter", "not_given",
        "2026-11-25 00:00:00", "system", "Signup form", expires="2026-11-25 00:00:00"),
    (P26, 2, 21): canonical_event(INES, f"{CPT10}/{CONTACT_I}", "purpose", "email", "newsletter", "not_given",
        "2026-11-25 00:00:00", "system", "Signup form", expires="2026-11-25 00:00:00"),
}

EXPECTED_REJECTED = {
    (C20, 6, 0, "malformed_csv_line"), (C20, 7, 0, "invalid_flag"), (C20, 8, 0, "invalid_email"),
    (C20, 9, 0, "invalid_timestamp"),
    (I20, 4, 1, "unknown_individual"), (I20, 7, 0, "missing_timestamp"),
    (P20, 5, 1, "unmapped_channel"), (P20, 6, 1, "unmapped_channel"), (P20, 7, 1, "unmapped_scope"),
    (P20, 8, 1, "unknown_individual"), (P20, 10, 0, "unknown_consent_status"),
    (P20, 12, 0, "missing_capture_date"),
}

EXPECTED_IGNORED = {
    (C20, 1, "csv_header"), (C20, 2, "no_consent_effect"), (C20, 5, "deleted_record"),
    (C20, 10, "no_consent_effect"), (C20, 11, "no_consent_effect"),
    (I20, 1, "csv_header"), (I20, 2, "no_consent_effect"), (I20, 6, "deleted_record"),
    (P20, 1, "csv_header"), (P20, 13, "deleted_record"),
    (C24, 1, "csv_header"), (C24, 4, "unchanged_snapshot"), (C24, 5, "no_consent_effect"),
    (I24, 1, "csv_header"), (I24, 4, "no_consent_effect"), (I24, 5, "unchanged_snapshot"),
    (P24, 1, "csv_header"), (P24, 4, "unchanged_snapshot"), (P24, 6, "no_consent_effect"),
    (C26, 1, "csv_header"), (C26, 6, "no_consent_effect"), (P26, 1, "csv_header"),
    (C27, 1, "csv_header"), (C27, 6, "no_consent_effect"),
}

# the re-delivered file: each event-bearing snapshot again, same event_id
EXPECTED_DUPLICATES = {
    (C27, 2, 2), (C27, 3, 3), (C27, 4, 1), (C27, 5, 1),
}

# file -> (lines_read, accepted, rejected, duplicates, ignored)
EXPECTED_RECONCILIATION = {
    C20: (11, 2, 4, 0, 5), I20: (7, 2, 2, 0, 3), P20: (13, 5, 6, 0, 2),
    C24: (5, 2, 0, 0, 3), I24: (5, 2, 0, 0, 3), P24: (6, 3, 0, 0, 3),
    C26: (6, 4, 0, 0, 2), P26: (2, 1, 0, 0, 1), C27: (6, 0, 0, 4, 2),
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
        from consent.consent_events where source_system = 'salesforce'
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
        from audit.rejected_records where source_system = 'salesforce'
    """)
    assert Counter((f, n, e, r) for f, n, e, r, _ in rows) == Counter(EXPECTED_REJECTED)
    raw = {(f, n): text for f, n, _, _, text in rows}
    with open(LANDING / C20, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    # a rejected line keeps its raw text, with its address masked (macros/redaction.sql)
    assert raw[(C20, 6)] == lines[5].replace("elif.dubois@umbrella.example", "[email redacted]")


def test_a_mapping_rejection_carries_its_landed_line(database: Path) -> None:
    """Rejections decided in the mapping (on one element of a line) carry the line as it landed:
    audit.rejected_records joins it from base_landing__lines, the one table that keeps the text
    (issue 9); the mapping's outcome rows no longer hold it."""
    rows = query(database, """
        select file_name, line_number, element_index, raw_text from audit.rejected_records
        where source_system = 'salesforce' and element_index > 0
    """)
    texts = {(f, n): text for f, n, _, text in rows}
    assert set(texts) == {(f, n) for f, n, e, _ in EXPECTED_REJECTED if e > 0}
    for file_name, line_number in texts:
        with open(LANDING / file_name, encoding="utf-8") as handle:
            line = handle.read().splitlines()[line_number - 1]
        assert "@" not in line  # no address to mask on these lines: the text is the line itself
        assert texts[(file_name, line_number)] == line, (file_name, line_number)


def test_only_the_landing_tables_and_the_rejections_keep_raw_text(database: Path) -> None:
    """Each landed line's text is kept in one place (issue 9): the landing tables hold it (the
    line-level and file-level landing rejections too), audit.rejected_records publishes it masked;
    no staging, mapping, union, dedup or sends table copies it."""
    tables = query(database, "select schema_name || '.' || table_name from duckdb_columns() "
                             "where column_name = 'raw_text' order by 1")
    assert [t for (t,) in tables] == [
        "audit.rejected_records", "intermediate.int_landing__rejections",
        "staging.base_landing__lines", "staging.base_landing__scan",
    ]


def test_ignored_lines_carry_their_reason(database: Path) -> None:
    rows = query(database, """
        select file_name, line_number, reason from intermediate.int_consent_events__deduplicated
        where source_system = 'salesforce' and outcome = 'ignored'
    """)
    assert Counter(rows) == Counter(EXPECTED_IGNORED)


def test_redelivered_files_are_duplicates_not_new_events(database: Path) -> None:
    rows = query(database, """
        select file_name, line_number, element_index from intermediate.int_consent_events__deduplicated
        where source_system = 'salesforce' and outcome = 'duplicate'
    """)
    assert Counter(rows) == Counter(EXPECTED_DUPLICATES)


def test_every_file_balances(database: Path) -> None:
    rows = query(database, """
        select file_name, lines_read, accepted, rejected, duplicates, ignored, unaccounted, is_balanced,
               file_status
        from audit.load_reconciliation where source_system = 'salesforce'
    """)
    assert {r[0]: r[1:6] for r in rows} == EXPECTED_RECONCILIATION
    assert all(r[6] == 0 and r[7] and r[8] == "loaded" for r in rows), rows


def test_mailing_country_names_resolve_to_iso_codes(database: Path) -> None:
    rows = query(database, """
        select contact_key, country_code from intermediate.int_contact_countries__unioned
        where source_system = 'salesforce'
    """)
    # Germany / DE / Deutschland, USA / United States, France / FR, Great Britain, Canada, NL;
    # each country once per contact
    expected = {ANA: "DE", ANA2: "DE", INES: "DE", BOB: "US", CARLA: "FR", HIRO: "GB", KOFI: "CA", JON: "NL"}
    assert Counter(rows) == Counter((key(email), code) for email, code in expected.items())


def test_resolved_state_follows_the_snapshots(database: Path) -> None:
    """The suppression list and erasures both sources' snapshots resolve to (lena and nils: Mailchimp)."""
    suppressions = query(database, """
        select contact_key, scope, channel, purpose, reason from consent.suppression_list
    """)
    by_contact: dict[str, set] = {}
    for contact_key, *rest in suppressions:
        by_contact.setdefault(contact_key, set()).add(tuple(rest))
    # bob's contact and individual opt-outs were both lifted: only his newsletter opt-out stands
    assert by_contact[key(BOB)] == {("purpose", "email", "newsletter", "purpose_opt_out")}
    # the newest version wins, whatever the line order in the file
    assert by_contact[key(JON)] == {("channel", "email", None, "channel_opt_out")}
    # ana2's contact email opt-out and her individual's global opt-out both stand (neither was
    # lifted): the suppression list shows every opt-out in force, each with its own evidence
    assert by_contact[key(ANA2)] == {("global", None, None, "global_opt_out"),
                                     ("channel", "email", None, "channel_opt_out")}
    assert by_contact[key(CARLA)] == {("channel", "email", None, "undeliverable")}
    assert by_contact[key(LENA)] == {("channel", "email", None, "channel_opt_out")}
    assert by_contact[key(NILS)] == {("channel", "email", None, "undeliverable")}
    erased = query(database, "select email, is_erased from consent.contacts where contact_key = ?",
                   [key(KOFI)])
    assert erased == [(None, True)]
