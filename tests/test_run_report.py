"""The run report people open: self-contained (no network, relative links), charts drawn from SQL
over the warehouse, the gate's results with failing examples, and it renders in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from orchestration.lib.report import RunReport
from orchestration.lib.warehouse import connect_published

AS_OF = "2026-03-10"
CHARTS = ("consent_over_time", "suppressions_added_lifted", "withdrawal_sla", "rejects")


class Page(HTMLParser):
    """What a reader's browser would fetch or follow, and what each chart draws."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.fetched: list[str] = []  # src, stylesheet or import: anything loaded without a click
        self.scripts = 0
        self.chart: str | None = None
        self.marks: dict[str, list[float]] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "script":
            self.scripts += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if a.get("src") or (tag == "link" and a.get("href")):
            self.fetched.append(a.get("src") or a.get("href") or "")
        if tag == "svg":
            self.chart = a.get("data-chart")
            self.marks.setdefault(self.chart or "", [])
        elif self.chart and a.get("data-value") is not None:
            self.marks[self.chart].append(float(a["data-value"] or 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.chart = None


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def assert_links_resolve(page: Page, folder: Path) -> None:
    assert page.links
    for link in page.links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, f"not a relative link: {link}"
        if not parts.path:  # an anchor within the page
            assert parts.fragment in page.ids, f"no element with id {parts.fragment}"
            continue
        assert (folder / unquote(parts.path)).is_file(), f"{link} does not resolve from {folder}"


@pytest.fixture(scope="module")
def report(nightly_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    """The report folder of the session's one nightly run (tests/conftest.py nightly_run)."""
    warehouse, _ = nightly_run
    return warehouse.parent / "reports" / AS_OF


def test_report_is_self_contained_with_relative_links(report: Path) -> None:
    html = (report / "run_report.html").read_text()
    page = parse(html)
    assert page.scripts == 0 and page.fetched == []
    for absolute in ("file://", "http://", "https://", str(report.parent)):
        assert absolute not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert_links_resolve(page, report)
    markdown = (report / "run_report.md").read_text()
    assert "file://" not in markdown and "](run_report.html)" in markdown


def test_charts_show_the_warehouse_numbers(report: Path) -> None:
    """Every chart has marks, and they add up to what SQL over the published warehouse says."""
    page = parse((report / "run_report.html").read_text())
    for chart in CHARTS:
        assert any(v > 0 for v in page.marks.get(chart, [])), f"chart {chart} draws nothing"
    warehouse = report.parent.parent / "ledger.duckdb"
    with connect_published(warehouse) as con:
        rejected = con.execute("select count(*) from audit.rejected_records").fetchone()[0]
        withdrawals = con.execute("select count(*) from audit.withdrawal_sla").fetchone()[0]
        contactable = con.execute(
            "select count(distinct contact_key || purpose) from consent.consent_status where can_contact"
        ).fetchone()[0]
    assert sum(page.marks["rejects"]) == rejected > 0
    assert sum(page.marks["withdrawal_sla"]) == withdrawals > 0
    data = json.loads((report / "run_report.json").read_text())
    last_day = [r for r in data["charts"]["consent_over_time"] if r["day"] == AS_OF]
    assert sum(r["contacts"] for r in last_day) == contactable > 0
    # added/lifted are the sync step's numbers, the same as its summary file
    sync = json.loads((report.parent.parent / "exports" / AS_OF / "suppression_sync_summary.json").read_text())
    expected = sum(v["added"] + v["lifted"] for v in sync["imports"].values())
    assert sum(page.marks["suppressions_added_lifted"]) == expected > 0


def test_gate_results_are_in_the_report(report: Path) -> None:
    data = json.loads((report / "run_report.json").read_text())
    assert data["validations"], "no Great Expectations results in the report"
    for suite in data["validations"]:
        assert suite["expectations"] and all("success" in e for e in suite["expectations"])
    html = (report / "run_report.html").read_text()
    assert "The gate: Great Expectations results" in html
    assert all(f"<h3>{s['suite']}" in html for s in data["validations"])


def test_a_failing_expectation_shows_its_count_and_examples(tmp_path: Path) -> None:
    failing = {"expectation": "expect_column_values_to_be_in_set", "column": "status",
               "kwargs": {"value_set": ["granted"]}, "success": False, "unexpected_count": 2,
               "observed_value": None, "examples": ["bogus_status", "other_bogus"]}
    passing = {**failing, "expectation": "expect_column_values_to_not_be_null", "success": True,
               "unexpected_count": 0, "examples": []}
    report = RunReport(as_of=AS_OF, published=False, warehouse="w", validations=[{
        "suite": "consent_status_decisions", "success": False, "rows": 10, "evaluated": 2,
        "expectations": [passing, failing], "example_rows": [{"status": "bogus_status"}], "docs_page": None}])
    html = report.html(tmp_path)
    failed_row = html[html.index("<tr class=fail>"):]
    assert "expect_column_values_to_be_in_set" in failed_row and "bogus_status" in failed_row
    assert "<td class=n>2</td>" in failed_row
    assert "FAIL expect_column_values_to_be_in_set on status: 2 unexpected" in report.markdown(tmp_path)


@pytest.fixture(scope="module")
def browser() -> str:
    """Debian's chromium; asked for before the report so a skip costs no run."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); on CI (CI=true) this test fails instead")


def test_report_renders_in_headless_chromium(browser: str, report: Path, tmp_path: Path) -> None:
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run"]
    url = (report / "run_report.html").as_uri()
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, check=True,
                         timeout=180).stdout
    page = parse(dom)
    for chart in CHARTS:
        assert any(v > 0 for v in page.marks.get(chart, [])), f"chart {chart} missing in the rendered page"
    assert page.fetched == [] and page.scripts == 0
    assert_links_resolve(page, report)
    shot = tmp_path / "run_report.png"
    subprocess.run([*common, "--window-size=1280,4000", f"--screenshot={shot}", url],
                   capture_output=True, check=True, timeout=180)
    assert shot.stat().st_size > 10_000  # a blank page is a few hundred bytes
    if os.environ.get("CONSENT_LEDGER_SHOTS"):  # look at it by hand: CONSENT_LEDGER_SHOTS=/tmp/shots
        Path(os.environ["CONSENT_LEDGER_SHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ["CONSENT_LEDGER_SHOTS"]) / "run_report.png")


def test_run_report_lists_deferred_files_and_landing_incidents(tmp_path: Path) -> None:
    report = RunReport(as_of="2026-04-12", published=True, warehouse="w.duckdb",
                       deferred_files=["webforms/2026-04-12/submissions_001.jsonl: settling"],
                       landing_incidents=["webforms/2026-04-09/submissions_k.jsonl: changed after it was read "
                                          "(appended; 10 -> 20 bytes, 1 -> 2 lines); read again"])
    path = report.write(tmp_path)
    markdown, html = path.read_text(), path.with_suffix(".html").read_text()
    for text in (markdown, html):
        assert "Deferred to the next run" in text and "submissions_001.jsonl: settling" in text
        assert "Files changed after they were read" in text and "appended; 10 -&gt; 20 bytes" in html
    assert "appended; 10 -> 20 bytes" in markdown
    quiet = RunReport(as_of="2026-04-12", published=True, warehouse="w.duckdb").markdown()
    assert "Deferred" not in quiet and "changed after" not in quiet
