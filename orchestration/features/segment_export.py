"""Consent-respecting segment exports from the published warehouse (`consent-ledger export`).

Two modes, both read the published DuckDB file read-only and do all the work in DuckDB (no
Python loops), so a million candidates against a million contacts takes seconds:

* Without candidates: everyone in `consent.marketable_audience` for the purpose x channel.

Decision horizon: the warehouse answers for the end of its run date (`as_of`), a send happens on
the send date (`send_date`, default today in UTC, never before `as_of`). A row whose decision
changes before the send date ends (`consent_status.decision_valid_until`: a grant lapsing, a
re-consent policy taking effect) is excluded with reason `expired`.
* With candidates (a CSV with an email column, e.g. a CRM export; any other columns are kept; the
  column is found under the names tools export, in any case and spacing: `email`, `Email`,
  `Email Address`, `E-mail`, `email_address`; a file with none or several is refused, naming its header):
  only the rows that may be contacted go to the output. Every other row goes to
  `<out>.excluded.csv` beside it (`segment.csv` -> `segment.csv.excluded.csv`) with its original
  columns plus `exclusion_reason` and `exclusion_detail`. Each candidate row lands in exactly one
  of the two files, in the order of the candidates file.

Exclusion reasons (fail closed: anything not positively allowed is excluded):

=====================  ==========================================================================
invalid_email          empty or not an email address
duplicate_candidate    the same address (trimmed, lowercased) as an earlier row of the candidates
                       file: the first row decides, later ones are listed here (detail names the
                       first row), so nobody is exported twice
unknown_contact        the warehouse never saw the address: its regime is unknown, so the
                       strictest (opt-in) applies, and there is no consent on record
erased                 an erasure request was received. The plain address is written NOWHERE:
                       the excluded file carries the contact_key (SHA-256 of the normalized
                       address) in the email column, and any other column whose value contains
                       the address is replaced by the contact_key too
suppressed:<reason>    withdrawn or suppressed (global_opt_out, channel_opt_out, purpose_opt_out,
                       sale_opt_out, undeliverable, complaint)
not_consented          no standing consent (never asked, declined, or a grant voided by a broader
                       opt-out)
pending                double opt-in or confirmation outstanding
expired                the grant lapsed (source expiry, CASL window, refresh age), or its
                       decision changes before the end of the send date (decision_valid_until)
reconsent_required     granted under a notice version that needs fresh consent
invalid:<reason>       a grant that is not valid where the regime requires opt-in
                       (prechecked_consent, unknown_notice_version, incomplete_proof, ...)
no_status              a known contact without a status for this purpose x channel
not_in_audience        status allows contact but the contact is not in the audience (should
                       not happen; kept so nothing is ever let through by omission)
unsafe_for_spreadsheet may be contacted, but the address starts with `=`, `+`, `-`, `@`, tab or CR:
                       a spreadsheet would run it as a formula, so it is withheld for manual
                       handling (orchestration/lib/csv_safety.py); every CSV cell written is
                       neutralised the same way (a leading `'`)
=====================  ==========================================================================

`hash_emails=True` writes `email_sha256` = SHA-256 hex of the trimmed, lowercased address in place
of the email column (the format ad platforms' customer-match uploads expect); the excluded file is
hashed the same way. Outputs are written to temporary files and renamed at the end, so a failed
export never leaves a partial file behind (an earlier good file at `out` stays as it was). An export
without candidates removes a stale `<out>.excluded.csv` left by an earlier candidates export.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.lib.csv_safety import copy_csv, unsafe_sql
from orchestration.lib.identity import contact_key_sql, is_valid_email_sql, normalize_email_sql
from orchestration.lib.permissions import share
from orchestration.lib.warehouse import CATALOG, connect_published

PUBLISHED_TABLES = (
    "consent.contacts",
    "consent.consent_events",
    "consent.consent_history",
    "consent.consent_status",
    "consent.suppression_list",
    "consent.marketable_audience",
    "audit.rejected_records",
    "audit.load_reconciliation",
    "audit.sends_without_consent",
    "audit.withdrawal_sla",
)
FORMATS = ("csv", "parquet")
REASON_COLUMN = "exclusion_reason"
DETAIL_COLUMN = "exclusion_detail"
HASH_COLUMN = "email_sha256"
EXCLUDED_SUFFIX = ".excluded.csv"
EMAIL_HEADERS = frozenset({"email", "emailaddress"})  # normalised: is_email_header
DUPLICATE_REASON = "duplicate_candidate"

# Why a contact with a status row may not be contacted; `s` is consent.consent_status and
# {send_end} the end of the send date. Why a cell is out of the audience as of the run date is
# decided in dbt (consent_status.exclusion_reason); only the send-date horizon is export's own:
# a cell whose decision changes before the send date ends is `expired`. A status row outside the
# segment without a reason is `not_in_audience` (fail closed: nothing is let through by omission).
# Shared by both modes so the counts of a plain export and a candidates export use the same words.
STATUS_REASON_SQL = """
    case
        when s.can_contact and s.decision_valid_until < {send_end} then 'expired'
        else coalesce(s.exclusion_reason, 'not_in_audience')
    end
