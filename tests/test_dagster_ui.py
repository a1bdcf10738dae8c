"""Dagster as its users expect: one instance per warehouse shared by the CLI and the UI (run
history), asset groups by layer, a description on every asset and check, the code location named
consent_ledger, the schedule stopped by default, telemetry off."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

AS_OF = "2026-03-10"


pytestmark = pytest.mark.usefixtures("parsed_project")  # the definitions read the manifest


def _assets_and_checks():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {key: graph.get(key) for key in graph.get_all_asset_keys()}
    checks = {spec.key: spec for ad in defs.get_repository_def().asset_graph.assets_defs
              for spec in ad.check_specs}
    return assets, checks


def test_asset_groups_are_the_layers() -> None:
    from orchestration.defs.dbt.assets import LAYERS

    assets, _ = _assets_and_checks()
    groups = {key.to_user_string(): node.group_name for key, node in assets.items()}
    assert set(groups.values()) == set(LAYERS), "every layer has assets, nothing in `default`"
    assert groups["staging/base_landing__files"] == "landing"
    assert groups["staging/stg_salesforce__contacts"] == "staging"
    assert groups["reference/consent_purposes"] == "staging"
    assert groups["intermediate/int_publication__run_kind"] == "intermediate"
    assert groups["consent/consent_status"] == "consent"
    assert groups["audit/load_reconciliation"] == "audit"
    assert groups["warehouse/published"] == "publish"
    assert groups["exports/suppression_sync"] == groups["exports/outboxes"] == "exports"


def test_a_model_in_an_unknown_folder_is_refused() -> None:
    """A new folder is placed in a layer on purpose instead of falling into `default`."""
    from orchestration.defs.dbt.assets import layer_of

    with pytest.raises(ValueError, match="LAYER_OF_FOLDER"):
        layer_of({"resource_type": "model", "name": "x", "fqn": ["consent_ledger", "scratch", "x"]})


def test_every_asset_and_check_is_described() -> None:
    assets, checks = _assets_and_checks()
    assert [k for k, node in assets.items() if not (node.description or "").strip()] == []
    assert [k for k, spec in checks.items() if not (spec.description or "").strip()] == []
    by_name = {(key.asset_key.to_user_string(), key.name): spec.description for key, spec in checks.items()}
    assert by_name[("intermediate/int_contacts__resolved", "not_null_columns_int_contacts__resolved_contact_key")] == (
        "not_null_columns on int_contacts__resolved: contact_key never null")
    relationships = [d for (asset, name), d in by_name.items()
                     if asset == "consent/suppression_list" and name.startswith("relationships_")]
    assert relationships == ["relationships on suppression_list.evidence_event_id: every value exists in "
                             "consent_events.event_id"]
    gate = by_name[("consent/suppression_list", "suppressions_have_evidence")]
    assert gate.startswith("Great Expectations suite (blocks publication): ")
    # the model's YAML description is the asset's
    assert assets[next(k for k in assets if k.to_user_string() == "consent/consent_status")].description.startswith(
        "Current status per contact")


def test_a_tests_own_yaml_description_wins() -> None:
    from orchestration.defs.dbt.assets import describe_test

    test = {"name": "unique_x_id", "description": "One row per id: ids come from the CRM.",
            "test_metadata": {"name": "unique", "kwargs": {"column_name": "id"}}}
    assert describe_test(test, "x") == "One row per id: ids come from the CRM."
    test["description"] = ""
    assert describe_test(test, "x") == "unique on x.id: no two rows share a value"
    test["config"] = {"severity": "warn"}
    assert describe_test(test, "x").endswith("(warning only)")


def test_code_location_is_named_consent_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make ui` runs `dagster dev` without -m, so it reads pyproject's [tool.dagster]."""
    from dagster._core.workspace.load_target import PyProjectFileTarget

    monkeypatch.chdir(REPO)
    origins = PyProjectFileTarget("pyproject.toml").create_origins()
    assert [origin.location_name for origin in origins] == ["consent_ledger"]
    ui = (REPO / "Makefile").read_text().split("\nui:", 1)[1].split("\n\n", 1)[0]
    assert "dagster dev -h 127.0.0.1" in ui and "-m orchestration.definitions" not in ui
    assert "python -m orchestration.lib.instance" in ui


