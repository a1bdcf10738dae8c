"""The one Dagster instance of a warehouse: `consent-ledger run` and `make ui` (the schedule, backfills)
record their runs in it, so the UI's run history shows every run that built that warehouse.

It lives in `dagster/` beside the published file (CONSENT_LEDGER_DAGSTER_HOME overrides), not in a
global DAGSTER_HOME: a test run or a second warehouse never writes into another one's history.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.lib import paths

HOME_ENV = "CONSENT_LEDGER_DAGSTER_HOME"

# Written once, when the folder has no dagster.yaml; an operator's own dagster.yaml is kept.
DAGSTER_YAML = """\
# Dagster instance of this Consent Ledger warehouse (written by orchestration/lib/instance.py).
# `consent-ledger run` and `make ui` share it, so CLI runs appear in the UI's run history.
# Storage is SQLite in this folder (Dagster's default).
telemetry:
  enabled: false
"""


def dagster_home(published: Path | None = None) -> Path:
    """CONSENT_LEDGER_DAGSTER_HOME, else `dagster/` beside the published warehouse."""
    if HOME_ENV in os.environ:
        return Path(os.environ[HOME_ENV]).resolve()
    return (published or paths.published_db()).parent / "dagster"


def prepare_home(home: Path | None = None) -> Path:
    """Create the instance folder and its dagster.yaml (telemetry off) when missing."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def open_instance(home: Path | None = None):  # -> DagsterInstance (imported lazily: slow import)
    """The warehouse's persistent instance (use as a context manager), its SQLite event log keeping
    one connection per database file (`_keep_event_log_connections`)."""
    from dagster import DagsterInstance

    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    instance = DagsterInstance.from_config(str(prepare_home(home)))
    _keep_event_log_connections(instance)
    return instance


def _keep_event_log_connections(instance: Any) -> None:
    """Dagster's SQLite event log opens a new engine and connection for every write and closes it
    after (and closing the last connection of a WAL database checkpoints it): ~3000 times in one
    nightly run of a small landing, seconds of CPU and many fsyncs for what is bookkeeping. For
    the run's process, keep one engine (with its pooled connection) per database file instead;
    each write is still its own committed transaction, so the UI (another process) reads the same
    files as before. Only Dagster's default event log is changed; an operator's own storage in
    dagster.yaml is left alone."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    storage = instance.event_log_storage
    if type(storage) is SqliteEventLogStorage:
        storage.__class__ = _pooled_event_log_class(SqliteEventLogStorage)
        storage._engines = {}


@cache
def _pooled_event_log_class(base: type) -> type:
    """SqliteEventLogStorage with one engine per shard, kept until the instance is disposed."""
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
    from sqlalchemy import create_engine

    class PooledSqliteEventLogStorage(base):  # type: ignore[misc, valid-type]
        _engines: dict[str, Any]

        @contextmanager
        def _connect(self, shard: str) -> Iterator[Any]:
            with self._db_lock:
                engine = self._engines.get(shard)
                if engine is None:
                    engine = create_engine(self.conn_string_for_shard(shard),
                                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                    if shard not in self._initialized_dbs:
                        self._initdb(engine)
                        self._initialized_dbs.add(shard)
                    self._engines[shard] = engine
                with engine.connect() as conn, conn.begin():
                    yield conn

        def dispose(self) -> None:
            super().dispose()
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    return PooledSqliteEventLogStorage


if __name__ == "__main__":
    # `make ui`: DAGSTER_HOME=$(python -m orchestration.lib.instance) dagster dev ...
    print(prepare_home())
