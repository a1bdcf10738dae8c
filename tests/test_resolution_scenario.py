"""The whole job on a scenario landing set, checked against answers a privacy lawyer wrote by hand
(tests/fixtures/expected/resolution_scenario_status.csv, one row per question, with the reason why)
over tests/fixtures/landing/resolution_scenario/."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, query

SCENARIO = FIXTURES / "landing" / "resolution_scenario"
EXPECTED = list(csv.DictReader((FIXTURES / "expected" / "resolution_scenario_status.csv").open()))


@pytest.fixture(scope="module")
def warehouse(build_warehouse) -> Path:  # type: ignore[no-untyped-def]
    return build_warehouse(SCENARIO, "2026-06-30")


@pytest.mark.parametrize("row", EXPECTED, ids=[f"{r['email']}:{r['purpose']}" for r in EXPECTED])
def test_status_matches_the_hand_written_answer(warehouse: Path, row: dict[str, str]) -> None:
    key = hashlib.sha256(row["email"].encode()).hexdigest()
    found = query(warehouse, "select status, can_contact, coalesce(blocked_reason, ''), evidence_event_id "
                  "from consent.consent_status where contact_key = ? and purpose = ? and channel = ?",
                  [key, row["purpose"], row["channel"]])
    assert len(found) == 1, row
    status, can_contact, reason, evidence = found[0]
    expected = (row["status"], row["can_contact"] == "true", row["blocked_reason"])
    assert (status, can_contact, reason) == expected, row["why"]
    if status != "not_given":
        assert evidence is not None, "every decision names its evidence"


def test_history_answers_point_in_time_questions(warehouse: Path) -> None:
    """Could we email fr.scopes@example.com about the newsletter on 2026-05-04 12:00? Yes; on 05-06? No."""
    key = hashlib.sha256(b"fr.scopes@example.com").hexdigest()
    sql = ("select can_contact from consent.consent_history where contact_key = ? and purpose = 'newsletter' "
           "and channel = 'email' and valid_from <= cast(? as timestamp) "
           "and (valid_to > cast(? as timestamp) or valid_to is null)")
    assert query(warehouse, sql, [key, "2026-05-04 12:00", "2026-05-04 12:00"]) == [(True,)]
    assert query(warehouse, sql, [key, "2026-05-06 12:00", "2026-05-06 12:00"]) == [(False,)]


def test_suppression_list_shows_each_sources_opt_out_in_force(warehouse: Path) -> None:
    """Opt-outs are per source: each one still in force is listed with its own evidence; an
    opt-out its source lifted is not (and does not take another source's opt-out with it)."""
    sql = ("select s.scope, coalesce(s.channel, ''), s.reason, e.source_system "
           "from consent.suppression_list as s "
           "inner join consent.consent_events as e on e.event_id = s.evidence_event_id "
           "where s.contact_key = ? order by all")

    def rows(email: str) -> list[tuple]:
        return query(warehouse, sql, [hashlib.sha256(email.encode()).hexdigest()])

    assert rows("us.bothtools@example.com") == [
        ("channel", "email", "channel_opt_out", "hubspot"),
        ("global", "", "global_opt_out", "webforms"),
    ]
    assert rows("us.twotools@example.com") == [("global", "", "global_opt_out", "webforms")]
    assert rows("us.channels@example.com") == [("channel", "email", "channel_opt_out", "hubspot")]
    # the grant that lifted HubSpot's unsubscribe for product updates expired: listed again, whole scope
    assert rows("us.lapsed@example.com") == [("channel", "email", "channel_opt_out", "hubspot")]
