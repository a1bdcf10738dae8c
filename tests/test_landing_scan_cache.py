"""The landing scan does not read again a file the working store already holds unchanged (same
path_key, size, mtime_ns and inode, and its hash in base_landing__lines); any change reads it again.
A file is known by its path_key, so one whose path the purge cleared is still recognised."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.landing import KnownFile, known_files, path_key, scan_landing

NAME = "hubspot/2026-04-01/contacts_1.jsonl"


def _land(root: Path, text: bytes = b'{"id": "1"}\n{"id": "2"}\n') -> Path:
    path = root / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return path


def _known(rows: list[dict]) -> dict[str, KnownFile]:
    """What the store would hold after reading the scanned files."""
    return {r["path_key"]: KnownFile(r["file_bytes"], r["modified_ns"], r["inode"], r["content_sha256"],
                                      r["head_hex"], r["records"], r["decodable_records"])
            for r in rows if r["line_number"] == 0}


def _entry(rows: list[dict]) -> dict:
    return next(r for r in rows if r["line_number"] == 0)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _land(tmp_path)
    first = scan_landing(tmp_path, now=0)
    opened: list[Path] = []
    import orchestration.lib.landing as landing
    read = landing._read_regular
    monkeypatch.setattr(landing, "_read_regular", lambda p: opened.append(p) or read(p))
    again = scan_landing(tmp_path, now=0, known=_known(first))
    assert opened == []
    assert [r for r in again if r["line_number"] > 0] == []
    entry, before = _entry(again), _entry(first)
    assert entry["from_cache"] and not before["from_cache"]
    for fact in ("content_sha256", "head_hex", "records", "decodable_records", "file_bytes", "modified_ns"):
        assert entry[fact] == before[fact], fact


def test_a_changed_mtime_size_or_inode_reads_the_file_again(tmp_path: Path) -> None:
    path = _land(tmp_path)
    known = _known(scan_landing(tmp_path, now=0))
    stat = path.stat()
    # same size, another mtime
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert len(scan_landing(tmp_path, now=0, known=known)) == 3
    # grown, mtime put back
    path.write_bytes(b'{"id": "1"}\n{"id": "2"}\n{"id": "3"}\n')
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    rows = scan_landing(tmp_path, now=0, known=known)
    assert len(rows) == 4 and not _entry(rows)["from_cache"]
    # replaced (renamed over, as upload tools do) by another file of the same size and mtime
    other = tmp_path / "other.jsonl"
    other.write_bytes(b'{"id": "9"}\n{"id": "8"}\n')  # written while the first exists: another inode
    os.replace(other, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_ino != stat.st_ino and path.stat().st_size == stat.st_size
    rows = scan_landing(tmp_path, now=0, known=known)
    assert len(rows) == 3 and _entry(rows)["content_sha256"] != known[path_key(path)].content_sha256


def _store(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """The previous scan of `rows` (line 0 only, as the post-hook leaves it) in a database."""
    con = duckdb.connect()
    con.execute("create table scan (path_key varchar, file_path varchar, line_number int, entry_type varchar, "
                "read_error varchar, file_bytes bigint, modified_ns bigint, inode bigint, content_sha256 varchar, "
                "head_hex varchar, records bigint, decodable_records bigint)")
    con.executemany("insert into scan values (?, ?, 0, 'file', null, ?, ?, ?, ?, ?, ?, ?)",
                    [[r["path_key"], r["file_path"], r["file_bytes"], r["modified_ns"], r["inode"],
                      r["content_sha256"], r["head_hex"], r["records"], r["decodable_records"]] for r in rows])
    con.execute("create table lines (path_key varchar, line_number int, content_sha256 varchar)")
    return con


def test_known_files_are_the_ones_the_store_read_with_that_hash(tmp_path: Path) -> None:
    _land(tmp_path)
    (tmp_path / "hubspot/2026-04-01/contacts_2.jsonl").write_bytes(b'{"id": "3"}\n')
    rows = [r for r in scan_landing(tmp_path, now=0) if r["line_number"] == 0]
    con = _store(rows)
    first, second = rows
    # the first file was read with this content; the second was read with other content (it changed)
    con.execute("insert into lines values (?, 0, ?), (?, 0, 'an older hash')",
                [first["path_key"], first["content_sha256"], second["path_key"]])
    assert list(known_files(con, "scan", "lines", full_refresh=False)) == [first["path_key"]]
    assert known_files(con, "scan", "lines", full_refresh=True) == {}
    assert known_files(con, "scan", "no_such_table", full_refresh=False) == {}


def test_the_path_key_is_the_sha256_of_the_absolute_path(tmp_path: Path) -> None:
    path = _land(tmp_path)
    entry = _entry(scan_landing(tmp_path, now=0))
    assert entry["path_key"] == hashlib.sha256(str(path.absolute()).encode()).hexdigest()
    assert entry["file_path"] == str(path.absolute())


def test_a_file_whose_path_was_purged_is_still_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The purge nulls file_path and relative_path of a file whose name holds an erased address;
    the next scan still finds the file in the cache by its path_key and does not open it."""
    (tmp_path / "webforms/2026-03-05").mkdir(parents=True)
    (tmp_path / "webforms/2026-03-05/submissions_carla.sweep@example.com.jsonl").write_bytes(b'{"id": "1"}\n')
    rows = [r for r in scan_landing(tmp_path, now=0) if r["line_number"] == 0]
    con = _store(rows)
    con.execute("insert into lines values (?, 0, ?)", [rows[0]["path_key"], rows[0]["content_sha256"]])
    con.execute("update scan set file_path = null")  # what the purge leaves
    known = known_files(con, "scan", "lines", full_refresh=False)
    assert list(known) == [rows[0]["path_key"]]
    opened: list[Path] = []
    import orchestration.lib.landing as landing
    read = landing._read_regular
    monkeypatch.setattr(landing, "_read_regular", lambda p: opened.append(p) or read(p))
    again = scan_landing(tmp_path, now=0, known=known)
    assert opened == [] and len(again) == 1 and again[0]["from_cache"]
