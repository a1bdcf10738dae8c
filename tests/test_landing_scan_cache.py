"""The landing scan does not read again a file the working store already holds unchanged (same path,
size, mtime_ns and inode, and its hash in base_landing__lines); any change reads it again."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.landing import KnownFile, known_files, scan_landing

NAME = "hubspot/2026-04-01/contacts_1.jsonl"


def _land(root: Path, text: bytes = b'{"id": "1"}\n{"id": "2"}\n') -> Path:
    path = root / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return path


def _known(rows: list[dict]) -> dict[str, KnownFile]:
    """What the store would hold after reading the scanned files."""
    return {r["file_path"]: KnownFile(r["file_bytes"], r["modified_ns"], r["inode"], r["content_sha256"],
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
    assert len(rows) == 3 and _entry(rows)["content_sha256"] != known[str(path)].content_sha256


def test_known_files_are_the_ones_the_store_read_with_that_hash(tmp_path: Path) -> None:
    _land(tmp_path)
    (tmp_path / "hubspot/2026-04-01/contacts_2.jsonl").write_bytes(b'{"id": "3"}\n')
    rows = [r for r in scan_landing(tmp_path, now=0) if r["line_number"] == 0]
    con = duckdb.connect()
    con.execute("create table scan (file_path varchar, line_number int, entry_type varchar, read_error varchar, "
                "file_bytes bigint, modified_ns bigint, inode bigint, content_sha256 varchar, head_hex varchar, "
                "records bigint, decodable_records bigint)")
    con.executemany("insert into scan values (?, 0, 'file', null, ?, ?, ?, ?, ?, ?, ?)",
                    [[r["file_path"], r["file_bytes"], r["modified_ns"], r["inode"], r["content_sha256"],
                      r["head_hex"], r["records"], r["decodable_records"]] for r in rows])
    con.execute("create table lines (file_path varchar, line_number int, content_sha256 varchar)")
    first, second = rows
    # the first file was read with this content; the second was read with other content (it changed)
    con.execute("insert into lines values (?, 0, ?), (?, 0, 'an older hash')",
                [first["file_path"], first["content_sha256"], second["file_path"]])
    assert list(known_files(con, "scan", "lines", full_refresh=False)) == [first["file_path"]]
    assert known_files(con, "scan", "lines", full_refresh=True) == {}
    assert known_files(con, "scan", "no_such_table", full_refresh=False) == {}
