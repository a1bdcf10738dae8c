"""audit.sends_without_consent judged incrementally (issue 9) equals a full refresh, on the sends the
other equivalence tests (tests/test_incremental.py) do not exercise: a send dated after the run date
that a later run date lets in (its contact has no new input that night), a send to an address that
becomes a known contact only on a later night, a send read late for a contact with no new input,
and a send id read again with other content."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, dbt_build, dbt_env, in_slot
from tests.expected import key
from tests.test_incremental import LOADED, TESTS, assert_same_published
from tests.test_incremental_empty import table_scans

NIGHTS = ("2026-01-13", "2026-01-14", "2026-01-15")
SENDS_HEADER = "send_id,sent_at,email,channel,purpose,campaign_id,source_system\n"


def _submission(sid: str, at: str, email: str, country: str, kind: str, granted: bool) -> dict:
    return {"submission_id": sid, "submitted_at": at, "email": email, "form_id": "newsletter-footer",
            "page_url": "https://example.com/blog", "country": country, "gpc": False, "kind": kind,
            "policy_version": "3.0", "double_opt_in_confirmed_at": None,
            "consents": [] if kind == "unsubscribe_all" else
            [{"purpose": "newsletter", "channel": "email", "granted": granted, "prechecked": False}]}


FILES: dict[str, dict[str, list]] = {
    "2026-01-13": {
        "webforms/2026-01-13/submissions_001.jsonl": [
            _submission("w-out", "2026-01-12T10:00:00Z", "out@example.com", "US", "signup", True),
            _submission("w-out-2", "2026-01-13T09:00:00Z", "out@example.com", "US", "unsubscribe_all", False),
            _submission("w-keep", "2026-01-12T10:00:00Z", "keep@example.com", "US", "signup", True),
        ],
        "sends/2026-01-13/sends_001.csv": [
            # dated after the first two run dates (sent_after_as_of); the 15th's run lets it in,
            # and out@ has no new input then: only the run date re-judges it
            "s-future,2026-01-15T10:00:00Z,out@example.com,email,newsletter,nl-1,hubspot",
            # no contact yet (no_consent_record); a known contact from the 14th (no_consent)
            "s-stranger,2026-01-12T12:00:00Z,stranger@example.com,email,newsletter,nl-0,hubspot",
            "s-ok,2026-01-12T12:00:00Z,keep@example.com,email,newsletter,nl-0,hubspot",
        ],
    },
    "2026-01-14": {
        "webforms/2026-01-14/submissions_001.jsonl": [
            _submission("w-stranger", "2026-01-14T08:00:00Z", "stranger@example.com", "FR", "signup", True),
        ],
        "sends/2026-01-14/sends_001.csv": [
            # read late, for a contact with no new input tonight
            "s-late,2026-01-13T20:00:00Z,out@example.com,email,newsletter,nl-2,mailchimp",
        ],
    },
    "2026-01-15": {
        "sends/2026-01-15/sends_001.csv": [
            # s-ok again with other content: rejected, the first reading stands
            "s-ok,2026-01-12T12:00:00Z,out@example.com,email,newsletter,nl-0,hubspot",
            "s-new,2026-01-14T12:00:00Z,keep@example.com,email,newsletter,nl-3,hubspot",
        ],
    },
}


def _land_night(landing: Path, night: str) -> None:
    for name, records in FILES[night].items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv"):
            path.write_text(SENDS_HEADER + "".join(line + "\n" for line in records), encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def _sends_without_consent(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("select send_id, contact_key, blocked_reason, jurisdiction "
                           "from audit.sends_without_consent order by send_id").fetchall()


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full refresh of every night's files at the last run date."""
    root = tmp_path_factory.mktemp("sends_full")
    landing = root / "landing"
    for night in NIGHTS:
        _land_night(landing, night)
    database = root / "full" / "work.duckdb"
    database.parent.mkdir()
    built = dbt_build(landing, database, NIGHTS[-1], exclude=TESTS, full_refresh=True)
    assert built.returncode == 0, built.stdout[-3000:]
    # the fixture exercises what it says: the breaches a full refresh finds
    assert _sends_without_consent(database) == [
        ("s-future", key("out@example.com"), "global_opt_out", "US"),
        ("s-late", key("out@example.com"), "global_opt_out", "US"),
        ("s-stranger", key("stranger@example.com"), "no_consent", "FR"),
    ]
    return database


