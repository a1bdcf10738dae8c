"""Helpers for the property tests: a models-only dbt build of what consent_status needs (the dbt
data and unit tests are run by the other suites; here they would only triple the time of each build)
and the model's answer per cell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, query

# consent_status and the resolver's per-contact state (written after it), so a second night is
# resolved incrementally, for the affected contacts only, as in the nightly job
SELECT = "+consent_status +int_contacts__resolution_state"


class Workspace:
    """A fixed landing folder, working database and dbt target for a series of builds: dbt sees the
    same profile each time, so it can reuse its parse (partial parsing) while the content changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.landing = root / "landing"
        self.database = root / "db" / "work.duckdb"
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.landing.mkdir(parents=True, exist_ok=True)

    def reset(self) -> None:
        """Empty landing folder, no database: the next build is a first (full) one."""
        shutil.rmtree(self.landing)
        self.landing.mkdir()
        for path in self.database.parent.glob(self.database.name + "*"):
            path.unlink()

    def build(self, as_of: str) -> None:
        """`dbt build` of the seeds and models behind consent_status (incremental when the database
        exists), as tests/conftest.py dbt_build runs dbt."""
        env = {
            **os.environ,
            "CONSENT_LEDGER_LANDING": str(self.landing.resolve()),
            "CONSENT_LEDGER_WORKING_DB": str(self.database.resolve()),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        dbt = Path(sys.executable).with_name("dbt")
        cmd = [str(dbt), "build", "--profiles-dir", str(REPO), "--project-dir", str(REPO),
               "--vars", json.dumps({"as_of": as_of}), "--select", SELECT,
               "--resource-type", "seed", "--resource-type", "model"]
        result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-6000:]

    def status(self) -> Cells:
        return model_status(self.database)


Row = tuple[str, bool, str | None, str | None]  # status, can_contact, blocked_reason, evidence_event_id
Cells = dict[tuple[str, str, str], Row]  # keyed by (contact_key, purpose, channel)


def model_status(database: Path) -> Cells:
    """consent_status keyed by (contact_key, purpose, channel)."""
    rows = query(database, "select contact_key, purpose, channel, status, can_contact, blocked_reason, "
                           "evidence_event_id from consent.consent_status")
    return {(k, p, c): (s, bool(cc), r, e) for k, p, c, s, cc, r, e in rows}
