"""The dbt unit tests (the `unit_tests:` blocks beside the models, named after the rule each pins),
run once per suite on an empty landing folder: they check the SQL, not a fixture's data, so the
fixture builds in tests/conftest.py leave them out. `make unit` runs the same build without pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, dbt_env, in_slot


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    """Seeds and models on an empty landing folder (the unit tests read the columns of the
    relations they stand in for, `this` included), then every unit test; no data test (there is
    no data)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    database = tmp_path / "unit.duckdb"
    dbt = Path(sys.executable).with_name("dbt")
    project = ["--profiles-dir", str(REPO), "--project-dir", str(REPO)]
    # in this process's slot like every dbt_build (tests/conftest.py), so dbt parses partially
    with in_slot(database) as slot:
        env = dbt_env(landing, slot, "2026-03-10")
        target = Path(env["DBT_TARGET_PATH"])
        # the relations first (a unit test of an incremental model reads the columns of `this`), then
        # every unit test
        for step in (["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
                     ["test", "--select", "resource_type:unit_test"]):
            result = subprocess.run([str(dbt), *step, *project], cwd=REPO, env=env, capture_output=True,
                                    text=True, check=False)
            assert result.returncode == 0, result.stdout[-6000:]
        manifest = json.loads((target / "manifest.json").read_text())
        results = json.loads((target / "run_results.json").read_text())["results"]

    defined = {node for node in manifest["unit_tests"]}
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert defined, "no dbt unit test found"
    assert set(ran) == defined, f"not run: {sorted(defined - set(ran))[:5]}"
    failed = {uid: status for uid, status in ran.items() if status != "pass"}
    assert not failed, failed
