"""Least privilege on disk.

The working store (`warehouse/work/`) holds raw landed lines and plain addresses: only the service
user may read it (directory 0700, files 0600). Whatever is handed to people (the published file,
tool exports, run reports) gets a configurable mode, `CONSENT_LEDGER_FILE_MODE` (octal, default
0640: the service user writes, its group reads, nobody else). Directories get the same bits plus
the matching search (x) bits.

A run sets the process umask to 077 first, so no file is ever world-readable, not even for the
moment between its creation and its chmod; the files meant for people are then opened up to the
configured mode just before they are renamed into place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_FILE_MODE = 0o640
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
RUN_UMASK = 0o077


class FileModeError(ValueError):
    """CONSENT_LEDGER_FILE_MODE is not an octal mode."""


def file_mode() -> int:
    """The mode for published files, exports and reports (CONSENT_LEDGER_FILE_MODE, octal)."""
    text = os.environ.get("CONSENT_LEDGER_FILE_MODE", "").strip()
    if not text:
        return DEFAULT_FILE_MODE
    try:
        mode = int(text, 8)
    except ValueError:
        raise FileModeError(f"CONSENT_LEDGER_FILE_MODE must be an octal mode such as 0640, got {text!r}") from None
    if mode & ~0o777 or not mode & stat.S_IRUSR or not mode & stat.S_IWUSR:
        raise FileModeError(
            f"CONSENT_LEDGER_FILE_MODE {text!r}: give permission bits only (at most 0777), owner read and write"
        )
    return mode


def dir_mode(mode: int) -> int:
    """A directory mode for files of `mode`: search (x) wherever read (r) is given."""
    return mode | ((mode & 0o444) >> 2)


def share(path: Path) -> None:
    """Give a file meant for people (published file, export, report) the configured mode."""
    os.chmod(path, file_mode())


def share_tree(root: Path) -> None:
    """The configured mode on every file under root, the matching directory mode on folders."""
    if not root.exists():
        return
    mode = file_mode()
    os.chmod(root, dir_mode(mode))
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder) / name, dir_mode(mode))
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chmod(path, mode)


def make_private(directory: Path) -> None:
    """The working store: 0700 on the folder, 0600 on every file in it (also for files an older
    version left 0644)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, PRIVATE_DIR_MODE)
    for folder, dirs, files in os.walk(directory):
        for name in dirs:
            os.chmod(Path(folder) / name, PRIVATE_DIR_MODE)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chmod(path, PRIVATE_FILE_MODE)
