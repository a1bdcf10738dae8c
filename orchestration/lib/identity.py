"""The contact key and the email check, for Python code: the one copy of macros/identity.sql.

Every published table is keyed on the SHA-256 of the normalised address (`contact_key`), and only
addresses that pass `is_valid_email` are keyed. The dbt macros define both; the export, explain
and sync code must compute exactly the same thing, or an address typed at the CLI misses its row.
So this module writes the macros' SQL (DuckDB dialect) and evaluates Python values through DuckDB
too: DuckDB's trim/lower/regex are not Python's (trim keeps tabs and removes no-break spaces,
lower('İ') differs, RE2's \\s is ASCII), and re-implementing them would be a second copy of the
rule. tests/test_identity.py renders the dbt macros and checks both agree on tricky inputs.
"""

from __future__ import annotations

import duckdb

EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # macros/identity.sql is_valid_email


def normalize_email_sql(expr: str) -> str:
    """SQL of the normalised address (normalize_email): trimmed, lowercased, '' as null."""
    return f"nullif(lower(trim({expr})), '')"


def is_valid_email_sql(expr: str) -> str:
    """SQL true when `expr` (already normalised) is an email address (is_valid_email)."""
    return f"regexp_full_match({expr}, '{EMAIL_PATTERN}')"


def contact_key_sql(expr: str) -> str:
    """SQL of the contact key of a raw address (contact_key): SHA-256 hex of the normalised address."""
    return f"sha256({normalize_email_sql(expr)})"


_IDENTITY_SQL = (
    f"select {normalize_email_sql('$1')}, "
    f"coalesce({is_valid_email_sql(normalize_email_sql('$1'))}, false), "
    f"{contact_key_sql('$1')}"
)


def _identity(email: str | None) -> tuple[str | None, bool, str | None]:
    with duckdb.connect() as con:
        row = con.execute(_IDENTITY_SQL, [email]).fetchone()
    return row[0], bool(row[1]), row[2]


def normalize_email(email: str | None) -> str | None:
    """The address as the warehouse stores it (None when empty)."""
    return _identity(email)[0]


def is_valid_email(email: str | None) -> bool:
    """Whether the warehouse would key this raw address (normalised first)."""
    return _identity(email)[1]


def contact_key(email: str | None) -> str | None:
    """The contact key the warehouse gives this raw address (None when empty)."""
    return _identity(email)[2]
