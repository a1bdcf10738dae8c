"""Suppression sync files and outboxes across two nightly publishes of tests/fixtures/landing/marketing_ops/.

Publish 1 (as of 2026-11-22) reads the 2026-11-20/21 files: femi and hana opted out of everything,
jorge and pia out of the newsletter, lena asked not to be sold, ivan was erased, kim and pia hold
partner-offer grants under a notice that needs re-consent. Publish 2 (2026-11-28, an incremental
run on the same working database that reads publish 1, as the nightly job does) adds the
2026-11-26 files: femi opted back in to every purpose, gia objected (global opt-out), hana was
erased, olga withdrew from research.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.features.segment_export import ExportError
from orchestration.features.suppression_sync import IMPORTS, sync_summary, write_outboxes, write_suppression_sync
from tests.conftest import OPS_LANDING, dbt_build, land_until, query

FIRST, SECOND = "2026-11-22", "2026-11-28"


@pytest.fixture(scope="module")
def publishes(ops_history: dict) -> dict[str, Path]:
    """The published warehouse (ledger.duckdb, as in production) after each of the first two nightly
    builds of the marketing_ops landing, each reading the previous publish and each day's folder
    landing on its day (copies from the session's tests/conftest.py ops_history)."""
    states = ops_history["states"]
    assert (states["nightly1"]["as_of"], states["nightly2"]["as_of"]) == (FIRST, SECOND)
    return {FIRST: states["nightly1"]["latest"], SECOND: states["nightly2"]["latest"]}


def emails(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[0] for row in list(csv.reader(handle))[1:]]


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def files_of(root: Path, as_of: str, part: str) -> dict[str, Path]:
    return {spec.prefix: root / as_of / spec.tool / f"{spec.prefix}_{part}.csv" for spec in IMPORTS}


def test_first_publish_adds_everything(publishes: dict[str, Path], tmp_path: Path) -> None:
    written = write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    assert set(written) == {"hubspot", "mailchimp", "salesforce", "marketo"}
    assert all(path.is_file() for paths in written.values() for path in paths)
    for spec in IMPORTS:
        full = tmp_path / FIRST / spec.tool / f"{spec.prefix}_full.csv"
        header = rows(full)[0]
        assert header == [spec.email_header] + ([spec.flag_header] if spec.flag_header else [])
        # global opt-outs carry every tool-wide flag; purpose and sale opt-outs none
        assert emails(full) == ["femi@ops.example", "hana@ops.example"], spec.prefix
        assert rows(full)[1:] == [r for r in rows(full)[1:] if r[1:] in ([], ["true"])]
        assert emails(full.with_name(f"{spec.prefix}_added.csv")) == emails(full)
        assert emails(full.with_name(f"{spec.prefix}_lifted.csv")) == []
    summary = sync_summary(tmp_path, FIRST)
    assert "1 erased contacts cannot be synced by address" in summary
    assert "3 purpose-level or sale/sharing suppressions" in summary  # jorge, pia, lena
    assert (tmp_path / FIRST / "README.md").read_text().startswith("# Suppression sync files")


def test_second_publish_delta(publishes: dict[str, Path], tmp_path: Path) -> None:
    write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    # precondition from the fixture: femi's opt-in to every purpose left no suppression at all
    femi = query(publishes[SECOND], "select count(*) from consent.suppression_list "
                                    "where email = 'femi@ops.example'")[0][0]
    assert femi == 0
    write_suppression_sync(publishes[SECOND], SECOND, tmp_path)
    full, added, lifted = (files_of(tmp_path, SECOND, part) for part in ("full", "added", "lifted"))
    for spec in IMPORTS:
        assert emails(full[spec.prefix]) == ["gia@ops.example"]
        assert emails(added[spec.prefix]) == ["gia@ops.example"]
        # hana was erased since: not "lifted" (that would tell a tool to mail her again)
        assert emails(lifted[spec.prefix]) == ["femi@ops.example"]
        if spec.flag_header:
            assert rows(lifted[spec.prefix])[1] == ["femi@ops.example", "false"]
            assert rows(added[spec.prefix])[1] == ["gia@ops.example", "true"]
    summary = sync_summary(tmp_path, SECOND)
    assert "hubspot_opt_out 1 (+1 added, -1 lifted, 1 now erased; vs 2026-11-22)" in summary
    assert "2 erased contacts cannot be synced by address" in summary
    for path in (tmp_path / SECOND).rglob("*"):
        if path.is_file():
            assert "hana@ops.example" not in path.read_text(encoding="utf-8").lower(), path


def test_files_on_disk_are_never_the_baseline(publishes: dict[str, Path], tmp_path: Path) -> None:
    """What changed is audit.suppression_changes (against the previous publish recorded in the
    warehouse), not whatever earlier exports folder lies beside it: the first publish adds everything."""
    lineage = query(publishes[FIRST], "select cast(min(published_at) as varchar) from audit.publications")[0][0]
    for as_of, address in (("2026-11-01", "old@ops.example"), ("2026-11-20", "recent@ops.example")):
        folder = tmp_path / as_of / "hubspot"
        folder.mkdir(parents=True)
        (folder / "hubspot_opt_out_full.csv").write_text(f"Email\n{address}\nfemi@ops.example\n")
        (tmp_path / as_of / "publication.json").write_text(json.dumps({"lineage": lineage}))
    write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    hubspot = tmp_path / FIRST / "hubspot"
    assert emails(hubspot / "hubspot_opt_out_added.csv") == ["femi@ops.example", "hana@ops.example"]
    assert emails(hubspot / "hubspot_opt_out_lifted.csv") == []
    assert "vs nothing earlier" in sync_summary(tmp_path, FIRST)


def test_the_published_changes_say_what_changed(publishes: dict[str, Path]) -> None:
    """audit.suppression_changes of the second publish: per import, gia added, femi lifted, hana
    (erased since) counted without her address, against the first publish."""
    rows = query(publishes[SECOND], "select import_name, email, change, cast(compared_with_as_of as varchar) "
                                    "from audit.suppression_changes order by import_name, change, email")
    assert {row[0] for row in rows} == {spec.prefix for spec in IMPORTS}
    for spec in IMPORTS:
        assert [row[1:] for row in rows if row[0] == spec.prefix] == [
            ("gia@ops.example", "added", FIRST), (None, "erased", FIRST), ("femi@ops.example", "lifted", FIRST)]
    first = query(publishes[FIRST], "select distinct change, compared_with_as_of from audit.suppression_changes")
    assert first == [("added", None)]


def test_a_rerun_compares_with_the_same_earlier_publish(ops_history: dict, tmp_path: Path) -> None:
    """A rerun of 2026-11-28 reads that date's first publish as its published file, yet compares
    with the same earlier publish (2026-11-22) as the first run did: gia still added, femi still
    lifted, hana still erased; its files are the first run's brought up to date."""
    landing, published = tmp_path / "landing", tmp_path / "ledger.duckdb"
    land_until(OPS_LANDING, landing, SECOND)
    shutil.copy(ops_history["states"]["nightly2"]["latest"], published)
    database = tmp_path / "work" / "work.duckdb"
    result = dbt_build(landing, database, SECOND, published=published,
                        select="+suppression_changes", exclude="resource_type:test")
    assert result.returncode == 0, result.stdout[-6000:]
    sql = ("select import_name, contact_key, email, change, cast(compared_with_as_of as varchar) "
           "from audit.suppression_changes order by all")
    assert query(database, sql) == query(published, sql)
    assert {row[3] for row in query(database, sql)} == {"added", "lifted", "erased"}


def test_rerun_for_the_same_date_is_identical(publishes: dict[str, Path], tmp_path: Path) -> None:
    write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    first = {p: p.read_bytes() for p in (tmp_path / FIRST).rglob("*.csv")}
    write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    assert {p: p.read_bytes() for p in (tmp_path / FIRST).rglob("*.csv")} == first
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_as_of_must_match_the_warehouse(publishes: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="published for 2026-11-22"):
        write_suppression_sync(publishes[FIRST], SECOND, tmp_path)
    with pytest.raises(ExportError, match="YYYY-MM-DD"):
        write_outboxes(publishes[FIRST], "22/11/2026", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_outboxes(publishes: dict[str, Path], tmp_path: Path) -> None:
    first = write_outboxes(publishes[FIRST], FIRST, tmp_path)
    confirmations = {r[0]: r for r in rows(first["withdrawal_confirmations"])[1:]}
    # erased ivan has no address; everyone else who withdrew in this run is owed a confirmation
    assert sorted(confirmations) == ["femi@ops.example", "hana@ops.example", "jorge@ops.example",
                                     "lena@ops.example", "pia@ops.example"]
    assert confirmations["jorge@ops.example"][2] == "purpose_opt_out:newsletter/email"
    assert confirmations["lena@ops.example"][2] == "sale_opt_out"
    # kim needs re-consent; pia too, but she has a suppression, so she is not asked
    reconsent = rows(first["reconsent_requests"])
    assert [r[0] for r in reconsent[1:]] == ["kim@ops.example"]
    assert reconsent[1][2] == "partner_offers/email"

    second = write_outboxes(publishes[SECOND], SECOND, tmp_path)
    confirmations = {r[0]: r[2] for r in rows(second["withdrawal_confirmations"])[1:]}
    # only withdrawals not confirmed before; hana's erasure is new but she has no address
    assert confirmations == {"gia@ops.example": "global_opt_out",
                             "olga@ops.example": "purpose_opt_out:research/email"}
    # kim was asked on the first night and has not answered: not asked again before the interval
    assert rows(second["reconsent_requests"])[1:] == []
    for path in second.values():
        assert "hana@ops.example" not in path.read_text(encoding="utf-8")


def published_like(path: Path, changes: list[tuple[str, str | None, str]]) -> Path:
    """A minimal published file whose audit.suppression_changes holds the given (import, email,
    change) rows (an erased row has no email), compared with 2026-11-21."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema consent; create schema audit")
        for table in ("consent_events", "consent_history"):
            con.execute(f"create table consent.{table} (contact_key varchar)")
        con.execute("create table consent.marketable_audience (contact_key varchar, email varchar, channel varchar)")
        for table in ("rejected_records", "load_reconciliation", "sends_without_consent", "withdrawal_sla"):
            con.execute(f"create table audit.{table} (contact_key varchar)")
        con.execute("create table consent.consent_status (contact_key varchar, as_of date)")
        con.execute("create table consent.contacts (contact_key varchar, email varchar, is_erased boolean)")
        con.execute("create table consent.suppression_list (contact_key varchar, email varchar)")
        con.execute("create table consent.tool_suppressions (flag varchar, contact_key varchar, email varchar)")
        con.execute("insert into consent.tool_suppressions values (null, sha256('sold@x.example'), 'sold@x.example')")
        con.execute("create table audit.suppression_changes (import_name varchar, tool varchar, contact_key varchar, "
                    "email varchar, change varchar, compared_with_as_of date, as_of date)")
        for name, email, change in changes:
            con.execute("insert into audit.suppression_changes values (?, ?, sha256(coalesce(?, 'gone')), ?, ?, "
                        "date '2026-11-21', date '2026-11-22')",
                        [name, name.split("_")[0], email, email, change])
    return path


def test_sync_writes_the_published_changes(tmp_path: Path) -> None:
    """Which address each import carries and what changed is the dbt rule (tool_imports seed,
    audit.suppression_changes and its unit tests); sync writes each import's rows in its layout."""
    warehouse = published_like(tmp_path / "w.duckdb", [
        ("hubspot_opt_out", "kept@x.example", "kept"),
        ("hubspot_opt_out", "new@x.example", "added"),
        ("hubspot_opt_out", "back@x.example", "lifted"),
        ("hubspot_opt_out", None, "erased"),
        ("salesforce_contact_do_not_call", "phone-out@x.example", "added"),
    ])
    # the sync of the publish compared with completed (its marker; this file has no publications)
    (tmp_path / "exports" / "2026-11-21").mkdir(parents=True)
    (tmp_path / "exports" / "2026-11-21" / "publication.json").write_text(json.dumps({"lineage": None}))
    write_suppression_sync(warehouse, FIRST, tmp_path / "exports")
    full, added, lifted = (files_of(tmp_path / "exports", FIRST, part) for part in ("full", "added", "lifted"))
    assert emails(full["hubspot_opt_out"]) == ["kept@x.example", "new@x.example"]
    assert emails(added["hubspot_opt_out"]) == ["new@x.example"]
    assert emails(lifted["hubspot_opt_out"]) == ["back@x.example"]
    assert rows(full["salesforce_contact_do_not_call"]) == [["Email", "DoNotCall"], ["phone-out@x.example", "true"]]
    assert rows(lifted["salesforce_contact_do_not_call"]) == [["Email", "DoNotCall"]]
    assert rows(full["marketo_do_not_call"]) == [["Email Address", "Do Not Call"]]
    summary = sync_summary(tmp_path / "exports", FIRST)
    assert "hubspot_opt_out 2 (+1 added, -1 lifted, 1 now erased; vs 2026-11-21)" in summary
    assert "1 purpose-level or sale/sharing suppressions" in summary


def test_a_warehouse_without_the_changes_table_is_refused(tmp_path: Path) -> None:
    warehouse = published_like(tmp_path / "w.duckdb", [])
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table audit.suppression_changes")
    with pytest.raises(ExportError, match=r"audit\.suppression_changes"):
        write_suppression_sync(warehouse, FIRST, tmp_path / "exports")
    assert not (tmp_path / "exports" / FIRST / "hubspot").exists()


def test_a_night_whose_sync_did_not_complete_is_resent_whole(ops_history: dict, tmp_path: Path) -> None:
    """Fail closed: when the sync of the publish compared with never completed (no marker of this
    warehouse for that date), its additions may never have reached the tools, so the next night's
    *_added.csv lists every suppressed address; once it completed, added is only what is new."""
    third = ops_history["states"]["nightly3"]
    assert third["as_of"] == "2026-11-29"
    second = ops_history["states"]["nightly2"]["latest"]
    missed, synced = tmp_path / "missed", tmp_path / "synced"
    write_suppression_sync(second, SECOND, synced)
    for root in (missed, synced):
        write_suppression_sync(third["latest"], third["as_of"], root)
    for spec in IMPORTS:
        full = emails(files_of(missed, third["as_of"], "full")[spec.prefix])
        assert "gia@ops.example" in full  # suppressed since 2026-11-28, kept tonight
        assert emails(files_of(missed, third["as_of"], "added")[spec.prefix]) == full
        assert "gia@ops.example" not in emails(files_of(synced, third["as_of"], "added")[spec.prefix])
    assert f"The sync of {SECOND} did not complete" in sync_summary(missed, third["as_of"])
    assert "did not complete" not in sync_summary(synced, third["as_of"])
