"""OneTrust consent receipts (`onetrust/<day>/consent_receipts_*.jsonl`).

Each receipt is one interaction at a collection point with one or more purpose transactions, in
the shape of the Consent Receipts API. People move through realistic sequences (sign-up, double
opt-in, preference-center withdrawals, expiry, renewals), with a little test traffic, phone
identifiers, unmapped purposes, malformed lines and a re-delivered extract.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import Person, Shard

# OneTrust purpose ids; the last one is deliberately not in source_scope_map (unmapped_scope)
PURPOSE_IDS = ["pur-newsletter", "pur-events", "pur-product", "pur-partners", "pur-ads"]
UNMAPPED_PURPOSE_ID = "pur-loyalty"
# (collectionPointId, moc); the last is a method the pipeline does not know (capture_method null)
COLLECTION_POINTS = [("cp-web-newsletter", "HOSTED_WEB_FORM"), ("cp-web-webinar", "HOSTED_WEB_FORM"),
                     ("cp-app", "MOBILE_SDK"), ("cp-crm-sync", "API"), ("cp-import-2025", "IMPORT")]
PREFERENCE_CENTER = ("cp-preference-center", "PREFERENCE_CENTER")
UNKNOWN_POINT = ("cp-kiosk", "KIOSK")
NOTICE_VERSIONS = ["2.0", "2.1", "3.0", "3.0", "3.0", "3.0"]
DOUBLE_OPT_IN_COUNTRIES = {"DE", "AT"}
MALFORMED = [
    '{"receiptId": "r-broken", "identifier": "x@acme.example", "interactionDate": "2026-03-02T09:1',
    "<html><body>502 Bad Gateway</body></html>",
    '{"receiptId": "r-no-date", "identifier": "y@acme.example", "identifierType": "Email", '
    '"purposes": [{"Id": "pur-newsletter", "TransactionType": "CONFIRMED"}]}',
    '{"receiptId": "r-bad-date", "identifier": "z@acme.example", "identifierType": "Email", '
    '"interactionDate": "31/02/2026", "purposes": []}',
]


def _iso(ts: datetime) -> str:
    """OneTrust style: 2026-03-02T09:15:00Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _notices(rng: random.Random) -> list[dict]:
    """Usually the main privacy notice; sometimes a cookie notice too; sometimes none."""
    roll = rng.random()
    if roll < 0.08:
        return []
    notices = [{"Id": "pn-main", "Version": rng.choice(NOTICE_VERSIONS)}]
    if roll > 0.85:
        notices.append({"Id": "pn-cookies", "Version": rng.choice(["1.0", "1.2", "4.0"])})
    return notices


def _transaction(pid: str, kind: str, rng: random.Random, at: datetime) -> dict:
    """One element of `purposes`."""
    expiry = None
    if kind in ("CONFIRMED", "EXTEND") and rng.random() < 0.2:
        expiry = _iso(at + timedelta(days=rng.choice([365, 730])))
    elif kind == "IMPLICIT":
        expiry = _iso(at + timedelta(days=182))
    elif kind == "EXPIRED":
        expiry = _iso(at - timedelta(minutes=rng.randint(1, 600)))
    return {"Id": pid, "Version": rng.randint(1, 4), "TransactionType": kind, "ExpiryDate": expiry,
            "PrivacyNotices": _notices(rng)}


