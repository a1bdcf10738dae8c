"""Reading the landing folder: what is there (never following a link) and the records of each file.

This module only reads files and reports facts: entry type, size, age, content hash, leading bytes,
and each physical record with whether it decodes. Every entry is known by its `path_key` (the
SHA-256 of its absolute path), never by the path itself: a name can hold an address, so
the purge clears the path of an erased person's file (seeds/personal_data_columns.csv) while the
key still identifies the file. A file whose content the working store already holds (same
path_key, size, modification time in ns and inode as when it was read, and its hash in
base_landing__lines) is not opened again: its facts come from the previous scan (`known_files`).
Which file is deferred, quarantined or read, and why a record is rejected, are data rules in the
dbt models base_landing__files and base_landing__lines. The dbt Python model base_landing__scan
calls `scan_batches`; the CLI calls `quarantine_list` against the working database and
`landing_freshness` (the same lstat walk: DuckDB's read_blob, which `dbt source freshness` would
use, follows links and blocks on a pipe).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETTLE_ENV = "CONSENT_LEDGER_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60

# One CSV record under RFC 4180: quoted fields may hold commas, quotes ("") and line breaks; a
# record ends at CR, LF or CRLF outside quotes.
_CSV_RECORD = re.compile(rb'((?:"[^"]*(?:"|\Z)|[^"\r\n]+)*)(\r\n|\r|\n|\Z)')
# A well-formed record: fields separated by commas, each quoted ("" inside) or free of quotes.
_CSV_WELL_FORMED = re.compile(rb'(?:"(?:[^"]|"")*"|[^",\r\n]*)(?:,(?:"(?:[^"]|"")*"|[^",\r\n]*))*')

# One JSONL record: JSON text cannot hold a raw line break, so CR, LF and CRLF all end one.
_LINE = re.compile(rb"([^\r\n]*)(\r\n|\r|\n|\Z)")

SCAN_COLUMNS: dict[str, str] = {
    "path_key": "string",
    "file_path": "string",
    "relative_path": "string",
    "entry_type": "string",
    "file_bytes": "int64",
    "modified_at": "timestamp",
    "age_seconds": "float64",
    "content_sha256": "string",
    "head_hex": "string",
    "records": "int64",
    "decodable_records": "int64",
    "modified_ns": "int64",
    "inode": "int64",
    "from_cache": "bool",
    "read_error": "string",
    "line_number": "int64",
    "raw_text": "string",
    "is_utf8": "bool",
    "has_nul": "bool",
    "duplicate_json_key": "string",
}


# facts of a file that do not change while its (size, mtime_ns, inode) stay the same
CACHED_FACTS = ("content_sha256", "head_hex", "records", "decodable_records")


@dataclass(frozen=True)
class KnownFile:
    """A file as it was when its content was read into the working store."""

    file_bytes: int
    modified_ns: int
    inode: int
    content_sha256: str
    head_hex: str | None
    records: int
    decodable_records: int

    def matches(self, info: os.stat_result) -> bool:
        return (self.file_bytes, self.modified_ns, self.inode) == (info.st_size, info.st_mtime_ns, info.st_ino)


@dataclass(frozen=True)
class Record:
    """One physical record: its decoded text (bytes that are not UTF-8 shown as \\xNN escapes)."""

    text: str
    is_utf8: bool
    has_nul: bool


def split_records(data: bytes, is_csv: bool) -> list[bytes]:
    """Physical records of a file; the empty remainder after a final line break is not a record."""
    pattern = _CSV_RECORD if is_csv else _LINE
    records: list[bytes] = []
    position = 0
    size = len(data)
    while position < size:
        match = pattern.match(data, position)
        if match is None or match.end() == position:  # pragma: no cover - the patterns always advance
            records.append(data[position:])
            break
        record = match.group(1)
        if is_csv and _spans_lines(record) and not _CSV_WELL_FORMED.fullmatch(record):
            # a stray quote would swallow the lines after it: only a line break inside a well-formed
            # quoted field joins lines; otherwise this line alone is the (malformed) record
            match = _LINE.match(data, position)
            assert match is not None
            record = match.group(1)
        records.append(record)
        position = match.end()
    return records


def _spans_lines(record: bytes) -> bool:
    return b"\n" in record or b"\r" in record


def decode_record(raw: bytes) -> Record:
    """UTF-8 text of one record; NUL bytes are shown as \\x00 so the text stays printable."""
    try:
        text = raw.decode("utf-8")
        is_utf8 = True
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="backslashreplace")
        is_utf8 = False
    has_nul = "\x00" in text
    if has_nul:
        text = text.replace("\x00", "\\x00")
    return Record(text=text, is_utf8=is_utf8, has_nul=has_nul)


def duplicate_json_key(text: str) -> str | None:
    """The first key that appears twice in one JSON object (at any depth), or None. Parsers keep
    one of the two values silently, so which one the tool meant is ambiguous."""
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def path_key(path: Path) -> str:
    """A landed file's identity that names no one: the SHA-256 (hex) of its absolute path's bytes.
    The only definition; dbt models read it from base_landing__scan."""
    return hashlib.sha256(os.fsencode(path)).hexdigest()


def _entry_type(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


def _walk(root: Path) -> Iterator[tuple[Path, os.stat_result | None, str | None]]:
    """Every entry below root that is not a directory, without following links (lstat)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as error:
        yield root, None, f"unlistable_directory: {error.strerror}"
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as error:
            yield path, None, f"unreadable: {error.strerror}"
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(path)
        else:
            yield path, info, None


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, refusing a link swapped in since the lstat (O_NOFOLLOW)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


