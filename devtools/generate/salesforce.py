"""Salesforce CRM extracts (`salesforce/<day>/contact_*.csv`, `individual_*.csv`,
`contact_point_type_consent_*.csv`).

Salesforce extracts are incremental on SystemModstamp: the first extract holds every record, each
later one the records modified since, so a record comes again whenever it changes (sometimes with
no consent-relevant change at all). Field names, picklist values and the timestamp style
(2026-03-02T09:15:00.000+0000) are Salesforce's own; files are Data Loader style CSV (every field
quoted, CRLF line ends).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from devtools.generate.population import Person, Shard

CONTACT_FIELDS = ["Id", "IndividualId", "Email", "MailingCountry", "HasOptedOutOfEmail", "DoNotCall",
                  "EmailBouncedDate", "EmailBouncedReason", "LastModifiedDate", "IsDeleted"]
INDIVIDUAL_FIELDS = ["Id", "HasOptedOutSolicit", "HasOptedOutProcessing", "ShouldForget",
                     "LastModifiedDate", "IsDeleted"]
CONSENT_FIELDS = ["Id", "PartyId", "ContactPointType", "DataUsePurposeName", "PrivacyConsentStatus",
                  "CaptureDate", "CaptureSource", "CaptureContactPointType", "DoubleConsentCaptureDate",
                  "EffectiveFrom", "EffectiveTo", "LastModifiedDate", "IsDeleted"]

# MailingCountry is free text in many orgs: names, codes, abbreviations
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "GB": "United Kingdom", "US": "United States",
                 "CA": "Canada", "NL": "Netherlands", "AT": "Austria", "IE": "Ireland", "ES": "Spain",
                 "IT": "Italy", "BR": "Brazil", "CH": "Switzerland", "SE": "Sweden", "AU": "Australia"}
COUNTRY_ALIASES = {"US": "USA", "GB": "UK", "DE": "Deutschland"}
CONTACT_POINT_TYPES = ["Email"] * 15 + ["Phone"] * 2 + ["MailingAddress", "Social", "Web"]
PURPOSES = (["Newsletter"] * 8 + ["Marketing"] * 5 + ["Events"] * 4 + ["Partner Offers"] * 2
            + ["Product Research"])  # the last one is not in source_scope_map: rejected, never guessed
STATUSES = ["OptIn"] * 11 + ["OptOut"] * 4 + ["Seen"] * 3 + ["NotSeen"] * 2
CAPTURE_SOURCES = [("Website signup form", "Web"), ("Preference center", "Web"),
                   ("Reply to campaign email", "Email"), ("Inside sales call", "Phone"),
                   ("Trade show badge scan", "")]
BOUNCE_REASONS = ["550 5.1.1 user unknown", "552 mailbox full", "554 5.7.1 rejected by policy"]

MALFORMED = {
    "contact": [
        '"003MALFORMED0001","0PKMALFORMED0001","broken@acme.example,"Germany","false","false","","",'
        '"2026-03-02T09:15:00.000+0000","false"',
        '"003MALFORMED0002","","nobody@acme.example","Germany","yes","false","","",'
        '"2026-03-02T09:15:00.000+0000","false"',
        '"003MALFORMED0003","","late@acme.example","France","false","false","","",'
        '"03/02/2026 9:15 AM","false"',
        '"003MALFORMED0004","","","Spain","true","false","","","2026-03-02T09:15:00.000+0000","false"',
    ],
    "individual": [
        '"0PKMALFORMED0001","maybe","false","false","2026-03-02T09:15:00.000+0000","false"',
        '"0PKMALFORMED0002","true","false"',
    ],
    "contact_point_type_consent": [
        '"0ZYMALFORMED0001","0PKMALFORMED0001","Email","Newsletter","Granted",'
        '"2026-03-02T09:15:00.000+0000","","","","","","2026-03-02T09:15:00.000+0000","false"',
        '"0ZYMALFORMED0002","0PKMALFORMED0001","Email","Newsletter","OptIn","","","","","","",'
        '"2026-03-02T09:15:00.000+0000","false"',
    ],
}


def sf_timestamp(ts: datetime) -> str:
    """Salesforce API style: 2026-03-02T09:15:00.000+0000."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def sf_id(prefix: str, n: int) -> str:
    """An 18-character id with the object's key prefix (003 Contact, 0PK Individual, 0ZY consent)."""
    return f"{prefix}5g{n:011d}AAC"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _country(p: Person, rng: random.Random) -> str:
    if p.country is None:
        return ""
    roll = rng.random()
    if roll < 0.5:
        return COUNTRY_NAMES.get(p.country, p.country)
    if roll < 0.65 and p.country in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[p.country]
    return p.country


