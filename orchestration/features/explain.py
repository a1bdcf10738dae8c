"""`consent-ledger explain EMAIL`: why a contact may or may not be contacted, with the proof.

Answers the analyst's question "is this address suppressed, since when, why, on what evidence?"
from the published warehouse (read-only): per purpose x channel the status, can_contact and
blocked_reason; the suppressions with their legal deadline; and the evidence trail, every event of
the contact with its source, time, action, scope, file and line. Status and suppression rows point
at the events that decided them by number ([3]), so the trail can be read in a terminal.

The contact is looked up by contact_key (SHA-256 of the trimmed, lowercased address), which is also
how an erased contact is found: it is reported as erased, and no plain address is printed for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.features.segment_export import ExportError, checked_warehouse
from orchestration.lib.identity import contact_key, is_valid_email

STATUS_COLUMNS = (
    "purpose", "channel", "status", "can_contact", "blocked_reason", "lawful_basis", "granted_at",
    "expires_at", "policy_version", "jurisdiction", "regime", "evidence_event_id", "decision_valid_until",
    "as_of",
)
SUPPRESSION_COLUMNS = (
    "scope", "channel", "purpose", "reason", "suppressed_since", "honour_by", "evidence_event_id",
)
EVENT_COLUMNS = (
    "event_id", "occurred_at", "source_system", "source_record_id", "action", "scope", "channel",
    "purpose", "lawful_basis", "capture_method", "capture_point", "policy_version", "was_prechecked",
    "double_opt_in_at", "country_code", "expires_at", "file_name", "line_number", "element_index",
    "loaded_at",
)


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def lookup(warehouse: Path, email: str) -> dict[str, Any]:
    """Everything the warehouse knows about one address, as plain data."""
    if not email.strip():
        raise ExportError("email is empty")
    if not is_valid_email(email):
        # the warehouse keys only valid addresses (is_valid_email): "never seen" would mislead
        raise ExportError(f"not an email address: {email.strip()!r}")
    key = contact_key(email)
    with checked_warehouse(warehouse) as con:
        contacts = _records(
            con,
            """
            select contact_key, email, is_erased, erased_at, country_codes, jurisdiction, regime,
                source_systems, first_event_at, last_event_at
            from consent.contacts where contact_key = $1
            """,
            [key],
        )
        if not contacts:
            return {"found": False, "contact_key": key}
        contact = contacts[0]
        status = _records(
            con,
            f"select {', '.join(STATUS_COLUMNS)} from consent.consent_status "
            "where contact_key = $1 order by purpose, channel",
            [key],
        )
        suppressions = _records(
            con,
            f"select {', '.join(SUPPRESSION_COLUMNS)} from consent.suppression_list "
            "where contact_key = $1 order by suppressed_since, evidence_event_id",
            [key],
        )
        events = _records(
            con,
            f"select {', '.join(EVENT_COLUMNS)} from consent.consent_events "
            "where contact_key = $1 "
            "order by occurred_at, source_system, file_name, line_number, element_index",
            [key],
        )
    if contact["is_erased"]:
        contact["email"] = None  # never echo an erased person's address, not even the one typed
        # a source may carry an address in a record id or capture point: show none for the erased
        for row in status + suppressions + events:
            for name, value in row.items():
                if isinstance(value, str) and "@" in value:
                    row[name] = "[redacted: erased contact]"
    decided = {row["evidence_event_id"] for row in status + suppressions}
    for number, event in enumerate(events, start=1):
        event["ref"] = number
        event["is_evidence"] = event["event_id"] in decided
    return {"found": True, "contact": contact, "status": status, "suppressions": suppressions,
            "events": events}


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> list[str]:
    """Aligned columns; the last column is not padded (file paths can be long)."""
    cells = [[_text(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(w) for v, w in zip(values[:-1], widths[:-1], strict=True)] + [values[-1]]
        return (indent + "  ".join(padded)).rstrip()

    return [line(list(headers))] + [line(row) for row in cells]


def render_text(found: dict[str, Any]) -> str:
    """The terminal view of `lookup`."""
    if not found["found"]:
        return (
            f"not found: no contact with this address (contact_key {found['contact_key']}).\n"
            "The warehouse has never seen it: its regime is unknown, so the strictest (opt-in) applies "
            "and it may not be contacted where consent is required."
        )
    contact, status, suppressions, events = (
        found["contact"], found["status"], found["suppressions"], found["events"]
    )
    refs = {event["event_id"]: f"[{event['ref']}]" for event in events}
    as_of = status[0]["as_of"] if status else None
    if contact["is_erased"]:
        who = (f"ERASED: erasure received {_text(contact['erased_at'])}; the address is not kept "
               "(found by the SHA-256 of the address given)")
    else:
        who = contact["email"]
    allowed = [f"{row['purpose']}/{row['channel']}" for row in status if row["can_contact"]]
    lines = [
        f"Contact       {contact['contact_key']}",
        f"Email         {who}",
        f"Regime        {contact['regime']} (jurisdiction {contact['jurisdiction']}; "
        f"countries {_text(contact['country_codes'])})",
        f"Sources       {_text(contact['source_systems'])}",
        f"Known         {_text(contact['first_event_at'])} .. {_text(contact['last_event_at'])}",
        f"As of         {_text(as_of)}",
        f"May contact   {', '.join(allowed) if allowed else 'nothing'}",
        "",
        "Status per purpose x channel",
    ]
    lines += table(
        ("PURPOSE", "CHANNEL", "STATUS", "CONTACT", "WHY NOT", "BASIS", "GRANTED", "EXPIRES", "POLICY",
         "HOLDS UNTIL", "EVIDENCE"),
        [
            (row["purpose"], row["channel"], row["status"], row["can_contact"], row["blocked_reason"],
             row["lawful_basis"], row["granted_at"], row["expires_at"], row["policy_version"],
             row["decision_valid_until"], refs.get(row["evidence_event_id"], row["evidence_event_id"]))
            for row in status
        ],
    )
    lines += ["", f"Suppressions ({len(suppressions)})"]
    if suppressions:
        lines += table(
            ("SCOPE", "CHANNEL", "PURPOSE", "REASON", "SINCE", "HONOUR BY", "EVIDENCE"),
            [
                (row["scope"], row["channel"], row["purpose"], row["reason"], row["suppressed_since"],
                 row["honour_by"], refs.get(row["evidence_event_id"], row["evidence_event_id"]))
                for row in suppressions
            ],
        )
    else:
        lines.append("  none")
    lines += ["", f"Evidence trail ({len(events)} events, oldest first; * = decides a status or suppression)"]
    lines += table(
        ("REF", "", "WHEN (UTC)", "SOURCE", "ACTION", "SCOPE", "BASIS", "CAPTURE", "POLICY", "EVENT",
         "FILE:LINE"),
        [
            (f"[{event['ref']}]", "*" if event["is_evidence"] else "", event["occurred_at"],
             event["source_system"], event["action"], _scope_text(event), event["lawful_basis"],
             ":".join(part for part in (event["capture_method"], event["capture_point"]) if part) or None,
             event["policy_version"], event["event_id"][:12], f"{event['file_name']}:{event['line_number']}")
            for event in events
        ],
    )
    return "\n".join(lines)


def _scope_text(event: dict[str, Any]) -> str:
    if event["scope"] == "global":
        return "global"
    if event["scope"] == "channel":
        return f"channel {event['channel']}"
    return f"purpose {event['purpose']}/{event['channel'] or '*'}"


def explain(warehouse: Path, email: str, as_json: bool = False) -> tuple[str, int]:
    """Text (or JSON) explaining one address; exit code 0 when known, 1 when unknown."""
    found = lookup(warehouse, email)
    code = 0 if found["found"] else 1
    if as_json:
        return json.dumps(found, indent=2, default=_json_default), code
    return render_text(found), code


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
