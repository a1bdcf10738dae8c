"""The short run report people open: counts, check results, suppressions added and lifted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from orchestration.warehouse import connect_published

KIND_TEXT = {
    "nightly": "the latest warehouse (replaced)",
    "rerun": "the latest warehouse (rerun of the same date, replaced)",
    "backfill": "a dated snapshot (backfill); the latest warehouse was not replaced",
}


@dataclass
class RunReport:
    as_of: str
    published: bool
    warehouse: str
    counts: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    suppressions_added: int | None = None
    suppressions_lifted: int | None = None
    blocked_by: list[str] = field(default_factory=list)
    data_docs: str | None = None
    publication_kind: str | None = None
    sync: dict[str, Any] | None = None
    deferred_files: list[str] = field(default_factory=list)
    landing_incidents: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # added/lifted are the sync step's numbers (the addresses in *_added.csv / *_lifted.csv,
        # against the previous publish of the same warehouse), so every place shows the same
        if self.sync:
            self.suppressions_added = self.sync.get("addresses_added")
            self.suppressions_lifted = self.sync.get("addresses_lifted")

    def write(self, reports_root: Path) -> Path:
        folder = reports_root / self.as_of
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run_report.json").write_text(json.dumps(asdict(self), indent=2, default=str))
        (folder / "run_report.html").write_text(self.html())
        path = folder / "run_report.md"
        path.write_text(self.markdown())
        return path

    def markdown(self) -> str:
        outcome = "published" if self.published else "NOT published (previous state kept)"
        lines = [f"# Consent Ledger run report, as of {self.as_of}", "", f"Outcome: **{outcome}**",
                 f"Warehouse: `{self.warehouse}`", ""]
        if self.published and self.publication_kind:
            lines[-1:-1] = [f"Published as: {KIND_TEXT.get(self.publication_kind, self.publication_kind)}"]
        if self.blocked_by:
            lines += ["## Blocked by", *[f"- {b}" for b in self.blocked_by], ""]
        lines += self._needs_review()
        if self.landing_incidents:
            lines += ["## Files changed after they were read", *[f"- {x}" for x in self.landing_incidents], ""]
        if self.deferred_files:
            lines += ["## Deferred to the next run (in flight or settling)", *[f"- {x}" for x in self.deferred_files],
                      ""]
        lines += ["## Counts", "| what | count |", "| --- | ---: |"]
        lines += [f"| {k} | {v} |" for k, v in self.counts.items()]
        if self.suppressions_added is not None:
            lines += [f"| suppressed addresses added since the previous publish | {self.suppressions_added} |",
                      f"| suppressed addresses lifted since the previous publish | {self.suppressions_lifted} |"]
        if self.sync:
            lines += ["", "## Tool sync (the same numbers as the sync files)",
                      "| import | full | added | lifted | vs |", "| --- | ---: | ---: | ---: | --- |"]
            lines += [f"| {name} | {v['full']} | {v['added']} | {v['lifted']} | "
                      f"{v['compared_with'] or 'nothing earlier'} |"
                      for name, v in self.sync.get("imports", {}).items()]
        shown, dbt_passed = self._checks_to_show()
        lines += ["", "## Checks", "| check | kind | on | result |", "| --- | --- | --- | --- |"]
        lines += [f"| {c['name']} | {c.get('kind', '')} | {c['asset']} | {'pass' if c['passed'] else 'FAIL'} |"
                  for c in shown]
        lines += ["", f"{dbt_passed} further dbt tests passed."]
        if self.data_docs:
            lines += ["", f"Great Expectations Data Docs: `{self.data_docs}`"]
        return "\n".join(lines) + "\n"


    def _needs_review(self) -> list[str]:
        """Privacy requests a person must look at, above the counts so they are not missed."""
        review = self.counts.get("privacy_requests_for_review") or 0
        rejected = self.counts.get("privacy_requests_rejected") or 0
        if not review and not rejected:
            return []
        return ["## Needs review",
                f"- {review} privacy request(s) honoured despite defects (review_reason on the event)",
                f"- {rejected} privacy request line(s) rejected: no usable address, not honoured", ""]

    def _checks_to_show(self) -> tuple[list[dict[str, Any]], int]:
        """Failures and the Great Expectations suites by name; passing dbt tests only counted."""
        shown = [c for c in self.checks if not c["passed"] or c.get("kind") != "dbt test"]
        shown.sort(key=lambda c: (c["passed"], c.get("kind") != "expectations", c["name"]))
        return shown, len(self.checks) - len(shown)

    def html(self) -> str:
        """The same report as a self-contained page (no scripts, no network) with links to each
        Great Expectations validation page."""
        outcome = "published" if self.published else "NOT published: the previous state was kept"
        colour = "#1a7f37" if self.published else "#b42318"
        rows = "".join(f"<tr><td>{escape(str(k))}</td><td class=n>{escape(str(v))}</td></tr>"
                       for k, v in self.counts.items())
        if self.suppressions_added is not None:
            for label, value in (("added", self.suppressions_added), ("lifted", self.suppressions_lifted)):
                rows += (f"<tr><td>suppressed addresses {label} since the previous publish</td>"
                         f"<td class=n>{value}</td></tr>")
        kind = (f"<p>Published as: {escape(KIND_TEXT.get(self.publication_kind, self.publication_kind))}</p>"
                if self.published and self.publication_kind else "")
        checks = ""
        shown, dbt_passed = self._checks_to_show()
        for c in shown:
            name = escape(c["name"])
            if c.get("page"):
                name = f'<a href="{escape(Path(c["page"]).as_uri())}">{name}</a>'
            result = "pass" if c["passed"] else "<b>FAIL</b>"
            checks += (f"<tr><td>{name}</td><td>{escape(c.get('kind', ''))}</td><td>{escape(c['asset'])}</td>"
                       f"<td>{result}</td></tr>")
        blocked = "".join(f"<li><code>{escape(b)}</code></li>" for b in self.blocked_by)
        docs = (f'<p><a href="{escape(Path(self.data_docs).as_uri())}">Great Expectations Data Docs</a></p>'
                if self.data_docs else "")
        landing = "".join(
            f"<h2>{title}</h2><ul>" + "".join(f"<li><code>{escape(x)}</code></li>" for x in items) + "</ul>"
            for title, items in (("Files changed after they were read", self.landing_incidents),
                                 ("Deferred to the next run (in flight or settling)", self.deferred_files))
            if items)
        return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Consent Ledger run {escape(self.as_of)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}td,th{{padding:.2em .8em;text-align:left}}
td.n{{text-align:right}}table{{border-collapse:collapse}}tr:nth-child(even){{background:#f3f3f3}}</style>
</head><body><h1>Consent Ledger run, as of {escape(self.as_of)}</h1>
<p style="color:{colour}"><b>{outcome}</b></p>{kind}<p>Warehouse: <code>{escape(self.warehouse)}</code></p>
{"<h2>Blocked by</h2><ul>" + blocked + "</ul>" if blocked else ""}{landing}
<h2>Counts</h2><table>{rows}</table>
<h2>Checks</h2><table><tr><th>check</th><th>kind</th><th>on</th><th>result</th></tr>{checks}</table>
<p>{dbt_passed} further dbt tests passed.</p>{docs}
</body></html>
"""


