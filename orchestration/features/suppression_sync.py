"""Suppressions pushed back to every marketing tool, and the email tool's outboxes.

Every nightly publish writes, under `exports/<as_of>/<tool>/`, the addresses each tool must
suppress, in the column layout of that tool's own import, as three files per import:

* `<import>_full.csv`: every address that must be suppressed as of the run;
* `<import>_added.csv`: addresses the import file of the previous publish of the same warehouse
  did not carry (the first publish: everything is added); import this one each night. A rerun of
  a date compares with the same earlier publish, so its files are the first run's files brought
  up to date. When the sync of that previous publish did not complete (its folder has no marker of
  this warehouse), every suppressed address is listed as added (fail closed);
* `<import>_lifted.csv`: addresses that earlier file carried that are no longer suppressed,
  because the person opted back in somewhere the warehouse reads. Review before applying (see below).

What each import carries and what changed against the previous publish is decided in dbt, once:
audit.suppression_changes (one row per import and contact: kept, added, lifted or erased; the
tool_imports and tool_suppression_rules seeds say which suppressions each import carries). This
module only writes those rows in each import's column layout (IMPORTS) and counts what it wrote;
the run report shows the same counts. Erased contacts have no email in the published tables, so
they cannot be synced by address: they are counted in the summary line, and must be deleted in
each tool by the erasure procedure. An address an earlier file carried whose contact has since
been erased is neither listed as lifted nor written anywhere again (change `erased`); it is
counted too. An address a spreadsheet would read as a formula is never written to an import file
(listed in `manual_handling.csv` instead).

Which import each file is for, and how to apply it: docs/tool-imports.md (IMPORT_GUIDE), also
written to `exports/<as_of>/README.md`.

`write_outboxes` writes `exports/<as_of>/outbox/` CSVs for the email tool: withdrawal
confirmations owed (each withdrawal event once, never to erased, undeliverable or complaining
addresses) and re-consent requests (reconsent_required, never to a suppressed or erased contact;
once per notice until answered or the re-ask interval passes). What they hold is recorded in
`audit.publication_ledger` by the publish step, so nothing is owed twice; a rerun of a date writes
its new rows to `<name>.publication-<n>.csv` beside the first run's files, which stay as they were.

A backfill publishes a dated snapshot and writes neither tool files nor outboxes: tools and the
email tool act on the latest state.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.features.segment_export import ExportError, checked_warehouse, quote_ident, temp_path
from orchestration.lib import paths
from orchestration.lib.csv_safety import copy_csv, unsafe_sql
from orchestration.lib.identity import normalize_email_sql
from orchestration.lib.permissions import share

log = logging.getLogger(__name__)

TOOLS = ("hubspot", "mailchimp", "salesforce", "marketo")
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")

@dataclass(frozen=True)
class ImportFile:
    """One tool import's file layout: file prefix (audit.suppression_changes.import_name), the
    email column's header and the flag column's header, if the import has one. Which flag it
    carries is the tool_imports seed's rule, not this module's."""

    tool: str
    prefix: str
    email_header: str
    flag_header: str | None = None


IMPORTS = (
    ImportFile("hubspot", "hubspot_opt_out", "Email"),
    ImportFile("mailchimp", "mailchimp_unsubscribed", "Email Address"),
    ImportFile("salesforce", "salesforce_contact_email_opt_out", "Email", "HasOptedOutOfEmail"),
    ImportFile("salesforce", "salesforce_contact_do_not_call", "Email", "DoNotCall"),
    ImportFile("salesforce", "salesforce_individual_opt_out_solicit", "Email", "HasOptedOutSolicit"),
    ImportFile("marketo", "marketo_unsubscribed", "Email Address", "Unsubscribed"),
    ImportFile("marketo", "marketo_do_not_call", "Email Address", "Do Not Call"),
)

IMPORT_GUIDE = paths.REPO_ROOT / "docs" / "tool-imports.md"  # the one copy of the import guide


def _write_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    try:
        copy_csv(con, select_sql, temp)
        share(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


MANUAL_HANDLING = "manual_handling.csv"


def _write_manual_handling(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """List the withheld addresses (neutralised, so the list itself is safe to open); 0 writes none."""
    count = con.execute("select count(distinct contact_key) from withheld").fetchone()[0]
    if count:
        _write_atomic(
            con,
            "select contact_key, email, string_agg(import, ' ') as imports, "
            "'starts with a character a spreadsheet reads as a formula: apply by hand' as reason "
            "from (select distinct contact_key, email, import from withheld order by import) "
            "group by contact_key, email order by contact_key",
            path,
        )
    else:
        path.unlink(missing_ok=True)
    return count


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    temp.write_text(text, encoding="utf-8")
    share(temp)
    os.replace(temp, path)
    return path


def _check_as_of(con: duckdb.DuckDBPyConnection, as_of: str) -> None:
    """The files are named for a run: refuse a warehouse published for another date."""
    if not DATE_DIR.match(as_of):
        raise ExportError(f"as_of must be YYYY-MM-DD, got {as_of!r}")
    rows = con.execute("select distinct as_of from consent.consent_status").fetchall()
    published = [str(row[0]) for row in rows]
    if published and published != [as_of]:
        raise ExportError(f"the warehouse was published for {', '.join(published)}, not {as_of}")


MARKER = "publication.json"


def _publication(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The latest publication recorded in the published file and its lineage (when its first
    publish happened: the same for every later file of this warehouse, wherever it is moved or
    copied), if it has history; written to `publication.json` beside the files."""
    try:
        row = con.execute("select publication_number from audit.publications "
                          "where kind <> 'backfill' order by publication_number desc limit 1").fetchone()
        lineage = con.execute("select cast(min(published_at) as varchar) from audit.publications").fetchone()[0]
    except duckdb.Error:
        return {"number": None, "lineage": None}
    return {"number": row[0] if row else None, "lineage": lineage}


