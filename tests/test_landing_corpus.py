"""The hostile landing folder (issue 11, input side): a corpus of bad-input kinds across every source,
generated at test time (never committed: dbt reads CSVs under tests/ as fixtures), built twice.

Each kind must end as the right rejection, quarantine or deferral, and every file must balance.
The second build, after removing, replacing, finishing and growing files, checks the quarantine
lifecycle and the re-read of a file that changed after it was read.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from devtools.generate import generate_landing
from tests.conftest import dbt_build, query

AS_OF_1 = "2026-04-11"
AS_OF_2 = "2026-04-12"
DAY = "2026-04-09"

JSONL_ENTITIES = {
    "webforms": ["submissions"], "requests": ["privacy_requests"],
    "hubspot": ["subscription_statuses", "wide_statuses", "email_events", "contacts"],
    "marketo": ["activities"], "mailchimp": ["members"], "onetrust": ["consent_receipts"],
}
CSV_ENTITIES = {"salesforce": ["contact", "individual", "contact_point_type_consent"], "marketo": ["leads"],
                "sends": ["sends"]}

# entities the generator may not write (or writes too few lines of) for a small population
HAND_WRITTEN = {
    ("hubspot", "wide_statuses"): [
        '{"subscriberIdString": "corpus.w1@acme.example", "channel": "EMAIL", "status": "UNSUBSCRIBED", '
        '"wideStatusType": "PORTAL_WIDE", "businessUnitId": 0, "timestamp": "2026-04-09T12:00:00.000Z"}',
        '{"subscriberIdString": "corpus.w2@acme.example", "channel": "EMAIL", "status": "UNSUBSCRIBED", '
        '"wideStatusType": "PORTAL_WIDE", "businessUnitId": 0, "timestamp": "2026-04-09T12:30:00.000Z"}',
        '{"subscriberIdString": "corpus.w3@acme.example", "channel": "EMAIL", "status": "UNSUBSCRIBED", '
        '"wideStatusType": "PORTAL_WIDE", "businessUnitId": 0, "timestamp": "2026-04-09T13:00:00.000Z"}',
    ],
    ("requests", "privacy_requests"): [
        '{"request_id": "dsr-c1", "received_at": "2026-04-09T09:00:00Z", "email": "corpus.r1@acme.example", '
        '"type": "access"}',
        '{"request_id": "dsr-c2", "received_at": "2026-04-09T09:10:00Z", "email": "corpus.r2@acme.example", '
        '"type": "objection"}',
        '{"request_id": "dsr-c3", "received_at": "2026-04-09T09:20:00Z", "email": "corpus.r3@acme.example", '
        '"type": "do_not_sell"}',
    ],
}


# files whose name holds an address (issue 11): never published unmasked, read or quarantined as
# their name says; ADDRESS_LOADED grows between the two builds (an incident under a masked name)
ADDRESS = "carla.sweep@example.com"
ADDRESS_LOADED = f"webforms/{DAY}/submissions_carla.sweep%40example.com.jsonl"
ADDRESS_QUARANTINED = f"webforms/{DAY}/carla.sweep@example.com.jsonl"
ADDRESS_REJECTED = f"requests/{DAY}/privacy_requests_Carla.Sweep@Example.com.jsonl"

# privacy requests on damaged lines (NUL bytes, bytes that are not UTF-8) that name a valid address:
# honoured at their own time, flagged for review, and still listed as rejected lines
DAMAGED_REQUESTS = f"requests/{DAY}/privacy_requests_k_damaged.jsonl"
DAMAGED_LINES = [
    b'{"request_id": "dsr-d1", "received_at": "2026-04-09T10:00:00Z", "email": "corpus.nul@acme.example", '
    b'"type": "erasure", "note": "x\x00y"}',
    b'{"request_id": "dsr-d2", "received_at": "2026-04-09T10:05:00Z", "email": "corpus.latin@acme.example", '
    b'"type": "objection", "note": "caf\xe9"}',
    b'{"request_id": "dsr-d3", "received_at": "2026-04-09T10:10:00Z", "email": "corpus.padded@acme.example", '
    b'"type": "do_not_sell"}\x00\x00\x00\x00',
    b'{"request_id": "dsr-d4", "received_at": "2026-04-09T10:15:00Z", "email": "no address\x00", '
    b'"type": "erasure"}',
    # one good line: a file where no line decodes is not text at all (quarantined whole)
    b'{"request_id": "dsr-d5", "received_at": "2026-04-09T10:20:00Z", "email": "corpus.fine@acme.example", '
    b'"type": "access"}',
]
# line -> (address, action, line damage); line 4 names no valid address: rejected only
DAMAGED_EXPECTED = {
    1: ("corpus.nul@acme.example", "erasure", "nul_bytes"),
    2: ("corpus.latin@acme.example", "opt_out", "invalid_utf8"),
    3: ("corpus.padded@acme.example", "sale_opt_out", "nul_bytes"),
}


def masked_name(relative_path: str) -> str:
    """The published name of a landed file whose path names an address: every address masked as
    macros/redaction.sql masks raw lines (a `_` belongs to an address's local part, so the prefix
    goes with it), the extension kept, and the SHA-256 of the path after it to find the file."""
    digest = hashlib.sha256(relative_path.encode()).hexdigest()[:12]
    folder, name = relative_path.rsplit("/", 1)
    return f"{folder}/[email redacted].{name.rsplit('.', 1)[1]} [path sha256:{digest}]"


@dataclass
class Kind:
    """One kind of bad input and what must become of it."""

    name: str
    file_name: str
    status: str  # loaded | quarantined | deferred
    reason: str | None = None  # file_error (quarantined) or deferred_reason (deferred)
    line_reasons: dict[int, str | None] = field(default_factory=dict)  # line -> landing reason (None: any)
    same_as: str | None = None  # reads like this file: same records, same rejected lines
    lines_read: int | None = None


def _lines(data: bytes) -> list[bytes]:
    """Records of a generated file (no quoted line breaks; CSV is written with CRLF)."""
    return data.splitlines()


def _join(lines: list[bytes], ending: bytes = b"\n") -> bytes:
    return ending.join(lines) + ending


def _source_lines(generated: Path, source: str, entity: str) -> tuple[str, bytes]:
    """The largest generated file of an entity (prefix match, not a longer prefix), or hand-written lines."""
    if (source, entity) in HAND_WRITTEN:
        return f"{source}/{DAY}/{entity}_001.jsonl", _join([x.encode() for x in HAND_WRITTEN[source, entity]])
    every = [e for es in {**JSONL_ENTITIES, **CSV_ENTITIES}.values() for e in es]
    others = [e for e in every if e != entity and e.startswith(entity)]
    files = [p for p in generated.glob(f"{source}/*/{entity}*")
             if not any(p.name.startswith(o) for o in others)]
    best = max(files, key=lambda p: (len(_lines(p.read_bytes())), p.name))
    return best.relative_to(generated).as_posix(), best.read_bytes()


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _with_duplicate_key(line: bytes) -> bytes:
    doc = json.loads(line)
    key, value = next(iter(doc.items()))
    return b"{" + json.dumps({key: value})[1:-1].encode() + b", " + line.strip()[1:]


def _put(root: Path, name: str, data: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build_corpus(landing: Path, generated: Path) -> list[Kind]:
    """Write the corpus under landing; returns the kinds with their expected outcomes."""
    kinds: list[Kind] = []

    def variant(name: str, source: str, entity: str, ext: str, data: bytes, **expect: object) -> None:
        file_name = f"{source}/{DAY}/{entity}_k_{name}.{ext}"
        _put(landing, file_name, data)
        kinds.append(Kind(f"{source}.{entity}.{name}", file_name, "loaded", **expect))  # type: ignore[arg-type]

    # line-level damage and line endings, for every entity of every source
    for source, entities in JSONL_ENTITIES.items():
        for entity in entities:
            ref_name, data = _source_lines(generated, source, entity)
            # the generator plants malformed lines of its own: the variants start from good records
            lines = [line for line in _lines(data) if _is_json_object(line)]
            data = _join(lines)
            _put(landing, ref_name, data)
            assert len(lines) >= 3, ref_name
            nul = [*lines[:1], lines[1][:5] + b"\x00" + lines[1][5:], *lines[2:]]
            bad_utf8 = [*lines[:1], lines[1][:-1] + b', "note": "caf\xe9"}', *lines[2:]]
            dup = [*lines[:1], _with_duplicate_key(lines[1]), *lines[2:]]
            n = len(lines)
            variant("nul_line", source, entity, "jsonl", _join(nul),
                    line_reasons={2: "nul_bytes"}, same_as=ref_name, lines_read=n)
            variant("invalid_utf8_line", source, entity, "jsonl", _join(bad_utf8),
                    line_reasons={2: "invalid_utf8"}, same_as=ref_name, lines_read=n)
            variant("duplicate_key", source, entity, "jsonl", _join(dup),
                    line_reasons={2: "ambiguous_duplicate_key"}, same_as=ref_name, lines_read=n)
            variant("cr_endings", source, entity, "jsonl", _join(lines, b"\r"), same_as=ref_name, lines_read=n)
            variant("crlf_endings", source, entity, "jsonl", _join(lines, b"\r\n"), same_as=ref_name, lines_read=n)
            variant("bom_no_final_newline", source, entity, "jsonl", b"\xef\xbb\xbf" + b"\n".join(lines),
                    same_as=ref_name, lines_read=n)
    for source, entities in CSV_ENTITIES.items():
        for entity in entities:
            ref_name, data = _source_lines(generated, source, entity)
            _put(landing, ref_name, data)
            lines = _lines(data)
            assert len(lines) >= 3, ref_name
            n = len(lines)
            nul = [*lines[:1], lines[1] + b"\x00", *lines[2:]]
            bad_utf8 = [*lines[:1], lines[1] + b"\xff", *lines[2:]]
            # RFC 4180: an extra (ignored) column whose quoted value holds a line break, a comma and quotes
            # (a generated record with an unclosed quote stays as it is: it is malformed either way)
            note = b',"first line\r\nsecond, with ""quotes"""'
            noted = [lines[0] + b",Note"] + [line + note if line.count(b'"') % 2 == 0 else line
                                             for line in lines[1:]]
            variant("nul_record", source, entity, "csv", _join(nul),
                    line_reasons={2: "nul_bytes"}, same_as=ref_name, lines_read=n)
            variant("invalid_utf8_record", source, entity, "csv", _join(bad_utf8),
                    line_reasons={2: "invalid_utf8"}, same_as=ref_name, lines_read=n)
            variant("quoted_line_breaks", source, entity, "csv", _join(noted, b"\r\n"), same_as=ref_name,
                    lines_read=n)
            variant("cr_endings", source, entity, "csv", _join(lines, b"\r"), same_as=ref_name, lines_read=n)
            variant("crlf_endings", source, entity, "csv", _join(lines, b"\r\n"), same_as=ref_name, lines_read=n)
            variant("bom", source, entity, "csv", b"\xef\xbb\xbf" + _join(lines), same_as=ref_name, lines_read=n)

    # broken lines the staging models reject (any reason), the rest of the file read
    web_ref, web = _source_lines(generated, "webforms", "submissions")
    web_lines = _lines(web)
    variant("blank_line", "webforms", "submissions", "jsonl", _join([web_lines[0], b"", *web_lines[1:]]),
            line_reasons={2: None}, lines_read=len(web_lines) + 1)
    variant("truncated_tail", "webforms", "submissions", "jsonl", _join(web_lines) + web_lines[0][:40],
            line_reasons={len(web_lines) + 1: None}, lines_read=len(web_lines) + 1)
    variant("json_array_line", "webforms", "submissions", "jsonl", _join([web_lines[0], b"[1, 2]"]),
            line_reasons={2: None}, lines_read=2)
    variant("empty_file", "webforms", "submissions", "jsonl", b"", lines_read=0)
    nested = (b'{"id": "k-1", "properties": {"email": "one@acme.example", "email": "two@acme.example"}, '
              b'"updatedAt": "2026-04-09T09:15:00Z"}')
    variant("nested_duplicate_key", "hubspot", "contacts", "jsonl", _join([nested]),
            line_reasons={1: "ambiguous_duplicate_key"}, lines_read=1)
    _, sends = _source_lines(generated, "sends", "sends")
    sends_lines = _lines(sends)
    variant("unclosed_quote", "sends", "sends", "csv", _join([*sends_lines[:2], b'x,"never closed', *sends_lines[2:]]),
            line_reasons={3: None}, lines_read=len(sends_lines) + 1)
    variant("header_only", "sends", "sends", "csv", _join(sends_lines[:1]), lines_read=1)

    # files that are not text: quarantined whole, never read
    good = _join(web_lines)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("submissions.jsonl", good)
    binaries: dict[str, tuple[bytes, str]] = {
        "gzip": (gzip.compress(good), "compressed_gzip"),
        "zip": (zipped.getvalue(), "compressed_zip"),
        "bzip2": (bz2.compress(good), "compressed_bzip2"),
        "xz": (lzma.compress(good), "compressed_xz"),
        "zstd": (bytes.fromhex("28B52FFD") + b"\x00" * 20, "compressed_zstd"),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "binary_pdf"),
        "png": (bytes.fromhex("89504E470D0A1A0A") + b"\x00" * 16, "binary_image"),
        "parquet": (b"PAR1" + b"\x00\x01\x02" * 10, "binary_parquet"),
        "sqlite": (b"SQLite format 3\x00" + b"\x00" * 40, "binary_sqlite"),
        "utf16": (good.decode().encode("utf-16"), "not_utf8_text"),
        "all_nul": (b"\x00" * 64, "binary_content"),
        "latin1_only": ("caf\xe9 cr\xe8me\n".encode("latin-1") * 3, "not_utf8_text"),
    }
    for name, (data, reason) in binaries.items():
        file_name = f"webforms/{DAY}/submissions_bin_{name}.jsonl"
        _put(landing, file_name, data)
        kinds.append(Kind(f"binary.{name}", file_name, "quarantined", reason))

    # entries outside the landing contract: quarantined with a reason, never read
    contract = {
        "README.txt": "outside_source_folder",
        "webforms/submissions_flat.jsonl": "directly_under_source",
        f"webforms/{DAY}/extra/submissions_deep.jsonl": "too_deep",
        f"webforms/{DAY}/a/b/submissions_deeper.jsonl": "too_deep",
        f"zendesk/{DAY}/tickets_001.jsonl": "unknown_source",
        "webforms/2026-13-45/submissions_001.jsonl": "bad_landing_path",
        "webforms/latest/submissions_001.jsonl": "bad_landing_path",
        f"webforms/{DAY}/notes.txt": "unrecognized_file",
        f"webforms/{DAY}/submissions_as.csv": "unrecognized_file",
        f"salesforce/{DAY}/account_001.csv": "unrecognized_file",
    }
    for name, reason in contract.items():
        _put(landing, name, good)
        kinds.append(Kind(f"contract.{name}", name, "quarantined", reason))

    # links and special files: quarantined unread (a link is never followed)
    links: dict[str, Callable[[Path], None]] = {
        f"hubspot/{DAY}/contacts_x.jsonl": lambda p: p.symlink_to("/etc/passwd"),
        f"webforms/{DAY}/submissions_link.jsonl": lambda p: p.symlink_to(landing / web_ref),
        f"webforms/{DAY}/submissions_dangling.jsonl": lambda p: p.symlink_to(landing / "nowhere"),
        f"webforms/{DAY}/linked_dir": lambda p: p.symlink_to("/etc", target_is_directory=True),
        f"webforms/{DAY}/submissions_fifo.jsonl": lambda p: os.mkfifo(p),
    }
    for name, make in links.items():
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        make(landing / name)
        reason = "not_regular_file" if "fifo" in name else "symlink"
        kinds.append(Kind(f"link.{name}", name, "quarantined", reason))

    # names upload tools use while writing: deferred, never quarantined
    in_flight = [f"webforms/{DAY}/.submissions_001.jsonl", f"webforms/{DAY}/_submissions_tmp.jsonl",
                 f"webforms/{DAY}/submissions_002.jsonl.tmp", f"webforms/{DAY}/submissions_003.jsonl.part",
                 f"webforms/{DAY}/.upload/submissions_004.jsonl", f"hubspot/{DAY}/.DS_Store",
                 f"_staging/{DAY}/submissions_005.jsonl"]
    for name in in_flight:
        _put(landing, name, gzip.compress(good) if name.endswith(".part") else good)
        kinds.append(Kind(f"in_flight.{name}", name, "deferred", "in_flight_name"))

    # damaged privacy requests: each line rejected as that line, and honoured when it names an address
    _put(landing, DAMAGED_REQUESTS, _join(DAMAGED_LINES))
    kinds.append(Kind("requests.damaged_lines", DAMAGED_REQUESTS, "loaded",
                      line_reasons={1: "nul_bytes", 2: "invalid_utf8", 3: "nul_bytes", 4: "nul_bytes"},
                      lines_read=len(DAMAGED_LINES)))

    # names that hold an address (checked apart: they are published under their masked name)
    _put(landing, ADDRESS_LOADED, _join(web_lines[:2]))
    _put(landing, ADDRESS_QUARANTINED, good)
    _put(landing, ADDRESS_REJECTED, b'{"request_id": "dsr-a1", "received_at": "2026-04-09T09:00:00Z"\n')
    return kinds


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The corpus built twice: as landed, then after the landing folder was tidied and files grew."""
    root = tmp_path_factory.mktemp("corpus")
    generated, landing = root / "generated", root / "landing"
    generate_landing(generated, contacts=60, days=3, seed=3, end_date=date(2026, 4, 10))
    kinds = build_corpus(landing, generated)
    # a file read while still being written: its last line is cut off mid-record
    grow_name = f"webforms/{DAY}/submissions_k_growing.jsonl"
    _, web = _source_lines(generated, "webforms", "submissions")
    web_lines = _lines(web)
    _put(landing, grow_name, _join(web_lines[:2]) + web_lines[2][:30])

    previous = os.environ.get("CONSENT_LEDGER_SETTLE_SECONDS")
    os.environ["CONSENT_LEDGER_SETTLE_SECONDS"] = "0"
    try:
        database = root / "work" / "work.duckdb"
        first = dbt_build(landing, database, AS_OF_1)
        snapshot = root / "first.duckdb"
        shutil.copy(database, snapshot)

        # the lifecycle: remove one quarantined file, fix two under the same name, finish an upload,
        # finish the growing file and append to it
        (landing / f"webforms/{DAY}/submissions_bin_gzip.jsonl").unlink()
        _put(landing, f"webforms/{DAY}/submissions_bin_zip.jsonl", _join(web_lines))
        (landing / f"hubspot/{DAY}/contacts_x.jsonl").unlink()
        _put(landing, f"hubspot/{DAY}/contacts_x.jsonl", _lines(_source_lines(generated, "hubspot", "contacts")[1])[0]
             + b"\n")
        finished = landing / f"webforms/{DAY}/submissions_003.jsonl"
        (landing / f"webforms/{DAY}/submissions_003.jsonl.part").rename(finished)
        finished.write_bytes(_join(web_lines))
        _put(landing, grow_name, _join(web_lines[:3]) + web_lines[0] + b"\n")
        _put(landing, ADDRESS_LOADED, _join(web_lines[:3]))
        second = dbt_build(landing, database, AS_OF_2)
    finally:
        if previous is None:
            os.environ.pop("CONSENT_LEDGER_SETTLE_SECONDS", None)
        else:
            os.environ["CONSENT_LEDGER_SETTLE_SECONDS"] = previous
    return {"kinds": kinds, "first": first, "second": second, "db1": snapshot, "db2": database,
            "landing": landing, "grow": grow_name, "grow_lines": len(web_lines[:3]) + 1, "root": root}


def _reconciliation(database: Path) -> dict[str, dict[str, object]]:
    rows = query(database, "select * from audit.load_reconciliation")
    cols = [c[0] for c in query(database, "select column_name from information_schema.columns "
                                          "where table_schema = 'audit' and table_name = 'load_reconciliation' "
                                          "order by ordinal_position")]
    return {r[cols.index("file_name")]: dict(zip(cols, r, strict=True)) for r in rows}


def _rejections(database: Path) -> dict[str, dict[int, set[str]]]:
    out: dict[str, dict[int, set[str]]] = {}
    for file_name, line, reason in query(database, "select file_name, line_number, reason from audit.rejected_records"):
        out.setdefault(file_name, {}).setdefault(line, set()).add(reason)
    return out


def test_corpus_has_at_least_60_kinds_across_all_sources(corpus: dict) -> None:
    kinds: list[Kind] = corpus["kinds"]
    assert len(kinds) >= 60
    sources = {k.file_name.split("/")[0] for k in kinds}
    assert set(JSONL_ENTITIES) | set(CSV_ENTITIES) <= sources


def test_only_quarantines_fail_the_first_build(corpus: dict) -> None:
    """The build fails on quarantined files (all_files_balance), and on nothing else."""
    output = corpus["first"].stdout
    failures = [line for line in output.splitlines() if "Failure in" in line or "Error in" in line]
    assert failures, output[-3000:]
    assert all("all_files_balance" in line for line in failures), "\n".join(failures)


def test_each_kind_ends_as_expected(corpus: dict) -> None:
    recon = _reconciliation(corpus["db1"])
    rejected = _rejections(corpus["db1"])
    problems = []
    for kind in corpus["kinds"]:
        row = recon.get(kind.file_name)
        if row is None:
            problems.append(f"{kind.name}: not in load_reconciliation")
            continue
        reason = row["file_error"] if kind.status == "quarantined" else row["deferred_reason"]
        if row["file_status"] != kind.status or (kind.reason and reason != kind.reason):
            problems.append(f"{kind.name}: {row['file_status']}/{reason}, expected {kind.status}/{kind.reason}")
        file_rejections = rejected.get(kind.file_name, {}).get(0, set())
        if kind.status == "quarantined" and f"quarantined_file:{kind.reason}" not in file_rejections:
            problems.append(f"{kind.name}: quarantine missing from rejected_records")
        if kind.status != "loaded":
            if row["lines_read"] != 0:
                problems.append(f"{kind.name}: {row['lines_read']} lines read from a file never to be read")
            continue
        if not row["is_balanced"] or row["unaccounted"]:
            problems.append(f"{kind.name}: does not balance: {row}")
        if kind.lines_read is not None and row["lines_read"] != kind.lines_read:
            problems.append(f"{kind.name}: {row['lines_read']} lines read, expected {kind.lines_read}")
        lines = rejected.get(kind.file_name, {})
        for line, expected in kind.line_reasons.items():
            if line not in lines or (expected and expected not in lines[line]):
                problems.append(f"{kind.name}: line {line} rejected as {lines.get(line)}, expected {expected}")
        if kind.same_as:
            reference = {n for n in rejected.get(kind.same_as, {}) if n > 0}
            got = {n for n in lines if n > 0}
            if got != reference | set(kind.line_reasons):
                problems.append(f"{kind.name}: rejected lines {sorted(got)}, reference {sorted(reference)}")
    assert not problems, "\n".join(problems)


def test_no_file_outside_the_contract_is_read(corpus: dict) -> None:
    """Links are never followed: the host file behind a link is in no table of the working database."""
    texts = query(corpus["db1"], "select raw_text from audit.rejected_records where raw_text is not null")
    assert not any("root:" in t for (t,) in texts)
    stored = {f for (f,) in query(corpus["db1"], "select distinct file_name from staging.base_landing__lines")}
    never = {k.file_name for k in corpus["kinds"] if k.status != "loaded"}
    assert not stored & never


def test_every_landed_file_is_accounted_for(corpus: dict) -> None:
    """Every file and link at any depth under the landing folder has a reconciliation row."""
    landing: Path = corpus["landing"]
    on_disk = set()
    for folder, dirs, files in os.walk(landing):  # does not follow links; a linked folder is in dirs
        for name in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = (Path(folder) / name).relative_to(landing).as_posix()
            on_disk.add(masked_name(path) if path in (ADDRESS_LOADED, ADDRESS_QUARANTINED, ADDRESS_REJECTED)
                        else path)
    recon = _reconciliation(corpus["db2"])
    assert on_disk <= set(recon), sorted(on_disk - set(recon))


def test_quarantine_lifecycle(corpus: dict) -> None:
    """A removed quarantined file stops blocking; a replaced one is read; a finished upload is read."""
    from orchestration.lib.landing import quarantine_list

    first, second = _reconciliation(corpus["db1"]), _reconciliation(corpus["db2"])
    gz, zp, link = (f"webforms/{DAY}/submissions_bin_gzip.jsonl", f"webforms/{DAY}/submissions_bin_zip.jsonl",
                    f"hubspot/{DAY}/contacts_x.jsonl")
    assert first[gz]["file_status"] == "quarantined"
    assert gz not in second
    assert not any(f == gz for (f,) in query(corpus["db2"], "select file_name from audit.rejected_records"))
    assert (second[zp]["file_status"], second[zp]["is_balanced"]) == ("loaded", True)
    assert second[zp]["lines_read"] > 0
    assert (second[link]["file_status"], second[link]["lines_read"]) == ("loaded", 1)
    finished = f"webforms/{DAY}/submissions_003.jsonl"
    assert second[finished]["file_status"] == "loaded" and second[finished]["lines_read"] > 0
    listed = {r["file_name"] for r in quarantine_list(corpus["db1"])}
    assert {gz, zp, link} <= listed
    assert {r["file_name"] for r in quarantine_list(corpus["db2"])} == listed - {gz, zp, link}


def test_unblock_message_names_each_file_and_what_to_do(corpus: dict) -> None:
    from orchestration.lib.landing import quarantine_list, unblock_instructions

    rows = quarantine_list(corpus["db1"])
    message = "\n".join(unblock_instructions(corpus["landing"], rows))
    for row in rows:
        assert f"{corpus['landing'] / row['file_name']}: {row['file_error']}" in message
    assert "remove" in message and "next run" in message


def test_a_file_that_grew_after_it_was_read_is_read_again(corpus: dict) -> None:
    """The cut-off tail is rejected on the first read; the second run re-reads the completed file,
    counts its new lines, and records the change as an incident."""
    grow = corpus["grow"]
    first, second = _reconciliation(corpus["db1"])[grow], _reconciliation(corpus["db2"])[grow]
    assert first["lines_read"] == 3
    assert "invalid_json" in _rejections(corpus["db1"])[grow][3]
    assert second["lines_read"] == corpus["grow_lines"]
    assert second["is_balanced"]
    assert "invalid_json" not in _rejections(corpus["db2"])[grow].get(3, set())
    incidents = query(corpus["db2"], "select change, previous_lines, lines_in_file, unchanged_lines, detected_at "
                                     "from audit.landing_incidents where file_name = ?", [grow])
    assert len(incidents) == 1
    change, previous_lines, lines_in_file, unchanged, detected = incidents[0]
    assert (change, previous_lines, lines_in_file, unchanged) == ("appended", 3, corpus["grow_lines"], 2)
    assert str(detected.date()) == AS_OF_2
    loaded = dict(query(corpus["db2"], "select line_number, cast(loaded_at as date) from staging.base_landing__lines "
                                       "where file_name = ? and line_number > 0", [grow]))
    assert str(loaded[1]) == AS_OF_1 and str(loaded[4]) == AS_OF_2
    assert query(corpus["db1"], "select count(*) from audit.landing_incidents")[0][0] == 0


def test_quarantine_list_command_shows_what_blocks_and_how_to_unblock(
        corpus: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from orchestration.cli.main import main
    from orchestration.lib import paths

    warehouse = tmp_path / "ledger.duckdb"
    paths.working_db(warehouse).parent.mkdir(parents=True)
    shutil.copy(corpus["db2"], paths.working_db(warehouse))
    assert main(["quarantine", "list", "--warehouse", str(warehouse), "--landing", str(corpus["landing"])]) == 0
    out = capsys.readouterr().out
    assert f"{corpus['landing']}/webforms/{DAY}/submissions_bin_xz.jsonl: compressed_xz" in out
    assert f"{corpus['landing']}/hubspot/{DAY}/contacts_x.jsonl" not in out  # replaced: no longer blocks
    assert "To unblock" in out


def _published_texts(database: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value in the published schemas and the file names the
    working store keeps beside the raw lines."""
    columns = query(database, "select table_schema, table_name, column_name from information_schema.columns "
                              "where table_schema in ('audit', 'consent') and data_type = 'VARCHAR'")
    columns += [("staging", "base_landing__lines", "file_name"), ("staging", "base_landing__files", "file_name")]
    found = []
    for schema, table, column in columns:
        for (value,) in query(database, f'select distinct "{column}" from {schema}."{table}" '
                                        f'where "{column}" is not null'):
            found.append((f"{schema}.{table}", column, value))
    return found


