"""The `consent-ledger` command.

The run date (--as-of) defaults to yesterday in UTC, the day that has ended: the same date the
nightly schedule (02:00 UTC) runs.

Exit codes (the same for every subcommand; README "Exit codes"):

  0  done (run: published; freshness: every source fresh or only warned)
  1  explain: the warehouse never saw the address
  2  user error: bad arguments or paths, --as-of in the future, no landing data, bad candidates file
  3  run: blocked by a check (dbt test or Great Expectations); nothing published, the report names it;
     freshness: a source is past its error threshold
  4  run: failed (a step broke, or the disk is full, read-only or not writable); nothing published
  5  run, freshness: another run holds the warehouse; try again when it has finished
  70 internal error (a bug): one line on stderr, the traceback in a crash file beside the reports
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from contextlib import ExitStack, suppress
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.lib import paths
from orchestration.lib.run_dates import run_date_for

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USER_ERROR = 2
EXIT_BLOCKED = 3
EXIT_RUN_FAILED = 4
EXIT_BUSY = 5
EXIT_CRASH = 70


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, unless the help already says it (a default that
    depends on the environment or the date is written out in words) or there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return super()._get_help_string(action)


class _TopHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """The module docstring (exit codes) keeps its layout."""


def _lock_first(warehouse: Path) -> ExitStack:
    """Take the warehouse lock before importing Dagster and dbt (tens of seconds on a busy machine),
    so a second run is refused at once. The run takes the same lock again (re-entrant). A folder
    that does not exist yet or cannot hold the lock file is left to the run, which creates it with
    CONSENT_LEDGER_FILE_MODE or explains what it cannot write."""
    from orchestration.lib.lock import warehouse_lock

    stack = ExitStack()
    if not warehouse.resolve().parent.is_dir():  # the run creates the folder with its intended mode
        return stack
    with suppress(OSError):
        stack.enter_context(warehouse_lock(warehouse.resolve()))
    return stack


def cmd_generate(args: argparse.Namespace) -> int:
    from devtools.generate import contacts_for_events, generate_landing

    if args.events is not None:
        args.contacts = contacts_for_events(args.events, args.days)
    if args.end_date is None and args.start_date is None:
        args.end_date = run_date_for()  # the files a default `run` reads (extract days up to its as_of)
    counts = generate_landing(args.out, contacts=args.contacts, days=args.days, seed=args.seed,
                              end_date=args.end_date, start_date=args.start_date, workers=args.workers)
    files = sum(counts.values())
    print(f"wrote {files} files for {args.contacts} contacts over {args.days} days to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.lib.lock import RunInProgressError

    try:
        with _lock_first(args.warehouse):
            from orchestration.cli.run import RunEnvironmentError, RunError, format_summary, run_nightly
            from orchestration.lib.permissions import FileModeError

            try:
                outcome = run_nightly(args.landing, args.warehouse, args.as_of, full_refresh=args.full_refresh)
            except (RunError, FileModeError) as error:
                if isinstance(error, RunEnvironmentError):
                    print(f"consent-ledger run: {error}; nothing was published", file=sys.stderr)
                    return EXIT_RUN_FAILED
                print(f"consent-ledger run: {error}", file=sys.stderr)
                return EXIT_USER_ERROR
    except RunInProgressError as error:
        print(f"consent-ledger run: {error}", file=sys.stderr)
        return EXIT_BUSY
    except OSError as error:  # disk full or read-only after the start: foreseeable, not a bug
        where = f" ({error.filename})" if error.filename else ""
        print(f"consent-ledger run: failed: {error.strerror or error}{where}; nothing was published",
              file=sys.stderr)
        return EXIT_RUN_FAILED
    except Exception as error:
        # Dagster's run history (SQLite, beside the warehouse) on a full or failing disk
        if type(error).__name__ != "OperationalError":
            raise
        from orchestration.lib.instance import dagster_home

        home = dagster_home(args.warehouse.resolve() if args.warehouse else None)
        full = home.exists() and shutil.disk_usage(home).free < 1 << 20
        cause = "No space left on device" if full else str(getattr(error, "orig", error))
        print(f"consent-ledger run: failed: the Dagster run history in {home} could not be written "
              f"({cause}); nothing was published", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(format_summary(outcome))
    if outcome.failed_steps:  # also after publishing: e.g. the tool exports could not be written
        return EXIT_RUN_FAILED
    return EXIT_OK if outcome.published else EXIT_BLOCKED


def cmd_freshness(args: argparse.Namespace) -> int:
    """Freshness of the landed files against the sources yml thresholds; links and special files
    are never read (orchestration.cli.run.source_freshness)."""
    from orchestration.lib.lock import RunInProgressError

    try:
        with _lock_first(args.warehouse):
            from orchestration.cli.run import RunError, source_freshness

            try:
                code = source_freshness(args.landing, args.warehouse)
            except RunError as error:
                print(f"consent-ledger freshness: {error}", file=sys.stderr)
                return EXIT_USER_ERROR
    except RunInProgressError as error:
        print(f"consent-ledger freshness: {error}", file=sys.stderr)
        return EXIT_BUSY
    return {0: EXIT_OK, 1: EXIT_BLOCKED}.get(code, EXIT_RUN_FAILED)


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    from orchestration.lib.landing import quarantine_list, unblock_instructions

    working = paths.working_db(args.warehouse)
    if not working.exists():
        print(f"no run has built {working} yet: nothing is quarantined")
        return 0
    rows = quarantine_list(working)
    if not rows:
        print("no quarantined files (as of the last run)")
        return 0
    print(f"quarantined files as of the last run ({working}):")
    print("\n".join(unblock_instructions(args.landing, rows)[1:]))
    return 0


LANDING_HELP = "landing folder; default: $CONSENT_LEDGER_LANDING or data/landing"
WAREHOUSE_HELP = "published file; default: $CONSENT_LEDGER_WAREHOUSE or warehouse/ledger.duckdb"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consent-ledger", description=__doc__, formatter_class=_TopHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True)

    gen = subparsers.add_parser("generate", help="write realistic synthetic landing files",
                                formatter_class=HelpFormatter,
                                description="Write realistic synthetic landing files (every source format).")
    gen.add_argument("--out", type=Path, required=True, help="landing folder to write")
    gen.add_argument("--contacts", type=_positive, default=1000, help="people in the generated history")
    gen.add_argument("--events", type=_positive, default=None,
                     help="about this many consent events instead of --contacts (contacts = events / "
                          "(2.9 + 0.375 x (days - 1))); default: use --contacts")
    gen.add_argument("--days", type=_positive, default=14, help="extract days, ending at --end-date")
    gen.add_argument("--seed", type=_integer, default=42, help="same seed and first day, same files")
    gen.add_argument("--end-date", type=_date, default=None, metavar="YYYY-MM-DD",
                     help="last extract day (default: yesterday, UTC: the default run date of `run`)")
    gen.add_argument("--start-date", type=_date, default=None, metavar="YYYY-MM-DD",
                     help="first extract day instead of --end-date: days 1..N stay byte-identical "
                          "when more days are generated (default: counted back from --end-date)")
    gen.add_argument("--workers", type=_positive, default=None, help="processes (default: every core)")
    gen.set_defaults(func=cmd_generate)

    run = subparsers.add_parser(
        "run", help="the nightly job: build, check, publish", formatter_class=HelpFormatter,
        description="Build the working warehouse for the run date, check it and publish it only when every "
                    "blocking check passes. Progress goes to stderr (a bar on a terminal), dbt's console output to "
                    "<reports>/<as_of>/dbt_output.log (dbt's debug log: target/consent_ledger_dbt-*/dbt.log), "
                    "the summary to stdout.")
    run.add_argument("--landing", type=Path, default=None, help=LANDING_HELP)
    run.add_argument("--warehouse", type=Path, default=None,
                     help=WAREHOUSE_HELP + " (a run for an earlier date than the latest publish writes "
                     "ledger_as_of_<date>.duckdb beside it)")
    run.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                     help="run date (default: yesterday, UTC, the day that has ended: the same date the "
                          "nightly schedule runs at 02:00 UTC)")
    run.add_argument("--full-refresh", action="store_true", help="re-read every landed file (default: only new ones)")
    run.set_defaults(func=cmd_run)

    fresh = subparsers.add_parser(
        "freshness", help="how old the newest landed file of each source table is, against its thresholds",
        formatter_class=HelpFormatter,
        description="For each landed source table, the age of its newest regular file against the warn_after / "
                    "error_after of its sources yml (the same thresholds `dbt source freshness` reads). The "
                    "landing folder is walked without following links, like the nightly scan: links and "
                    "special files are counted, never read.")
    fresh.add_argument("--landing", type=Path, default=None, help=LANDING_HELP)
    fresh.add_argument("--warehouse", type=Path, default=None, help=WAREHOUSE_HELP)
    fresh.set_defaults(func=cmd_freshness)

    quarantine = subparsers.add_parser("quarantine", help="landed files that block publication",
                                       formatter_class=HelpFormatter)
    quarantine_commands = quarantine.add_subparsers(dest="quarantine_command", required=True)
    listing = quarantine_commands.add_parser(
        "list", help="what the last run quarantined, why, and how to unblock (the next run re-evaluates)",
        formatter_class=HelpFormatter)
    listing.add_argument("--landing", type=Path, default=None, help=LANDING_HELP)
    listing.add_argument("--warehouse", type=Path, default=None, help=WAREHOUSE_HELP)
    listing.set_defaults(func=cmd_quarantine_list)

    try:
        from orchestration.cli.features import add_explain_parser, add_export_parser
    except ImportError:
        pass
    else:
        add_export_parser(subparsers)
        add_explain_parser(subparsers)
    return parser


def _crash(error: BaseException) -> int:
    """An unexpected error is a bug: one line on stderr, the traceback in a private file."""
    import traceback

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    message = f"consent-ledger: internal error ({type(error).__name__}: {error})"
    try:
        folder = paths.reports_dir()
        folder.mkdir(parents=True, exist_ok=True)
        crash_file = folder / f"crash-{stamp}.txt"
        with open(crash_file, "w", encoding="utf-8", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
            handle.write("".join(traceback.format_exception(error)))
        message += f"; details in {crash_file}"
    except OSError:
        message += "; set CONSENT_LEDGER_DEBUG=1 to see the traceback"
    print(message, file=sys.stderr)
    return EXIT_CRASH


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "landing", "unset") is None:
        args.landing = paths.landing_dir()
    if getattr(args, "warehouse", "unset") is None:
        args.warehouse = paths.published_db()
    if getattr(args, "as_of", "unset") is None:
        args.as_of = run_date_for()
    if os.environ.get("CONSENT_LEDGER_DEBUG"):
        return args.func(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("consent-ledger: interrupted; nothing was published by this run", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: never a raw traceback
        return _crash(error)


if __name__ == "__main__":
    sys.exit(main())