def test_nightly_sends_equal_one_full_refresh(tmp_path: Path, full: Path) -> None:
    """Each night's run for its own date: the sends a later night lets in, reads late or can now
    link to a contact are judged again, and the published tables equal one full refresh."""
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night in NIGHTS:
        _land_night(landing, night)
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
        if night == NIGHTS[0]:
            assert _sends_without_consent(database) == [
                ("s-stranger", key("stranger@example.com"), "no_consent_record", "ZZ"),
            ]
    assert_same_published(database, full, ignore=LOADED)
    with duckdb.connect(str(database), read_only=True) as con:
        judged = sorted(send_id for (send_id,) in con.execute(
            "select send_id from intermediate.int_sends__changed").fetchall())
    # the last night judges its new send and s-future, which the new run date lets in; not s-late
    # (judged the night it was read), nor s-ok (read again, rejected: the first reading stands),
    # nor s-stranger (judged again the night its contact appeared)
    assert judged == ["s-future", "s-new"]


def test_a_rerun_of_the_same_run_date_with_a_new_file(tmp_path: Path, full: Path) -> None:
    """The last night's files land after its run has already succeeded: a second run of the same
    run date reads them (loaded_at is that run date, not a later one) and judges their sends."""
    landing = tmp_path / "landing"
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night in NIGHTS:
        if night != NIGHTS[-1]:
            _land_night(landing, night)
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    _land_night(landing, NIGHTS[-1])
    rerun = dbt_build(landing, database, NIGHTS[-1], exclude=TESTS)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert_same_published(database, full, ignore=LOADED)


def test_a_sends_file_read_again_without_a_line_lets_the_next_reading_count(tmp_path: Path) -> None:
    """s-dup is read in sends_a.csv (first) and, with another address, in sends_b.csv (a conflicting reading).
    Two nights later sends_a.csv is replaced by a version without it: sends_b.csv's reading is now the send,
    though nothing read tonight names it; the mart is then the one a full refresh of the same
    files gives (landing_incidents differs by design: only the nightly runs saw the rewrite)."""
    landing = tmp_path / "landing"
    folder = landing / "sends" / "2026-01-13"
    folder.mkdir(parents=True)
    line = "s-dup,2026-01-12T12:00:00Z,{},email,newsletter,nl-0,hubspot\n"
    (folder / "sends_a.csv").write_text(SENDS_HEADER + line.format("keep@example.com"), encoding="utf-8")
    (folder / "sends_b.csv").write_text(SENDS_HEADER + line.format("nobody@example.com"), encoding="utf-8")
    _land_night(landing, NIGHTS[0])  # keep@ may be contacted: sends_a.csv's reading is no breach
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    for night in NIGHTS:
        if night == NIGHTS[-1]:
            (folder / "sends_a.csv").write_text(SENDS_HEADER, encoding="utf-8")
        # a new contact each night, so each run is a successful run of its date (resolved_as_of)
        signup = landing / "webforms" / night / "submissions_002.jsonl"
        signup.parent.mkdir(parents=True, exist_ok=True)
        signup.write_text(json.dumps(_submission(f"w-{night}", f"{night}T08:00:00Z", f"new-{night}@example.com",
                                                 "US", "signup", True)) + "\n", encoding="utf-8")
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    full = tmp_path / "full" / "work.duckdb"
    full.parent.mkdir()
    assert dbt_build(landing, full, NIGHTS[-1], exclude=TESTS, full_refresh=True).returncode == 0
    expected = _sends_without_consent(full)
    assert ("s-dup", key("nobody@example.com"), "no_consent_record", "ZZ") in expected
    assert _sends_without_consent(database) == expected


# the columns of a sends line that are its payload: the address (issue 9: an empty night reads it
# not, only keys; the line's text is no longer in these tables, only in base_landing__lines)
SENDS_PAYLOAD = frozenset({"email"})
SENDS_INPUTS = ("stg_sends__sends", "int_sends__linked", "int_sends_events__mapped")


def _payload_scans(database: Path, sql: str, profile: Path) -> list[str]:
    """Each scan of a sends table that read rows and the text or address of a line."""
    return [f"{table}: {rows} rows of {sorted(columns & SENDS_PAYLOAD)}"
            for table, columns, rows in table_scans(database, sql, profile)
            if table in SENDS_INPUTS and columns & SENDS_PAYLOAD and rows > 0]


