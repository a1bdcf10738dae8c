"""dbt-duckdb plugin (profiles.yml, target `encrypted`): before dbt attaches the working database,
load DuckDB's crypto extension by path and put the key in a DuckDB variable, so ATTACH statements
(the working database here, the published file in macros/landing.sql) name the variable and the
key never appears in compiled SQL or dbt's logs."""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.lib.encryption import prepare, set_key_variable


class Plugin(BasePlugin):
    def configure_connection(self, conn: Any) -> None:
        prepare(conn)

    def configure_cursor(self, cursor: Any) -> None:
        """DuckDB variables belong to one connection: every cursor dbt uses gets the key too."""
        set_key_variable(cursor)
