"""Run the floor (benchmarks/floor.sql) on a landing folder; prints one JSON line.

    python benchmarks/floor.py LANDING [--memory-limit 4GB] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("floor.sql")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    con = duckdb.connect()
    if args.memory_limit:
        con.execute(f"set memory_limit = '{args.memory_limit}'")
    if args.threads:
        con.execute(f"set threads = {args.threads}")
    con.execute("set TimeZone = 'UTC'")
    landing = str(args.landing.resolve()).replace("'", "''")
    con.execute(SQL.read_text().replace("{landing}", landing))
    events = con.execute("select count(*) from history").fetchone()[0]
    latest = con.execute("select count(*) from latest").fetchone()[0]
    other = dict(con.execute("select kind, records from other_reads").fetchall())
    print(json.dumps({"events": events, "latest": latest, "other_records": other,
                      "wall_s": round(time.perf_counter() - start, 2)}))


if __name__ == "__main__":
    main()