def test_an_empty_night_reads_no_raw_text_of_sends(tmp_path: Path) -> None:
    """A second run of the last night with nothing new: the sends models find that no line is to be
    judged again by reading keys only, and write nothing."""
    landing = tmp_path / "landing"
    for night in NIGHTS:
        _land_night(landing, night)
    database = tmp_path / "store" / "work.duckdb"  # catalog `work`, as in the slot the SQL is compiled in
    database.parent.mkdir()
    for night in NIGHTS:
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
    dbt = Path(sys.executable).with_name("dbt")
    with in_slot(database) as slot:
        env = dbt_env(landing, slot, NIGHTS[-1])
        compiled = subprocess.run(
            [str(dbt), "compile", "--select", "int_sends__linked", "int_sends_events__mapped",
             "--profiles-dir", str(REPO), "--project-dir", str(REPO)],
            cwd=REPO, env=env, capture_output=True, text=True, check=False)
        folder = Path(env["DBT_TARGET_PATH"]) / "compiled" / "consent_ledger" / "models" / "intermediate" / "sends"
        sql = {model: (folder / f"{model}.sql").read_text() for model in SENDS_INPUTS[1:]}
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    for model, text in sql.items():
        with duckdb.connect(str(database), read_only=True) as con:
            assert con.execute(f"select count(*) from ({text})").fetchone()[0] == 0, f"{model}: nothing is new"
        assert _payload_scans(database, text, tmp_path / "profile.json") == [], model