@pytest.mark.parametrize("build", ["db1", "db2"])
def test_a_file_named_after_an_address_is_published_masked(corpus: dict, build: str) -> None:
    """A landed file whose name holds an address (plain, URL-escaped, any case) never publishes it:
    its name is masked like a raw line, with the SHA-256 of its path to find it and the contact
    key beside its quarantine row; it is still read, quarantined or rejected as its name says."""
    database = corpus[build]
    leaks = [(t, c, v) for t, c, v in _published_texts(database) if "sweep" in v.lower()]
    assert not leaks, leaks[:10]
    recon = _reconciliation(database)
    loaded, quarantined, rejected = (masked_name(p) for p in (ADDRESS_LOADED, ADDRESS_QUARANTINED, ADDRESS_REJECTED))
    assert recon[loaded]["file_status"] == "loaded" and recon[loaded]["is_balanced"]
    assert (recon[quarantined]["file_status"], recon[quarantined]["file_error"]) == ("quarantined",
                                                                                   "unrecognized_file")
    assert recon[rejected]["rejected"] == 1
    from orchestration.lib.identity import contact_key

    keys = dict(query(database, "select file_name, contact_key from audit.rejected_records where line_number = 0"))
    assert keys[quarantined] == contact_key(ADDRESS)


def test_quarantine_list_and_unblock_message_mask_file_names(corpus: dict) -> None:
    from orchestration.lib.landing import quarantine_list, unblock_instructions

    rows = quarantine_list(corpus["db2"])
    message = "\n".join(unblock_instructions(corpus["landing"], rows))
    assert masked_name(ADDRESS_QUARANTINED) in message
    assert "sweep" not in message.lower()


