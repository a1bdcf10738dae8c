"""The `consent-ledger` command line as an operator and a marketing-ops person meet it: the
candidates file's email column under the tools' own headers, duplicate candidates, `explain` on
something that is not an address, help texts with defaults, clean usage errors, a second run
refused at once, one default run date with the schedule, and a quiet run whose summary says what
changed tonight."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import orchestration.cli.main as cli
from orchestration.cli.main import HelpFormatter, build_parser, main
from orchestration.features.explain import explain
from orchestration.features.segment_export import ExportError, export_segment, read_candidates
from orchestration.lib.lock import warehouse_lock
from orchestration.lib.run_dates import run_date_for
from orchestration.lib.warehouse import connect_published
from tests.conftest import FIXTURES, REPO

LANDING = FIXTURES / "landing" / "marketing_ops"
AS_OF = "2026-11-28"
CORE_LANDING = FIXTURES / "landing" / "nightly_rules"
CORE_AS_OF = "2026-03-10"
ANSI = re.compile(r"\x1b\[")


def cli_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, check=False, timeout=900)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ops_warehouse(build_warehouse) -> Path:
    return build_warehouse(LANDING, AS_OF)


# --- the candidates file ------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["email", "Email", "EMAIL", "Email Address", "email address", "E-mail",
                                    "E-Mail Address", "email_address", " Email "])
def test_email_column_is_found_under_the_names_tools_export(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path / "c.csv", ["First Name", header, "Company"], [["Ana", "ana@x.example", "Acme"]])
    with duckdb.connect() as con:
        columns, email = read_candidates(con, path)
    assert columns[1] == email
    assert email.strip().lower().replace("-", "").replace("_", "").replace(" ", "") in ("email", "emailaddress")


def test_a_file_without_an_email_column_names_its_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Name", "Mail Adress", "Phone"], [["Ana", "ana@x.example", "1"]])
    with duckdb.connect() as con, pytest.raises(ExportError) as error:
        read_candidates(con, path)
    assert "no email column" in str(error.value)
    assert "Name, Mail Adress, Phone" in str(error.value)


def test_a_file_with_two_email_columns_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Email", "Email Address"], [["a@x.example", "b@x.example"]])
    with duckdb.connect() as con, pytest.raises(ExportError, match="several email columns"):
        read_candidates(con, path)


def test_mailchimp_header_exports(ops_warehouse: Path, tmp_path: Path) -> None:
    candidates = write_csv(tmp_path / "mailchimp.csv", ["Email Address", "First Name"], [["alice@ops.example", "A"]])
    out = tmp_path / "segment.csv"
    summary = export_segment(ops_warehouse, "newsletter", "email", out, candidates=candidates)
    assert summary.rows_out == 1
    assert read_rows(out) == [{"Email Address": "alice@ops.example", "First Name": "A"}]


def test_duplicate_candidates_are_exported_once_and_counted(ops_warehouse: Path, tmp_path: Path) -> None:
    candidates = write_csv(tmp_path / "crm.csv", ["id", "Email"], [
        ["1", "alice@ops.example"],
        ["2", "  ALICE@ops.example "],
        ["3", "bruno@ops.example"],
        ["4", "Alice@OPS.example"],
        ["5", "stranger@ops.example"],
        ["6", " Stranger@ops.example"],
        ["7", "ivan@ops.example"],   # erased: never written in plain, not even as a duplicate
        ["8", "IVAN@ops.example"],
    ])
    out = tmp_path / "segment.csv"
    summary = export_segment(ops_warehouse, "newsletter", "email", out, candidates=candidates)
    assert [row["id"] for row in read_rows(out)] == ["1", "3"]
    excluded = {row["id"]: row for row in read_rows(Path(str(out) + ".excluded.csv"))}
    assert {i: row["exclusion_reason"] for i, row in excluded.items()} == {
        "2": "duplicate_candidate", "4": "duplicate_candidate", "5": "unknown_contact",
        "6": "duplicate_candidate", "7": "erased", "8": "erased"}
    assert "data row 1" in excluded["2"]["exclusion_detail"]
    assert "data row 5" in excluded["6"]["exclusion_detail"]
    assert "ivan" not in (Path(str(out) + ".excluded.csv")).read_text().lower()
    assert summary.excluded["duplicate_candidate"] == 3
    assert summary.rows_in == 8 and summary.rows_out == 2
    assert "duplicate_candidate 3" in summary.line()


# --- explain ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["not-an-email", "alice@", "@ops.example", "alice ops@example.com", "a@b"])
def test_explain_refuses_what_is_not_an_address(ops_warehouse: Path, text: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ExportError, match="not an email address"):
        explain(ops_warehouse, text)
    assert main(["explain", text, "--warehouse", str(ops_warehouse)]) == 2
    captured = capsys.readouterr()
    assert "not an email address" in captured.err
    assert "not found" not in captured.out + captured.err and "never seen" not in captured.out + captured.err


# --- arguments and help -------------------------------------------------------------------------


def all_parsers(parser: argparse.ArgumentParser, name: str = "consent-ledger"
                ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from all_parsers(sub, f"{name} {sub_name}")


def test_every_option_has_help_and_shows_its_default() -> None:
    parsers = dict(all_parsers(build_parser()))
    assert {"consent-ledger generate", "consent-ledger run", "consent-ledger export", "consent-ledger explain",
            "consent-ledger quarantine list", "consent-ledger freshness"} <= set(parsers)
    formatter = HelpFormatter("consent-ledger")
    for name, parser in parsers.items():
        assert issubclass(parser.formatter_class, HelpFormatter), name
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            text = formatter._get_help_string(action) or ""
            assert action.required or "default" in text, f"{name} {action.option_strings[0]}: {text}"
    generate_help = parsers["consent-ledger generate"].format_help()
    assert "(default: 1000)" in " ".join(generate_help.split())  # --contacts
    assert "(default: 42)" in " ".join(generate_help.split())  # --seed


@pytest.mark.parametrize(("argv", "message"), [
    (["generate", "--out", "/tmp/unused", "--contacts", "abc"], "argument --contacts: not a whole number: 'abc'"),
    (["generate", "--out", "/tmp/unused", "--contacts", "0"], "argument --contacts: must be a positive whole number"),
    (["generate", "--out", "/tmp/unused", "--seed", "x"], "argument --seed: not a whole number: 'x'"),
    (["run", "--as-of", "yesterday"], "argument --as-of: not a date (YYYY-MM-DD): yesterday"),
    (["export", "--purpose", "p", "--channel", "c", "--out", "o", "--send-date", "tomorrow"],
     "argument --send-date: not a date (YYYY-MM-DD): tomorrow"),
])
def test_bad_values_are_clean_usage_errors(argv: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "_positive" not in err and "fromisoformat" not in err and "invalid" not in err


# --- run date -----------------------------------------------------------------------------------


def test_default_run_date_is_the_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import build_schedule_context

    from orchestration.defs.schedules.nightly import nightly_schedule

    seen: dict[str, object] = {}

    def fake_run(args: argparse.Namespace) -> int:
        seen["as_of"] = args.as_of
        return 0

    monkeypatch.setattr(cli, "cmd_run", fake_run)
    now = datetime.now(UTC)
    assert main(["run"]) == 0
    scheduled = nightly_schedule(build_schedule_context(scheduled_execution_time=now))
    assert seen["as_of"].isoformat() == scheduled.partition_key  # type: ignore[union-attr]
    for moment, expected in ((datetime(2026, 3, 11, 0, 30, tzinfo=UTC), "2026-03-10"),
                             (datetime(2026, 3, 11, 23, 59, tzinfo=UTC), "2026-03-10"),
                             (datetime(2026, 1, 1, 2, 0, tzinfo=UTC), "2025-12-31")):
        assert run_date_for(moment).isoformat() == expected
        assert nightly_schedule(build_schedule_context(scheduled_execution_time=moment)).partition_key == expected
    assert "yesterday" in dict(all_parsers(build_parser()))["consent-ledger run"].format_help()


# --- a second run -------------------------------------------------------------------------------


def test_a_concurrent_run_is_refused_within_two_seconds(tmp_path: Path) -> None:
    """The refused process takes the lock before importing Dagster and dbt (a behaviour bound:
    before, the refusal came after ~40 s of imports)."""
    warehouse = (tmp_path / "warehouse" / "ledger.duckdb").resolve()
    with warehouse_lock(warehouse):  # another process holds the warehouse
        started = time.monotonic()
        result = cli_process("run", "--landing", str(CORE_LANDING), "--warehouse", str(warehouse),
                             "--as-of", CORE_AS_OF)
        took = time.monotonic() - started
    assert result.returncode == cli.EXIT_BUSY, result.stderr[-2000:]
    assert "another Consent Ledger run" in result.stderr
    assert took < 2.0, f"refused after {took:.1f} s"
    assert not (warehouse.parent / "work").exists()  # nothing was built


# --- a quiet, honest run ------------------------------------------------------------------------


def test_run_prints_progress_per_stage_not_dbts_log(nightly_run: tuple[Path, subprocess.CompletedProcess[str]]
                                                    ) -> None:
    warehouse, result = nightly_run
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) <= 80, "\n".join(lines)  # was ~800 (every dbt line, twice per node)
    assert not ANSI.search(result.stdout) and not ANSI.search(result.stderr)  # a pipe gets no colour codes
    assert "- consent_ledger_dbt ..." in result.stderr
    assert re.search(r"- consent_ledger_dbt done \(\d+\.\d s\)", result.stderr)
    assert "START" not in result.stdout and "PASS" not in result.stdout  # dbt's lines are not on the screen
    dbt_output = warehouse.parent / "reports" / CORE_AS_OF / "dbt_output.log"
    assert f"dbt output goes to {dbt_output}" in result.stderr
    text = dbt_output.read_text()
    assert "Done. PASS=" in text and not ANSI.search(text)


def test_summary_says_what_changed_tonight(nightly_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    warehouse, result = nightly_run
    with connect_published(warehouse) as con:
        added, touched = con.execute(
            "select count(*), count(distinct contact_key) from consent.consent_events "
            "where cast(loaded_at as date) = ?", [CORE_AS_OF]).fetchone()
        total_events, = con.execute("select count(*) from consent.consent_events").fetchone()
        rejects = con.execute(
            "select reason, source_system, count(*) from audit.rejected_records "
            "where cast(loaded_at as date) = ? group by all", [CORE_AS_OF]).fetchall()
    out = " ".join(result.stdout.split())
    assert f"events {added} added {total_events}" in out
    assert f"contacts {touched} touched" in out
    sync = json.loads((warehouse.parent / "exports" / CORE_AS_OF / "suppression_sync_summary.json").read_text())
    assert f"suppressions {sync['addresses_added']} added, {sync['addresses_lifted']} lifted" in out
    assert rejects, "the core fixture has rejected lines"
    assert f"rejected {sum(n for _, _, n in rejects)} tonight, by reason and source:" in out
    for reason, source, count in rejects:
        assert f"{count} {reason} ({source})" in out


def _entry(step: str, kind: str | None, level: int = 20, message: str = "") -> object:
    from types import SimpleNamespace

    event = SimpleNamespace(event_type_value=kind) if kind else None
    return SimpleNamespace(step_key=step, dagster_event=event, level=level, user_message=message)


@pytest.mark.parametrize("tty", [True, False])
def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log(tty: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from orchestration.cli.run import _Progress

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    stream = Stream()
    progress = _Progress(stages=3, dbt_nodes=4, stream=stream)
    progress.on_event(_entry("consent_ledger_dbt", "STEP_START"))
    for _ in range(2):
        progress.on_event(_entry("consent_ledger_dbt", "ASSET_MATERIALIZATION"))
    progress.on_event(_entry("consent_ledger_dbt", None, message="chatty info"))  # info: not shown
    progress.on_event(_entry("consent_ledger_dbt", None, level=30, message="a warning"))
    progress.on_event(_entry("consent_ledger_dbt", "STEP_SUCCESS"))
    progress.on_event(_entry("warehouse__published", "STEP_START"))
    progress.on_event(_entry("warehouse__published", "STEP_FAILURE"))
    progress.finish()
    text = stream.getvalue()
    assert "chatty info" not in text and "[consent_ledger_dbt] a warning" in text
    assert re.search(r"- consent_ledger_dbt done \(\d+\.\d s\)", text)
    assert re.search(r"- warehouse__published FAILED \(\d+\.\d s\)", text)
    if tty:
        assert "\r" in text and "0/3 stages consent_ledger_dbt (2/4 dbt nodes)" in text
        assert "[##########" in text  # a third of the bar after the first stage
        assert "1/3 stages warehouse__published\r" in text or "1/3 stages warehouse__published\n" in text
    else:
        assert "\r" not in text and not ANSI.search(text)
        assert text.splitlines() == [
            "- consent_ledger_dbt ...", "  [consent_ledger_dbt] a warning", text.splitlines()[2],
            "- warehouse__published ...", text.splitlines()[4]]


def _land_every_source_table(landing: Path, day: str) -> dict[str, Path]:
    """One fresh regular file for each landed source table (its landing_glob in the sources yml)."""
    import yaml

    files = {}
    for sources_yml in sorted((REPO / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(sources_yml.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                glob = table["config"]["meta"]["landing_glob"]
                path = landing / glob.replace("*", day, 1).replace("*", "_001")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("{}\n", encoding="utf-8")
                files[f"{source['name']}.{table['name']}"] = path
    return files


def test_freshness_never_follows_a_link_nor_opens_a_special_file(tmp_path: Path) -> None:
    """A stale source stays stale when a link to a fresh file (or a pipe) lands beside its files:
    links and special files are counted apart, never read (a pipe would block a reader)."""
    landing, day = tmp_path / "landing", "2026-11-29"
    files = _land_every_source_table(landing, day)
    stale = time.time() - 30 * 86400
    os.utime(files["requests.privacy_requests"], (stale, stale))
    outside = tmp_path / "elsewhere" / "fresh.jsonl"
    outside.parent.mkdir()
    outside.write_text("{}\n", encoding="utf-8")
    folder = files["requests.privacy_requests"].parent
    (folder / "privacy_requests_link.jsonl").symlink_to(outside)
    os.mkfifo(folder / "privacy_requests_pipe.jsonl")
    result = cli_process("freshness", "--landing", str(landing), "--warehouse", str(tmp_path / "w" / "ledger.duckdb"))
    assert result.returncode == cli.EXIT_BLOCKED, result.stdout[-3000:] + result.stderr[-3000:]
    lines = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()
             if line.startswith("  ") and len(line.split()) > 1 and "." in line.split()[1]}
    assert lines.pop("requests.privacy_requests") == "ERROR", result.stdout
    assert set(lines.values()) == {"PASS"}, result.stdout
    assert "not read: 2 link(s) or special file(s) (fifo 1, symlink 1)" in result.stdout
    assert "Traceback" not in result.stderr


def test_freshness_without_a_file_is_past_its_error_threshold(tmp_path: Path) -> None:
    """Fail closed: a table with no landed file is not fresh."""
    from orchestration.lib.landing import FreshnessRule, landing_freshness

    rule = FreshnessRule("requests.privacy_requests", "requests/*/privacy_requests*.jsonl", 2 * 86400, 7 * 86400)
    (tmp_path / "requests" / "2026-11-29").mkdir(parents=True)
    (tmp_path / "requests" / "2026-11-29" / "privacy_requests_001.jsonl").symlink_to("/etc/hostname")
    results, never_read = landing_freshness(tmp_path, [rule])
    assert [(r.status, r.files, r.newest_age) for r in results] == [("error", 0, None)]
    assert never_read == {"symlink": 1}


def test_a_crash_is_exit_70_with_one_line_and_a_private_crash_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A bug is told apart from a blocked run (3), a failed run (4) and a user error (2): exit 70,
    one line on stderr, the traceback in a crash file only the service user can read."""
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "cmd_quarantine_list", broken)
    monkeypatch.setenv("CONSENT_LEDGER_REPORTS", str(tmp_path / "reports"))
    monkeypatch.delenv("CONSENT_LEDGER_DEBUG", raising=False)
    assert main(["quarantine", "list", "--warehouse", str(tmp_path / "ledger.duckdb")]) == cli.EXIT_CRASH == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (RuntimeError: boom)" in err and "Traceback" not in err
    [crash] = (tmp_path / "reports").glob("crash-*.txt")
    assert "Traceback" in crash.read_text() and "boom" in crash.read_text()
    assert crash.stat().st_mode & 0o777 == 0o600
    assert len({cli.EXIT_OK, cli.EXIT_USER_ERROR, cli.EXIT_BLOCKED, cli.EXIT_RUN_FAILED, cli.EXIT_BUSY,
                cli.EXIT_CRASH}) == 6
