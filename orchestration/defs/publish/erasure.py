"""Erasure reaches the working store (issue 11): purge, then compact.

Which tables and columns hold personal data, and what a purged value becomes, is dbt's rule
(seeds/personal_data_columns.csv read by macros/purge.sql); this module only runs that macro
after a publish and then rewrites the working file so that freed blocks, which DuckDB does not
zero, no longer hold the purged bytes. The macro is a key join (who each landed line names was
found once, when it landed: int_landing_lines__mentions), so its cost follows the new day; the
compaction copies the whole file and runs only when a purged value held an address (a raw line
or value naming an erased contact, a path naming one): values that name no one, which tables
rebuilt from purged inputs recreate every night, are cleared without a copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import duckdb

from orchestration.lib import encryption, paths
from orchestration.lib.publish import install_file


def duckdb_limits(database: Path) -> dict[str, str]:
    """The same memory, thread and spill settings dbt's profile gives the build (profiles.yml), so
    copying a large working file spills instead of holding it in memory."""
    return {
        "memory_limit": os.environ.get("CONSENT_LEDGER_DUCKDB_MEMORY", "3GB"),
        "threads": os.environ.get("CONSENT_LEDGER_DUCKDB_THREADS", "2"),
        "temp_directory": os.environ.get("CONSENT_LEDGER_DUCKDB_TEMP", f"{database}.tmp"),
    }


class PurgeError(RuntimeError):
    """The purge macro failed (e.g. a stale personal-data declaration): the run must say so."""


def purge_working_store(working: Path) -> int:
    """Purge erased contacts' personal data from the working database; compact it when a purged
    value held an address. Call only after a nightly or rerun publish (the ledger then holds every erasure by
    key) and while holding the warehouse lock. Returns the rows purged."""
    from orchestration.defs.dbt.resources import dbt_executable

    run_id = uuid.uuid4().hex
    # no --vars, as the build: the same saved parse (any var would make dbt re-parse everything)
    command = [dbt_executable(), "run-operation", "purge_erased_personal_data", "--args",
               json.dumps({"run_id": run_id}), "--profiles-dir", str(paths.REPO_ROOT),
               "--project-dir", str(paths.REPO_ROOT)]
    env = {**os.environ, "DBT_TARGET_PATH": str(paths.dbt_target()),
           "CONSENT_LEDGER_WORKING_DB": str(working)}
    result = subprocess.run(command, cwd=paths.REPO_ROOT, env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise PurgeError("purging erased contacts from the working store failed:\n"
                         + (result.stdout + result.stderr)[-3000:])
    with encryption.connect(working) as con:
        purged, with_address = con.execute(
            "select coalesce(sum(rows_purged), 0), coalesce(sum(rows_with_address), 0) "
            "from main.erasure_purges where run_id = ?", [run_id]).fetchone()
    if with_address:
        compact(working)
    return int(purged)


def compact(database: Path) -> None:
    """Copy the database into a fresh file and rename it over the old one, so no freed block of
    the old file (purged raw lines) survives. A crash before the rename leaves the old file whole;
    a copy left by a killed compaction is removed first."""
    fresh = database.with_name(f".{database.name}.compacting")
    for leftover in (fresh, Path(f"{fresh}.wal")):
        leftover.unlink(missing_ok=True)
    try:
        with duckdb.connect(config=duckdb_limits(database)) as con:
            encryption.attach(con, database, "old")
            con.execute("checkpoint old")  # its write-ahead log folded in before the copy
            encryption.attach(con, fresh, "fresh")  # encrypted with the key, as the old file was
            con.execute("copy from database old to fresh")
            con.execute("checkpoint fresh")
            con.execute("detach fresh")
            con.execute("detach old")
        os.chmod(fresh, os.stat(database).st_mode & 0o777)
        install_file(fresh, database)
        Path(f"{database}.wal").unlink(missing_ok=True)  # a cleanly closed database has none
    finally:
        fresh.unlink(missing_ok=True)
        Path(f"{fresh}.wal").unlink(missing_ok=True)
