"""The publish asset: runs only when every upstream model, dbt test and blocking check passed."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.defs.dbt.assets import consent_ledger_dbt
from orchestration.defs.dbt.resources import export_environment
from orchestration.defs.partitions import DAILY
from orchestration.defs.publish.erasure import purge_working_store
from orchestration.lib import paths
from orchestration.lib.lock import warehouse_lock
from orchestration.lib.publish import publish
from orchestration.lib.report import RunReport, load_charts, load_counts, load_validations

PUBLISHED_TABLE_KEYS = sorted(
    (key for key in consent_ledger_dbt.keys if key.path[0] in ("consent", "audit")),
    key=lambda k: k.to_user_string(),
)
PUBLISHED_WAREHOUSE = AssetKey(["warehouse", "published"])


@asset(
    key=PUBLISHED_WAREHOUSE,
    deps=PUBLISHED_TABLE_KEYS,
    partitions_def=DAILY,
    pool="consent_ledger_warehouse",
    group_name="publish",
    description="warehouse/ledger.duckdb: the consent.* and audit.* tables analysts read, swapped in "
    "atomically after every blocking check passed; a backfill (an earlier date than the latest "
    "publish) is published as warehouse/ledger_as_of_<date>.duckdb instead and never replaces it.",
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    export_environment()
    published, working = paths.published_db(), paths.working_db()
    with warehouse_lock(published):
        publication = publish(working, published, context.partition_key)
        # the ledger now holds every erasure by key: the working store may forget their lines
        purged = 0 if publication.is_snapshot else purge_working_store(working)
    counts = load_counts(publication.path)
    report = RunReport(as_of=context.partition_key, published=True, warehouse=str(publication.path),
                       counts=counts, publication_kind=publication.kind,
                       data_docs=str(paths.reports_dir() / context.partition_key / "data_docs" / "index.html"),
                       charts=load_charts(publication.path, context.partition_key),
                       validations=load_validations(paths.reports_dir() / context.partition_key,
                                                    context.partition_key))
    report_path = report.write(paths.reports_dir())
    context.log.info(f"published {publication.path} ({publication.kind}, {len(publication.tables)} tables); "
                     f"purged {purged} rows of erased contacts from the working store")
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(publication.path)),
        "kind": publication.kind,
        "publication_number": publication.number,
        "erased_rows_purged": purged,
        "tables": MetadataValue.json(publication.tables),
        "run_report": MetadataValue.path(str(report_path)),
    })
