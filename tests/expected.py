"""What the tests expect of a built warehouse, written from the design rather than from the product's
code: an independent oracle (orchestration/lib/identity.py is tested against the dbt macros in
tests/test_identity.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from tests.conftest import query


def key(email: str) -> str:
    """contact_key as the design defines it: SHA-256 hex of the trimmed, lowercased email."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def sha(text: str) -> str:
    """SHA-256 hex of a value as given (IP hashes, erased-line markers)."""
    return hashlib.sha256(text.encode()).hexdigest()


def ts(text: str) -> datetime:
    """A naive UTC timestamp, as the warehouse stores them."""
    return datetime.fromisoformat(text)


def event_id(db: Path, source_system: str, record_id: str, purpose: str) -> str:
    """The one event a source record produced for a purpose."""
    rows = query(db, "select event_id from consent.consent_events where source_system = ? "
                     "and source_record_id = ? and purpose = ?", [source_system, record_id, purpose])
    assert len(rows) == 1, (source_system, record_id, purpose, rows)
    return rows[0][0]


def canonical_event(email: str, record: str, scope: str, channel: str | None, purpose: str | None, action: str,
                    at: str, method: str, point: str, *, doi: str | None = None, expires: str | None = None,
                    country: str | None = None, ip: str | None = None, basis: str | None = None) -> tuple:
    """One expected canonical event; lawful_basis is consent for a grant unless given (a lift of an
    opt-out grants nothing: not_applicable)."""
    basis = basis or ("consent" if action == "opt_in" else "not_applicable")
    return (key(email), record, scope, channel, purpose, action, basis, at, method, point, doi, expires,
            country, sha(ip) if ip else None)
