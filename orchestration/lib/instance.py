"""The one Dagster instance of a warehouse: `consent-ledger run` and `make ui` (the schedule, backfills)
record their runs in it, so the UI's run history shows every run that built that warehouse.

It lives in `dagster/` beside the published file (CONSENT_LEDGER_DAGSTER_HOME overrides), not in a
global DAGSTER_HOME: a test run or a second warehouse never writes into another one's history.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.lib import paths

HOME_ENV = "CONSENT_LEDGER_DAGSTER_HOME"

# Written once, when the folder has no dagster.yaml; an operator's own dagster.yaml is kept.
DAGSTER_YAML = """\
# Dagster instance of this Consent Ledger warehouse (written by orchestration/lib/instance.py).
# `consent-ledger run` and `make ui` share it, so CLI runs appear in the UI's run history.
# Storage is SQLite in this folder (Dagster's default).
telemetry:
  enabled: false
"""


def dagster_home(published: Path | None = None) -> Path:
    """CONSENT_LEDGER_DAGSTER_HOME, else `dagster/` beside the published warehouse."""
    if HOME_ENV in os.environ:
        return Path(os.environ[HOME_ENV]).resolve()
    return (published or paths.published_db()).parent / "dagster"


def prepare_home(home: Path | None = None) -> Path:
    """Create the instance folder and its dagster.yaml (telemetry off) when missing."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def open_instance(home: Path | None = None):  # -> DagsterInstance (imported lazily: slow import)
    """The warehouse's persistent instance (use as a context manager)."""
    from dagster import DagsterInstance

    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    return DagsterInstance.from_config(str(prepare_home(home)))


if __name__ == "__main__":
    # `make ui`: DAGSTER_HOME=$(python -m orchestration.lib.instance) dagster dev ...
    print(prepare_home())
