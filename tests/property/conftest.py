"""Helpers for the property tests: a models-only dbt build of what consent_status needs (the dbt
data and unit tests are run by the other suites; here they would only triple the time of each build)
and the model's answer per cell."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, dbt_env, in_slot, query

# consent_status and the resolver's per-contact state (written after it), so a second night is
# resolved incrementally, for the affected contacts only, as in the nightly job
SELECT = "+consent_status +int_contacts__resolution_state"


class Workspace:
    """A fixed landing folder and working database for a series of builds. Each build runs in this
    process's slot with its target (tests/conftest.py `in_slot`), and the run date reaches dbt in
    the environment as in the nightly job (a new `--vars` value would make dbt parse the whole
    project again), so dbt reuses its parse (partial parsing) while the content changes."""

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
        dbt = Path(sys.executable).with_name("dbt")
        cmd = [str(dbt), "build", "--profiles-dir", str(REPO), "--project-dir", str(REPO),
               "--select", SELECT, "--resource-type", "seed", "--resource-type", "model"]
        with in_slot(self.database) as slot:
            result = subprocess.run(cmd, cwd=REPO, env=dbt_env(self.landing, slot, as_of), capture_output=True,
                                    text=True, check=False)
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