"""
STATUS_DETAIL_SQL = """
    concat_ws('; ', 'status=' || s.status, 'blocked_reason=' || s.blocked_reason,
              'regime=' || s.regime, 'evidence_event_id=' || s.evidence_event_id,
              'decision_valid_until=' || strftime(s.decision_valid_until, '%Y-%m-%d %H:%M:%S'))
"""
# The audience rows (`a`) that still hold at the end of the send date.
HOLDS_SQL = "(a.decision_valid_until is null or a.decision_valid_until >= {send_end})"
UNSAFE_REASON = "unsafe_for_spreadsheet"
UNSAFE_DETAIL = (
    "the address starts with a character a spreadsheet reads as a formula: withheld from the segment, "
    "handle by hand"
)
UNKNOWN_DETAIL = (
    "never seen by the warehouse: its regime is unknown, so the strictest (opt-in) applies, "
    "and there is no consent on record"
)


class ExportError(ValueError):
    """A user error (bad purpose, channel, file or warehouse): reported without a traceback."""


@dataclass
class ExportSummary:
    """What an export did: rows in, rows out, and excluded rows by reason."""

    purpose: str
    channel: str
    out: Path
    rows_in: int
    rows_out: int
    excluded: dict[str, int] = field(default_factory=dict)
    excluded_path: Path | None = None
    hashed: bool = False
    send_date: date | None = None

    @property
    def rows_excluded(self) -> int:
        return sum(self.excluded.values())

    def line(self) -> str:
        """The closing line printed by the CLI."""
        by_reason = ", ".join(f"{reason} {count}" for reason, count in self.excluded.items())
        source = "candidates" if self.excluded_path else "contacts with a status"
        when = f" for {self.send_date.isoformat()}" if self.send_date else ""
        return (
            f"export {self.purpose}/{self.channel}{when}: {self.rows_in} {source} in, {self.rows_out} out "
            f"-> {self.out}; {self.rows_excluded} excluded"
            + (f" ({by_reason})" if by_reason else "")
            + (f" -> {self.excluded_path}" if self.excluded_path else "")
        )


def quote_ident(name: str) -> str:
    """A column name as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A file path as a DuckDB string literal (COPY TO takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def short_error(error: Exception) -> str:
    """First meaningful lines of a DuckDB error, without its long list of suggestions."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    keep = [line for line in lines[:4] if not line.startswith(("Possible", "LINE ", "^", "*"))]
    return " ".join(keep[:2]) or type(error).__name__


@contextlib.contextmanager
def checked_warehouse(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published file opened READ-ONLY, after checking it is one."""
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise ExportError(f"warehouse not found: {warehouse} (run the nightly job, or pass --warehouse)")
    try:
        con = connect_published(warehouse)
    except duckdb.Error as error:
        raise ExportError(f"cannot open warehouse {warehouse}: {short_error(error)}") from error
    try:
        present = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = ?",
                [CATALOG],
            ).fetchall()
        }
        missing = [table for table in PUBLISHED_TABLES if table not in present]
        if missing:
            raise ExportError(
                f"{warehouse} is not a published Consent Ledger warehouse: missing {', '.join(missing)}"
            )
        yield con
    finally:
        con.close()


