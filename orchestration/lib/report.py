"""The run report people open: counts, charts of how consent is moving, check results with
failing examples, suppressions added and lifted.

Self-contained: the HTML page has inline SVG, no scripts, no network, and only relative links, so
the report folder can be copied, zipped or opened from a file share. The numbers come from SQL over
the warehouse (CHART_QUERIES) or from the sync step's summary, which counts the published
audit.suppression_changes (what changed in each tool import since the previous publish, decided
once in dbt); Python only draws them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib import charts as draw
from orchestration.lib.warehouse import connect_published

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
    charts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # added/lifted are the sync step's numbers (the addresses in *_added.csv / *_lifted.csv,
        # written from audit.suppression_changes), so every place shows the same
        if self.sync:
            self.suppressions_added = self.sync.get("addresses_added")
            self.suppressions_lifted = self.sync.get("addresses_lifted")

    def write(self, reports_root: Path) -> Path:
        folder = reports_root / self.as_of
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run_report.json").write_text(json.dumps(asdict(self), indent=2, default=str))
        (folder / "run_report.html").write_text(self.html(folder))
        path = folder / "run_report.md"
        path.write_text(self.markdown(folder))
        return path

    def markdown(self, reports_folder: Path | None = None) -> str:
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
        lines += self._chart_tables() + self._gate_markdown()
        index = self._link(self.data_docs, reports_folder) if reports_folder else None
        lines += ["", "Charts: [run_report.html](run_report.html)."]
        if index:
            lines += [f"Great Expectations Data Docs: [{index}]({index}) (styles load from the internet)."]
        return "\n".join(lines) + "\n"

    def _chart_tables(self) -> list[str]:
        """The charts' numbers as tables, for readers of the Markdown."""
        titles = {"consent_over_time": "Contactable contacts per purpose and regime (last 30 days)",
                  "suppressions_by_reason": "Suppressed now, by reason",
                  "withdrawal_sla": "Withdrawal SLA", "rejects": "Rejected lines by reason and source"}
        out: list[str] = []
        for name, title in titles.items():
            rows = self.charts.get(name)
            if not rows:
                continue
            if name == "consent_over_time":  # the last day only; the HTML draws the whole month
                last = max(r["day"] for r in rows)
                rows = [r for r in rows if r["day"] == last]
                title += f", on {last}"
            columns = [k for k in rows[0] if k != "series"]
            out += ["", f"## {title}", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
            out += ["| " + " | ".join(str(r[k]) for k in columns) + " |" for r in rows]
        return out

    def _gate_markdown(self) -> list[str]:
        out: list[str] = ["", "## The gate: Great Expectations results"] if self.validations else []
        for suite in self.validations:
            failed = [e for e in suite["expectations"] if not e["success"]]
            out += ["", f"### Gate {suite['suite']}: {'pass' if suite['success'] else 'FAIL'} "
                        f"({suite['rows']} rows, {suite['evaluated']} expectations, {len(failed)} failed)"]
            out += [f"- FAIL {e['expectation']}{' on ' + e['column'] if e['column'] else ''}: "
                    f"{e['unexpected_count']} unexpected, e.g. {e['examples'][:3]}" for e in failed]
        return out


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

    def _link(self, target: str | None, folder: Path) -> str | None:
        """A link relative to the report folder, so the folder can move; None when the file is gone."""
        if not target or not Path(target).exists():
            return None
        return Path(os.path.relpath(Path(target).resolve(), folder.resolve())).as_posix()

    def _gate_html(self, folder: Path) -> str:
        """The Great Expectations results themselves (what the Data Docs show, which need a network
        for their styles): every expectation, whether it held, how many rows broke it, examples."""
        if not self.validations:
            return ""
        out = ["<h2 id=gate>The gate: Great Expectations results</h2>"]
        for suite in sorted(self.validations, key=lambda v: (v["success"], v["suite"])):
            verdict = "pass" if suite["success"] else "<b class=fail>FAIL</b>"
            page = self._link(suite.get("docs_page"), folder)
            docs = f' (<a href="{escape(page)}">Data Docs page</a>, styled only online)' if page else ""
            name = escape(suite["suite"]) + docs
            out.append(f"<h3>{name}: {verdict}</h3><p>{suite['rows']:,} rows checked, "
                       f"{suite['evaluated']} expectations.</p>")
            rows = ""
            for e in sorted(suite["expectations"], key=lambda e: (e["success"], e["expectation"])):
                args = ", ".join(f"{k}={v}" for k, v in e.get("kwargs", {}).items() if v is not None)
                count = e["unexpected_count"] if e["unexpected_count"] is not None else e.get("observed_value")
                examples = ", ".join(str(x) for x in e["examples"][:3])
                rows += (f"<tr class={'ok' if e['success'] else 'fail'}><td>{escape(e['expectation'])}</td>"
                         f"<td>{escape(e['column'] or '')}</td><td class=small>{escape(_shorten(args, 120))}</td>"
                         f"<td>{'pass' if e['success'] else '<b>FAIL</b>'}</td>"
                         f"<td class=n>{escape(str(count if count is not None else ''))}</td>"
                         f"<td><code>{escape(examples)}</code></td></tr>")
            out.append("<table><tr><th>expectation</th><th>column</th><th>arguments</th><th>result</th>"
                       f"<th>unexpected</th><th>failing examples</th></tr>{rows}</table>")
            if suite.get("example_rows"):
                head = list(suite["example_rows"][0])
                body = "".join("<tr>" + "".join(f"<td>{escape(str(r.get(k)))}</td>" for k in head) + "</tr>"
                               for r in suite["example_rows"][:5])
                out.append("<p>Example rows:</p><table><tr>" + "".join(f"<th>{escape(k)}</th>" for k in head)
                           + f"</tr>{body}</table>")
        return "".join(out)

    def _charts_html(self) -> str:
        c = self.charts
        out = []
        if "consent_over_time" in c:
            out += ["<h2 id=consent>Consent over time</h2><p>Contacts who may be contacted for each purpose at "
                    "the end of each of the last 30 days, one line per regime.</p><div class=panels>",
                    draw.panels("consent_over_time", "contactable contacts",
                                draw.as_rows(c["consent_over_time"], "purpose", "day", "regime", "contacts")),
                    "</div>"]
        sync = (self.sync or {}).get("imports", {})
        if sync:
            rows = [(name, label, int(v[label])) for name, v in sync.items() for label in ("added", "lifted")]
            out += ["<h2 id=suppressions>Suppressions added and lifted</h2><p>Addresses in each tool file's "
                    "<code>*_added.csv</code> / <code>*_lifted.csv</code> against the previous publish "
                    "(the sync step's numbers).</p>",
                    draw.bars("suppressions_added_lifted", "suppressed addresses added and lifted, by import",
                              rows, stacked=False)]
        if "suppressions_by_reason" in c:
            out += ["<h3>Suppressed now, by reason</h3>",
                    draw.bars("suppressions_by_reason", "suppressions by reason",
                              draw.as_rows(c["suppressions_by_reason"], "reason", "series", "suppressions"))]
        if "withdrawal_sla" in c:
            out += ["<h2 id=sla>Withdrawal SLA</h2><p>Each opt-out against its legal deadline: first published "
                    "on time, late, or not yet published (a backfill publishes nothing).</p>",
                    draw.bars("withdrawal_sla", "withdrawals by SLA status and reason",
                              draw.as_rows(c["withdrawal_sla"], "status", "reason", "withdrawals"))]
        if "rejects" in c:
            out += ["<h2 id=rejects>Rejected lines by reason and source</h2><p>Every line not taken, with its "
                    "reason (<code>audit.rejected_records</code>; the glossary explains each reason).</p>",
                    draw.bars("rejects", "rejected lines by reason and source",
                              draw.as_rows(c["rejects"], "reason", "source_system", "lines"))]
        return "".join(out)

    def html(self, folder: Path | None = None) -> str:
        """The same report as a self-contained page: inline SVG charts, no scripts, no network,
        links relative to the report folder."""
        folder = folder or Path(".")
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
            if c.get("kind") == "expectations" and self.validations:
                name = f'<a href="#gate">{name}</a>'
            result = "pass" if c["passed"] else "<b>FAIL</b>"
            checks += (f"<tr><td>{name}</td><td>{escape(c.get('kind', ''))}</td><td>{escape(c['asset'])}</td>"
                       f"<td>{result}</td></tr>")
        blocked = "".join(f"<li><code>{escape(b)}</code></li>" for b in self.blocked_by)
        index = self._link(self.data_docs, folder)
        docs = (f'<p><a href="{escape(index)}">Great Expectations Data Docs</a> (their styles load from the '
                "internet; the results above are the same)</p>" if index else "")
        landing = "".join(
            f"<h2>{title}</h2><ul>" + "".join(f"<li><code>{escape(x)}</code></li>" for x in items) + "</ul>"
            for title, items in (("Files changed after they were read", self.landing_incidents),
                                 ("Deferred to the next run (in flight or settling)", self.deferred_files))
            if items)
        review = "".join(f"<li>{escape(x[2:])}</li>" for x in self._needs_review() if x.startswith("- "))
        sync = ""
        if self.sync:
            sync = ("<h2>Tool sync (the same numbers as the sync files)</h2><table><tr><th>import</th><th>full</th>"
                    "<th>added</th><th>lifted</th><th>vs</th></tr>" + "".join(
                        f"<tr><td>{escape(n)}</td><td class=n>{v['full']}</td><td class=n>{v['added']}</td>"
                        f"<td class=n>{v['lifted']}</td><td>{escape(str(v['compared_with'] or 'nothing earlier'))}"
                        "</td></tr>" for n, v in self.sync.get("imports", {}).items()) + "</table>")
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consent Ledger run {escape(self.as_of)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em;color:#222}}td,th{{padding:.2em .8em;text-align:left}}
td.n{{text-align:right}}table{{border-collapse:collapse;margin-bottom:1em}}tr:nth-child(even){{background:#f3f3f3}}
th{{border-bottom:1px solid #999}}.fail,tr.fail td{{color:#b42318}}.small{{font-size:85%;color:#555}}
.panels{{display:flex;flex-wrap:wrap;gap:1em}}figure.panel{{margin:0}}nav a{{margin-right:1em}}
svg.chart{{max-width:100%;height:auto}}</style>
</head><body><h1>Consent Ledger run, as of {escape(self.as_of)}</h1>
<p style="color:{colour}"><b>{outcome}</b></p>{kind}<p>Warehouse: <code>{escape(self.warehouse)}</code></p>
<nav><a href="#consent">consent over time</a><a href="#suppressions">suppressions</a><a href="#sla">withdrawal SLA</a>
<a href="#rejects">rejects</a><a href="#checks">checks</a><a href="run_report.md">this report as Markdown</a>
<a href="run_report.json">as JSON</a></nav>
{"<h2>Blocked by</h2><ul>" + blocked + "</ul>" if blocked else ""}
{"<h2>Needs review</h2><ul>" + review + "</ul>" if review else ""}{landing}
<h2>Counts</h2><table>{rows}</table>{sync}
{self._charts_html()}
<h2 id=checks>Checks</h2><table><tr><th>check</th><th>kind</th><th>on</th><th>result</th></tr>{checks}</table>
<p>{dbt_passed} further dbt tests passed.</p>{self._gate_html(folder)}{docs}
</body></html>
"""


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


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


# Each chart's data as an aggregation in SQL; the report only draws the rows. `$as_of` is the run date.
CHART_QUERIES = {
    # contacts who may be contacted for a purpose at the end of each of the last 30 days, by the
    # regime of the interval that decided it (one contact counts once per purpose and regime)
    "consent_over_time": """
        with
        history as (
            select contact_key, purpose, coalesce(regime, 'unknown') as regime, valid_from, valid_to
            from consent.consent_history
            where can_contact
        ),
        days as (
            select cast(day as date) as day
            from range(cast($as_of as date) - interval 29 day, cast($as_of as date) + interval 1 day,
                       interval 1 day) as t(day)
            where cast(day as date) >= (select cast(min(valid_from) as date) from history)
        ),
        final as (
            select history.purpose, cast(days.day as varchar) as day, history.regime,
                   count(distinct history.contact_key) as contacts
            from days
            inner join history
                on history.valid_from < days.day + interval 1 day
                and (history.valid_to is null or history.valid_to >= days.day + interval 1 day)
            group by history.purpose, days.day, history.regime
        )
        select * from final order by purpose, day, regime
    """,
    # what is suppressed now and why (added/lifted are audit.suppression_changes', via the sync summary)
    "suppressions_by_reason": """
        select reason, 'suppressions' as series, count(*) as suppressions
        from consent.suppression_list
        group by reason
        order by suppressions desc, reason
    """,
    "withdrawal_sla": """
        with
        graded as (
            select
                case
                    when first_published_as_of is null then 'not yet published'
                    when is_late then 'late'
                    else 'on time'
                end as status,
                reason
            from audit.withdrawal_sla
        )
        select status, reason, count(*) as withdrawals
        from graded
        group by status, reason
        order by status, withdrawals desc, reason
    """,
    "rejects": """
        select reason, source_system, count(*) as lines
        from audit.rejected_records
        group by reason, source_system
        order by sum(count(*)) over (partition by reason) desc, reason, lines desc, source_system
    """,
}


def load_charts(database: Path, as_of: str) -> dict[str, list[dict[str, Any]]]:
    """Every chart's rows from a built database, opened read-only; a chart whose table is missing
    (a run that broke before building it) is left out rather than drawn empty."""
    if not database.exists():
        return {}
    data: dict[str, list[dict[str, Any]]] = {}
    try:
        with connect_published(database) as con:
            for name, sql in CHART_QUERIES.items():
                try:
                    cursor = con.execute(sql, {"as_of": as_of} if "$as_of" in sql else {})
                    columns = [d[0] for d in cursor.description]
                    data[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
                except duckdb.Error:
                    continue
    except duckdb.Error:
        return {}
    return data


def load_validations(report_folder: Path, as_of: str) -> list[dict[str, Any]]:
    """The gate's validation details the expectations runner saved beside the Data Docs (only
    those of this run date)."""
    from expectations.runner import VALIDATION_RESULTS  # here: importing it loads Great Expectations (seconds)

    path = report_folder / "data_docs" / VALIDATION_RESULTS
    if not path.is_file():
        return []
    saved = json.loads(path.read_text())
    return saved["suites"] if saved.get("as_of") == as_of else []
