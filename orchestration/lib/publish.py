"""Atomic publication: a published file only ever changes by one rename() of a complete copy.

A run for a later date than the latest publish (nightly) or for the same date (rerun) replaces
the latest warehouse; a run for an earlier date (backfill) is written as a dated snapshot beside
it (`ledger_as_of_<date>.duckdb`), so the latest state is never replaced by an older one.

The publish step owns the warehouse's history, two append-only tables carried from each published
file into the next: `audit.publications` (one row per publish) and `audit.publication_ledger`
(when each suppression was first published, what each outbox handed to the email tool, which
erasures are known). Rows are only ever added, by nightly runs and reruns; a backfill adds none.
dbt reads the history (int_publication_ledger__published) and never writes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import encryption
from orchestration.lib.permissions import share

PUBLISHED_SCHEMAS = ("consent", "audit")
HISTORY = {
    "publications": "publication_number integer, as_of date, kind varchar, published_at timestamp, "
    "file_name varchar",
    "publication_ledger": "entry varchar, contact_key varchar, item_key varchar, occurred_at timestamp, "
    "recorded_as_of date, recorded_at timestamp, publication_number integer",
}
LEDGER_COLUMNS = "entry, contact_key, item_key, occurred_at, recorded_as_of, recorded_at, publication_number"

# What a nightly run or a rerun appends: `?` are as_of, now and the publication number. Each select
# reads the working database (`work`) and skips what the ledger (`pub`) already holds; who is owed
# what is decided in dbt, this only records what this publication hands over.
NEW_ENTRIES = (
    """
    select 'first_publication', s.contact_key, s.evidence_event_id, s.suppressed_since, $as_of, $now, $number
    from work.audit.withdrawal_sla as s
    where not exists (select 1 from pub.audit.publication_ledger as l where l.entry = 'first_publication'
                      and l.contact_key = s.contact_key and l.item_key = s.evidence_event_id)
    """,
    """
    select 'erasure', e.contact_key, coalesce(e.erasure_event_id, 'erasure'), e.erased_at, $as_of, $now, $number
    from work.intermediate.int_erasures__known as e
    where not exists (select 1 from pub.audit.publication_ledger as l where l.entry = 'erasure'
                      and l.contact_key = e.contact_key)
    """,
    """
    select 'withdrawal_confirmation', w.contact_key, trim(unnest(string_split(w.withdrawal_event_ids, ';'))),
        cast(null as timestamp), $as_of, $now, $number
    from work.consent.withdrawal_confirmations as w
    """,
    """
    select 'reconsent_request', r.contact_key, trim(unnest(string_split(r.request_keys, ';'))),
        cast(null as timestamp), $as_of, $now, $number
    from work.consent.reconsent_requests as r
    """,
)


@dataclass
class Publication:
    path: Path
    tables: dict[str, int]
    as_of: str = ""
    kind: str = "nightly"
    number: int = 0

    @property
    def is_snapshot(self) -> bool:
        return self.kind == "backfill"


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


def snapshot_path(published: Path, as_of: str) -> Path:
    """Where a backfill of `as_of` is published: beside the latest warehouse, named for its date."""
    return published.with_name(f"{published.stem}_as_of_{as_of}{published.suffix}")


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ?",
        [catalog]).fetchall()}


def latest_as_of(published: Path) -> str | None:
    """Run date of the latest state in the published file (None when there is none)."""
    if not published.exists():
        return None
    with duckdb.connect() as con:
        encryption.attach(con, published, "latest", read_only=True)
        tables = _tables(con, "latest")
        if "audit.publications" in tables:
            sql = "select max(as_of) from latest.audit.publications where kind <> 'backfill'"
        else:
            sql = "select max(as_of) from latest.consent.consent_status"
        value = con.execute(sql).fetchone()[0]
    return str(value) if value is not None else None


def publish(working: Path, published: Path, as_of: str | None = None) -> Publication:
    """Copy the consent.* and audit.* tables of the working database into a new file, carry the
    history forward and append this publication to it, then rename() it over the latest published
    file (nightly, rerun) or over the snapshot for its date (backfill).

    Readers that hold the old file open keep reading it (the old inode lives until they close);
    new readers see the new file. A crash before the rename leaves the published file untouched.
    Only published schemas are copied: staging tables hold raw lines and plain emails.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    if as_of is None:
        with encryption.connect(working) as con:
            as_of = str(con.execute("select max(as_of) from consent.consent_status").fetchone()[0])
    latest = latest_as_of(published)
    kind = "nightly" if latest is None or as_of > latest else "rerun" if as_of == latest else "backfill"
    target = snapshot_path(published, as_of) if kind == "backfill" else published
    remove_stale_copies(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.publishing")
    tables: dict[str, int] = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with duckdb.connect() as con:
            # attached under fixed names, whatever the files are called
            encryption.attach(con, tmp, "pub")  # encrypted with CONSENT_LEDGER_ENCRYPTION_KEY
            encryption.attach(con, working, "work", read_only=True)
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f"create schema pub.{_quote(schema)}")
                names = [r[0] for r in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = 'work' and table_schema = ? and table_type = 'BASE TABLE' "
                    "order by table_name", [schema]).fetchall()]
                for name in names:
                    if schema == "audit" and name in HISTORY:
                        continue
                    source = f"work.{_quote(schema)}.{_quote(name)}"
                    target_table = f"pub.{_quote(schema)}.{_quote(name)}"
                    con.execute(f"create table {target_table} as select * from {source}")
            _redact_erased(con)
            number = _carry_history(con, published, as_of, kind, target.name, now)
            for schema in PUBLISHED_SCHEMAS:
                for (name,) in con.execute(
                        "select table_name from information_schema.tables where table_catalog = 'pub' "
                        "and table_schema = ? order by table_name", [schema]).fetchall():
                    tables[f"{schema}.{name}"] = con.execute(
                        f"select count(*) from pub.{_quote(schema)}.{_quote(name)}").fetchone()[0]
            con.execute("checkpoint pub")
            con.execute("detach work")
            con.execute("detach pub")
        share(tmp)  # CONSENT_LEDGER_FILE_MODE (default 0640), before anyone can see the file
        install_file(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return Publication(path=target, tables=tables, as_of=as_of, kind=kind, number=number)


def install_file(fresh: Path, target: Path) -> None:
    """Put a finished database file in place of `target` so that a crash at any moment leaves
    either the old file or the new one, whole: the new file's bytes reach the disk, then one
    rename, then the folder entry reaches the disk."""
    with open(fresh, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(fresh, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _redact_erased(con: duckdb.DuckDBPyConnection) -> None:
    """The last guard of the erasure rule at the gate: no published row carries the address of a
    contact consent.contacts marks erased (in a backfill the point-in-time suppression list and
    audience still name people whose erasure arrived later)."""
    erased = "select contact_key from pub.consent.contacts where is_erased"
    con.execute(f"update pub.consent.suppression_list set email = null where contact_key in ({erased})")
    con.execute(f"delete from pub.consent.marketable_audience where contact_key in ({erased})")


def _carry_history(con: duckdb.DuckDBPyConnection, published: Path, as_of: str, kind: str, file_name: str,
                   now: datetime) -> int:
    """Copy the latest file's history into the new file, append this publication; return its number."""
    for name, columns in HISTORY.items():
        con.execute(f"create table pub.audit.{name} ({columns})")
    if published.exists():
        encryption.attach(con, published, "prev", read_only=True)
        if "audit.publication_ledger" in _tables(con, "prev"):
            con.execute("insert into pub.audit.publications select * from prev.audit.publications")
            con.execute(f"insert into pub.audit.publication_ledger select {LEDGER_COLUMNS} "
                        "from prev.audit.publication_ledger")
        else:
            # a warehouse published before the history existed: keep what dbt read from it
            con.execute(
                "insert into pub.audit.publications select 0, recorded_as_of, 'nightly', null, null "
                "from work.intermediate.int_publication_ledger__published where entry = 'publication'")
            con.execute(
                "insert into pub.audit.publication_ledger select entry, contact_key, item_key, occurred_at, "
                "recorded_as_of, null, 0 from work.intermediate.int_publication_ledger__published "
                "where entry <> 'publication'")
        con.execute("detach prev")
    number = con.execute(
        "select coalesce(max(publication_number), 0) + 1 from pub.audit.publications").fetchone()[0]
    con.execute("insert into pub.audit.publications values (?, ?, ?, ?, ?)",
                [number, as_of, kind, now, file_name])
    if kind != "backfill":
        params = {"as_of": as_of, "now": now, "number": number}
        for select in NEW_ENTRIES:
            con.execute(f"insert into pub.audit.publication_ledger ({LEDGER_COLUMNS}) {select}", params)
    return int(number)
