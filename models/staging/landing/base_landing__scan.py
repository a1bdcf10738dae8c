"""What lies in the landing folder right now, read without following links: one row per entry
(line_number 0: entry type, size, age, content hash, leading bytes) and one row per physical record
of each regular file (line_number 1..n: text, whether it is UTF-8, NUL bytes, a duplicate JSON key).

Facts only; base_landing__files decides what is deferred, quarantined or read, and
base_landing__lines why a record is rejected. DuckDB's glob() and read_blob() follow symbolic
links, so the walk is done here with lstat. A file the working store already holds unchanged (same
size, mtime_ns and inode as the previous scan saw, same hash in base_landing__lines) is not read
again; a full refresh reads every file. The rows reach DuckDB as a stream of Arrow batches
(orchestration/lib/landing.py scan_batches), one file read at a time, so the model's memory is a
batch, not the landing. The record rows are deleted once base_landing__lines is
built (its post-hook), so raw text is kept in one place only.
"""

import os
import sys
from pathlib import Path


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        from orchestration.lib.landing import known_files, scan_batches
    except ImportError:  # dbt run from the project folder without the package installed
        sys.path.insert(0, os.getcwd())
        from orchestration.lib.landing import known_files, scan_batches
    from dbt.flags import get_flags  # dbt-duckdb runs Python models inside the dbt process

    landing = Path(os.environ.get("CONSENT_LEDGER_LANDING", "data/landing"))
    lines = f'"{dbt.this.database}"."{dbt.this.schema}"."base_landing__lines"'
    known = known_files(session, repr(dbt.this), lines, bool(getattr(get_flags(), "FULL_REFRESH", False)))
    return scan_batches(landing, known=known)
