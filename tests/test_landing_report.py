"""The run report lists files deferred to the next run and files that changed after they were read."""

from __future__ import annotations

from pathlib import Path

from orchestration.lib.report import RunReport


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
