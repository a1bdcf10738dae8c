"""Where things live. Defaults suit a clone; environment variables override them."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def landing_dir() -> Path:
    """Landing folder: CONSENT_LEDGER_LANDING, else data/landing in the repository."""
    return Path(os.environ.get("CONSENT_LEDGER_LANDING", REPO_ROOT / "data" / "landing")).resolve()


def published_db() -> Path:
    """The published warehouse analysts open read-only: CONSENT_LEDGER_WAREHOUSE."""
    default = REPO_ROOT / "warehouse" / "consent.duckdb"
    return Path(os.environ.get("CONSENT_LEDGER_WAREHOUSE", default)).resolve()


def working_db(published: Path | None = None) -> Path:
    """The database dbt builds into, beside the published file, never opened by analysts."""
    published = published or published_db()
    return published.parent / "work" / f"{published.stem}_work.duckdb"


def exports_dir() -> Path:
    return Path(os.environ.get("CONSENT_LEDGER_EXPORTS", REPO_ROOT / "exports")).resolve()


def reports_dir() -> Path:
    return Path(os.environ.get("CONSENT_LEDGER_REPORTS", REPO_ROOT / "reports")).resolve()