@dataclass
class ScannedEntry:
    """One entry of the landing folder: its line-0 facts and, for a file read now, its records."""

    facts: dict[str, Any]
    records: list[Record]
    is_json: bool

    def record_columns(self, start: int = 0, stop: int | None = None) -> dict[str, list[Any]]:
        """The rows of records[start:stop] (line_number start + 1 ...) as column lists: the one
        place a record row's values are set, for the dbt model's batches and for scan_landing."""
        part = self.records[start:stop]
        count = len(part)
        columns: dict[str, list[Any]] = {name: [None] * count for name in SCAN_COLUMNS}
        for name in ("path_key", "file_path", "relative_path"):
            columns[name] = [self.facts[name]] * count
        columns["line_number"] = list(range(start + 1, start + count + 1))
        columns["raw_text"] = [record.text for record in part]
        columns["is_utf8"] = [record.is_utf8 for record in part]
        columns["has_nul"] = [record.has_nul for record in part]
        columns["duplicate_json_key"] = [self.duplicate_key(record) for record in part]
        return columns

    def duplicate_key(self, record: Record) -> str | None:
        return duplicate_json_key(record.text.lstrip("\ufeff")) if self.is_json and record.is_utf8 else None


def iter_entries(root: Path, now: float | None = None,
                 known: dict[str, KnownFile] | None = None) -> Iterator[ScannedEntry]:
    """Every entry below root, one at a time: the facts about it (line_number 0: entry type, size,
    age, content hash, leading bytes) and, for a regular file read now, its physical records. Links
    and special files are never opened. A file in `known` (by path_key) with the same size,
    mtime_ns and inode is not read: its facts are the known ones (from_cache) and it has no
    records. A generator, so a full refresh of a large landing holds one file's records at a time,
    never the whole landing (issue 9: a list of every line's row took over 10 GB at 10M events)."""
    now = time.time() if now is None else now
    known = known or {}
    root = root.absolute()
    for path, info, error in _walk(root):
        facts: dict[str, Any] = dict.fromkeys(SCAN_COLUMNS)
        facts.update(path_key=path_key(path), file_path=str(path), relative_path=path.relative_to(root).as_posix(),
                     line_number=0, read_error=error)
        entry = ScannedEntry(facts, [], path.name.lower().endswith(".jsonl"))
        if info is None:
            facts["entry_type"] = "unknown"
            yield entry
            continue
        facts.update(
            entry_type=_entry_type(info.st_mode),
            file_bytes=info.st_size,
            modified_at=info.st_mtime,
            age_seconds=max(now - info.st_mtime, 0.0),
            modified_ns=info.st_mtime_ns,
            inode=info.st_ino,
            from_cache=False,
        )
        if facts["entry_type"] != "file":
            yield entry
            continue
        cached = known.get(facts["path_key"])
        if cached is not None and cached.matches(info):
            facts.update({fact: getattr(cached, fact) for fact in CACHED_FACTS}, from_cache=True)
            yield entry
            continue
        try:
            data = _read_regular(path)
        except OSError as read_error:
            facts["read_error"] = f"unreadable: {read_error.strerror or read_error}"
            yield entry
            continue
        # what was read is what is described: size and hash of these very bytes
        facts.update(file_bytes=len(data), content_sha256=hashlib.sha256(data).hexdigest(),
                     head_hex=data[:8].hex().upper())
        entry.records = [decode_record(raw) for raw in split_records(data, path.name.lower().endswith(".csv"))]
        del data
        facts.update(records=len(entry.records),
                     decodable_records=sum(record.is_utf8 and not record.has_nul for record in entry.records))
        yield entry