def test_a_changed_file_named_after_an_address_is_an_incident_under_its_masked_name(corpus: dict) -> None:
    incidents = query(corpus["db2"], "select file_name, change from audit.landing_incidents")
    assert (masked_name(ADDRESS_LOADED), "appended") in incidents


def test_a_damaged_privacy_request_that_names_an_address_is_honoured_and_flagged(corpus: dict) -> None:
    """NUL bytes or bytes that are not UTF-8 do not drop a privacy request: it is honoured at its own
    time, its review_reason names the damage, and the line is still listed as rejected."""
    from orchestration.lib.identity import contact_key

    events = {
        (line, key): (action, str(occurred), review)
        for line, key, action, occurred, review in query(
            corpus["db1"], "select line_number, contact_key, action, occurred_at, review_reason "
                           "from intermediate.int_consent_events__deduplicated "
                           "where outcome = 'event' and file_name = ?", [DAMAGED_REQUESTS])
    }
    assert {line for line, _ in events} == set(DAMAGED_EXPECTED)
    for line, (address, action, damage) in DAMAGED_EXPECTED.items():
        got_action, occurred, review = events[line, contact_key(address)]
        assert got_action == action
        assert occurred.startswith(f"{DAY} 10:")
        assert damage in (review or "").split(","), review
    rejected = _rejections(corpus["db1"])[DAMAGED_REQUESTS]
    assert {n: {DAMAGED_EXPECTED.get(n, (None, None, "nul_bytes"))[2]} <= r for n, r in rejected.items()} == {
        1: True, 2: True, 3: True, 4: True}  # the good line 5 is not rejected
    erased = query(corpus["db1"], "select count(*) from consent.consent_events where contact_key = ? "
                                  "and action = 'erasure'", [contact_key("corpus.nul@acme.example")])
    assert erased == [(1,)]


def test_the_run_report_lists_deferred_files_and_incidents_from_the_build(corpus: dict) -> None:
    """What the run report shows (orchestration.lib.landing.landing_notes) comes from the built
    audit tables: every deferred file with its reason, and tonight's changed files, names masked."""
    from orchestration.lib.landing import landing_notes

    deferred, incidents = landing_notes(corpus["db2"], AS_OF_2)
    assert f"webforms/{DAY}/.submissions_001.jsonl: in_flight_name" in deferred
    assert f"_staging/{DAY}/submissions_005.jsonl: in_flight_name" in deferred
    changed = {note.split(": changed after it was read")[0] for note in incidents}
    assert changed == {corpus["grow"], masked_name(ADDRESS_LOADED)}
    assert all("appended" in note and "read again" in note for note in incidents)
    assert landing_notes(corpus["db1"], AS_OF_1)[1] == []
