"""The `consent-ledger` command."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration import paths


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
    from orchestration.generate import generate_landing

    counts = generate_landing(args.out, contacts=args.contacts, days=args.days, seed=args.seed,
                              end_date=args.end_date)
    files = sum(counts.values())
    print(f"wrote {files} files for {args.contacts} contacts over {args.days} days to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.locking import RunInProgressError
    from orchestration.runner import RunError, format_summary, run_nightly

    try:
        outcome = run_nightly(args.landing, args.warehouse, args.as_of, full_refresh=args.full_refresh)
    except (RunError, RunInProgressError) as error:
        print(f"consent-ledger run: {error}", file=sys.stderr)
        return 2
    print(format_summary(outcome))
    return 0 if outcome.published else 1


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
    gen.add_argument("--days", type=_positive, default=14, help="extract days, ending at --end-date")
    gen.add_argument("--seed", type=int, default=42, help="same seed and end date, same files")
    gen.add_argument("--end-date", type=_date, default=None, help="last extract day (default: today, UTC)")
    gen.set_defaults(func=cmd_generate)

    run = subparsers.add_parser("run", help="the nightly job: build, check, publish")
    run.add_argument("--landing", type=Path, default=None, help="default: $CONSENT_LEDGER_LANDING or data/landing")
    run.add_argument("--warehouse", type=Path, default=None,
                     help="published file; default: $CONSENT_LEDGER_WAREHOUSE or warehouse/consent.duckdb")
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "landing", "unset") is None:
        args.landing = paths.landing_dir()
    if getattr(args, "warehouse", "unset") is None:
        args.warehouse = paths.published_db()
    if getattr(args, "as_of", "unset") is None:
        args.as_of = datetime.now(UTC).date()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