def load_counts(database: Path) -> dict[str, Any]:
    """Headline numbers from a built (working or published) database, opened read-only."""
    if not database.exists():
        return {}
    queries = {
        "files": "select count(*) from audit.load_reconciliation",
        "files_quarantined": "select count(*) from audit.load_reconciliation where file_status = 'quarantined'",
        "files_deferred": "select count(*) from audit.load_reconciliation where file_status = 'deferred'",
        "lines_read": "select coalesce(sum(lines_read), 0) from audit.load_reconciliation",
        "lines_accepted": "select coalesce(sum(accepted), 0) from audit.load_reconciliation",
        "lines_rejected": "select coalesce(sum(rejected), 0) from audit.load_reconciliation",
        "lines_duplicate": "select coalesce(sum(duplicates), 0) from audit.load_reconciliation",
        "lines_ignored": "select coalesce(sum(ignored), 0) from audit.load_reconciliation",
        "events": "select count(*) from consent.consent_events",
        "contacts": "select count(*) from consent.contacts",
        "suppressions": "select count(*) from consent.suppression_list",
        "marketable_rows": "select count(*) from consent.marketable_audience",
        # privacy requests are never dropped: those honoured despite defects need a person, and
        # those without a usable address could not be honoured at all (working database only)
        "privacy_requests_for_review": "select count(*) from intermediate.int_consent_events__deduplicated "
        "where outcome = 'event' and source_system = 'requests' and review_reason is not null",
        "privacy_requests_rejected": "select count(*) from audit.rejected_records where source_system = 'requests'",
    }
    counts: dict[str, Any] = {}
    try:
        with connect_published(database) as con:
            for name, sql in queries.items():
                try:
                    counts[name] = int(con.execute(sql).fetchone()[0])
                except duckdb.Error:
                    counts[name] = None
    except duckdb.Error:
        return {}
    return counts


def add_sync_counts(reports_root: Path, as_of: str, sync: dict[str, Any] | None) -> Path | None:
    """Put the sync step's counts into the run report the publish step wrote for `as_of`."""
    path = reports_root / as_of / "run_report.json"
    if sync is None or not path.is_file():
        return None
    data = json.loads(path.read_text())
    data.update(sync=sync, suppressions_added=None, suppressions_lifted=None)
    return RunReport(**data).write(reports_root)
