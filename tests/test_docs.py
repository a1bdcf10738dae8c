"""The repository documents itself: docs/ links resolve and the glossary names every reason a
reader can meet in consent_status and in an export's excluded file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GLOSSARY = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")


def documented(word: str) -> bool:
    return f"`{word}`" in GLOSSARY or f"`{word}:" in GLOSSARY


def test_every_blocked_reason_is_in_the_glossary() -> None:
    models = yaml.safe_load((REPO / "models" / "marts" / "consent" / "_consent__models.yml").read_text())
    status = next(m for m in models["models"] if m["name"] == "consent_status")
    column = next(c for c in status["columns"] if c["name"] == "blocked_reason")
    values = next(t["accepted_values"]["arguments"]["values"] for t in column["data_tests"]
                  if isinstance(t, dict) and "accepted_values" in t)
    missing = [v for v in values if not documented(v)]
    assert not missing, f"blocked reasons missing from docs/glossary.md: {missing}"


def test_every_export_exclusion_reason_is_in_the_glossary() -> None:
    source = (REPO / "orchestration" / "features" / "segment_export.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r"then '([a-z_]+:?)'", source)) | set(re.findall(r'_REASON = "([a-z_]+)"', source))
    # the status reasons export passes on: consent_status.exclusion_reason's accepted values
    models = yaml.safe_load((REPO / "models" / "marts" / "consent" / "_consent__models.yml").read_text())
    status = next(m for m in models["models"] if m["name"] == "consent_status")
    for column in (c for c in status["columns"] if c["name"] == "exclusion_reason"):
        for check in column.get("data_tests", []):
            if isinstance(check, dict) and "accepted_reason_kinds" in check:
                reasons |= set(check["accepted_reason_kinds"]["arguments"]["values"])
    assert {"erased", "unknown_contact", "not_consented"} <= {r.rstrip(":") for r in reasons}
    missing = sorted(r for r in reasons if not documented(r.rstrip(":")))
    assert not missing, f"export reasons missing from docs/glossary.md: {missing}"


def test_docs_links_resolve_and_stay_in_the_repository() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{page.name} links outside the repository"
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