def valid_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Purpose x channel pairs the warehouse knows: every audience row has a status row too."""
    rows = con.execute(
        "select distinct purpose, channel from consent.consent_status order by 1, 2"
    ).fetchall()
    return [(purpose, channel) for purpose, channel in rows]


def check_purpose_channel(con: duckdb.DuckDBPyConnection, purpose: str, channel: str) -> None:
    """Refuse a purpose or channel the warehouse does not know, listing the valid ones."""
    pairs = valid_pairs(con)
    if not pairs:
        raise ExportError("the warehouse has no consent status rows: nothing can be exported")
    purposes = sorted({p for p, _ in pairs})
    if purpose not in purposes:
        raise ExportError(f"unknown purpose {purpose!r}; valid purposes: {', '.join(purposes)}")
    channels = sorted({c for p, c in pairs if p == purpose})
    if channel not in channels:
        all_channels = sorted({c for _, c in pairs})
        raise ExportError(
            f"unknown channel {channel!r} for purpose {purpose!r}; valid channels for it: "
            f"{', '.join(channels)} (all channels: {', '.join(all_channels)})"
        )


def send_end_sql(con: duckdb.DuckDBPyConnection, send_date: date | None) -> tuple[date, str]:
    """The send date (default today, UTC) and the end of that day as a SQL timestamp literal;
    refuses a day before the warehouse's run date, which its statuses cannot answer for."""
    send_date = send_date or datetime.now(UTC).date()
    as_of = con.execute("select max(as_of) from consent.consent_status").fetchone()[0]
    if as_of is not None and send_date < as_of:
        raise ExportError(
            f"send date {send_date.isoformat()} is before the warehouse's run date {as_of.isoformat()}: "
            "its statuses hold from the end of the run date on (use consent.consent_history for the past)"
        )
    end = datetime.combine(send_date + timedelta(days=1), datetime.min.time())
    return send_date, f"timestamp '{end.isoformat(sep=' ')}'"


