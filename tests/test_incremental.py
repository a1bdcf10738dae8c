"""Principle 5: landing files are read once, incrementally, and the result equals a full refresh;
nightly runs reuse dbt's parse (issue 9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, REPO, dbt_build, dbt_env, in_slot

AS_OF = "2026-03-10"
GENERATED_END = "2026-03-09"
TESTS = "resource_type:test resource_type:unit_test"  # the equivalence needs the tables, not the tests


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in ('consent', 'audit') order by all", [catalog]).fetchall()


def assert_same_published(incremental: Path, full: Path, ignore: frozenset[str] = frozenset()) -> None:
    """Every published table (consent, audit) has the same rows in both databases, leaving out the
    `ignore` columns (when each line was loaded differs between nightly runs and one full refresh)."""
    with duckdb.connect() as con:
        con.execute("attach ? as inc (read_only)", [str(incremental)])
        con.execute("attach ? as ful (read_only)", [str(full)])
        tables = published_tables(con, "inc")
        assert tables == published_tables(con, "ful")
        assert len(tables) == 15  # with audit.landing_incidents, audit.suppression_changes, consent.tool_suppressions
        for schema, table in tables:
            columns = ", ".join(f'"{name}"' for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'inc' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
                if name not in ignore)
            for a, b in (("inc", "ful"), ("ful", "inc")):
                extra = con.execute(
                    f'select count(*) from (select {columns} from {a}.{schema}."{table}" '
                    f'except all select {columns} from {b}.{schema}."{table}")').fetchone()[0]
                assert extra == 0, f"{schema}.{table}: {extra} rows in {a} not in {b}"


def test_incremental_runs_equal_a_full_refresh(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", landing)
    later = tmp_path / "later_requests"
    shutil.move(landing / "requests", later)

    incremental = tmp_path / "incremental" / "work.duckdb"
    incremental.parent.mkdir()
    assert dbt_build(landing, incremental, AS_OF).returncode == 0
    shutil.move(later, landing / "requests")  # the next extract lands
    second = dbt_build(landing, incremental, AS_OF)
    assert second.returncode == 0, second.stdout[-3000:]

    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, AS_OF, full_refresh=True).returncode == 0

    assert_same_published(incremental, full)
    with duckdb.connect(str(incremental), read_only=True) as con:
        erasures = con.execute("select count(*) from consent.consent_events where action = 'erasure'").fetchone()
    # dan's erasure and gus's (honoured despite an impossible received_at)
    assert erasures == (2,), "the second increment was read"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small generated history (every source, re-deliveries, snapshots) and its full refresh."""
    root = tmp_path_factory.mktemp("generated")
    landing = root / "landing"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "generate", "--out", str(landing), "--contacts", "150",
         "--days", "3", "--seed", "11", "--end-date", GENERATED_END],
        cwd=REPO, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-3000:]
    full = root / "full" / "work.duckdb"
    full.parent.mkdir()
    built = dbt_build(landing, full, AS_OF, exclude=TESTS, full_refresh=True)
    assert built.returncode == 0, built.stdout[-3000:]
    return landing, full


def land(files: list[Path], source: Path, landing: Path) -> None:
    for file in files:
        target = landing / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)


def extract_days(landing: Path) -> dict[str, list[Path]]:
    days: dict[str, list[Path]] = {}
    for file in sorted(p for p in landing.glob("*/*/*") if p.is_file()):
        days.setdefault(file.parent.name, []).append(file)
    return days


