"""`consent-ledger export`: consent-respecting segments from a warehouse built from
tests/fixtures/landing/marketing_ops/.

The fixture people (webforms + privacy requests, see tests/fixtures/landing/marketing_ops) each stand for one
path: alice/bruno/nora granted, carla pending double opt-in, dmitri pre-checked box, elena no notice
version, gia objection (global opt-out), jorge newsletter opt-out, kim and pia partner offers under a
notice that needs re-consent, mara expired, quinn's German grant reaches its 24-month refresh age
on 2026-11-29 10:00 (the day after the run date), ivan and hana erased.
"""

from __future__ import annotations

import argparse
import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.features import add_export_parser
from orchestration.features.segment_export import ExportError, export_segment
from tests.conftest import FIXTURES, query
from tests.expected import key

LANDING = FIXTURES / "landing" / "marketing_ops"
AS_OF = "2026-11-28"
RUN_DATE = date.fromisoformat(AS_OF)
ERASED = ("ivan@ops.example", "hana@ops.example")


@pytest.fixture(scope="module")
def warehouse(build_warehouse) -> Path:
    return build_warehouse(LANDING, AS_OF)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def write_candidates(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def audience(warehouse: Path, purpose: str, channel: str) -> set[str]:
    return {row[0] for row in query(
        warehouse, "select email from consent.marketable_audience where purpose = ? and channel = ?",
        [purpose, channel])}


# (candidate email as a CRM would hold it, purpose, expected exclusion reason or None when exported)
CASES = [
    ("  Alice@OPS.example ", "newsletter", None),
    ("bruno@ops.example", "newsletter", None),
    ("nora.o'brien@ops.example", "newsletter", None),
    ("carla@ops.example", "newsletter", "pending"),
    ("dmitri@ops.example", "newsletter", "invalid:prechecked_consent"),
    ("elena@ops.example", "newsletter", "invalid:unknown_notice_version"),
    ("gia@ops.example", "newsletter", "suppressed:global_opt_out"),
    ("jorge@ops.example", "newsletter", "suppressed:purpose_opt_out"),
    ("kim@ops.example", "newsletter", "not_consented"),
    ("mara@ops.example", "newsletter", "expired"),
    ("Ivan@Ops.Example", "newsletter", "erased"),
    (" HANA@ops.example", "newsletter", "erased"),
    ("stranger@ops.example", "newsletter", "unknown_contact"),
    ("not-an-email", "newsletter", "invalid_email"),
    ("", "newsletter", "invalid_email"),
    ("kim@ops.example", "partner_offers", "reconsent_required"),
    ("lena@ops.example", "partner_offers", "suppressed:sale_opt_out"),
    ("lena@ops.example", "newsletter", None),
]


def test_plain_export_is_the_marketable_audience(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "newsletter.csv"
    summary = export_segment(warehouse, "newsletter", "email", out, send_date=RUN_DATE)
    rows = read_rows(out)
    assert header(out) == ["email", "purpose", "channel", "lawful_basis", "granted_at", "regime"]
    exported = {row["email"] for row in rows}
    assert exported == audience(warehouse, "newsletter", "email")
    assert {"alice@ops.example", "bruno@ops.example", "nora.o'brien@ops.example"} <= exported
    assert not exported & {"gia@ops.example", "carla@ops.example", "jorge@ops.example", *ERASED}
    status_rows = query(warehouse, "select count(*) from consent.consent_status "
                                   "where purpose = 'newsletter' and channel = 'email'")[0][0]
    assert summary.rows_in == status_rows
    assert summary.rows_out == len(rows)
    assert summary.rows_in == summary.rows_out + summary.rows_excluded
    assert summary.excluded["erased"] == 2
    assert summary.excluded["suppressed:global_opt_out"] == 1
    assert summary.excluded_path is None
    assert not Path(str(out) + ".excluded.csv").exists()
    assert f"{summary.rows_out} out" in summary.line()


def test_candidates_are_split_with_reasons(warehouse: Path, tmp_path: Path) -> None:
    for purpose in ("newsletter", "partner_offers"):
        cases = [case for case in CASES if case[1] == purpose]
        candidates = write_candidates(tmp_path / f"{purpose}_crm.csv", [
            {"crm_id": f"c{i}", "Email": email, "name": f"Person {i}", "notes": f"#{i}, \"quoted\""}
            for i, (email, _, _) in enumerate(cases)
        ])
        out = tmp_path / f"{purpose}.csv"
        summary = export_segment(warehouse, purpose, "email", out, candidates=candidates)
        kept, dropped = read_rows(out), read_rows(Path(str(out) + ".excluded.csv"))
        assert summary.excluded_path == Path(str(out) + ".excluded.csv")

        # every candidate row lands in exactly one file, in the candidates' order, columns intact
        assert header(out) == ["crm_id", "Email", "name", "notes"]
        assert header(Path(str(out) + ".excluded.csv")) == [
            "crm_id", "Email", "name", "notes", "exclusion_reason", "exclusion_detail"
        ]
        expected_kept = [f"c{i}" for i, case in enumerate(cases) if case[2] is None]
        assert [row["crm_id"] for row in kept] == expected_kept
        assert sorted(row["crm_id"] for row in kept + dropped) == sorted(f"c{i}" for i in range(len(cases)))
        for row in kept:
            i = int(row["crm_id"][1:])
            assert row["Email"] == cases[i][0]  # as the CRM holds it, spaces and case included
            assert row["notes"] == f"#{i}, \"quoted\""
        for row in dropped:
            i = int(row["crm_id"][1:])
            assert row["exclusion_reason"] == cases[i][2], cases[i]
            assert row["name"] == f"Person {i}"

        assert summary.rows_in == len(cases)
        assert summary.rows_out == len(kept)
        counted: dict[str, int] = {}
        for row in dropped:
            counted[row["exclusion_reason"]] = counted.get(row["exclusion_reason"], 0) + 1
        assert summary.excluded == counted


def test_unknown_contact_is_excluded_as_opt_in(warehouse: Path, tmp_path: Path) -> None:
    candidates = write_candidates(tmp_path / "c.csv", [{"email": "stranger@ops.example"}])
    out = tmp_path / "o.csv"
    export_segment(warehouse, "newsletter", "email", out, candidates=candidates)
    assert read_rows(out) == []
    (row,) = read_rows(Path(str(out) + ".excluded.csv"))
    assert row["exclusion_reason"] == "unknown_contact"
    assert "opt-in" in row["exclusion_detail"] and "regime is unknown" in row["exclusion_detail"]


@pytest.mark.parametrize("hash_emails", [False, True])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_erased_address_is_written_nowhere(warehouse: Path, tmp_path: Path, hash_emails: bool,
                                           fmt: str) -> None:
    candidates = write_candidates(tmp_path / "crm.csv", [
        {"email": "Ivan@Ops.Example", "secondary": "IVAN@ops.example", "note": "call ivan@ops.example"},
        {"email": " hana@OPS.example ", "secondary": "", "note": "unrelated"},
        {"email": "alice@ops.example", "secondary": "", "note": ""},
    ])
    out = tmp_path / f"segment.{fmt}"
    summary = export_segment(warehouse, "newsletter", "email", out, candidates=candidates,
                             hash_emails=hash_emails, fmt=fmt)
    plain = tmp_path / f"plain.{fmt}"
    export_segment(warehouse, "newsletter", "email", plain, hash_emails=hash_emails, fmt=fmt)
    assert summary.excluded == {"erased": 2}
    for path in (out, plain, Path(str(out) + ".excluded.csv")):
        if path.suffix == ".parquet":
            with duckdb.connect() as con:
                rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
            text = "\n".join(str(row) for row in rows)
        else:
            text = path.read_text(encoding="utf-8")
        for address in ERASED:
            assert address not in text.lower(), (path, address)
    dropped = read_rows(Path(str(out) + ".excluded.csv"))
    email_column = "email_sha256" if hash_emails else "email"
    assert [row[email_column] for row in dropped] == [key("ivan@ops.example"), key("hana@ops.example")]
    assert dropped[0]["secondary"] == key("ivan@ops.example")
    assert dropped[0]["note"] == key("ivan@ops.example")
    assert all(row["exclusion_reason"] == "erased" for row in dropped)


def test_hash_emails_writes_sha256_of_normalized_address(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "ads.csv"
    export_segment(warehouse, "newsletter", "email", out, hash_emails=True, send_date=RUN_DATE)
    rows = read_rows(out)
    assert "email" not in rows[0]
    expected = {key(e) for e in audience(warehouse, "newsletter", "email")}
    assert {row["email_sha256"] for row in rows} == expected
    assert "@" not in out.read_text(encoding="utf-8")

    candidates = write_candidates(tmp_path / "c.csv", [{"id": "1", "Email": "  ALICE@ops.example"}])
    export_segment(warehouse, "newsletter", "email", out, candidates=candidates, hash_emails=True)
    assert read_rows(out) == [{"id": "1", "email_sha256": key("alice@ops.example")}]


def test_parquet_output_matches_csv(warehouse: Path, tmp_path: Path) -> None:
    export_segment(warehouse, "newsletter", "email", tmp_path / "a.csv")
    export_segment(warehouse, "newsletter", "email", tmp_path / "a.parquet", fmt="parquet")
    with duckdb.connect() as con:
        parquet = con.execute("select email from read_parquet(?)", [str(tmp_path / "a.parquet")]).fetchall()
    assert [row[0] for row in parquet] == [row["email"] for row in read_rows(tmp_path / "a.csv")]


@pytest.mark.parametrize(("purpose", "channel", "message"), [
    ("newsletter' or '1'='1", "email", "unknown purpose"),
    ("newsletter; drop table consent.contacts; --", "email", "unknown purpose"),
    ('news"letter', "email", "unknown purpose"),
    ("newsletter", "email' or 1=1 --", "unknown channel"),
    ("newsletter", "phone", "unknown channel"),
    ("no_such_purpose", "email", "unknown purpose"),
])
def test_purpose_and_channel_are_data(warehouse: Path, tmp_path: Path, purpose: str, channel: str,
                                      message: str) -> None:
    contacts_before = query(warehouse, "select count(*) from consent.contacts")[0][0]
    with pytest.raises(ExportError) as raised:
        export_segment(warehouse, purpose, channel, tmp_path / "out.csv")
    text = str(raised.value)
    assert message in text
    assert repr(purpose if message == "unknown purpose" else channel) in text
    if message == "unknown purpose":
        assert "valid purposes: advertising, event_invitations, newsletter" in text
    else:
        assert "valid channels for it: email" in text
    assert list(tmp_path.iterdir()) == []
    assert query(warehouse, "select count(*) from consent.contacts")[0][0] == contacts_before


def test_valid_values_are_listed(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"valid purposes: advertising, event_invitations, newsletter"):
        export_segment(warehouse, "newsletters", "email", tmp_path / "o.csv")
    with pytest.raises(ExportError, match=r"valid channels for it: email, phone"):
        export_segment(warehouse, "event_invitations", "sms", tmp_path / "o.csv")


def malformed_files(folder: Path) -> dict[str, Path]:
    files = {
        "no_email_column": "id,mail\n1,alice@ops.example\n",
        "ragged_row": "id,email\n1,alice@ops.example,extra,columns\n2\n",
        "empty": "",
    }
    paths = {name: folder / f"{name}.csv" for name in files}
    for name, text in files.items():
        paths[name].write_text(text, encoding="utf-8")
    paths["not_utf8"] = folder / "not_utf8.csv"
    paths["not_utf8"].write_bytes(b"id,email\n1,\xff\xfe@ops.example\n")
    # a bad row far beyond the sniffer's sample: the failure comes mid-read
    late = folder / "late_ragged.csv"
    late.write_text("id,email\n" + "".join(f"{i},p{i}@ops.example\n" for i in range(30000)) + "x,y,z,w\n",
                    encoding="utf-8")
    paths["late_ragged"] = late
    paths["missing"] = folder / "missing.csv"
    return paths


@pytest.mark.parametrize(
    "case", ["no_email_column", "ragged_row", "empty", "not_utf8", "late_ragged", "missing"]
)
def test_bad_candidates_file_leaves_no_output(warehouse: Path, tmp_path: Path, case: str) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    candidates = malformed_files(inputs)[case]
    outputs = tmp_path / "out"
    outputs.mkdir()
    with pytest.raises(ExportError, match="candidates file"):
        export_segment(warehouse, "newsletter", "email", outputs / "segment.csv", candidates=candidates)
    assert list(outputs.iterdir()) == []


def test_failed_export_keeps_the_previous_good_file(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "segment.csv"
    export_segment(warehouse, "newsletter", "email", out)
    before = out.read_bytes()
    with pytest.raises(ExportError):
        export_segment(warehouse, "newsletter", "email", out, candidates=tmp_path / "missing.csv")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["segment.csv"]


def test_other_user_errors(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown format"):
        export_segment(warehouse, "newsletter", "email", tmp_path / "o.x", fmt="xlsx")
    with pytest.raises(ExportError, match="warehouse not found"):
        export_segment(tmp_path / "nope.duckdb", "newsletter", "email", tmp_path / "o.csv")
    not_a_warehouse = tmp_path / "other.duckdb"
    duckdb.connect(str(not_a_warehouse)).close()
    with pytest.raises(ExportError, match="not a published Consent Ledger warehouse"):
        export_segment(not_a_warehouse, "newsletter", "email", tmp_path / "o.csv")
    same = write_candidates(tmp_path / "same.csv", [{"email": "alice@ops.example"}])
    with pytest.raises(ExportError, match="must not be the candidates file"):
        export_segment(warehouse, "newsletter", "email", same, candidates=same)
    clash = write_candidates(tmp_path / "clash.csv", [{"email": "a@ops.example", "exclusion_reason": "x"}])
    with pytest.raises(ExportError, match="already has a column"):
        export_segment(warehouse, "newsletter", "email", tmp_path / "o.csv", candidates=clash)
    assert not (tmp_path / "o.csv").exists()


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="consent-ledger")
    add_export_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_export(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"email": e} for e, p, _ in CASES if p == "newsletter"]
    candidates = write_candidates(tmp_path / "crm.csv", rows)
    out = tmp_path / "seg.csv"
    code = run_cli(["export", "--purpose", "newsletter", "--channel", "email",
                    "--candidates", str(candidates), "--out", str(out), "--warehouse", str(warehouse)])
    captured = capsys.readouterr()
    assert code == 0
    assert "candidates in" in captured.out and "excluded" in captured.out and "erased 2" in captured.out
    assert out.exists() and Path(str(out) + ".excluded.csv").exists()

    code = run_cli(["export", "--purpose", "x'; drop table consent.contacts; --", "--channel", "email",
                    "--out", str(tmp_path / "bad.csv"), "--warehouse", str(warehouse)])
    captured = capsys.readouterr()
    assert code == 2
    assert "unknown purpose" in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "bad.csv").exists()

    code = run_cli(["export", "--purpose", "newsletter", "--channel", "email",
                    "--candidates", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m.csv"),
                    "--warehouse", str(warehouse)])
    assert code == 2
    assert "candidates file not found" in capsys.readouterr().err
    assert not (tmp_path / "m.csv").exists()


def test_send_date_excludes_grants_that_lapse_before_it_ends(warehouse: Path, tmp_path: Path) -> None:
    """A status holds until decision_valid_until: quinn may be mailed on the run date, not on the
    next day (her grant lapses at 10:00) nor any later day (the default is today, UTC)."""
    lapse = query(warehouse, "select decision_valid_until from consent.consent_status "
                             "where contact_key = ? and purpose = 'newsletter'", [key("quinn@ops.example")])
    assert [str(row[0]) for row in lapse] == ["2026-11-29 10:00:00"]
    assert "quinn@ops.example" in audience(warehouse, "newsletter", "email")

    on_run_date = export_segment(warehouse, "newsletter", "email", tmp_path / "a.csv", send_date=RUN_DATE)
    assert "quinn@ops.example" in {row["email"] for row in read_rows(tmp_path / "a.csv")}

    for send_date in (date(2026, 11, 29), None):
        out = tmp_path / f"b-{send_date}.csv"
        later = export_segment(warehouse, "newsletter", "email", out, send_date=send_date)
        assert "quinn@ops.example" not in {row["email"] for row in read_rows(out)}
        assert later.excluded["expired"] == on_run_date.excluded.get("expired", 0) + 1
        assert later.rows_in == later.rows_out + later.rows_excluded

    candidates = write_candidates(tmp_path / "crm.csv", [{"email": "quinn@ops.example"},
                                                         {"email": "alice@ops.example"}])
    export_segment(warehouse, "newsletter", "email", tmp_path / "c.csv", candidates=candidates,
                   send_date=date(2026, 11, 29))
    [dropped] = read_rows(tmp_path / "c.csv.excluded.csv")
    assert (dropped["email"], dropped["exclusion_reason"]) == ("quinn@ops.example", "expired")
    assert "decision_valid_until=2026-11-29 10:00:00" in dropped["exclusion_detail"]
    assert [row["email"] for row in read_rows(tmp_path / "c.csv")] == ["alice@ops.example"]


def test_send_date_before_the_run_date_is_refused(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="before the warehouse's run date"):
        export_segment(warehouse, "newsletter", "email", tmp_path / "o.csv", send_date=date(2026, 11, 27))
    assert not (tmp_path / "o.csv").exists()


def test_cli_send_date(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.csv"
    assert run_cli(["export", "--purpose", "newsletter", "--channel", "email", "--out", str(out),
                    "--warehouse", str(warehouse), "--send-date", "2026-11-29"]) == 0
    assert "for 2026-11-29" in capsys.readouterr().out
    assert "quinn@ops.example" not in {row["email"] for row in read_rows(out)}