def temp_path(path: Path) -> Path:
    """A temporary sibling, so the final rename is atomic on the same file system."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def copy_to(con: duckdb.DuckDBPyConnection, select_sql: str, path: Path, fmt: str) -> None:
    """Parquet as is; CSV through the one spreadsheet-safety rule (orchestration.lib.csv_safety)."""
    if fmt == "csv":
        copy_csv(con, select_sql, path)
        return
    con.execute(f"copy ({select_sql}) to {quote_literal(str(path))} (format parquet)")


def is_email_header(name: str) -> bool:
    """The email column under the names tools export: `email`, `Email`, `Email Address`
    (Mailchimp), `E-mail`, `email_address`: case, spaces, `-` and `_` do not matter."""
    return re.sub(r"[\s_-]+", "", name).lower() in EMAIL_HEADERS


def read_candidates(con: duckdb.DuckDBPyConnection, candidates: Path) -> tuple[list[str], str]:
    """Load the candidates CSV into temp table `candidates`; returns its columns and the email column."""
    if not candidates.is_file():
        raise ExportError(f"candidates file not found: {candidates}")
    try:
        # RFC 4180 dialect fixed, no comment lines (a value may start with '#'), every field text
        con.execute(
            """
            create temp table candidates as
            select * from read_csv(
                $1, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
                comment = '', skip = 0
            )
            """,
            [str(candidates)],
        )
    except duckdb.Error as error:
        raise ExportError(f"cannot read candidates file {candidates}: {short_error(error)}") from error
    columns = [row[0] for row in con.execute("describe candidates").fetchall()]
    emails = [name for name in columns if is_email_header(name)]
    if len(emails) != 1:
        problem = ("has no email column (looked for: email, Email Address, E-mail, ... in any case and spacing)"
                   if not emails else f"has several email columns {emails}")
        raise ExportError(f"candidates file {candidates} {problem}; its header: {', '.join(columns)}")
    for reserved in (REASON_COLUMN, DETAIL_COLUMN, HASH_COLUMN):
        if reserved in columns:
            raise ExportError(f"candidates file {candidates} already has a column named {reserved!r}")
    return columns, emails[0]


def export_segment(warehouse: Path, purpose: str, channel: str, out: Path,
                   candidates: Path | None = None, hash_emails: bool = False,
                   fmt: str = "csv", send_date: date | None = None) -> ExportSummary:
    """Write the contactable segment for purpose x channel to `out` (see the module docstring);
    `send_date` (default today, UTC) drops rows whose decision changes before that day ends."""
    out = Path(out)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    if candidates is not None and Path(candidates).resolve() == out.resolve():
        raise ExportError("--out must not be the candidates file")
    excluded_path = Path(str(out) + EXCLUDED_SUFFIX) if candidates is not None else None
    targets = [out] + ([excluded_path] if excluded_path else [])
    temps = {target: temp_path(target) for target in targets}
    with checked_warehouse(warehouse) as con:
        check_purpose_channel(con, purpose, channel)
        send_date, send_end = send_end_sql(con, send_date)
        if candidates is None:
            rows_in, rows_out, excluded = _plain_segment(con, purpose, channel, hash_emails, send_end)
            order = HASH_COLUMN if hash_emails else "email"
            select_out = f"select * exclude (contact_key) from segment order by {order}, purpose"
        else:
            rows_in, rows_out, excluded, select_out, select_excluded = _candidate_segment(
                con, Path(candidates), purpose, channel, hash_emails, send_end
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            copy_to(con, select_out, temps[out], fmt)
            if excluded_path:
                copy_to(con, select_excluded, temps[excluded_path], "csv")
            for target in reversed(targets):  # the excluded file first: `out` appears last
                share(temps[target])  # CONSENT_LEDGER_FILE_MODE, default 0640
                os.replace(temps[target], target)
        except (duckdb.Error, OSError) as error:
            raise ExportError(f"cannot write {out}: {short_error(error)}") from error
        finally:
            for temp in temps.values():
                temp.unlink(missing_ok=True)
    if candidates is None:
        stale = Path(str(out) + EXCLUDED_SUFFIX)
        stale.unlink(missing_ok=True)  # an earlier candidates export's list would mislead beside this one
    return ExportSummary(purpose, channel, out, rows_in, rows_out, excluded, excluded_path, hash_emails,
                         send_date)


def _plain_segment(con: duckdb.DuckDBPyConnection, purpose: str, channel: str,
                   hash_emails: bool, send_end: str) -> tuple[int, int, dict[str, int]]:
    """Temp table `segment`: the audience; counts every other status row by reason."""
    email_sql = f"{contact_key_sql('a.email')} as {HASH_COLUMN}" if hash_emails else "a.email"
    # a plain address a spreadsheet would run as a formula is withheld (a hash is always safe)
    withhold = "false" if hash_emails else unsafe_sql("a.email")
    con.execute(
        f"""
        create temp table segment as
        select a.contact_key, {email_sql}, a.purpose, a.channel, a.lawful_basis, a.granted_at, a.regime
        from consent.marketable_audience as a
        inner join consent.contacts as c on c.contact_key = a.contact_key
        where a.purpose = $1 and a.channel = $2 and a.email is not null and not c.is_erased
            and {HOLDS_SQL.format(send_end=send_end)}
            and not ({withhold})
        """,
        [purpose, channel],
    )
    rows_out = con.execute("select count(*) from segment").fetchone()[0]
    excluded = dict(
        con.execute(
            f"""
            select
                case
                    when c.is_erased then 'erased'
                    when s.can_contact and ({withhold.replace('a.email', 'c.email')}) then '{UNSAFE_REASON}'
                    else {STATUS_REASON_SQL.format(send_end=send_end)}
                end as reason,
                count(*) as n
            from consent.consent_status as s
            left join consent.contacts as c on c.contact_key = s.contact_key
            where s.purpose = $1 and s.channel = $2
                and s.contact_key not in (select contact_key from segment)
            group by all
            order by n desc, reason
            """,
            [purpose, channel],
        ).fetchall()
    )
    return rows_out + sum(excluded.values()), rows_out, excluded


def _candidate_segment(con: duckdb.DuckDBPyConnection, candidates: Path, purpose: str, channel: str,
                       hash_emails: bool, send_end: str) -> tuple[int, int, dict[str, int], str, str]:
    """Temp table `classified`: every candidate row with its verdict; returns counts and two selects."""
    columns, email_column = read_candidates(con, candidates)
    email = quote_ident(email_column)
    withhold = "false" if hash_emails else unsafe_sql(f"trim(hashed.{email})")
    con.execute(
        f"""
        create temp table classified as
        with

        keyed as (
            select
                rowid as _row,
                *,
                {normalize_email_sql(email)} as _norm
            from candidates
        ),

        hashed as (
            select
                *,
                case when {is_valid_email_sql('_norm')} then {contact_key_sql('_norm')} end as _key,
                -- the first row of each normalised address decides; later ones are duplicates
                min(_row) over (partition by _norm) as _first_row
            from keyed
        ),

        audience as (
            select distinct a.contact_key from consent.marketable_audience as a
            where a.purpose = $1 and a.channel = $2 and a.email is not null
                and {HOLDS_SQL.format(send_end=send_end)}
        ),

        status as (
            select * from consent.consent_status where purpose = $1 and channel = $2
        )

        select
            hashed.*,
            case
                when hashed._norm is null then 'invalid_email'
                when hashed._key is null then 'invalid_email'
                when c.is_erased then 'erased'
                when hashed._row > hashed._first_row then '{DUPLICATE_REASON}'
                when c.contact_key is null then 'unknown_contact'
                when audience.contact_key is not null and ({withhold}) then '{UNSAFE_REASON}'
                when audience.contact_key is not null then null
                when s.contact_key is null then 'no_status'
                else {STATUS_REASON_SQL.format(send_end=send_end)}
            end as _reason,
            case
                when hashed._norm is null then 'email is empty'
                when hashed._key is null then 'not an email address'
                when c.is_erased then 'erasure received ' || strftime(c.erased_at, '%Y-%m-%d')
                    || '; address replaced by its contact_key'
                when hashed._row > hashed._first_row
                    then 'same address (trimmed, lowercased) as candidates data row ' || (hashed._first_row + 1)
                when c.contact_key is null then '{UNKNOWN_DETAIL}'
                when audience.contact_key is not null and ({withhold}) then '{UNSAFE_DETAIL}'
                when audience.contact_key is not null then null
                when s.contact_key is null then 'no consent status for this purpose and channel (fail closed)'
                else {STATUS_DETAIL_SQL}
            end as _detail
        from hashed
        left join consent.contacts as c on c.contact_key = hashed._key
        left join audience on audience.contact_key = hashed._key
        left join status as s on s.contact_key = hashed._key
        """,
        [purpose, channel],
    )
    rows_in = con.execute("select count(*) from classified").fetchone()[0]
    excluded = dict(
        con.execute(
            "select _reason, count(*) as n from classified where _reason is not null group by all "
            "order by n desc, _reason"
        ).fetchall()
    )

    def email_out() -> str:
        return f"_key as {HASH_COLUMN}" if hash_emails else email  # exported rows always have a key

    kept = ", ".join(email_out() if name == email_column else quote_ident(name) for name in columns)
    select_out = f"select {kept} from classified where _reason is null order by _row"

    def excluded_value(name: str) -> str:
        column = quote_ident(name)
        if name == email_column:
            plain = f"coalesce(_key, {contact_key_sql('_norm')})" if hash_emails else column
            value = f"case when _reason = 'erased' then _key else {plain} end"
            return f"{value} as {HASH_COLUMN if hash_emails else column}"
        # an erased person's address may hide in another column (a second email, a note): scrub it
        return (
            f"case when _reason = 'erased' and contains(lower({column}), _norm) then _key "
            f"else {column} end as {column}"
        )

    kept_excluded = ", ".join(excluded_value(name) for name in columns)
    select_excluded = (
        f"select {kept_excluded}, _reason as {REASON_COLUMN}, _detail as {DETAIL_COLUMN} "
        "from classified where _reason is not null order by _row"
    )
    return rows_in, rows_in - sum(excluded.values()), excluded, select_out, select_excluded
