"""The landing scan reads facts only, never follows a link, and splits records the way the formats
define them (RFC 4180 for CSV; CR, LF and CRLF line endings)."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import pytest

from orchestration.lib import landing
from orchestration.lib.landing import decode_record, duplicate_json_key, scan_landing, split_records


def test_csv_records_follow_rfc_4180() -> None:
    data = b'Id,Note\r\n1,"two\r\nlines, a comma and ""quotes"""\r\n2,plain\n3,"cr\ronly"\r4,last'
    assert split_records(data, is_csv=True) == [
        b"Id,Note", b'1,"two\r\nlines, a comma and ""quotes"""', b"2,plain", b'3,"cr\ronly"', b"4,last"]


def test_a_stray_quote_is_a_malformed_record_on_its_own_line() -> None:
    """A line break joins lines only inside a well-formed quoted field: one stray quote must not
    swallow the records after it (opt-outs among them)."""
    assert split_records(b'a\n5006,"open,x\n5007,b\n', is_csv=True) == [b"a", b'5006,"open,x', b"5007,b"]
    assert split_records(b'1,"x\n2,"y",3\n4,z', is_csv=True) == [b'1,"x', b'2,"y",3', b"4,z"]
    assert split_records(b'1,"two\nlines",3\n', is_csv=True) == [b'1,"two\nlines",3']


def test_jsonl_lines_end_at_cr_lf_or_crlf_and_a_final_break_is_not_a_line() -> None:
    assert split_records(b'{"a":1}\r{"b":2}\r\n{"c":3}\n\n{"d":4}\n', is_csv=False) == [
        b'{"a":1}', b'{"b":2}', b'{"c":3}', b"", b'{"d":4}']
    assert split_records(b"", is_csv=False) == []


def test_a_record_that_is_not_utf8_or_holds_nul_is_flagged_and_kept_printable() -> None:
    latin = decode_record(b'{"name": "caf\xe9"}')
    assert (latin.is_utf8, latin.has_nul, latin.text) == (False, False, '{"name": "caf\\xe9"}')
    nul = decode_record(b'{"a":\x00"b"}')
    assert (nul.is_utf8, nul.has_nul, nul.text) == (True, True, '{"a":\\x00"b"}')
    assert decode_record("é".encode()).is_utf8


def test_duplicate_json_keys_are_found_at_any_depth() -> None:
    assert duplicate_json_key('{"email": "a", "email": "b"}') == "email"
    assert duplicate_json_key('{"p": [{"Id": 1, "Id": 2}]}') == "Id"
    assert duplicate_json_key('{"a": {"b": 1}, "b": 2}') is None
    assert duplicate_json_key("not json") is None


def test_links_and_special_files_are_listed_never_opened(tmp_path: Path) -> None:
    day = tmp_path / "hubspot" / "2026-04-01"
    day.mkdir(parents=True)
    (day / "contacts_ok.jsonl").write_bytes(b'{"id": "1"}\n')
    (day / "contacts_x.jsonl").symlink_to("/etc/passwd")
    (day / "linked").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(day / "contacts_pipe.jsonl")  # opening it would block: the scan must not
    rows = scan_landing(tmp_path, now=0)
    entries = {r["relative_path"]: r for r in rows if r["line_number"] == 0}
    assert {k: v["entry_type"] for k, v in entries.items()} == {
        "hubspot/2026-04-01/contacts_ok.jsonl": "file", "hubspot/2026-04-01/contacts_x.jsonl": "symlink",
        "hubspot/2026-04-01/linked": "symlink", "hubspot/2026-04-01/contacts_pipe.jsonl": "fifo"}
    records = [r for r in rows if r["line_number"] > 0]
    assert [r["relative_path"] for r in records] == ["hubspot/2026-04-01/contacts_ok.jsonl"]
    assert entries["hubspot/2026-04-01/contacts_x.jsonl"]["content_sha256"] is None
    assert not any("root:" in (r["raw_text"] or "") for r in rows)


def test_the_scan_describes_the_bytes_it_read(tmp_path: Path) -> None:
    day = tmp_path / "sends" / "2026-04-01"
    day.mkdir(parents=True)
    (day / "sends_1.csv").write_bytes(b'send_id,email\r\n1,"a\nb"\r\n2,\xff\r\n')
    rows = scan_landing(tmp_path, now=0)
    entry = next(r for r in rows if r["line_number"] == 0)
    assert (entry["records"], entry["decodable_records"], entry["file_bytes"]) == (3, 2, 29)
    assert len(entry["content_sha256"]) == 64
    assert [r["is_utf8"] for r in rows if r["line_number"] > 0] == [True, True, False]


def test_the_dbt_model_gets_the_scan_in_bounded_batches_read_file_by_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """base_landing__scan hands DuckDB a stream: a full refresh of a large landing must never hold
    every line in Python at once (it took over 10 GB at 10M events). Every batch has at most
    batch_rows rows, a file is read only when its rows are wanted, and the stream holds exactly
    the rows of scan_landing (the facts of every entry, cached and special ones too)."""
    for number in range(4):
        day = tmp_path / "webforms" / f"2026-04-0{number + 1}"
        day.mkdir(parents=True)
        lines = [f'{{"n": {number}, "line": {line}, "line": 0}}' for line in range(5)]
        (day / f"submissions_{number}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "webforms" / "2026-04-01" / "broken.jsonl").symlink_to("/etc/passwd")
    expected = scan_landing(tmp_path, now=0)

    read: list[str] = []
    original = landing._read_regular
    monkeypatch.setattr(landing, "_read_regular", lambda path: read.append(path.name) or original(path))
    reader = landing.scan_batches(tmp_path, now=0, batch_rows=4)
    first = reader.read_next_batch()
    assert first.num_rows == 4
    assert read == ["submissions_0.jsonl"]  # the other files wait until their rows are pulled
    batches = [first, *reader]
    assert all(batch.num_rows <= 4 for batch in batches)
    streamed = [row for batch in batches for row in batch.to_pylist()]
    assert len(read) == 4

    def key(row: dict) -> tuple:  # modified_at: an epoch float here, a microsecond timestamp in Arrow
        return tuple(str(row[name]) for name in landing.SCAN_COLUMNS if name != "modified_at")

    assert sorted(map(key, streamed)) == sorted(map(key, expected))
    stamps = {row["path_key"]: row["modified_at"] for row in expected if row["line_number"] == 0}
    for row in (row for row in streamed if row["line_number"] == 0):
        assert row["modified_at"].replace(tzinfo=UTC).timestamp() == pytest.approx(stamps[row["path_key"]], abs=1e-5)
    assert sum(row["duplicate_json_key"] == "line" for row in streamed) == 20
