"""Helpers for the property tests: a models-only dbt build of what consent_status needs (the dbt
data and unit tests are run by the other suites; here they would only triple the time of each build)
and the model's answer per cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, query

SELECT = "+consent_status"


def build_models(landing: Path, database: Path, as_of: str) -> None:
    """`dbt build` of the seeds and models behind consent_status, as tests/conftest.py dbt_build
    runs it (own database, target and logs), incremental when the database already exists."""
    work = database.parent
    env = {
        **os.environ,
        "CONSENT_LEDGER_LANDING": str(landing.resolve()),
        "CONSENT_LEDGER_WORKING_DB": str(database.resolve()),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "build", "--profiles-dir", str(REPO), "--project-dir", str(REPO),
           "--vars", json.dumps({"as_of": as_of}), "--select", SELECT,
           "--resource-type", "seed", "--resource-type", "model"]
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-6000:]


Row = tuple[str, bool, str | None, str | None]  # status, can_contact, blocked_reason, evidence_event_id


def model_status(database: Path) -> dict[tuple[str, str, str], Row]:
    """consent_status keyed by (contact_key, purpose, channel)."""
    rows = query(database, "select contact_key, purpose, channel, status, can_contact, blocked_reason, "
                           "evidence_event_id from consent.consent_status")
    return {(k, p, c): (s, bool(cc), r, e) for k, p, c, s, cc, r, e in rows}