CHANGES = "audit.suppression_changes"


def _synced(exports_root: Path, as_of: str, lineage: object) -> bool:
    """Whether the sync of this warehouse's publish for `as_of` completed under exports_root: its
    marker, written last, names the same lineage."""
    try:
        marker = json.loads((exports_root / as_of / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("lineage") == lineage


def _check_changes(con: duckdb.DuckDBPyConnection) -> None:
    """The files are written from the published audit.suppression_changes: a warehouse published
    before it existed has to be published again (any run) first, and an import this module has no
    layout for is an error, never a file silently left out."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' "
        "and table_name = 'suppression_changes'").fetchone()[0]
    if not found:
        raise ExportError(f"the warehouse has no {CHANGES} (published by an older release): "
                          "run the nightly job for this date again to publish it, then sync")
    known = {spec.prefix for spec in IMPORTS}
    unknown = sorted(row[0] for row in con.execute(f"select distinct import_name from {CHANGES}").fetchall()
                     if row[0] not in known)
    if unknown:
        raise ExportError(f"{CHANGES} names imports without a file layout in IMPORTS: {', '.join(unknown)}")


def write_suppression_sync(warehouse: Path, as_of: str, exports_root: Path) -> dict[str, list[Path]]:
    """Write full/added/lifted suppression files per tool for the run `as_of` from the published
    audit.suppression_changes; tool -> files."""
    exports_root = Path(exports_root)
    run_dir = exports_root / as_of
    written: dict[str, list[Path]] = {tool: [] for tool in TOOLS}
    counts: list[str] = []
    totals: dict[str, object] = {"as_of": as_of, "imports": {}}
    warehouse = Path(warehouse).resolve()
    with checked_warehouse(warehouse) as con:
        _check_as_of(con, as_of)
        _check_changes(con)
        publication = _publication(con)
        con.execute(
            f"""
            create temp table changes as
            select import_name, email, change, compared_with_as_of from {CHANGES}
            """
        )
        # fail closed: when the sync of the publish compared with did not complete here (no marker of
        # this warehouse for that date), its additions may never have reached the tools, so every
        # suppressed address is listed as added tonight (suppressing again is harmless)
        compared = [row[0] for row in con.execute(
            "select distinct cast(compared_with_as_of as varchar) from changes "
            "where compared_with_as_of is not null order by 1").fetchall()]
        unsynced = [date for date in compared if not _synced(exports_root, date, publication["lineage"])]
        added_changes = "'kept', 'added'" if unsynced else "'added'"
        # an address a spreadsheet would read as a formula is never written to an import file
        con.execute(
            "create temp table withheld as select contact_key, email, import_name as import "
            f"from {CHANGES} where change in ('kept', 'added') and {unsafe_sql('email')}"
        )
        for spec in IMPORTS:
            email_col = quote_ident(spec.email_header)

            def select(changes: str, flag: str, spec: ImportFile = spec, email_col: str = email_col) -> str:
                flag_col = f", {flag} as {quote_ident(spec.flag_header)}" if spec.flag_header else ""
                return (f"select email as {email_col}{flag_col} from (select distinct email from changes "
                        f"where import_name = '{spec.prefix}' and change in ({changes}) "
                        f"and not {unsafe_sql('email')}) order by email")

            folder = run_dir / spec.tool
            files = {
                "full": select("'kept', 'added'", "true"),
                "added": select(added_changes, "true"),
                "lifted": select("'lifted'", "false"),
            }
            sizes = {}
            for part, sql in files.items():
                path = _write_atomic(con, sql, folder / f"{spec.prefix}_{part}.csv")
                written[spec.tool].append(path)
                sizes[part] = con.execute(f"select count(*) from ({sql})").fetchone()[0]
            gone_erased, compared_with = con.execute(
                "select count(*) filter (where change = 'erased'), cast(max(compared_with_as_of) as varchar) "
                "from changes where import_name = ?", [spec.prefix]).fetchone()
            totals["imports"][spec.prefix] = {**sizes, "now_erased": gone_erased, "compared_with": compared_with}
            counts.append(
                f"{spec.prefix} {sizes['full']} (+{sizes['added']} added, -{sizes['lifted']} lifted"
                + (f", {gone_erased} now erased" if gone_erased else "")
                + f"; vs {compared_with or 'nothing earlier'})"
            )
        erased_count, not_tool_wide, stricter = con.execute(
            f"""
            select
                (select count(*) from consent.contacts where is_erased),
                (select count(*) from consent.tool_suppressions where flag is null),
                (select count(distinct a.contact_key) from consent.marketable_audience as a
                 where a.channel = 'email'
                   and {normalize_email_sql('a.email')} in (
                       select email from changes where import_name = 'hubspot_opt_out'
                       and change in ('kept', 'added') and not {unsafe_sql('email')}))
            """
        ).fetchone()
        withheld = _write_manual_handling(con, run_dir / MANUAL_HANDLING)
        for part, changes in (("added", added_changes), ("lifted", "'lifted'")):
            totals[f"addresses_{part}"] = con.execute(
                f"select count(distinct email) from changes where change in ({changes}) "
                f"and not {unsafe_sql('email')}").fetchone()[0]
    totals.update(unsynced_publishes=unsynced,
                  erased_contacts=erased_count, not_tool_wide=not_tool_wide, stricter_than_export=stricter,
                  warehouse=str(warehouse), publication=publication["number"])
    summary = (
        f"suppression sync {as_of}: {totals['addresses_added']} addresses added, "
        f"{totals['addresses_lifted']} lifted in all (vs the previous publish of {warehouse.name}); "
        + "; ".join(counts)
        + (f". The sync of {', '.join(unsynced)} did not complete in {exports_root}: every suppressed address "
           "is listed as added tonight, so importing only *_added.csv misses nothing" if unsynced else "")
        + f". {erased_count} erased contacts cannot be synced by address (no email is kept): delete them in "
        "each tool by the erasure procedure. "
        f"{not_tool_wide} purpose-level or sale/sharing suppressions are enforced by "
        "`consent-ledger export`, not pushed as tool-wide flags. "
        f"{stricter} flagged addresses opted in to an email purpose after a broader opt-out: export allows "
        "that purpose, the tool-wide flag stays (stricter than export, never looser). "
        + (f"{withheld} addresses a spreadsheet would read as a formula are withheld from the import files "
           f"(still suppressed here): apply them by hand from {MANUAL_HANDLING}." if withheld else "")
    )
    _write_text(run_dir / "suppression_sync_summary.txt", summary + "\n")
    _write_text(run_dir / "suppression_sync_summary.json", json.dumps(totals, indent=2, default=str) + "\n")
    _write_text(run_dir / MARKER, json.dumps(
        {"warehouse": str(warehouse), "lineage": publication["lineage"], "as_of": as_of,
         "publication": publication["number"]}, indent=2) + "\n")
    _write_text(run_dir / "README.md", IMPORT_GUIDE.read_text(encoding="utf-8"))
    log.info(summary)
    return written


def sync_summary(exports_root: Path, as_of: str) -> str:
    """The summary line `write_suppression_sync` wrote for a run."""
    return (Path(exports_root) / as_of / "suppression_sync_summary.txt").read_text(encoding="utf-8").strip()


def sync_counts(exports_root: Path, as_of: str) -> dict[str, object] | None:
    """The counts `write_suppression_sync` wrote for a run (the run report shows the same numbers)."""
    path = Path(exports_root) / as_of / "suppression_sync_summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def outbox_name(con: duckdb.DuckDBPyConnection, as_of: str, name: str) -> str:
    """`<name>.csv` for the first publication of a date; a rerun's own file is
    `<name>.publication-<n>.csv`, so the first run's outbox is never overwritten."""
    try:
        numbers = [r[0] for r in con.execute(
            "select publication_number from audit.publications where as_of = ? and kind <> 'backfill' "
            "order by publication_number", [as_of]).fetchall()]
    except duckdb.Error:
        numbers = []
    return f"{name}.csv" if len(numbers) <= 1 else f"{name}.publication-{numbers[-1]}.csv"


def write_outboxes(warehouse: Path, as_of: str, exports_root: Path) -> dict[str, Path]:
    """Withdrawal confirmations owed and re-consent requests for the email tool, for run `as_of`.

    Who is owed what is decided in dbt (consent.withdrawal_confirmations, consent.reconsent_requests
    and the seeds); what the published outboxes hold is what the publish step recorded as handed
    over, so this only writes them as CSV.
    """
    outbox = Path(exports_root) / as_of / "outbox"
    with checked_warehouse(warehouse) as con:
        _check_as_of(con, as_of)
        con.execute("create temp table withheld (contact_key varchar, email varchar, import varchar)")
        written = {}
        for name in ("withdrawal_confirmations", "reconsent_requests"):
            con.execute(
                f"insert into withheld select contact_key, email, '{name}' from consent.{name} "
                f"where {unsafe_sql('email')}"
            )
            written[name] = _write_atomic(
                con, f"select * from consent.{name} where not {unsafe_sql('email')} order by email",
                outbox / outbox_name(con, as_of, name),
            )
        if _write_manual_handling(con, outbox / MANUAL_HANDLING):
            written["manual_handling"] = outbox / MANUAL_HANDLING
        return written