def _linked(database: Path) -> dict[str, list[tuple]]:
    """int_sends__linked and int_sends_events__mapped, every column but when a row was written."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {table: con.execute(f"select * exclude (written_at) from intermediate.{table} order by all").fetchall()
                for table in ("int_sends__linked", "int_sends_events__mapped")}


def test_each_night_the_sends_lines_equal_a_full_refresh(tmp_path: Path) -> None:
    """int_sends__linked and int_sends_events__mapped, judged night by night, equal a full refresh of
    the same store after every night: a send id redelivered and reused in a later file, a send dated
    after the run date that a later run date lets in (nothing else names it that night), the file
    of a send id's first reading re-read with other content (the conflicting reading in another
    file becomes the send), and a send id reused with other content in a third file."""
    landing = tmp_path / "landing"
    line = {
        "red": "s-red,2026-01-12T10:00:00Z,ana@example.com,email,newsletter,nl-1,hubspot",
        "conf-ana": "s-conf,2026-01-12T11:00:00Z,ana@example.com,email,newsletter,nl-1,hubspot",
        "conf-bob": "s-conf,2026-01-12T11:00:00Z,bob@example.com,email,newsletter,nl-1,hubspot",
        "fut": "s-fut,2026-01-15T10:00:00Z,ana@example.com,email,newsletter,nl-2,hubspot",
        "red-other": "s-red,2026-01-12T10:00:00Z,ana@example.com,email,newsletter,nl-9,hubspot",
    }
    a, b, c = "sends/2026-01-13/sends_a.csv", "sends/2026-01-14/sends_b.csv", "sends/2026-01-15/sends_c.csv"
    nights = {
        NIGHTS[0]: {a: ["red", "conf-ana", "fut"]},
        NIGHTS[1]: {b: ["red", "conf-bob", "fut"]},
        NIGHTS[2]: {a: ["red", "conf-bob", "fut"], c: ["red-other"]},
    }
    database = tmp_path / "incremental" / "work.duckdb"
    database.parent.mkdir()
    copy = tmp_path / "full" / "work.duckdb"
    copy.parent.mkdir()
    reasons: dict[str, dict[tuple[str, int], str]] = {}
    for night, files in nights.items():
        for name, names in files.items():
            path = landing / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(SENDS_HEADER + "".join(line[n] + "\n" for n in names), encoding="utf-8")
        result = dbt_build(landing, database, night, exclude=TESTS)
        assert result.returncode == 0, f"night of {night}: " + result.stdout[-3000:]
        shutil.copy(database, copy)
        full = dbt_build(landing, copy, night, select="int_sends__linked int_sends_events__mapped",
                         exclude=TESTS, full_refresh=True)
        assert full.returncode == 0, full.stdout[-3000:]
        assert _linked(database) == _linked(copy), f"night of {night}"
        with duckdb.connect(str(database), read_only=True) as con:
            reasons[night] = dict(((f, n), r) for f, n, r in con.execute(
                "select file_name, line_number, reason from intermediate.int_sends__linked").fetchall())
            written_last = set(con.execute(
                "select file_name, line_number from intermediate.int_sends__linked "
                "where written_at = (select max(written_at) from intermediate.int_sends__linked)").fetchall())
    # the fixture exercises what it says (line 1 is the header)
    assert reasons[NIGHTS[1]][(b, 3)] == "conflicting_send_id"
    assert reasons[NIGHTS[1]][(a, 4)] == reasons[NIGHTS[1]][(b, 4)] == "sent_after_as_of"
    # a.csv read again: its s-conf line now has b.csv's content and was read last, so b.csv's
    # reading, in no file read tonight, is the send now
    assert reasons[NIGHTS[2]][(a, 3)] == "send_record_redelivered"
    assert reasons[NIGHTS[2]][(b, 3)] == "send_record"
    assert reasons[NIGHTS[2]][(a, 4)] == "send_record"  # let in by the last run date
    assert reasons[NIGHTS[2]][(b, 4)] == "send_record_redelivered"
    assert reasons[NIGHTS[2]][(c, 2)] == "conflicting_send_id"
    # the last night rewrote the read files and the other readings of their send ids, not b.csv's header
    assert written_last == {(a, n) for n in range(1, 5)} | {(c, 1), (c, 2)} | {(b, 2), (b, 3), (b, 4)}


def test_a_purged_sends_line_stays_purged_when_judged_again(tmp_path: Path) -> None:
    """An erased person's send is purged from the sends tables (macros/purge.sql); the next night
    a file redelivers her send id, so her purged line is judged again: it is rewritten from the
    purged staged line and still holds neither her text nor her address."""
    from tests.test_purge import ADDRESS, purge

    landing = tmp_path / "landing"
    first = landing / "sends" / "2026-03-05" / "sends_a.csv"
    first.parent.mkdir(parents=True)
    sent = f"s-dana,2026-03-05T10:00:00Z,{ADDRESS},email,newsletter,nl-1,hubspot\n"
    first.write_text(SENDS_HEADER + sent, encoding="utf-8")
    requests = landing / "requests" / "2026-03-06" / "privacy_requests_purge.jsonl"
    requests.parent.mkdir(parents=True)
    requests.write_text(json.dumps({"request_id": "purge-dsr-1", "received_at": "2026-03-06T09:00:00Z",
                                    "email": ADDRESS, "type": "erasure"}) + "\n", encoding="utf-8")
    database = tmp_path / "work" / "work.duckdb"
    database.parent.mkdir()
    assert dbt_build(landing, database, "2026-03-10", exclude=TESTS).returncode == 0
    assert purge(landing, database, "2026-03-10")
    again = landing / "sends" / "2026-03-11" / "sends_b.csv"
    again.parent.mkdir(parents=True)
    again.write_text(SENDS_HEADER + sent, encoding="utf-8")
    night = dbt_build(landing, database, "2026-03-11", exclude=TESTS)
    assert night.returncode == 0, night.stdout[-3000:]
    a = "sends/2026-03-05/sends_a.csv"
    with duckdb.connect(str(database), read_only=True) as con:
        linked = con.execute("select email, reason, written_at = (select max(written_at) "
                             "from intermediate.int_sends__linked) from intermediate.int_sends__linked "
                             "where file_name = ? and line_number = 2", [a]).fetchall()
        mapped = con.execute("select email from intermediate.int_sends_events__mapped "
                             "where file_name = ? and line_number = 2", [a]).fetchall()
        # the line's text is kept only in base_landing__lines (issue 9)
        line = con.execute("select raw_text from staging.base_landing__lines "
                           "where file_name = ? and line_number = 2", [a]).fetchall()
    assert len(linked) == 1
    email, reason, rewritten = linked[0]
    assert rewritten and reason == "send_record"  # judged again tonight, still the first reading
    assert email is None
    assert len(mapped) == 1 and mapped[0][0] is None
    assert len(line) == 1 and line[0][0].startswith("[erased line")
