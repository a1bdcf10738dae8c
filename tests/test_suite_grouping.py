"""The suite's own speed contract (issue 14): under `make test` (pytest-xdist, `--dist loadgroup`)
the tests that share a built warehouse run in one worker, so it is built once, not once per worker.

pytest-xdist reads the `xdist_group` marks in its own collection hook; conftest.py must add them
before that hook runs, or every worker silently builds every shared fixture itself."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def planned_node_ids(*paths: str) -> list[str]:
    """The node ids one xdist worker schedules for `paths` under loadgroup (`--setup-plan` builds
    no fixture and runs no test; loadgroup appends `@<group>` to the id of every grouped test)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "1", "--dist", "loadgroup", "--setup-plan", "-v",
         "-p", "no:cacheprovider", *paths],
        cwd=REPO, env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")},
                       "PYTEST_ADDOPTS": ""}, capture_output=True, text=True, check=False,
        timeout=600)
    assert result.returncode in (0, 5), result.stdout[-3000:] + result.stderr[-3000:]
    return [line.split()[0] for line in result.stdout.splitlines() if line.startswith("tests/") and "::" in line]


def test_tests_sharing_a_warehouse_are_scheduled_together() -> None:
    ids = planned_node_ids("tests/test_backfill.py", "tests/test_nightly_run.py", "tests/test_erasure_sweep.py",
                           "tests/test_publication_safety.py", "tests/test_cli.py")
    by_module: dict[str, list[str]] = {}
    for node_id in ids:
        by_module.setdefault(node_id.split("::")[0], []).append(node_id)
    assert set(by_module) >= {"tests/test_backfill.py", "tests/test_nightly_run.py", "tests/test_erasure_sweep.py"}
    # a session fixture's users, across modules, in the fixture's group
    assert all(i.endswith("@ops_history") for i in by_module["tests/test_backfill.py"]), by_module
    assert all(i.endswith("@nightly_run") for i in by_module["tests/test_nightly_run.py"]), by_module
    assert any(i.endswith("@nightly_run") for i in by_module["tests/test_cli.py"]), by_module
    # a module fixture's users in the module's group
    sweep = by_module["tests/test_erasure_sweep.py"]
    assert all("@" in i and i.endswith("test_erasure_sweep") for i in sweep), by_module
    # tests without a shared build go wherever a worker is free
    assert any("@" not in i for i in by_module["tests/test_cli.py"]), by_module
