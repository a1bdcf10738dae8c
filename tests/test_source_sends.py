"""The sends log (what the tools sent, never consent) end to end over hand-written landing files.

The fixture (tests/fixtures/landing/onetrust_sends, shared with test_source_onetrust.py) has a sends
file, the same sends file re-delivered, and a sends file with a conflicting send id and a send after
the run date; the OneTrust receipts beside it are the consent each send is checked against.
Expected rows are written out by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query
from tests.expected import event_id, key, ts

LANDING = FIXTURES / "landing" / "onetrust_sends"
AS_OF = "2026-03-31"
SENDS = "sends/2026-03-20/sends_onetrust_fixture_0320.csv"
SENDS_AGAIN = "sends/2026-03-21/sends_onetrust_fixture_0320_redelivered.csv"
SENDS_LATER = "sends/2026-03-21/sends_onetrust_fixture_0321.csv"


@pytest.fixture(scope="module")
def db(build_warehouse: Callable[[Path, str], Path]) -> Path:
    return build_warehouse(LANDING, AS_OF)


def test_reconciliation_balances_every_sends_file(db: Path) -> None:
    rows = query(db, """
        select file_name, lines_read, accepted, rejected, duplicates, ignored, unaccounted,
               partially_rejected, events, is_balanced
        from audit.load_reconciliation
        where source_system = 'sends'
    """)
    assert sorted(rows) == sorted([
        # sends are never events: valid lines and the header are ignored, bad lines rejected
        (SENDS, 17, 0, 3, 0, 14, 0, 0, 0, True),
        (SENDS_AGAIN, 17, 0, 3, 0, 14, 0, 0, 0, True),
        (SENDS_LATER, 4, 0, 2, 0, 2, 0, 0, 0, True),
    ])
    assert query(db, "select count(*) from consent.consent_events where source_system = 'sends'") == [(0,)]


def test_sends_lines_are_accounted_with_reasons(db: Path) -> None:
    rejected = query(db, "select file_name, line_number, reason from audit.rejected_records "
                         "where source_system = 'sends'")
    assert sorted(rejected) == sorted([
        (SENDS, 13, "missing_email"), (SENDS, 14, "malformed_csv_line"), (SENDS, 15, "invalid_timestamp"),
        (SENDS_AGAIN, 13, "missing_email"), (SENDS_AGAIN, 14, "malformed_csv_line"),
        (SENDS_AGAIN, 15, "invalid_timestamp"),
        # s-1 again from hubspot with another time: the first reading stands, the conflict is visible
        (SENDS_LATER, 2, "conflicting_send_id"),
        (SENDS_LATER, 3, "sent_after_as_of"),
    ])
    ignored = query(db, """
        select file_name, reason, count(*)
        from intermediate.int_consent_events__deduplicated
        where source_system = 'sends' and outcome = 'ignored'
        group by all
    """)
    assert sorted(ignored) == sorted([
        (SENDS, "csv_header", 1), (SENDS, "send_record", 13),
        (SENDS_AGAIN, "csv_header", 1), (SENDS_AGAIN, "send_record_redelivered", 13),
        (SENDS_LATER, "csv_header", 1), (SENDS_LATER, "send_record", 1),
    ])


def test_sends_without_consent_are_exactly_the_unjustified_sends(db: Path) -> None:
    rows = query(db, """
        select send_id, source_system, contact_key, sent_at, channel, purpose, status_at_send,
               blocked_reason, evidence_event_id, jurisdiction, regime, file_name, line_number
        from audit.sends_without_consent
    """)
    ana = key("ana@example.com")
    expected = [
        # after ana withdrew the newsletter (r-6)
        ("s-2", "hubspot", ana, ts("2026-03-06 10:00"), "email", "newsletter", "withdrawn",
         "purpose_opt_out", event_id(db, "onetrust", "r-6", "newsletter"), "FR", "opt_in", SENDS, 3),
        # before any consent, in an opt-in country
        ("s-3", "hubspot", ana, ts("2026-03-01 10:00"), "email", "newsletter", "not_given",
         "no_consent", None, "FR", "opt_in", SENDS, 4),
        # an address with no history at all: unknown country, strictest regime
        ("s-4", "mailchimp", key("zoe@example.com"), ts("2026-03-10 10:00"), "email", "newsletter",
         "not_given", "no_consent_record", None, "ZZ", "opt_in", SENDS, 5),
        # between the PENDING receipt and the double opt-in confirmation
        ("s-7", "hubspot", key("dmitri@example.com"), ts("2026-03-04 08:15"), "email", "newsletter",
         "pending", "pending_confirmation", event_id(db, "onetrust", "r-7", "newsletter"), "DE", "opt_in", SENDS, 8),
        ("s-9", "marketo", ana, ts("2026-03-04 11:00"), "email", "webinar_blast", "not_given",
         "unknown_purpose", None, "FR", "opt_in", SENDS, 10),
        ("s-10", "marketo", ana, ts("2026-03-04 11:00"), "sms", "newsletter", "not_given",
         "purpose_not_offered_on_channel", None, "FR", "opt_in", SENDS, 11),
        ("s-11", "marketo", ana, ts("2026-03-04 11:00"), "fax", "newsletter", "not_given",
         "unknown_channel", None, "FR", "opt_in", SENDS, 12),
        # after femi's HARD_OPT_OUT of event invitations (CASL)
        ("s-15", "marketo", key("femi@example.com"), ts("2026-03-08 09:00"), "email", "event_invitations",
         "withdrawn", "purpose_opt_out", event_id(db, "onetrust", "r-10", "event_invitations"), "CA", "casl",
         SENDS, 16),
    ]
    # not flagged: s-1 (within ana's grant, from hubspot and from mailchimp), s-5 (US before any
    # event: opt-out regime), s-6 (US, implied consent), s-8 (after dmitri's double opt-in),
    # s-16 (femi's EXTENDed newsletter grant); re-delivered and rejected lines are not sends
    assert sorted(rows, key=lambda r: r[0]) == sorted(expected, key=lambda r: r[0])
