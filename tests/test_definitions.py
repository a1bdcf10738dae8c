"""The Dagster code location loads (dbt parses, `dagster definitions validate`) and schedules the
nightly job for the day that ended."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.lib import paths
from tests.conftest import REPO


def test_code_location_validates() -> None:
    env = {**os.environ, "DBT_TARGET_PATH": str(paths.dbt_target())}  # where the definitions read it
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--profiles-dir", ".", "--project-dir", "."],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.usefixtures("parsed_project")  # the definitions read the manifest
def test_nightly_schedule_runs_the_day_that_ended() -> None:
    from dagster import build_schedule_context

    from orchestration.definitions import defs
    from orchestration.defs.schedules.nightly import nightly_schedule

    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "UTC"
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 29, 2, 0, tzinfo=UTC))
    request = nightly_schedule(context)
    assert request.partition_key == "2026-11-28"
    job = defs.resolve_job_def("nightly")
    assert job.partitions_def is not None
    assert job.partitions_def.get_partition_keys(current_time=datetime(2026, 11, 29, 3, tzinfo=UTC))[-1] == str(
        date(2026, 11, 29))


def test_the_saved_parse_watches_every_dbt_project_path() -> None:
    """The runner reuses target/manifest.json until a file it was parsed from changes: every folder
    dbt reads (dbt_project.yml's *-paths) is watched, or a changed data test runs on a stale parse."""
    import yaml

    from orchestration.cli.run import PARSE_INPUTS

    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    read_by_dbt = {path for key in ("model-paths", "seed-paths", "test-paths", "macro-paths") for path in project[key]}
    assert read_by_dbt <= set(PARSE_INPUTS), read_by_dbt - set(PARSE_INPUTS)
    assert all((REPO / name).exists() for name in PARSE_INPUTS)
