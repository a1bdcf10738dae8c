"""Where things live. Defaults suit a clone; environment variables override them.

Every output follows the warehouse it comes from: exports and reports default to folders beside
the published file, so a second warehouse (a test run, another landing) never writes over the
first one's files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "ledger.duckdb"
# the name used until the file was renamed so that it differs from its schemas (consent, audit)
LEGACY_WAREHOUSE = REPO_ROOT / "warehouse" / "consent.duckdb"

log = logging.getLogger(__name__)


def landing_dir() -> Path:
    """Landing folder: CONSENT_LEDGER_LANDING, else data/landing in the repository."""
    return Path(os.environ.get("CONSENT_LEDGER_LANDING", REPO_ROOT / "data" / "landing")).resolve()


def published_db() -> Path:
    """The published warehouse analysts open read-only: CONSENT_LEDGER_WAREHOUSE, else
    warehouse/ledger.duckdb (a warehouse still at the old default name is moved there)."""
    if "CONSENT_LEDGER_WAREHOUSE" in os.environ:
        return Path(os.environ["CONSENT_LEDGER_WAREHOUSE"]).resolve()
    adopt_legacy_warehouse()
    return DEFAULT_WAREHOUSE


def adopt_legacy_warehouse(legacy: Path = LEGACY_WAREHOUSE, current: Path = DEFAULT_WAREHOUSE) -> bool:
    """Move a warehouse published under the old default name (and its working database, so the
    next run stays incremental) to the new one. A rename: readers holding the old file keep it."""
    if not legacy.is_file() or current.exists():
        return False
    os.replace(legacy, current)
    old_work, new_work = working_db(legacy), working_db(current)
    if old_work.is_file() and not new_work.exists():
        os.replace(old_work, new_work)
    log.warning("moved the published warehouse %s to %s", legacy, current)
    return True


def working_db(published: Path | None = None) -> Path:
    """The database dbt builds into, beside the published file, never opened by analysts."""
    published = published or published_db()
    return published.parent / "work" / f"{published.stem}_work.duckdb"


def dbt_target() -> Path:
    """dbt's target folder (the saved parse and manifest every run reuses): CONSENT_LEDGER_DBT_TARGET,
    else target/ in the repository. Two runs at once (the test suite's workers) need one each:
    each run rewrites it."""
    return Path(os.environ.get("CONSENT_LEDGER_DBT_TARGET", REPO_ROOT / "target")).resolve()


def exports_dir(published: Path | None = None) -> Path:
    """Tool files and outboxes: CONSENT_LEDGER_EXPORTS, else `exports/` beside the warehouse."""
    if "CONSENT_LEDGER_EXPORTS" in os.environ:
        return Path(os.environ["CONSENT_LEDGER_EXPORTS"]).resolve()
    return (published or published_db()).parent / "exports"


def reports_dir(published: Path | None = None) -> Path:
    """Run reports and Data Docs: CONSENT_LEDGER_REPORTS, else `reports/` beside the warehouse."""
    if "CONSENT_LEDGER_REPORTS" in os.environ:
        return Path(os.environ["CONSENT_LEDGER_REPORTS"]).resolve()
    return (published or published_db()).parent / "reports"


@dataclass(frozen=True)
class Settings:
    """Where one warehouse's run reads and writes, resolved once: the given paths (CLI flags),
    else the environment, else the defaults above. Every other path follows the warehouse."""

    landing: Path
    warehouse: Path

    @classmethod
    def resolve(cls, landing: Path | None = None, warehouse: Path | None = None) -> Settings:
        return cls(landing=Path(landing).resolve() if landing else landing_dir(),
                   warehouse=Path(warehouse).resolve() if warehouse else published_db())

    @property
    def working(self) -> Path:
        return working_db(self.warehouse)

    @property
    def exports(self) -> Path:
        return exports_dir(self.warehouse)

    @property
    def reports(self) -> Path:
        return reports_dir(self.warehouse)

    def environment(self) -> dict[str, str]:
        """What a dbt subprocess reads (profiles.yml, the landing scan) to build this warehouse."""
        return {"CONSENT_LEDGER_LANDING": str(self.landing), "CONSENT_LEDGER_WAREHOUSE": str(self.warehouse),
                "CONSENT_LEDGER_WORKING_DB": str(self.working), "DBT_TARGET_PATH": str(dbt_target())}


def use(settings: Settings) -> Settings:
    """Make `settings` this process's: the one place that writes them to the environment, which
    dbt (a subprocess) and the in-process nightly job's assets read."""
    os.environ.update(settings.environment())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return settings
