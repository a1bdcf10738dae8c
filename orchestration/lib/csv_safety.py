"""Every CSV the product writes is safe to open in a spreadsheet (CSV/formula injection).

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (or strips the character and evaluates the rest), so a hostile value such as
`=HYPERLINK("http://evil.example","x")@acme.example` would run on the marketing team's machine.

Two rules, applied by every CSV writer (suppression sync files, outboxes, segment exports and their
excluded file):

* free text (any text column) is *neutralised*: a leading `'` makes the spreadsheet show the value
  as text (the OWASP recommendation); the value is otherwise unchanged;
* an email address that would need neutralising is *withheld* from files that a tool imports (a
  tool would store `'=...` as a different address, so the suppression would silently not apply):
  the writer lists it for manual handling instead, and the person stays suppressed in the warehouse.

The writers run in DuckDB (a million rows in seconds), so the rule is written once here as SQL and
once as Python for the few values Python writes itself; the tests pin that both agree.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

UNSAFE_FIRST_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"
# the same set as a regular expression character class (`-` last, tab and CR as themselves)
_UNSAFE_CLASS = r"[=+@\t\r-]"
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "UUID", "JSON")


def is_unsafe(value: str | None) -> bool:
    """True when a spreadsheet would read the cell as (part of) a formula."""
    return bool(value) and value.startswith(UNSAFE_FIRST_CHARACTERS)


def neutralise(value: str | None) -> str | None:
    """The value as a spreadsheet shows it as text: a leading `'` when it is unsafe."""
    return NEUTRALISING_PREFIX + value if value is not None and is_unsafe(value) else value


def unsafe_sql(expr: str) -> str:
    """SQL: is the text expression unsafe (null is safe)."""
    return f"coalesce(regexp_matches({expr}, '^{_UNSAFE_CLASS}'), false)"


def neutralise_sql(expr: str) -> str:
    """SQL: the text expression neutralised like `neutralise`."""
    return f"case when {unsafe_sql(expr)} then '{NEUTRALISING_PREFIX * 2}' || {expr} else {expr} end"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def safe_select(con: duckdb.DuckDBPyConnection, select_sql: str) -> str:
    """Wrap a select so every cell is neutralised. Other types are written as their text (a
    negative number would start with `-`: a spreadsheet reads `'-5` as text, which is the price of
    one rule without exceptions). Column names and order are kept."""
    described = con.execute(f"describe ({select_sql})").fetchall()
    columns = []
    for name, column_type, *_ in described:
        quoted = _quote(name)
        is_text = str(column_type).upper().split("(")[0] in _TEXT_TYPES
        value = neutralise_sql(quoted if is_text else f"cast({quoted} as varchar)")
        if str(column_type).upper() == "BOOLEAN":
            value = quoted  # true/false: never a formula, and tools parse the boolean
        # the header is written from the names: a hostile candidates column name is neutralised too
        columns.append(f"{value} as {_quote(neutralise(name) or name)}")
    return f"select {', '.join(columns)} from ({select_sql}) as _unsafe"


def copy_csv(con: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> None:
    """COPY a select to a CSV file with a header, every text cell neutralised."""
    con.execute(f"copy ({safe_select(con, select_sql)}) to {_quote_literal(str(path))} (format csv, header true)")