def scan_landing(root: Path, now: float | None = None,
                 known: dict[str, KnownFile] | None = None) -> list[dict[str, Any]]:
    """Every row at once, as dicts (line 0 of each entry, then its records): for tests and small
    folders; the dbt model streams `scan_batches`."""
    rows: list[dict[str, Any]] = []
    for entry in iter_entries(root, now, known):
        rows.append(entry.facts)
        columns = entry.record_columns()
        rows.extend(dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True))
    return rows


# rows per Arrow batch the dbt model hands DuckDB: a few MB of text, whatever the landing's size
SCAN_BATCH_ROWS = 50_000


def scan_batches(root: Path, now: float | None = None, known: dict[str, KnownFile] | None = None,
                 batch_rows: int = SCAN_BATCH_ROWS) -> Any:
    """The rows of `scan_landing` as a pyarrow RecordBatchReader with fixed column types, for the dbt
    Python model: DuckDB pulls one batch at a time while it writes the table, so the model holds
    one batch and one file's records, not the landing."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
             "timestamp": pa.timestamp("us")}
    schema = pa.schema([(name, types[kind]) for name, kind in SCAN_COLUMNS.items()])
    return pa.RecordBatchReader.from_batches(schema, _batches(iter_entries(root, now, known), schema, batch_rows))


def _batches(entries: Iterator[ScannedEntry], schema: Any, batch_rows: int) -> Iterator[Any]:
    """Column lists filled entry by entry (no dict per record), cut into batches of at most batch_rows
    rows; the next file is read only when its rows are wanted."""
    columns: dict[str, list[Any]] = {name: [] for name in SCAN_COLUMNS}
    for entry in entries:
        if len(columns["line_number"]) >= batch_rows:
            yield _record_batch(columns, schema)
            columns = {name: [] for name in SCAN_COLUMNS}
        for name, value in entry.facts.items():
            columns[name].append(value)
        start = 0
        while start < len(entry.records):
            if len(columns["line_number"]) >= batch_rows:
                yield _record_batch(columns, schema)
                columns = {name: [] for name in SCAN_COLUMNS}
            part = entry.record_columns(start, start + batch_rows - len(columns["line_number"]))
            for name, values in part.items():
                columns[name].extend(values)
            start += len(part["line_number"])
    if columns["line_number"]:
        yield _record_batch(columns, schema)


def _record_batch(columns: dict[str, list[Any]], schema: Any) -> Any:
    from datetime import UTC, datetime

    import pyarrow as pa

    arrays = []
    for field in schema:
        values = columns[field.name]
        if field.type == pa.timestamp("us"):
            values = [None if v is None else datetime.fromtimestamp(v, UTC).replace(tzinfo=None) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


KNOWN_FILES_SQL = """
    select scan.path_key, scan.file_bytes, scan.modified_ns, scan.inode, scan.content_sha256, scan.head_hex,
        scan.records, scan.decodable_records
    from {scan} as scan
    inner join {lines} as lines
        on lines.path_key = scan.path_key and lines.line_number = 0
        and lines.content_sha256 = scan.content_sha256
    where scan.line_number = 0 and scan.entry_type = 'file' and scan.read_error is null
        and scan.modified_ns is not null and scan.inode is not null and scan.records is not null
