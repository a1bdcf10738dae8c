"""The consent marts rewritten per contact (issue 9): consent_history, consent_status,
suppression_list and marketable_audience recompute only tonight's affected contacts, and the result
equals a full refresh. tests/test_incremental.py and tests/test_backfill.py compare every published
table over several scenarios; these pin what those miss."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import paths
from tests.conftest import dbt_build
from tests.test_incremental import TESTS, assert_same_published

RUN_DATE = "2026-03-02"
# the marts that read int_contacts__affected and keep the other contacts' rows from earlier runs
PER_CONTACT_MARTS = {"consent_history", "consent_status", "suppression_list", "marketable_audience"}


def _signup(email: str) -> str:
    return json.dumps({
        "submission_id": f"s-{email}", "submitted_at": "2026-03-01T09:00:00Z", "email": email,
        "form_id": "newsletter-footer", "page_url": "https://example.com/blog", "country": "US", "gpc": False,
        "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": "newsletter", "channel": "email", "granted": True, "prechecked": False}]})


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_an_erasure_known_only_from_a_later_request_leaves_the_audience_on_a_rerun(tmp_path: Path) -> None:
    """An erasure request landed in a folder dated after the run date is no event of that date, so
    a rerun of the date affects no contact; the warehouse still knows the erasure (it is
    permanent), so the address leaves marketable_audience, as in a full refresh."""
    landing = tmp_path / "landing"
    _write(landing / "webforms" / "2026-03-01" / "submissions_001.jsonl",
           [_signup("gone@example.com"), _signup("stays@example.com")])
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    first = dbt_build(landing, database, RUN_DATE, exclude=TESTS)
    assert first.returncode == 0, first.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        audience = con.execute("select count(distinct contact_key) from consent.marketable_audience").fetchone()
    assert audience == (2,), "both are in the audience before the request lands"

    _write(landing / "requests" / "2026-03-03" / "privacy_requests_001.jsonl", [json.dumps(
        {"request_id": "dsr-1", "received_at": "2026-03-03T09:00:00Z", "email": "gone@example.com",
         "type": "erasure"})])
    rerun = dbt_build(landing, database, RUN_DATE, exclude=TESTS)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, RUN_DATE, exclude=TESTS, full_refresh=True).returncode == 0

    with duckdb.connect(str(database), read_only=True) as con:
        affected = con.execute("select count(*) from intermediate.int_contacts__affected").fetchone()
        emails = con.execute("select distinct email from consent.marketable_audience").fetchall()
    assert affected == (0,), "the rerun took the incremental path: no contact was affected"
    assert emails == [("stays@example.com",)]
    assert_same_published(database, full)


@pytest.mark.usefixtures("parsed_project")
def test_the_resolution_state_is_written_only_after_every_mart_rewritten_per_contact() -> None:
    """The resolver's state (the fingerprints that decide who is affected next night) is written
    after every model that rewrites tonight's affected contacts: when one of them fails, the state
    is not advanced and the next night recomputes the same contacts, so no mart keeps a stale row."""
    manifest = json.loads((paths.dbt_target() / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    affected = "model.consent_ledger.int_contacts__affected"
    state = "model.consent_ledger.int_contacts__resolution_state"
    readers = {unique_id for unique_id, node in nodes.items()
               if node["resource_type"] == "model" and affected in node["depends_on"]["nodes"]
               and node["config"]["materialized"] == "incremental" and unique_id != state}
    marts = {nodes[unique_id]["name"] for unique_id in readers if nodes[unique_id]["schema"].endswith("consent")}
    assert marts == PER_CONTACT_MARTS
    for unique_id in marts:
        assert nodes[f"model.consent_ledger.{unique_id}"]["config"]["unique_key"] == "contact_key"

    upstream: set[str] = set()
    pending = [state]
    while pending:
        for parent in nodes.get(pending.pop(), {}).get("depends_on", {}).get("nodes", []):
            if parent not in upstream:
                upstream.add(parent)
                pending.append(parent)
    assert readers <= upstream, sorted(readers - upstream)


@pytest.mark.usefixtures("parsed_project")
def test_a_deploy_that_changes_a_mart_rewrites_every_contact() -> None:
    """A mart rewritten per contact keeps the other contacts' rows from earlier nights: a deploy
    that changes its SQL (or the calendar suppression_list counts honour_by in) must reach every
    contact, as a change to the resolver's own SQL does, so the rules fingerprint covers them."""
    manifest = json.loads((paths.dbt_target() / "manifest.json").read_text(encoding="utf-8"))
    rules = manifest["macros"]["macro.consent_ledger.resolver_rules_fingerprint"]["macro_sql"]
    for name in sorted(PER_CONTACT_MARTS | {"int_calendar__business_days"}):
        assert f"'{name}'" in rules, name