@dataclass
class Extract:
    """Lines of one day's three extracts (records as dicts)."""

    contact: list[dict[str, str]] = field(default_factory=list)
    individual: list[dict[str, str]] = field(default_factory=list)
    contact_point_type_consent: list[dict[str, str]] = field(default_factory=list)


def _initial_records(members: list[Person], rng: random.Random, id_base: int) -> tuple[list, list, list, dict]:
    """Every contact, individual and consent record as it stood at the first extract, and the
    person behind each contact id."""
    contacts, individuals, consents = [], [], []
    person_of: dict[str, Person] = {}
    n_contact = n_individual = n_consent = id_base
    for p in members:
        at = p.created_at
        individual_id = ""
        if rng.random() < 0.92:
            n_individual += 1
            individual_id = sf_id("0PK", n_individual)
            individuals.append({
                "Id": individual_id,
                "HasOptedOutSolicit": _bool(rng.random() < 0.08),
                "HasOptedOutProcessing": _bool(rng.random() < 0.02),
                "ShouldForget": _bool(rng.random() < 0.005),
                "LastModifiedDate": sf_timestamp(at + timedelta(minutes=1)),
                "IsDeleted": "false",
            })
            for _ in range(rng.choice([0, 1, 1, 2])):
                n_consent += 1
                status = rng.choice(STATUSES)
                captured = at + timedelta(minutes=rng.randint(2, 600))
                source, source_type = rng.choice(CAPTURE_SOURCES)
                double = ""
                if status == "OptIn" and rng.random() < 0.5:
                    double = sf_timestamp(captured + timedelta(minutes=rng.randint(1, 90)))
                effective_to = ""
                if status == "OptIn" and rng.random() < 0.2:
                    effective_to = sf_timestamp(captured + timedelta(days=730))
                consents.append({
                    "Id": sf_id("0ZY", n_consent),
                    "PartyId": individual_id,
                    "ContactPointType": rng.choice(CONTACT_POINT_TYPES),
                    "DataUsePurposeName": rng.choice(PURPOSES),
                    "PrivacyConsentStatus": status,
                    "CaptureDate": sf_timestamp(captured),
                    "CaptureSource": source,
                    "CaptureContactPointType": source_type,
                    "DoubleConsentCaptureDate": double,
                    "EffectiveFrom": sf_timestamp(captured),
                    "EffectiveTo": effective_to,
                    "LastModifiedDate": sf_timestamp(captured + timedelta(minutes=91)),
                    "IsDeleted": "false",
                })
        # a few people are in the CRM twice (duplicate contacts of one Individual)
        for _ in range(2 if individual_id and rng.random() < 0.05 else 1):
            n_contact += 1
            person_of[sf_id("003", n_contact)] = p
            bounced = rng.random() < 0.03
            contacts.append({
                "Id": sf_id("003", n_contact),
                "IndividualId": individual_id,
                "Email": p.variant(rng),
                "MailingCountry": _country(p, rng),
                "HasOptedOutOfEmail": _bool(rng.random() < 0.1),
                "DoNotCall": _bool(rng.random() < 0.06),
                "EmailBouncedDate": sf_timestamp(at + timedelta(hours=3)) if bounced else "",
                "EmailBouncedReason": rng.choice(BOUNCE_REASONS) if bounced else "",
                "LastModifiedDate": sf_timestamp(at + timedelta(hours=4)),
                "IsDeleted": "false",
            })
    return contacts, individuals, consents, person_of


