"""Atomic publication: the published file only ever changes by one rename() of a complete copy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.permissions import share

PUBLISHED_SCHEMAS = ("consent", "audit")


@dataclass
class Publication:
    path: Path
    tables: dict[str, int]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def remove_stale_copies(published: Path) -> list[Path]:
    """A run killed mid-publish leaves its half-written copy and DuckDB's write-ahead log for it
    (`.<name>.<pid>.publishing[.wal]`); the caller holds the run lock, so no publish is under way."""
    removed = []
    for pattern in (f".{published.name}.*.publishing", f".{published.name}.*.publishing.wal"):
        for stale in published.parent.glob(pattern):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


def publish(working: Path, published: Path) -> Publication:
    """Copy the consent.* and audit.* tables of the working database into a new file beside the
    published one, then rename() it over the published file.

    Readers that hold the old file open keep reading it (the old inode lives until they close);
    new readers see the new file. A crash before the rename leaves the published file untouched.
    Only published schemas are copied: staging tables hold raw lines and plain emails.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_copies(published)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.publishing")
    tables: dict[str, int] = {}
    try:
        with duckdb.connect() as con:
            # attached under fixed names: the files' own names may equal a schema name (consent)
            con.execute("attach ? as pub", [str(tmp)])
            con.execute("attach ? as work (read_only)", [str(working)])
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f"create schema pub.{_quote(schema)}")
                names = [r[0] for r in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = 'work' and table_schema = ? and table_type = 'BASE TABLE' "
                    "order by table_name", [schema]).fetchall()]
                for name in names:
                    source = f"work.{_quote(schema)}.{_quote(name)}"
                    target = f"pub.{_quote(schema)}.{_quote(name)}"
                    con.execute(f"create table {target} as select * from {source}")
                    tables[f"{schema}.{name}"] = con.execute(f"select count(*) from {target}").fetchone()[0]
            con.execute("checkpoint pub")
            con.execute("detach work")
            con.execute("detach pub")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        share(tmp)  # CONSENT_LEDGER_FILE_MODE (default 0640), before anyone can see the file
        os.replace(tmp, published)
        directory = os.open(published.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return Publication(path=published, tables=tables)
