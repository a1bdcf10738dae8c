"""Benchmark `export_segment` at scale: 1M contacts, 1M candidates (no assertions; prints numbers).

Builds a synthetic published-like DuckDB (the ten published tables; contacts, consent_status,
marketable_audience and suppression_list filled directly with DuckDB SQL) and a candidates CSV
(known addresses in mixed case with spaces, unknown and invalid ones, erased contacts' addresses,
extra CRM columns), then times each export in a fresh child process so wall time and peak RSS
(`resource.getrusage`) belong to that export alone.

    python benchmarks/export_benchmark.py [--contacts 1000000] [--candidates 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
PURPOSES = [
    ("newsletter", "email"), ("product_updates", "email"), ("event_invitations", "email"),
    ("event_invitations", "phone"), ("sales_outreach", "email"), ("sales_outreach", "phone"),
    ("partner_offers", "email"), ("advertising", "ads"), ("research", "email"),
]


def build_warehouse(path: Path, contacts: int) -> None:
    """A published-like file: same schemas, tables and key columns as the real one."""
    path.unlink(missing_ok=True)
    cells = ", ".join(f"('{p}', '{c}')" for p, c in PURPOSES)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema consent; create schema audit")
        con.execute(
            f"""
            create table consent.contacts as
            select
                sha256(email) as contact_key,
                case when i % 500 = 0 then null else email end as email,
                i % 500 = 0 as is_erased,
                case when i % 500 = 0 then timestamp '2026-11-01' end as erased_at,
                ['DE', 'US', 'CA', 'FR', 'GB'][1 + i % 5] as country_codes,
                ['DE', 'US', 'CA', 'FR', 'GB'][1 + i % 5] as jurisdiction,
                ['opt_in', 'opt_out', 'casl', 'opt_in', 'opt_in'][1 + i % 5] as regime,
                'webforms' as source_systems,
                timestamp '2026-01-01' + to_minutes(i % 400000) as first_event_at,
                timestamp '2026-06-01' + to_minutes(i % 400000) as last_event_at
            from (select i, 'person' || i || '@bench.example' as email from range({contacts}) as t(i))
            """
        )
        con.execute(
            f"""
            create table consent.consent_status as
            with cells as (select * from (values {cells}) as v(purpose, channel)),
            spine as (
                select c.contact_key, c.regime, c.jurisdiction, c.is_erased, cells.purpose, cells.channel,
                    hash(c.contact_key, cells.purpose, cells.channel) % 100 as roll
                from consent.contacts as c cross join cells
            )
            select
                contact_key, purpose, channel,
                case
                    when is_erased then 'suppressed'
                    when roll < 35 then 'granted'
                    when roll < 55 then 'not_given'
                    when roll < 65 then 'withdrawn'
                    when roll < 72 then 'pending'
                    when roll < 77 then 'invalid'
                    when roll < 82 then 'expired'
                    when roll < 85 then 'reconsent_required'
                    else 'not_given'
                end as status,
                false as can_contact,
                cast(null as varchar) as blocked_reason,
                cast(null as varchar) as lawful_basis,
                cast(null as timestamp) as granted_at,
                cast(null as timestamp) as expires_at,
                cast(null as varchar) as policy_version,
                jurisdiction, regime,
                sha256(contact_key || purpose || channel) as evidence_event_id,
                date '2026-11-28' as as_of
            from spine
            """
        )
        con.execute(
            """
            update consent.consent_status set
                can_contact = status = 'granted'
                    or (regime = 'opt_out'
                        and status in ('not_given', 'reconsent_required', 'expired', 'invalid')),
                blocked_reason = case status
                    when 'suppressed' then 'erasure' when 'withdrawn' then 'global_opt_out'
                    when 'pending' then 'double_opt_in_unconfirmed' when 'invalid' then 'prechecked_consent'
                    when 'expired' then 'expired' when 'reconsent_required' then 'reconsent_required'
                    when 'not_given' then 'no_consent' end,
                lawful_basis = case when status = 'granted' then 'consent' end,
                granted_at = case when status = 'granted' then timestamp '2026-03-01' end
            """
        )
        con.execute("update consent.consent_status set blocked_reason = null where can_contact")
        con.execute(
            """
            create table consent.marketable_audience as
            select s.contact_key, c.email, s.purpose, s.channel,
                coalesce(s.lawful_basis, 'not_applicable') as lawful_basis, s.granted_at, s.regime
            from consent.consent_status as s
            inner join consent.contacts as c on c.contact_key = s.contact_key
            where s.can_contact and not c.is_erased
            """
        )
        con.execute(
            """
            create table consent.suppression_list as
            select distinct s.contact_key, c.email, 'global' as scope, cast(null as varchar) as channel,
                cast(null as varchar) as purpose, s.blocked_reason as reason,
                timestamp '2026-11-01' as suppressed_since, date '2026-11-14' as honour_by,
                min(s.evidence_event_id) over (partition by s.contact_key) as evidence_event_id
            from consent.consent_status as s
            inner join consent.contacts as c on c.contact_key = s.contact_key
            where s.status in ('withdrawn', 'suppressed')
            """
        )
        for table in ("consent_events", "consent_history"):
            con.execute(f"create table consent.{table} (contact_key varchar, event_id varchar)")
        for table in ("rejected_records", "load_reconciliation", "sends_without_consent", "withdrawal_sla"):
            con.execute(f"create table audit.{table} (contact_key varchar, file_name varchar)")
        con.execute("checkpoint")


def build_candidates(path: Path, rows: int, contacts: int) -> None:
    """A CRM-like export: 80% known (mixed case, spaces), 15% unknown, some invalid, extra columns."""
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select
                    'crm-' || i as crm_id,
                    case
                        when i % 20 < 16 and i % 3 = 0
                            then '  ' || upper('person' || (i * 7919) % {contacts}) || '@Bench.example'
                        when i % 20 < 16 then 'person' || (i * 7919) % {contacts} || '@Bench.example'
                        when i % 20 < 19 then 'stranger' || i || '@elsewhere.example'
                        else 'not an email ' || i
                    end as email,
                    'First' || i % 1000 as first_name,
                    'Company ' || i % 5000 || ', Inc.' as company
                from range({rows}) as t(i)
            ) to '{path}' (format csv, header true)
            """
        )


