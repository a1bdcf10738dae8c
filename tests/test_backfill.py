"""What was done stays done: five publishes of one warehouse built from tests/fixtures/landing/marketing_ops/.

The landing grows as it would in production (a day's folder lands on its day):

1. nightly 2026-11-22 reads the 2026-11-20/21 files: femi and hana opted out of everything, jorge
   and pia of the newsletter, lena asked not to be sold, ivan was erased; kim needs re-consent;
2. nightly 2026-11-28 adds the 2026-11-26 files: hana was erased, gia objected, olga withdrew from
   research, femi opted back in;
3. nightly 2026-11-29, nothing new landed;
4. a backfill of 2026-11-22 (everything has landed by now, hana's erasure included);
5. a rerun of 2026-11-29.

Each step runs what the nightly job runs after dbt: publish, then the tool files and outboxes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.conftest import OPS_STEPS

HANA = "hana@ops.example"


def table(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def history(ops_history: dict) -> dict:
    """The session's five publishes of the marketing_ops landing (tests/conftest.py ops_history)."""
    return ops_history


def test_a_backfill_never_replaces_the_latest_state(history: dict) -> None:
    states = history["states"]
    assert table(states["backfill"]["latest"], "select distinct as_of from consent.consent_status") == \
        table(states["nightly3"]["latest"], "select distinct as_of from consent.consent_status")
    snapshot = states["backfill"]["published"]
    assert snapshot != history["warehouse"] and snapshot.name == "ledger_as_of_2026-11-22.duckdb"
    assert [str(r[0]) for r in table(snapshot, "select distinct as_of from consent.consent_status")] == ["2026-11-22"]
    # the rest of the backfill is the point-in-time answer: gia had not objected yet on 11-22
    assert table(snapshot, "select count(*) from audit.withdrawal_sla where contact_key = sha256('gia@ops.example')") \
        == [(0,)]
    kinds = table(history["warehouse"], "select kind from audit.publications order by publication_number")
    assert [k[0] for k in kinds] == ["nightly", "nightly", "nightly", "rerun"]


def test_a_backfill_never_republishes_an_erased_address(history: dict) -> None:
    snapshot = history["states"]["backfill"]["published"]
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for sql in ("select email from consent.contacts", "select email from consent.suppression_list",
                    "select email from consent.marketable_audience"):
            assert HANA not in {r[0] for r in con.execute(sql).fetchall()}, sql
        assert con.execute("select is_erased from consent.contacts where contact_key = sha256(?)",
                           [HANA]).fetchall() == [(True,)]
    # nothing written after the erasure arrived names her: not the backfill, not the later nights
    before = history["states"]["nightly1"]["exports"]
    for step in ("nightly2", "nightly3", "backfill", "rerun"):
        for name, text in history["states"][step]["exports"].items():
            if text != before.get(name):
                assert HANA not in text, (step, name)


def test_the_backfill_writes_no_tool_file_or_outbox(history: dict) -> None:
    states = history["states"]
    assert states["backfill"]["exports"] == states["nightly3"]["exports"]


def test_first_publication_dates_never_move(history: dict) -> None:
    sql = "select contact_key, evidence_event_id, first_published_as_of, is_late from audit.withdrawal_sla"
    after_second = {r[:2]: r[2:] for r in table(history["states"]["nightly2"]["latest"], sql)}
    first = {r[:2]: r[2:] for r in table(history["states"]["nightly1"]["latest"], sql)}
    assert {str(v[0]) for v in after_second.values()} == {"2026-11-22", "2026-11-28"}
    for key, value in first.items():
        if key in after_second:
            assert after_second[key] == value
    for step in ("nightly3", "backfill", "rerun"):
        now = {r[:2]: r[2:] for r in table(history["states"][step]["latest"], sql)}
        assert now == after_second, step


