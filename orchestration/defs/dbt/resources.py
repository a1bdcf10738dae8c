"""The dbt project and CLI resource, pointed at the working database and the landing folder."""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.lib import paths

DBT_PROJECT = DbtProject(project_dir=paths.REPO_ROOT, profiles_dir=paths.REPO_ROOT, target_path=paths.dbt_target())

AS_OF_ENV = "CONSENT_LEDGER_AS_OF"


def export_environment() -> None:
    """dbt runs as a subprocess and reads its paths from the environment (profiles.yml)."""
    paths.use(paths.Settings.resolve())


def export_as_of(as_of: str) -> None:
    """The run date reaches dbt in the environment, not as a dbt var: a var that changes every
    night makes dbt re-parse the whole project (macros/run_dates.sql reads it at execution)."""
    os.environ[AS_OF_ENV] = as_of


def dbt_vars() -> dict[str, Any]:
    """The dbt vars of every parse and build: the same each night once a warehouse is published,
    so the saved parse stays valid. audit.withdrawal_sla reads the published file."""
    published = paths.published_db()
    return {"published_db": str(published)} if published.exists() else {}


def dbt_executable() -> str:
    """The dbt installed beside this Python, so runs work without an activated virtualenv."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


class ConsentLedgerDbtCli(DbtCliResource):
    """dagster-dbt runs `dbt --version` (a second Python start-up, seconds of CPU) before every
    invocation to learn the version; the dbt beside this Python is the dbt-core installed here."""

    @property
    def _cli_version(self) -> version.Version:  # type: ignore[override]
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            try:
                return version.parse(package_version("dbt-core"))
            except PackageNotFoundError:
                pass
        return super()._cli_version


def dbt_resource() -> DbtCliResource:
    return ConsentLedgerDbtCli(project_dir=DBT_PROJECT, profiles_dir=str(paths.REPO_ROOT),
                               dbt_executable=dbt_executable())