def child(args: argparse.Namespace) -> None:
    """One timed export in this process; prints JSON."""
    sys.path.insert(0, str(REPO))
    from orchestration.features.segment_export import export_segment

    start = time.perf_counter()
    summary = export_segment(Path(args.warehouse), "newsletter", "email", Path(args.out),
                             candidates=Path(args.candidates_file) if args.candidates_file else None,
                             hash_emails=args.hash_emails, fmt=args.format)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"wall_s": round(wall, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
                      "line": summary.line()}))


def timed(label: str, warehouse: Path, out: Path, candidates: Path | None, hash_emails: bool,
          fmt: str = "csv") -> None:
    cmd = [sys.executable, __file__, "--child", "--warehouse", str(warehouse), "--out", str(out),
           "--format", fmt]
    if candidates:
        cmd += ["--candidates-file", str(candidates)]
    if hash_emails:
        cmd.append("--hash-emails")
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"{label:<42} wall {numbers['wall_s']:>6.2f} s   peak RSS {numbers['peak_rss_mib']:>7.1f} MiB")
    print(f"    {numbers['line']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--candidates-file", dest="candidates_file", help=argparse.SUPPRESS)
    parser.add_argument("--hash-emails", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.build:
        build_warehouse(Path(args.warehouse), args.contacts)
        build_candidates(Path(args.candidates_file), args.candidates, args.contacts)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="export_benchmark_"))
    work.mkdir(parents=True, exist_ok=True)
    warehouse, candidates = work / "published.duckdb", work / "candidates.csv"
    # built in a child too: a forked child inherits the parent's peak RSS, so the parent stays small
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build", "--warehouse", str(warehouse), "--candidates-file",
                    str(candidates), "--contacts", str(args.contacts), "--candidates", str(args.candidates)],
                   check=True)
    print(f"synthetic warehouse: {args.contacts} contacts ({warehouse.stat().st_size / 2**20:.0f} MiB), "
          f"candidates: {args.candidates} rows ({candidates.stat().st_size / 2**20:.0f} MiB), built in "
          f"{time.perf_counter() - start:.1f} s; workdir {work}")
    timed("audience, plain emails", warehouse, work / "audience.csv", None, False)
    timed("audience, --hash-emails", warehouse, work / "audience_hashed.csv", None, True)
    timed("1M candidates, plain emails", warehouse, work / "segment.csv", candidates, False)
    timed("1M candidates, --hash-emails", warehouse, work / "segment_hashed.csv", candidates, True)
    timed("1M candidates, --hash-emails, parquet", warehouse, work / "segment_hashed.parquet",
          candidates, True, "parquet")


if __name__ == "__main__":
    main()