"""


def known_files(con: Any, scan: str, lines: str, full_refresh: bool) -> dict[str, KnownFile]:
    """The files whose content the working store holds, as the previous scan (`scan`, the table
    base_landing__scan is about to replace) saw them: only those base_landing__lines (`lines`)
    holds with the same hash, so a file deferred, quarantined or never read is read again. None on
    a full refresh (every file is read again) or when either table is missing or older than the
    cache (no modified_ns or path_key column). Keyed by path_key: the previous scan's path may
    have been purged."""
    if full_refresh:
        return {}
    import duckdb

    try:
        rows = con.execute(KNOWN_FILES_SQL.format(scan=scan, lines=lines)).fetchall()
    except duckdb.Error:  # a first run, or tables from before the cache: read everything
        return {}
    return {key: KnownFile(*facts) for key, *facts in rows}


PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class FreshnessRule:
    """A landed source table's freshness thresholds, as its sources yml declares them."""

    name: str  # source.table
    landing_glob: str  # relative to the landing folder, e.g. requests/*/privacy_requests*.jsonl
    warn_after: float | None  # seconds
    error_after: float | None


def _threshold(rule: Any) -> float | None:
    if not rule or rule.get("count") is None or rule.get("period") not in PERIOD_SECONDS:
        return None
    return float(rule["count"]) * PERIOD_SECONDS[rule["period"]]


def freshness_rules(manifest: dict[str, Any]) -> list[FreshnessRule]:
    """The sources of a dbt manifest that declare a landing glob and a freshness threshold."""
    rules = []
    for source in manifest.get("sources", {}).values():
        meta = source.get("meta") or source.get("config", {}).get("meta") or {}
        freshness = source.get("freshness") or source.get("config", {}).get("freshness") or {}
        warn, error = _threshold(freshness.get("warn_after")), _threshold(freshness.get("error_after"))
        if meta.get("landing_glob") and (warn or error):
            rules.append(FreshnessRule(f"{source['source_name']}.{source['name']}", meta["landing_glob"], warn, error))
    return sorted(rules, key=lambda r: r.name)


def _matches(relative_path: str, pattern: str) -> bool:
    """A landing glob: `*` never crosses a folder (as DuckDB's glob)."""
    parts, wanted = relative_path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True))


@dataclass(frozen=True)
class SourceFreshness:
    """How old the newest regular file of one source table is, and the verdict."""

    rule: FreshnessRule
    files: int
    newest_age: float | None  # seconds; None when no regular file matches
    status: str  # pass | warn | error


def landing_freshness(root: Path, rules: list[FreshnessRule],
                      now: float | None = None) -> tuple[list[SourceFreshness], dict[str, int]]:
    """Freshness of each source table from the modification times of its landed files, walked with
    lstat like the scan: a link or special file is never followed nor read (DuckDB's read_blob
    would follow a link, and block on a pipe), so it is counted apart, by type, and not as data. A
    table without a regular file is past its error threshold (fail closed)."""
    now = time.time() if now is None else now
    root = root.absolute()
    newest: dict[str, list[float]] = {rule.name: [] for rule in rules}
    never_read: dict[str, int] = {}
    for path, info, _error in _walk(root):
        if info is None or not stat.S_ISREG(info.st_mode):
            kind = "unreadable" if info is None else _entry_type(info.st_mode)
            never_read[kind] = never_read.get(kind, 0) + 1
            continue
        relative = path.relative_to(root).as_posix()
        for rule in rules:
            if _matches(relative, rule.landing_glob):
                newest[rule.name].append(max(now - info.st_mtime, 0.0))
    results = []
    for rule in rules:
        ages = newest[rule.name]
        age = min(ages) if ages else None
        if age is None or (rule.error_after is not None and age > rule.error_after):
            status = "error"
        elif rule.warn_after is not None and age > rule.warn_after:
            status = "warn"
        else:
            status = "pass"
        results.append(SourceFreshness(rule, len(ages), age, status))
    return results, never_read


