"""The Python contact key and email check (orchestration/lib/identity.py) agree with the dbt macros
(macros/identity.sql) on addresses that trip up naive copies.

The macros are rendered with Jinja as dbt would for DuckDB (adapter.dispatch picks `duckdb__`), and
both sides run in DuckDB over the same table of inputs.
"""

from __future__ import annotations

from typing import Any

import duckdb
import jinja2
import pytest

from orchestration.lib import identity
from tests.conftest import REPO

TRICKY = [
    "ana@example.com",
    "  Ana@Example.COM  ",
    "\tana@example.com\n",        # DuckDB trim keeps tabs and newlines
    "\u00a0ana@example.com\u00a0",  # ... and removes no-break spaces
    "İVO@EXAMPLE.COM",              # Python and DuckDB lowercase the dotted I differently
    "ẞ@example.com",
    "a\u00a0b@example.com",         # RE2's \s is ASCII: a no-break space inside is valid
    "a b@example.com",
    "a\tb@example.com",
    "",
    "   ",
    "no-at-sign",
    "two@@example.com",
    "a@b@c.de",
    "a@localhost",
    "'=cmd@example.com",
    "Ελένη@παράδειγμα.ελ",
    None,
]


def _render_macros() -> Any:
    """macros/identity.sql as a Jinja module, with dbt's dispatch and return for DuckDB."""
    holder: dict[str, Any] = {}

    class Adapter:
        def dispatch(self, name: str, _namespace: str) -> Any:
            module = holder["module"]
            return getattr(module, f"duckdb__{name}", None) or getattr(module, f"default__{name}")

    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    env.globals.update({"adapter": Adapter(), "return": lambda value: value})
    holder["module"] = env.from_string((REPO / "macros" / "identity.sql").read_text()).module
    return holder["module"]


@pytest.fixture(scope="module")
def inputs() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table inputs (n integer, email varchar)")
    con.executemany("insert into inputs values (?, ?)", list(enumerate(TRICKY)))
    return con


def test_python_identity_matches_the_dbt_macros(inputs: duckdb.DuckDBPyConnection) -> None:
    macros = _render_macros()
    rows = inputs.execute(
        f"""
        select n, email,
            {macros.normalize_email('email')} as normalized,
            coalesce({macros.is_valid_email(macros.normalize_email('email'))}, false) as is_valid,
            {macros.contact_key('email')} as contact_key
        from inputs order by n
        """
    ).fetchall()
    assert len(rows) == len(TRICKY)
    for _, email, normalized, is_valid, key in rows:
        assert identity.normalize_email(email) == normalized, repr(email)
        assert identity.is_valid_email(email) == is_valid, repr(email)
        assert identity.contact_key(email) == key, repr(email)


def test_sql_helpers_match_the_dbt_macros(inputs: duckdb.DuckDBPyConnection) -> None:
    macros = _render_macros()
    dbt_side = f"""
        select n, {macros.contact_key('email')}, {macros.is_valid_email(macros.normalize_email('email'))}
        from inputs order by n"""
    python_side = f"""
        select n, {identity.contact_key_sql('email')},
            {identity.is_valid_email_sql(identity.normalize_email_sql('email'))}
        from inputs order by n"""
    assert inputs.execute(dbt_side).fetchall() == inputs.execute(python_side).fetchall()


def test_the_inputs_are_tricky() -> None:
    """The table must hold inputs where a plain Python strip/lower/re copy disagrees."""
    import hashlib
    import re

    def naive(email: str) -> tuple[str, bool]:
        norm = email.strip().lower()
        return hashlib.sha256(norm.encode()).hexdigest(), bool(re.fullmatch(identity.EMAIL_PATTERN, norm))

    differing = [e for e in TRICKY if e and e.strip()
                 and naive(e) != (identity.contact_key(e), identity.is_valid_email(e))]
    assert len(differing) >= 3, differing
