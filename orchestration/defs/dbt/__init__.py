"""Area dbt: every model, seed, snapshot and dbt test as Dagster assets and checks.

`defs` is built on first access, not at import: the dbt assets read target/manifest.json, and the
CLI imports this package's resources (run date, dbt vars) to prepare that manifest first. On a
fresh clone an eager import failed before the manifest existed."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "defs":
        from dagster import Definitions

        from orchestration.defs.dbt.assets import consent_ledger_dbt
        from orchestration.defs.dbt.resources import dbt_resource

        return Definitions(assets=[consent_ledger_dbt], resources={"dbt": dbt_resource()})
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
