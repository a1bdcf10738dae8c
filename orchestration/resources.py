"""The dbt project and CLI resource, pointed at the working database and the landing folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration import paths

DBT_PROJECT = DbtProject(project_dir=paths.REPO_ROOT, profiles_dir=paths.REPO_ROOT)


def export_environment() -> None:
    """dbt runs as a subprocess and reads its paths from the environment (profiles.yml)."""
    os.environ["CONSENT_LEDGER_LANDING"] = str(paths.landing_dir())
    os.environ["CONSENT_LEDGER_WAREHOUSE"] = str(paths.published_db())
    os.environ["CONSENT_LEDGER_WORKING_DB"] = str(paths.working_db())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def dbt_executable() -> str:
    """The dbt installed beside this Python, so runs work without an activated virtualenv."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(paths.REPO_ROOT),
                          dbt_executable=dbt_executable())
