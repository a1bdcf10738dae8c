"""Dagster definitions, one folder per area; each area's `defs` is merged by orchestration/definitions.py."""