def test_schedule_is_stopped_by_default_and_says_its_partition() -> None:
    from dagster import DefaultScheduleStatus

    from orchestration.defs.schedules.nightly import nightly_schedule

    assert nightly_schedule.default_status == DefaultScheduleStatus.STOPPED
    assert "partition" in (nightly_schedule.description or "")
    readme = (REPO / "README.md").read_text()
    assert "dagster schedule start nightly_0200_utc" in readme


def test_instance_lives_beside_the_warehouse_with_telemetry_off(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.lib.instance import HOME_ENV, dagster_home, open_instance, prepare_home

    monkeypatch.delenv(HOME_ENV, raising=False)
    assert dagster_home(tmp_path / "wh" / "ledger.duckdb") == tmp_path / "wh" / "dagster"
    home = prepare_home(tmp_path / "wh" / "dagster")
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == {"telemetry": {"enabled": False}}
    with open_instance(home) as instance:
        assert instance.telemetry_enabled is False
        assert Path(instance.root_directory) == home
    # an operator's own dagster.yaml is kept
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nretention: {}\n")
    prepare_home(home)
    assert "retention" in (home / "dagster.yaml").read_text()
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "elsewhere"))
    assert dagster_home(tmp_path / "wh" / "ledger.duckdb") == tmp_path / "elsewhere"


def test_a_cli_run_is_in_the_instances_run_history(nightly_run: tuple[Path, subprocess.CompletedProcess[str]]
                                                   ) -> None:
    """The session's one CLI run (tests/conftest.py nightly_run): the UI (`make ui`, same instance)
    lists it with its partition."""
    from dagster import DagsterInstance, DagsterRunStatus

    warehouse, _ = nightly_run
    home = warehouse.parent / "dagster"
    assert yaml.safe_load((home / "dagster.yaml").read_text())["telemetry"] == {"enabled": False}
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert [(r.job_name, r.status, r.tags.get("dagster/partition")) for r in runs] == [
        ("nightly", DagsterRunStatus.SUCCESS, AS_OF)]


def test_a_run_records_its_events_without_a_connection_per_event(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: Dagster's SQLite event log opened a new connection (a new SQLAlchemy engine, and in
    WAL mode a checkpoint on close) for each write, ~3000 for one nightly run of a small landing.
    The instance the CLI opens keeps one connection per database file for the run; the UI's plain
    instance still reads every event and the asset index."""
    import sqlite3.dbapi2

    from dagster import AssetKey, AssetMaterialization, DagsterEventType, DagsterInstance, job, op

    from orchestration.lib.instance import open_instance

    events = 60

    @op
    def chatty(context) -> None:
        for number in range(events):
            context.log_event(AssetMaterialization(asset_key=f"a{number}"))

    @job
    def many_events() -> None:
        chatty()

    home = tmp_path / "dagster"
    opened: list[object] = []
    connect = sqlite3.dbapi2.connect  # what SQLAlchemy's SQLite dialect calls

    def counting_connect(*args: object, **kwargs: object) -> sqlite3.dbapi2.Connection:
        opened.append(args[0] if args else kwargs.get("database"))
        return connect(*args, **kwargs)  # type: ignore[arg-type]

    with open_instance(home) as instance:
        monkeypatch.setattr(sqlite3.dbapi2, "connect", counting_connect)
        result = many_events.execute_in_process(instance=instance)
        monkeypatch.undo()
    assert result.success
    # the event log (the run's shard, the index shard): a few connections, not one per write
    event_log = [path for path in opened if Path(str(path)).parent.name == "runs"]
    assert event_log and len(event_log) <= 4, f"{len(event_log)} event log connections for {events} events"
    with DagsterInstance.from_config(str(home)) as ui:
        [run] = ui.get_runs()
        stored = ui.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        latest = ui.get_latest_materialization_event(AssetKey(f"a{events - 1}"))
    assert len(stored) == events
    assert latest is not None and latest.run_id == run.run_id
