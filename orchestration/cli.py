"""The `consent-ledger` command.

Exit codes (the same for every subcommand; README "Exit codes"):

  0  done (run: published)
  1  explain: the warehouse never saw the address
  2  user error: bad arguments or paths, --as-of in the future, no landing data, bad candidates file
  3  run: blocked by a check (dbt test or Great Expectations); nothing published, the report names it
  4  run: failed (a step broke, or the disk is full, read-only or not writable); nothing published
  5  run: another run holds the warehouse; try again when it has finished
  70 internal error (a bug): one line on stderr, the traceback in a crash file beside the reports
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration import paths

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
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generate import contacts_for_events, generate_landing

    if args.events is not None:
        args.contacts = contacts_for_events(args.events, args.days)
    counts = generate_landing(args.out, contacts=args.contacts, days=args.days, seed=args.seed,
                              end_date=args.end_date, start_date=args.start_date, workers=args.workers)
    files = sum(counts.values())
    print(f"wrote {files} files for {args.contacts} contacts over {args.days} days to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.locking import RunInProgressError
    from orchestration.permissions import FileModeError
    from orchestration.runner import RunEnvironmentError, RunError, format_summary, run_nightly

    try:
        outcome = run_nightly(args.landing, args.warehouse, args.as_of, full_refresh=args.full_refresh)
    except RunInProgressError as error:
        print(f"consent-ledger run: {error}", file=sys.stderr)
        return EXIT_BUSY
    except RunEnvironmentError as error:
        print(f"consent-ledger run: {error}; nothing was published", file=sys.stderr)
        return EXIT_RUN_FAILED
    except (RunError, FileModeError) as error:
        print(f"consent-ledger run: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as error:  # disk full or read-only after the start: foreseeable, not a bug
        where = f" ({error.filename})" if error.filename else ""
        print(f"consent-ledger run: failed: {error.strerror or error}{where}; nothing was published",
              file=sys.stderr)
        return EXIT_RUN_FAILED
    print(format_summary(outcome))
    if outcome.failed_steps:  # also after publishing: e.g. the tool exports could not be written
        return EXIT_RUN_FAILED
    return EXIT_OK if outcome.published else EXIT_BLOCKED


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    from orchestration.landing import quarantine_list, unblock_instructions

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consent-ledger", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)

    gen = subparsers.add_parser("generate", help="write realistic synthetic landing files")
    gen.add_argument("--out", type=Path, required=True, help="landing folder to write")
    gen.add_argument("--contacts", type=_positive, default=1000)
    gen.add_argument("--events", type=_positive, default=None,
                     help="about this many consent events instead of --contacts (contacts = events / "
                          "(2.9 + 0.375 x (days - 1)))")
    gen.add_argument("--days", type=_positive, default=14, help="extract days, ending at --end-date")
    gen.add_argument("--seed", type=int, default=42, help="same seed and first day, same files")
    gen.add_argument("--end-date", type=_date, default=None, help="last extract day (default: today, UTC)")
    gen.add_argument("--start-date", type=_date, default=None,
                     help="first extract day instead of --end-date: days 1..N stay byte-identical "
                          "when more days are generated")
    gen.add_argument("--workers", type=_positive, default=None, help="processes (default: every core)")
    gen.set_defaults(func=cmd_generate)

    run = subparsers.add_parser("run", help="the nightly job: build, check, publish")
    run.add_argument("--landing", type=Path, default=None, help="default: $CONSENT_LEDGER_LANDING or data/landing")
    run.add_argument("--warehouse", type=Path, default=None,
                     help="published file; default: $CONSENT_LEDGER_WAREHOUSE or warehouse/ledger.duckdb "
                     "(a run for an earlier date than the latest publish writes ledger_as_of_<date>.duckdb beside it)")
    run.add_argument("--as-of", type=_date, default=None, help="run date (default: today, UTC)")
    run.add_argument("--full-refresh", action="store_true", help="re-read every landed file")
    run.set_defaults(func=cmd_run)

    quarantine = subparsers.add_parser("quarantine", help="landed files that block publication")
    quarantine_commands = quarantine.add_subparsers(dest="quarantine_command", required=True)
    listing = quarantine_commands.add_parser(
        "list", help="what the last run quarantined, why, and how to unblock (the next run re-evaluates)")
    listing.add_argument("--landing", type=Path, default=None, help="default: $CONSENT_LEDGER_LANDING or data/landing")
    listing.add_argument("--warehouse", type=Path, default=None,
                         help="published file; default: $CONSENT_LEDGER_WAREHOUSE or warehouse/consent.duckdb")
    listing.set_defaults(func=cmd_quarantine_list)

    try:
        from orchestration.cli_ops import add_explain_parser, add_export_parser
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
        args.as_of = datetime.now(UTC).date()
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
