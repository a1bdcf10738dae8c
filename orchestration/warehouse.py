"""Opening the published warehouse read-only.

DuckDB names a database after its file, so `consent.duckdb` opened directly is a catalog called
`consent` and `consent.suppression_list` becomes ambiguous with the schema `consent`. Attaching it
under another name and USE-ing it makes the documented names (consent.*, audit.*) work.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

CATALOG = "ledger"


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection where `consent.*` and `audit.*` resolve to the published file, read-only."""
    if not path.exists():
        raise FileNotFoundError(f"no published warehouse at {path}: run `consent-ledger run` first")
    con = duckdb.connect()
    con.execute(f"attach ? as {CATALOG} (read_only)", [str(path)])
    con.execute(f"use {CATALOG}")
    return con
