"""Marketing-ops subcommands of `consent-ledger`: `export` and `explain`.

`orchestration/cli/main.py` calls `add_export_parser(subparsers)` and `add_explain_parser(subparsers)`;
each sets `func=` to a handler returning the exit code: 0 done, 1 explain found no such contact,
2 a user error (unknown purpose or channel, missing or malformed file, no warehouse, an argument
to explain that is not an email address), reported in
one line on stderr without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import duckdb

from orchestration.features.segment_export import FORMATS, ExportError, export_segment, short_error
from orchestration.lib import paths

WAREHOUSE_HELP = "published file; default: $CONSENT_LEDGER_WAREHOUSE or warehouse/ledger.duckdb"


def _send_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def _formatter() -> type[argparse.HelpFormatter]:
    from orchestration.cli.main import HelpFormatter  # cli imports this module lazily: no cycle at import

    return HelpFormatter


def _fail(command: str, message: str) -> int:
    print(f"consent-ledger {command}: error: {message}", file=sys.stderr)
    return 2


def cmd_export(args: argparse.Namespace) -> int:
    """Write the segment; print the closing line (rows in, rows out, excluded by reason)."""
    warehouse = args.warehouse or paths.published_db()
    try:
        summary = export_segment(warehouse, args.purpose, args.channel, args.out,
                                 candidates=args.candidates, hash_emails=args.hash_emails, fmt=args.format,
                                 send_date=args.send_date)
    except ExportError as error:
        return _fail("export", str(error))
    except duckdb.Error as error:
        return _fail("export", short_error(error))
    print(summary.line())
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Print the explanation; 1 when the warehouse has never seen the address."""
    from orchestration.features.explain import explain

    warehouse = args.warehouse or paths.published_db()
    try:
        text, code = explain(warehouse, args.email, as_json=args.json)
    except ExportError as error:
        return _fail("explain", str(error))
    except duckdb.Error as error:
        return _fail("explain", short_error(error))
    print(text)
    return code


def add_export_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`export --purpose P --channel C [--candidates FILE] [--hash-emails] [--format F] --out FILE`."""
    parser = subparsers.add_parser(
        "export",
        help="a consent-respecting segment for one purpose and channel",
        formatter_class=_formatter(),
        description=(
            "Write everyone who may be contacted for PURPOSE on CHANNEL, from the published warehouse. "
            "With --candidates (a CSV with an email column, e.g. a CRM export) only those rows are "
            "considered; every row that may not be contacted goes to OUT.excluded.csv with a reason. "
            "Rows repeating an earlier row's address (trimmed, lowercased) are listed there as "
            "duplicate_candidate, so nobody is exported twice."
        ),
    )
    parser.add_argument("--purpose", required=True, help="purpose code, e.g. newsletter")
    parser.add_argument("--channel", required=True, help="channel, e.g. email")
    parser.add_argument("--candidates", type=Path, default=None,
                        help="CSV with an email column (header email, Email, Email Address, E-mail, ... in "
                             "any case and spacing); other columns are kept (default: the whole audience)")
    parser.add_argument("--hash-emails", action="store_true",
                        help="write email_sha256 (SHA-256 of the trimmed, lowercased address) instead "
                             "(default: plain addresses)")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="output format")
    parser.add_argument("--send-date", type=_send_date, default=None, metavar="YYYY-MM-DD",
                        help="day the segment is sent (default: today, UTC); rows whose consent lapses "
                             "before that day ends are excluded as expired")
    parser.add_argument("--out", type=Path, required=True, help="output file (required)")
    parser.add_argument("--warehouse", type=Path, default=None, help=WAREHOUSE_HELP)
    parser.set_defaults(func=cmd_export)
    return parser


def add_explain_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`explain EMAIL [--json] [--warehouse FILE]`."""
    parser = subparsers.add_parser(
        "explain",
        help="status per purpose, suppressions and the evidence behind them, for one address",
        formatter_class=_formatter(),
        description=(
            "Why an address may or may not be contacted, with the events (file and line) that decided it."
        ),
    )
    parser.add_argument("email", help="the address to explain (any case, surrounding spaces ignored)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (default: text)")
    parser.add_argument("--warehouse", type=Path, default=None, help=WAREHOUSE_HELP)
    parser.set_defaults(func=cmd_explain)
    return parser
