"""What lies in the landing folder right now, read without following links: one row per entry
(line_number 0: entry type, size, age, content hash, leading bytes) and one row per physical record
of each regular file (line_number 1..n: text, whether it is UTF-8, NUL bytes, a duplicate JSON key).

Facts only; base_landing__files decides what is deferred, quarantined or read, and
base_landing__lines why a record is rejected. DuckDB's glob() and read_blob() follow symbolic
links, so the walk is done here with lstat. The record rows are deleted once base_landing__lines is
built (its post-hook), so raw text is kept in one place only.
"""

import os
import sys
from pathlib import Path


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        from orchestration.lib.landing import scan_table
    except ImportError:  # dbt run from the project folder without the package installed
        sys.path.insert(0, os.getcwd())
        from orchestration.lib.landing import scan_table
    landing = Path(os.environ.get("CONSENT_LEDGER_LANDING", "data/landing"))
    return scan_table(landing)
