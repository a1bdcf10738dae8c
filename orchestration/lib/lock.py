"""One pipeline run at a time per warehouse: DuckDB allows a single writer per file."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held: set[str] = set()


class RunInProgressError(RuntimeError):
    """Another run holds the warehouse lock."""


def remove_leftovers(published: Path, exports_root: Path) -> list[Path]:
    """Temporary files a killed run left behind: half-written published copies and their WAL
    (`.<name>.<pid>.publishing[.wal]`) and half-written export files (`.<file>.tmp-<pid>`). Call it
    while holding the lock: then no other run is writing any of them."""
    from orchestration.lib.publish import remove_stale_copies

    removed = remove_stale_copies(published)
    if exports_root.is_dir():
        for stale in exports_root.rglob(".*.tmp-*"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)
                removed.append(stale)
    return removed


def lock_path(published: Path) -> Path:
    return published.parent / f".{published.name}.lock"


@contextmanager
def warehouse_lock(published: Path) -> Iterator[None]:
    """Hold an exclusive lock on the warehouse, refusing at once if another process has it.

    Re-entrant within a process, so the CLI can hold it around a whole run while each asset
    (also run from the Dagster UI) still takes it for its own step.
    """
    key = str(lock_path(published))
    if key in _held:
        yield
        return
    path = Path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise RunInProgressError(
                f"another Consent Ledger run (pid {holder}) is using {published}; "
                "wait for it to finish, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
