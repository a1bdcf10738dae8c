"""The dbt project and CLI resource, pointed at the working database and the landing folder."""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.lib import paths

DBT_PROJECT = DbtProject(project_dir=paths.REPO_ROOT, profiles_dir=paths.REPO_ROOT, target_path=paths.dbt_target())

AS_OF_ENV = "CONSENT_LEDGER_AS_OF"
PUBLISHED_ENV = "CONSENT_LEDGER_PUBLISHED_DB"


def export_environment() -> None:
    """dbt runs as a subprocess and reads its paths from the environment (profiles.yml)."""
    paths.use(paths.Settings.resolve())


def export_as_of(as_of: str) -> None:
    """The run date reaches dbt in the environment, not as a dbt var: a var that changes every
    night makes dbt re-parse the whole project (macros/run_dates.sql reads it at execution)."""
    os.environ[AS_OF_ENV] = as_of


def export_published() -> None:
    """The last published file reaches dbt in the environment, set only when it exists (the models
    that read what was published: macros/landing.sql published_path). Not a dbt var: a var that
    appears on a warehouse's second night made dbt re-parse the whole project, twice."""
    published = paths.published_db()
    if published.exists():
        os.environ[PUBLISHED_ENV] = str(published)
    else:
        os.environ.pop(PUBLISHED_ENV, None)


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