def test_nightly_batches_equal_one_full_refresh(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    """Landing the files day by day, with an incremental run each night, publishes the same tables
    as one full refresh over all of them. The nights resolve their contacts in hash buckets of at
    most 150 events (macros/contact_buckets.sql; the full refresh in one): slices of contacts must
    decide exactly what all of them at once do."""
    source, full = generated
    days = extract_days(source)
    assert len(days) >= 3
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    bucketed = 0
    for day in sorted(days):
        land(days[day], source, landing)
        result = dbt_build(landing, database, AS_OF, exclude=TESTS, env={"CONSENT_LEDGER_BUCKET_EVENTS": "150"})
        assert result.returncode == 0, f"night of {day}: " + result.stdout[-3000:]
        bucketed += result.stdout.count("int_consent_history__resolved: ")
    assert bucketed >= 1, "no night resolved its contacts in buckets"
    assert_same_published(database, full)


def test_a_late_file_equals_it_arriving_on_time(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    """A file dated in the past that lands after later files gives the tables it would have given
    had it come on time: the first day's files land last."""
    source, full = generated
    days = extract_days(source)
    first, *rest = sorted(days)
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    land([f for day in rest for f in days[day]], source, landing)
    assert dbt_build(landing, database, AS_OF, exclude=TESTS).returncode == 0
    land(days[first], source, landing)
    late = dbt_build(landing, database, AS_OF, exclude=TESTS)
    assert late.returncode == 0, late.stdout[-3000:]
    assert_same_published(database, full)


def test_a_new_run_date_reuses_the_parse(tmp_path: Path) -> None:
    """The run date reaches dbt in CONSENT_LEDGER_AS_OF, not as a dbt var: the next night's parse is
    partial, not full ("Unable to do partial parsing because config vars ... changed"), and the SQL
    it compiles is for the new date."""
    dbt = [str(Path(sys.executable).with_name("dbt")), "--debug", "--log-format", "json"]
    where = ["--profiles-dir", str(REPO), "--project-dir", str(REPO)]
    events = []
    # in this process's slot (tests/conftest.py): its saved parse, if any, is reused by the first step
    with in_slot(tmp_path / "work.duckdb") as slot:
        env = dbt_env(tmp_path, slot, "2026-03-10")
        compiled_sql = Path(env["DBT_TARGET_PATH"]) / "compiled"
        shutil.rmtree(compiled_sql, ignore_errors=True)  # an earlier build's SQL is not this compile's
        for as_of, command in (("2026-03-10", ["parse"]), ("2026-03-11", ["compile", "--select", "consent_status"])):
            result = subprocess.run(dbt + command + where, cwd=REPO, env={**env, "CONSENT_LEDGER_AS_OF": as_of},
                                    capture_output=True, text=True, check=False)
            assert result.returncode == 0, result.stdout[-3000:]
            events.append({json.loads(line)["info"]["name"] for line in result.stdout.splitlines()
                           if line.startswith("{")})
        compiled = next(compiled_sql.rglob("consent_status.sql")).read_text()
    assert "UnableToPartialParse" not in events[1]
    assert events[1] & {"PartialParsingSkipParsing", "PartialParsingEnabled"}
    assert "cast('2026-03-11' as date)" in compiled



def _webform_submission(prechecked: bool) -> str:
    return json.dumps({
        "submission_id": "s-fr-1", "submitted_at": "2026-03-02T09:00:00Z", "email": "fr@example.com",
        "form_id": "newsletter-footer", "page_url": "https://example.com/blog", "country": "FR", "gpc": False,
        "kind": "signup", "policy_version": "3.0",
        "consents": [{"purpose": "newsletter", "channel": "email", "granted": True, "prechecked": prechecked}]})


@pytest.mark.parametrize("first", [True, False], ids=["prechecked_first", "unticked_first"])
def test_conflicting_redeliveries_give_the_same_status_in_either_arrival_order(tmp_path: Path, first: bool) -> None:
    """Two readings of one web-form grant (same submission, instant and purpose, so one event_id)
    disagree on whether the box was pre-checked: whichever lands first, on nightly incremental runs,
    the French contact's newsletter consent is not proof (fail closed), as in a full refresh, and the
    later reading is a duplicate that says why."""
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night, prechecked in (("2026-03-02", first), ("2026-03-03", not first)):
        lines = landing / "webforms" / night / "submissions_001.jsonl"
        lines.parent.mkdir(parents=True)
        lines.write_text(_webform_submission(prechecked) + "\n", encoding="utf-8")
        result = dbt_build(landing, database, AS_OF, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, AS_OF, exclude=TESTS, full_refresh=True).returncode == 0
    assert_same_published(database, full)
    with duckdb.connect(str(database), read_only=True) as con:
        cell = con.execute(
            "select jurisdiction, status, can_contact from consent.consent_status "
            "where purpose = 'newsletter' and channel = 'email'").fetchall()
        duplicates = con.execute(
            "select reason from intermediate.int_consent_events__deduplicated where outcome = 'duplicate'").fetchall()
    assert cell == [("FR", "invalid", False)], cell
    assert duplicates == [("conflicting_redelivery",)]


# Nightly runs whose run date advances (issue 9): between two nights, grants change without any
# new event (a double opt-in confirmation, a source expiry, a re-consent policy taking effect:
# privacy_notice 3.0 on 2026-01-15 for partner_offers), so only the affected-contacts clock keeps
# the incremental resolver equal to a full refresh. One night per folder date, the run date being
# that date.
CLOCK_NIGHTS = ("2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16")
LOADED = frozenset({"loaded_at"})  # a line's load date is the night it landed


def _submission(sid: str, at: str, email: str, country: str, kind: str, consents: list[tuple[str, bool]],
                policy: str = "3.0", confirmed_at: str | None = None) -> dict:
    return {"submission_id": sid, "submitted_at": at, "email": email, "form_id": "newsletter-footer",
            "page_url": "https://example.com/blog", "country": country, "gpc": False, "kind": kind,
            "policy_version": policy, "double_opt_in_confirmed_at": confirmed_at,
            "consents": [{"purpose": purpose, "channel": "email", "granted": granted, "prechecked": False}
                         for purpose, granted in consents]}


def _receipt(rid: str, at: str, email: str, expires: str) -> dict:
    return {"receiptId": rid, "identifier": email, "identifierType": "Email", "interactionDate": at,
            "collectionPointId": "cp-web-1", "collectionPointVersion": 3, "moc": "HOSTED_WEB_FORM",
            "doubleOptIn": False, "test": False, "geoLocation": {"country": "US", "state": None},
            "purposes": [{"Id": "pur-newsletter", "Version": 2, "TransactionType": "CONFIRMED",
                          "ExpiryDate": expires, "PrivacyNotices": [{"Id": "pn-main", "Version": "3.0"}]}]}


CLOCK_FILES: dict[str, dict[str, list[dict]]] = {
    "2026-01-13": {
        "webforms/2026-01-13/submissions_001.jsonl": [
            # pending on the 13th, confirmed (granted) from the 14th
            _submission("s-doi", "2026-01-13T10:00:00Z", "doi@example.com", "DE", "signup", [("newsletter", True)],
                        confirmed_at="2026-01-14T09:00:00Z"),
            # given under notice 2.1: re-consent required once 3.0 takes effect on the 15th
            _submission("s-re", "2026-01-12T10:00:00Z", "partner@example.com", "US", "signup",
                        [("partner_offers", True), ("newsletter", True)], policy="2.1"),
            _submission("s-out", "2026-01-13T11:00:00Z", "later-out@example.com", "US", "signup",
                        [("newsletter", True)]),
        ],
        # a grant with a source expiry on the 15th
        "onetrust/2026-01-13/consent_receipts_001.jsonl": [
            _receipt("r-exp", "2026-01-13T08:00:00Z", "expiring@example.com", "2026-01-15T12:00:00Z"),
        ],
    },
    "2026-01-14": {
        "webforms/2026-01-14/submissions_001.jsonl": [
            _submission("s-out-2", "2026-01-14T15:00:00Z", "later-out@example.com", "US", "unsubscribe_all", []),
        ],
    },
    "2026-01-15": {
        "requests/2026-01-15/privacy_requests_001.jsonl": [
            {"request_id": "dsr-1", "received_at": "2026-01-15T09:00:00Z", "email": "doi@example.com",
             "type": "objection"},
        ],
    },
    "2026-01-16": {
        "webforms/2026-01-16/submissions_001.jsonl": [
            _submission("s-new", "2026-01-16T10:00:00Z", "new@example.com", "FR", "signup", [("research", True)]),
        ],
    },
}


def _land_night(landing: Path, night: str) -> None:
    for name, records in CLOCK_FILES[night].items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


@pytest.fixture(scope="module")
def clock_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full refresh of every night's files at the last run date."""
    root = tmp_path_factory.mktemp("clock")
    landing = root / "landing"
    for night in CLOCK_NIGHTS:
        _land_night(landing, night)
    full = root / "full" / "work.duckdb"
    full.parent.mkdir()
    built = dbt_build(landing, full, CLOCK_NIGHTS[-1], exclude=TESTS, full_refresh=True)
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(full), read_only=True) as con:
        histories = dict(con.execute(
            "select c.email || ' ' || h.purpose, list(h.status order by h.valid_from) "
            "from consent.consent_history as h inner join consent.contacts as c using (contact_key) "
            "where h.channel = 'email' group by all").fetchall())
    # the fixture exercises the clock inside the window: a confirmation, an expiry, a re-consent policy
    assert histories["doi@example.com newsletter"] == ["pending", "granted", "withdrawn"], histories
    assert histories["expiring@example.com newsletter"] == ["granted", "expired"], histories
    assert histories["partner@example.com partner_offers"] == ["granted", "reconsent_required"], histories
    return full


def test_nightly_runs_with_an_advancing_run_date_equal_one_full_refresh(tmp_path: Path, clock_full: Path) -> None:
    """Landing the files night by night, each night's run for its own date, publishes the same tables
    as one full refresh at the last date: contacts whose grants change between nights without a new
    event (confirmation, expiry, re-consent) are resolved again when their clock point passes."""
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night in CLOCK_NIGHTS:
        _land_night(landing, night)
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        reasons = dict(con.execute(
            "select affected_because, count(*) from intermediate.int_contacts__affected group by all").fetchall())
    assert reasons == {"new": 1}, reasons  # the last night resolves only the contact that is new
    assert_same_published(database, clock_full, ignore=LOADED)


def test_a_late_file_on_an_advancing_run_date_equals_it_arriving_on_time(tmp_path: Path, clock_full: Path) -> None:
    """The 14th's unsubscribe lands only on the 16th (no run on the 14th): the published tables are
    those of it arriving on time, the same as one full refresh."""
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night in CLOCK_NIGHTS:
        if night == "2026-01-14":
            continue  # its extract is late
        _land_night(landing, night)
        if night == CLOCK_NIGHTS[-1]:
            _land_night(landing, "2026-01-14")
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    assert_same_published(database, clock_full, ignore=LOADED)