def _receipt(p: Person, rng: random.Random, at: datetime, n: int, held: set[str]) -> dict:
    """A receipt that moves the person on from the purposes they hold (`held` is updated)."""
    roll = rng.random()
    point = rng.choice(COLLECTION_POINTS)
    double_opt_in = False
    purposes: list[dict] = []
    if held and roll < 0.35:
        # preference center: withdraw some purposes, perhaps add one
        point = PREFERENCE_CENTER
        for pid in sorted(held):
            if rng.random() < 0.5:
                kind = rng.choice(["WITHDRAWN", "WITHDRAWN", "OPT_OUT", "HARD_OPT_OUT"])
                purposes.append(_transaction(pid, kind, rng, at))
                held.discard(pid)
            elif rng.random() < 0.2:
                purposes.append(_transaction(pid, rng.choice(["CHANGE_PREFERENCES", "EXTEND"]), rng, at))
        if not purposes:
            purposes.append(_transaction(rng.choice(sorted(held)), "CHANGE_PREFERENCES", rng, at))
    elif held and roll < 0.42:
        # the tool's own clock: a grant runs out
        pid = rng.choice(sorted(held))
        purposes.append(_transaction(pid, "EXPIRED", rng, at))
        held.discard(pid)
    else:
        # a sign-up or a refresh: grants, implicit consent from an API sync, declined boxes
        for pid in rng.sample(PURPOSE_IDS, rng.randint(1, 3)):
            kind = rng.choices(["CONFIRMED", "IMPLICIT", "NOTGIVEN", "NO_CHOICE", "PENDING", "CANCEL"],
                               weights=[60, 8, 12, 6, 8, 2])[0]
            if kind == "IMPLICIT":
                point = ("cp-crm-sync", "API")
            if kind == "CONFIRMED" and p.country in DOUBLE_OPT_IN_COUNTRIES:
                double_opt_in = rng.random() < 0.8
            if kind in ("CONFIRMED", "IMPLICIT"):
                held.add(pid)
            purposes.append(_transaction(pid, kind, rng, at))
        if rng.random() < 0.03:
            purposes.append(_transaction(UNMAPPED_PURPOSE_ID, "CONFIRMED", rng, at))
    if rng.random() < 0.02:
        point = UNKNOWN_POINT
    state = p.state if rng.random() < 0.5 else (f"US-{p.state}" if p.state else None)
    return {
        "receiptId": f"r-{at:%Y%m%d}-{n:06d}",
        "identifier": p.variant(rng),
        "identifierType": "Email",
        "interactionDate": _iso(at),
        "collectionPointId": point[0],
        "collectionPointVersion": rng.randint(1, 5),
        "moc": point[1],
        "doubleOptIn": double_opt_in,
        "test": False,
        "geoLocation": {"country": p.country, "state": state},
        "purposes": purposes,
    }


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """One file a day, about one receipt per OneTrust person per week, plus noise (re-deliveries are
    added by the parent)."""
    members = [p for p in people if "onetrust" in p.tools]
    held: dict[int, set[str]] = {p.index: set() for p in members}
    n = shard.id_base
    for day in days:
        day_start = datetime.combine(day, time(), tzinfo=UTC)
        entries: list[tuple[datetime, str]] = []
        for p in members:
            if rng.random() >= 1 / 6:
                continue
            n += 1
            at = day_start + timedelta(seconds=rng.randrange(86400 - 3600))
            receipt = _receipt(p, rng, at, n, held[p.index])
            entries.append((at, json.dumps(receipt)))
            first = receipt["purposes"][0] if receipt["purposes"] else {}
            if first.get("TransactionType") == "PENDING" and rng.random() < 0.7:
                # the confirmation click of a double opt-in, minutes later
                n += 1
                confirmed = at + timedelta(minutes=rng.randint(2, 50))
                confirmation = _transaction(first["Id"], "CONFIRMED", rng, confirmed)
                follow = dict(receipt, receiptId=f"r-{day:%Y%m%d}-{n:06d}", interactionDate=_iso(confirmed),
                              doubleOptIn=True, purposes=[confirmation])
                held[p.index].add(first["Id"])
                entries.append((confirmed, json.dumps(follow)))
            if rng.random() < 0.02:
                # test traffic from the same collection point
                entries.append((at, json.dumps(dict(receipt, receiptId=f"r-test-{n:06d}", test=True))))
            if rng.random() < 0.01:
                entries.append((at, json.dumps(dict(receipt, receiptId=f"r-phone-{n:06d}",
                                                     identifier=f"+4930{rng.randint(1000000, 9999999)}",
                                                     identifierType="Phone"))))
        entries.sort(key=lambda entry: entry[0])
        lines = [line for _, line in entries]
        if shard.edge and rng.random() < 0.6:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(MALFORMED))
        path = shard.part(parts, "onetrust", day, "consent_receipts_001.jsonl")
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
