"""HubSpot landing files end to end: hand-written fixtures (tests/fixtures/landing/hubspot_marketo,
shared with test_source_marketo.py) built with dbt, checked in the published tables (consent events,
rejects, reconciliation, countries)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import key, ts

LANDING = FIXTURES / "landing" / "hubspot_marketo"
AS_OF = "2026-04-30"

SUBS_1 = "hubspot/2026-04-01/subscription_statuses_001.jsonl"
SUBS_2 = "hubspot/2026-04-02/subscription_statuses_001.jsonl"
WIDE = "hubspot/2026-04-01/wide_statuses_001.jsonl"
EMAIL_EVENTS = "hubspot/2026-04-01/email_events_001.jsonl"
CONTACTS = "hubspot/2026-04-01/contacts_001.jsonl"


# (file, line, email, scope, channel, purpose, action, lawful_basis, occurred_at UTC, capture_method)
EXPECTED_EVENTS = [
    # subscription statuses: status → action, subscription name → purpose, legalBasis → basis
    (SUBS_1, 1, "ana.silva@example.com", "purpose", "email", "newsletter", "opt_in", "consent",
     "2026-03-02 09:15:00", "web_form"),
    (SUBS_1, 2, "ben.okafor@globex.example", "purpose", "email", "product_updates", "opt_out",
     "not_applicable", "2026-03-03 10:00:00", "email_link"),
    (SUBS_1, 3, "carla.rossi@acme.example", "purpose", "email", "event_invitations", "not_given",
     "not_applicable", "2026-03-03 11:00:00", "import"),
    (SUBS_1, 4, "dmitri.tanaka@hooli.example", "purpose", "email", "sales_outreach", "opt_in",
     "legitimate_interest", "2026-03-04 12:30:00", "sales_rep"),
    (SUBS_1, 5, "elif.dubois@initech.example", "purpose", "email", "product_updates", "opt_in",
     "contract", "2026-03-05 08:00:00", "api"),
    # NON_GDPR, PROCESS_AND_STORE and an absent basis never become consent
    (SUBS_1, 6, "femi.brown@vandelay.example", "purpose", "email", "newsletter", "opt_in",
     "not_applicable", "2026-03-05 09:00:00", "web_form"),
    (SUBS_1, 7, "greta.jensen@wayne.example", "purpose", "email", "newsletter", "opt_in",
     "not_applicable", "2026-03-05 10:00:00", "import"),
    (SUBS_1, 8, "hiro.larsen@stark.example", "purpose", "email", "newsletter", "opt_in",
     "not_applicable", "2026-03-05 11:00:00.123000", "preference_center"),
    # the re-delivered file: lines 1-2 are duplicates, line 3 is new
    (SUBS_2, 3, "ana.silva@example.com", "purpose", "email", "newsletter", "opt_out", "not_applicable",
     "2026-03-20 17:45:00", "preference_center"),
    # wide statuses: opt out of all email, then lifted
    (WIDE, 1, "carla.rossi@acme.example", "channel", "email", None, "opt_out", "not_applicable",
     "2026-03-10 12:00:00", None),
    (WIDE, 2, "carla.rossi@acme.example", "channel", "email", None, "opt_in", "not_applicable",
     "2026-03-12 12:00:00", None),
    # email events: created is epoch milliseconds
    (EMAIL_EVENTS, 1, "kofi.nguyen@umbrella.example", "channel", "email", None, "undeliverable",
     "not_applicable", "2026-03-03 14:30:00", "system"),
    (EMAIL_EVENTS, 3, "lena.costa@acme.example", "channel", "email", None, "complaint", "not_applicable",
     "2026-03-05 16:45:00", "system"),
]

# the plain spelling of macros/redaction.sql's address pattern (the only one these fixtures use)
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!$%'*+^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# (file, line, reason): every rejected line
EXPECTED_REJECTS = [
    (SUBS_1, 9, "unmapped_scope"),
    (SUBS_1, 10, "unknown_legal_basis"),
    (SUBS_1, 11, "invalid_json"),
    (SUBS_1, 12, "unknown_status"),
    (SUBS_1, 13, "unknown_channel"),
    (SUBS_1, 14, "channel_mismatch"),
    (SUBS_1, 15, "missing_email"),
    (WIDE, 3, "unknown_status"),
    (WIDE, 4, "invalid_email"),
    (EMAIL_EVENTS, 5, "missing_bounce_category"),
    (EMAIL_EVENTS, 6, "invalid_timestamp"),
    (CONTACTS, 3, "missing_email"),
]

# file: (lines_read, accepted, rejected, duplicates, ignored)
EXPECTED_RECONCILIATION = {
    SUBS_1: (15, 8, 7, 0, 0),
    SUBS_2: (3, 1, 0, 2, 0),
    WIDE: (4, 2, 2, 0, 0),
    EMAIL_EVENTS: (6, 2, 2, 0, 2),
    CONTACTS: (4, 0, 1, 0, 3),
}


@pytest.fixture(scope="module")
def db(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def test_consent_events_are_exactly_the_expected_ones(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, contact_key, scope, channel, purpose, action, lawful_basis,
               occurred_at, capture_method
        from consent.consent_events
        where source_system = 'hubspot'
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
            ('hubspot/2026-04-01/subscription_statuses_001.jsonl', 1),
            ('hubspot/2026-04-01/email_events_001.jsonl', 1))
        order by file_name
    """)
    assert rows == [
        (EMAIL_EVENTS, 1, "ev-1", None, None),
        (SUBS_1, 1, f"{key('ana.silva@example.com')}:9001:2026-03-02 09:15:00", None, None),
    ]


def test_rejected_records_keep_raw_text_and_reason(db: Path) -> None:
    rows = query(db, """
        select file_name, line_number, reason, raw_text
        from audit.rejected_records
        where source_system = 'hubspot'
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
        where source_system = 'hubspot'
    """)
    got = {r[0]: r[1:6] for r in rows}
    assert got == EXPECTED_RECONCILIATION
    assert all(r[6] == 0 and r[7] and r[8] == "loaded" for r in rows)


def test_countries_from_contacts(db: Path) -> None:
    rows = query(db, """
        select contact_key, source_system, country_code
        from intermediate.int_contact_countries__unioned
        where source_system = 'hubspot'
        order by all
    """)
    expected = sorted([
        (key("ana.silva@example.com"), "hubspot", "DE"),
        (key("femi.brown@vandelay.example"), "hubspot", "US"),  # "us"
        (key("hiro.larsen@stark.example"), "hubspot", "DE"),  # "Germany", through country_names
    ])
    assert rows == expected
