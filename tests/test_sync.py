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
from pathlib import Path

import duckdb
import pytest

from orchestration.features.segment_export import ExportError
from orchestration.features.suppression_sync import IMPORTS, sync_summary, write_outboxes, write_suppression_sync
from tests.conftest import query

FIRST, SECOND = "2026-11-22", "2026-11-28"
EMAIL_FILES = [spec for spec in IMPORTS if spec.kind == "email"]


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


def test_previous_is_the_most_recent_earlier_run_of_the_same_warehouse(publishes: dict[str, Path],
                                                                       tmp_path: Path) -> None:
    lineage = query(publishes[FIRST], "select cast(min(published_at) as varchar) from audit.publications")[0][0]
    for as_of, address, written_by in (("2026-11-01", "old@ops.example", lineage),
                                       ("2026-11-20", "recent@ops.example", lineage),
                                       ("2026-11-21", "other@ops.example", "another warehouse"),
                                       ("2026-12-01", "future@ops.example", lineage)):
        folder = tmp_path / as_of / "hubspot"
        folder.mkdir(parents=True)
        (folder / "hubspot_opt_out_full.csv").write_text(f"Email\n{address}\nfemi@ops.example\n")
        (tmp_path / as_of / "publication.json").write_text(json.dumps({"lineage": written_by}))
    (tmp_path / "not-a-date" / "hubspot").mkdir(parents=True)
    write_suppression_sync(publishes[FIRST], FIRST, tmp_path)
    hubspot = tmp_path / FIRST / "hubspot"
    # 2026-11-21 belongs to another warehouse writing into the same folder: never a baseline
    assert emails(hubspot / "hubspot_opt_out_added.csv") == ["hana@ops.example"]
    assert emails(hubspot / "hubspot_opt_out_lifted.csv") == ["recent@ops.example"]
    # a tool without an earlier file: everything is added
    mailchimp = tmp_path / FIRST / "mailchimp"
    assert emails(mailchimp / "mailchimp_unsubscribed_added.csv") == ["femi@ops.example", "hana@ops.example"]


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


def published_like(path: Path, flagged: list[tuple[str, str | None]]) -> Path:
    """A minimal published file whose consent.tool_suppressions holds the given (email, flag) rows."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema consent; create schema audit")
        for table in ("consent_events", "consent_history"):
            con.execute(f"create table consent.{table} (contact_key varchar)")
        con.execute("create table consent.marketable_audience (contact_key varchar, email varchar, channel varchar)")
        for table in ("rejected_records", "load_reconciliation", "sends_without_consent", "withdrawal_sla"):
            con.execute(f"create table audit.{table} (contact_key varchar)")
        con.execute("create table consent.consent_status (contact_key varchar, as_of date)")
        con.execute("create table consent.contacts as select sha256(email) as contact_key, email, "
                    "false as is_erased from (select unnest(?) as email)",
                    [sorted({row[0] for row in flagged})])
        con.execute("create table consent.suppression_list (contact_key varchar, email varchar)")
        con.execute("create table consent.tool_suppressions (flag varchar, contact_key varchar, email varchar)")
        for email, flag in flagged:
            con.execute("insert into consent.tool_suppressions values (?, sha256(?), ?)", [flag, email, email])
    return path


def test_each_import_carries_its_flag(tmp_path: Path) -> None:
    """Which suppressions set which flag is the dbt rule (tool_suppression_rules seed, unit test
    tool_flags_carry_only_channel_wide_suppressions); sync writes each flag to its imports."""
    warehouse = published_like(tmp_path / "w.duckdb", [
        ("email-out@x.example", "email"),
        ("phone-out@x.example", "phone"),
        ("complained@x.example", "email"),
        ("everything@x.example", "email"),
        ("everything@x.example", "phone"),
        ("everything@x.example", "solicit"),
        ("sold@x.example", None),
    ])
    write_suppression_sync(warehouse, FIRST, tmp_path / "exports")
    full = files_of(tmp_path / "exports", FIRST, "full")
    email_flag = ["complained@x.example", "email-out@x.example", "everything@x.example"]
    for spec in EMAIL_FILES:
        assert emails(full[spec.prefix]) == email_flag
    assert emails(full["salesforce_contact_do_not_call"]) == ["everything@x.example", "phone-out@x.example"]
    assert emails(full["marketo_do_not_call"]) == ["everything@x.example", "phone-out@x.example"]
    assert emails(full["salesforce_individual_opt_out_solicit"]) == ["everything@x.example"]
    assert "1 purpose-level or sale/sharing suppressions" in sync_summary(tmp_path / "exports", FIRST)
