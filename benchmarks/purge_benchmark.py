"""The working-store purge and its compaction alone, on copies of a built working database.

    python benchmarks/purge_benchmark.py --working W.duckdb --landing DIR --as-of YYYY-MM-DD [--repeat 2]

Each repeat copies the database, runs `dbt run-operation erased_line_marker` (dbt's own start-up:
imports, manifest, connection; the macro renders a constant) and then
`dbt run-operation purge_erased_personal_data` as orchestration/defs/publish/erasure.py does, and
compacts the copy with erasure.compact. CPU seconds are user + sys of each dbt child (its threads
included; RUSAGE_CHILDREN) and of the compaction in this process,
so they do not depend on how busy the machine is; the purge's own cost is the purge minus the
start-up. Rows purged come from the erasure_purges log. Build the database first (for example
tests.conftest.dbt_build on a generated landing, then land one more day and build again).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]


def compact_module():
    """orchestration/defs/publish/erasure.py alone (its package loads the dbt assets)."""
    spec = importlib.util.spec_from_file_location(
        "purge_erasure", REPO / "orchestration" / "defs" / "publish" / "erasure.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--working", type=Path, required=True)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    dbt = str(Path(sys.executable).with_name("dbt"))
    erasure = compact_module()
    scratch = Path(tempfile.mkdtemp(prefix="purge-benchmark-"))
    results = []
    try:
        for repeat in range(args.repeat):
            database = scratch / "work.duckdb"
            shutil.copy2(args.working, database)
            env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "CONSENT_LEDGER_WORKING_DB": str(database),
                   "CONSENT_LEDGER_LANDING": str(args.landing.resolve()), "CONSENT_LEDGER_AS_OF": args.as_of,
                   "DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
            common = ["--profiles-dir", str(REPO), "--project-dir", str(REPO)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            startup_wall = time.perf_counter()
            subprocess.run([dbt, "run-operation", "erased_line_marker", *common], cwd=REPO, env=env,
                           capture_output=True, check=True)
            middle = resource.getrusage(resource.RUSAGE_CHILDREN)
            purge_wall = time.perf_counter()
            run_id = f"benchmark-{repeat}"
            purge_args = json.dumps({"run_id": run_id})
            subprocess.run([dbt, "run-operation", "purge_erased_personal_data", "--args", purge_args, *common],
                           cwd=REPO, env=env, capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            end_wall = time.perf_counter()
            with duckdb.connect(str(database), read_only=True) as con:
                purged = con.execute("select coalesce(sum(rows_purged), 0) from main.erasure_purges where run_id = ?",
                                     [run_id]).fetchone()[0]
            size = database.stat().st_size
            compact_before = resource.getrusage(resource.RUSAGE_SELF)
            compact_wall = time.perf_counter()
            erasure.compact(database)
            compact_after = resource.getrusage(resource.RUSAGE_SELF)

            def cpu(a: resource.struct_rusage, b: resource.struct_rusage) -> float:
                return round(b.ru_utime - a.ru_utime + b.ru_stime - a.ru_stime, 2)

            results.append({
                "dbt_startup_cpu_s": cpu(before, middle), "dbt_startup_wall_s": round(purge_wall - startup_wall, 1),
                "purge_cpu_s": cpu(middle, after), "purge_wall_s": round(end_wall - purge_wall, 1),
                "rows_purged": int(purged), "compact_cpu_s": cpu(compact_before, compact_after),
                "compact_wall_s": round(time.perf_counter() - compact_wall, 1),
                "file_mb_before": round(size / 1e6), "file_mb_after": round(database.stat().st_size / 1e6),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            })
            print(json.dumps(results[-1]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
