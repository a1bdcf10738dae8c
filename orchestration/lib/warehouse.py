"""Opening a published warehouse read-only.

The published file is `ledger.duckdb`, a name that differs from its schemas, so
`duckdb.connect(path, read_only=True)` resolves `consent.*` and `audit.*` as written. The code
still attaches every file under one fixed catalog name, so that any file works the same way (a
dated backfill snapshot, a working database, a `--warehouse` someone named `consent.duckdb`) and
callers can name the catalog (CATALOG).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib import encryption

CATALOG = "ledger"


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection where `consent.*` and `audit.*` resolve to the published file, read-only."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no published warehouse at {path}: run `consent-ledger run` first")
    con = duckdb.connect()
    encryption.attach(con, path, CATALOG, read_only=True)  # with CONSENT_LEDGER_ENCRYPTION_KEY: decrypted
    con.execute(f"use {CATALOG}")
    return con