def _change_contact(record: dict[str, str], at: datetime, rng: random.Random, p: Person) -> None:
    """One edit of a contact: a consent flag, a bounce, or a field we do not track."""
    roll = rng.random()
    if roll < 0.3:
        record["HasOptedOutOfEmail"] = _bool(record["HasOptedOutOfEmail"] == "false")
    elif roll < 0.45:
        record["DoNotCall"] = _bool(record["DoNotCall"] == "false")
    elif roll < 0.55:
        record["EmailBouncedDate"] = sf_timestamp(at - timedelta(minutes=rng.randint(5, 120)))
        record["EmailBouncedReason"] = rng.choice(BOUNCE_REASONS)
    elif roll < 0.7:
        record["MailingCountry"] = _country(p, rng)  # same country, maybe spelled differently
    elif roll < 0.73:
        record["IsDeleted"] = "true"
    # else: a field outside the extract changed (title, phone number): an unchanged snapshot
    record["LastModifiedDate"] = sf_timestamp(at)


def _change_individual(record: dict[str, str], at: datetime, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.5:
        record["HasOptedOutSolicit"] = _bool(record["HasOptedOutSolicit"] == "false")
    elif roll < 0.6:
        record["HasOptedOutProcessing"] = _bool(record["HasOptedOutProcessing"] == "false")
    elif roll < 0.68:
        record["ShouldForget"] = "true"
    record["LastModifiedDate"] = sf_timestamp(at)


def _change_consent(record: dict[str, str], at: datetime, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.5:
        # the person chose again: a new capture
        record["PrivacyConsentStatus"] = rng.choice(STATUSES)
        record["CaptureDate"] = sf_timestamp(at - timedelta(seconds=rng.randint(1, 600)))
        record["CaptureSource"], record["CaptureContactPointType"] = rng.choice(CAPTURE_SOURCES)
        record["DoubleConsentCaptureDate"] = ""
    elif roll < 0.7 and record["PrivacyConsentStatus"] == "OptIn" and not record["DoubleConsentCaptureDate"]:
        record["DoubleConsentCaptureDate"] = sf_timestamp(at - timedelta(minutes=rng.randint(1, 30)))
    elif roll < 0.75 and record["PrivacyConsentStatus"] == "OptIn":
        record["EffectiveTo"] = sf_timestamp(at - timedelta(minutes=rng.randint(1, 60)))
    record["LastModifiedDate"] = sf_timestamp(at)


def _csv_text(fields: list[str], records: list[dict[str, str]], malformed: list[str]) -> str:
    """Records without the header (the parent writes it once per merged file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for record in records:
        writer.writerow([record[name] for name in fields])
    text = buffer.getvalue()
    return text + "".join(line + "\r\n" for line in malformed)


def _header_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()


ENTITIES = [("contact", CONTACT_FIELDS), ("individual", INDIVIDUAL_FIELDS),
            ("contact_point_type_consent", CONSENT_FIELDS)]
HEADER_LINES = {entity: _header_line(fields) for entity, fields in ENTITIES}


def write(people: list[Person], parts: Path, rng: random.Random, days: list[date], shard: Shard) -> None:
    """A full first extract, then each day the records modified the day before; a few malformed
    lines (the re-delivered contact extract is added by the parent)."""
    members = [p for p in people if "salesforce" in p.tools]
    contacts, individuals, consents, person_of = _initial_records(members, rng, shard.id_base)
    for i, day in enumerate(days):
        extract = Extract()
        if i == 0:
            extract = Extract([dict(r) for r in contacts], [dict(r) for r in individuals],
                              [dict(r) for r in consents])
        else:
            start = datetime.combine(day - timedelta(days=1), time(), tzinfo=UTC)
            for record in contacts:
                if record["IsDeleted"] == "false" and rng.random() < 0.04:
                    _change_contact(record, start + timedelta(seconds=rng.randrange(86400)), rng,
                                    person_of[record["Id"]])
                    extract.contact.append(dict(record))
            for record in individuals:
                if rng.random() < 0.03:
                    _change_individual(record, start + timedelta(seconds=rng.randrange(86400)), rng)
                    extract.individual.append(dict(record))
            for record in consents:
                if rng.random() < 0.04:
                    _change_consent(record, start + timedelta(seconds=rng.randrange(86400)), rng)
                    extract.contact_point_type_consent.append(dict(record))
        for entity, fields in ENTITIES:
            records = getattr(extract, entity)
            rng.shuffle(records)
            malformed = [rng.choice(MALFORMED[entity])] if shard.edge and rng.random() < 0.35 else []
            path = shard.part(parts, "salesforce", day, f"{entity}_001.csv")
            path.write_text(_csv_text(fields, records, malformed), encoding="utf-8", newline="")