def test_the_ledger_is_append_only(history: dict) -> None:
    sql = "select * from audit.publication_ledger order by all"
    previous: list[tuple] = []
    for step, _ in OPS_STEPS:
        rows = table(history["states"][step]["latest"], sql)
        assert set(previous) <= set(rows), step
        previous = rows
    assert table(history["states"]["backfill"]["latest"], sql) == table(history["states"]["nightly3"]["latest"], sql)


def outbox_rows(history: dict, name: str) -> list[list[str]]:
    rows = []
    for path in sorted(history["exports"].glob(f"*/outbox/{name}*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += [dict(row) for row in csv.DictReader(handle)]
    return rows


def test_each_withdrawal_is_confirmed_once(history: dict) -> None:
    rows = outbox_rows(history, "withdrawal_confirmations")
    events = [e.strip() for row in rows for e in row["withdrawal_event_ids"].split(";")]
    assert events and len(events) == len(set(events))
    assert sorted(row["email"] for row in rows) == sorted([
        "femi@ops.example", "hana@ops.example", "jorge@ops.example", "lena@ops.example", "pia@ops.example",
        "gia@ops.example", "olga@ops.example"])
    exports = history["exports"]
    for as_of in ("2026-11-29",):
        for path in (exports / as_of / "outbox").glob("withdrawal_confirmations*.csv"):
            assert len(path.read_text(encoding="utf-8").splitlines()) == 1, path


def test_a_reconsent_request_is_sent_once_per_notice(history: dict) -> None:
    rows = outbox_rows(history, "reconsent_requests")
    assert [(row["email"], row["request_keys"]) for row in rows] == [("kim@ops.example", "partner_offers/email@3.0")]


def test_a_rerun_leaves_the_first_runs_files_and_adds_only_its_own(history: dict) -> None:
    states = history["states"]
    first, rerun = states["nightly3"]["exports"], states["rerun"]["exports"]
    assert {k: v for k, v in rerun.items() if k in first} == first
    assert all(".publication-" in name for name in set(rerun) - set(first))


def test_counts_agree_with_the_sync_files(history: dict) -> None:
    from orchestration.features.suppression_sync import sync_counts

    exports = history["exports"]
    for as_of in ("2026-11-22", "2026-11-28", "2026-11-29"):
        counts = sync_counts(exports, as_of)
        for prefix, numbers in counts["imports"].items():
            tool = prefix.split("_")[0]
            for part in ("full", "added", "lifted"):
                lines = (exports / as_of / tool / f"{prefix}_{part}.csv").read_text().splitlines()
                assert numbers[part] == len(lines) - 1, (as_of, prefix, part)
    # the second night compares with the first, the third with the second
    assert sync_counts(exports, "2026-11-28")["imports"]["hubspot_opt_out"]["compared_with"] == "2026-11-22"
    assert sync_counts(exports, "2026-11-29")["imports"]["hubspot_opt_out"]["compared_with"] == "2026-11-28"


def test_readme_queries_run_as_written(history: dict) -> None:
    """The README's analyst queries, with the README's way of opening the file."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Querying the published warehouse", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    statements = [s for s in section.split(";") if "select" in s.lower()]
    assert len(statements) >= 3
    con = duckdb.connect(str(history["warehouse"]), read_only=True)
    try:
        for statement in statements:
            con.execute(statement).fetchall()
    finally:
        con.close()


def test_cookbook_queries_run_as_written(history: dict) -> None:
    """docs/cookbook.md: every query runs as written against the published sample warehouse, and the
    lookups of a known person answer with rows (a renamed column or table breaks this test)."""
    cookbook = (Path(__file__).resolve().parents[1] / "docs" / "cookbook.md").read_text(encoding="utf-8")
    queries = [block.split("```", 1)[0] for block in cookbook.split("```sql")[1:]]
    assert len(queries) >= 10
    with duckdb.connect(str(history["warehouse"]), read_only=True) as con:
        for query in queries:
            rows = con.execute(query).fetchall()
            if "@ops.example" in query:
                assert rows, f"no rows for a known person:\n{query}"