def settle_seconds() -> int:
    """How old (by modification time) a file must be before it is read: CONSENT_LEDGER_SETTLE_SECONDS."""
    value = os.environ.get(SETTLE_ENV, str(DEFAULT_SETTLE_SECONDS))
    try:
        return max(int(float(value)), 0)
    except ValueError:
        return DEFAULT_SETTLE_SECONDS


QUARANTINE_SQL = """
    select file_name, file_error, file_bytes, extract_date
    from audit.load_reconciliation
    where file_status = 'quarantined'
    order by file_name
"""


def quarantine_list(database: Path) -> list[dict[str, Any]]:
    """Files that block publication, from the last build of the working database."""
    import duckdb

    from orchestration.lib.warehouse import connect_published

    if not database.exists():
        return []
    try:
        with connect_published(database) as con:
            cursor = con.execute(QUARANTINE_SQL)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error:
        return []


def unblock_instructions(landing: Path, quarantined: list[dict[str, Any]]) -> list[str]:
    """What to do about each quarantined file: the next run re-evaluates a removed or replaced one."""
    if not quarantined:
        return []
    lines = [f"{len(quarantined)} quarantined file(s) block publication "
             "(`consent-ledger quarantine list` shows them):"]
    for row in quarantined:
        lines.append(f"{landing / row['file_name']}: {row['file_error']}")
    lines.append("To unblock: remove each file, or replace it with a readable file in the landing contract "
                 "(<landing>/<source>/<yyyy-mm-dd>/<prefix>*.jsonl|csv, a regular UTF-8 text file), "
                 "then run again; the next run re-evaluates them (no --full-refresh needed).")
    if any("[path sha256:" in row["file_name"] for row in quarantined):
        lines.append("A name shown with `[path sha256:<hex>]` holds an address or IP address, masked here; <hex> "
                     "starts the SHA-256 of its path under the landing folder. To find it: cd <landing> && "
                     "find . ! -type d | cut -c3- | while IFS= read -r p; do printf '%s' \"$p\" | sha256sum | "
                     "grep -q '^<hex>' && echo \"$p\"; done")
    return lines


def landing_notes(database: Path, as_of: str) -> tuple[list[str], list[str]]:
    """Deferred files (waiting for a later run) and the files found changed after they were read by
    this run (audit.landing_incidents), for the run report."""
    import duckdb

    from orchestration.lib.warehouse import connect_published

    deferred: list[str] = []
    incidents: list[str] = []
    if not database.exists():
        return deferred, incidents
    try:
        with connect_published(database) as con:
            for name, reason, status in con.execute(
                    "select file_name, deferred_reason, file_status from audit.load_reconciliation "
                    "where deferred_reason is not null order by file_name").fetchall():
                note = " (the version read earlier still counts)" if status != "deferred" else ""
                deferred.append(f"{name}: {reason}{note}")
            for name, change, before, after, old, new in con.execute(
                    "select file_name, change, previous_lines, lines_in_file, previous_bytes, file_bytes "
                    "from audit.landing_incidents where cast(detected_at as date) = cast(? as date) "
                    "order by file_name", [as_of]).fetchall():
                incidents.append(f"{name}: changed after it was read ({change}; {old} -> {new} bytes, "
                                 f"{before} -> {after} lines); read again")
    except duckdb.Error:
        pass
    return deferred, incidents
