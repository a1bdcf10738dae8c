"""Files for the tools, written from the published warehouse after each publication.

Exports and outboxes follow the latest state only: after a backfill (a dated snapshot) they write
nothing, so a past day's answer never reaches a tool or the email tool.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.defs.dbt.resources import export_environment
from orchestration.defs.partitions import DAILY
from orchestration.defs.publish.assets import PUBLISHED_WAREHOUSE
from orchestration.features.suppression_sync import sync_counts, sync_summary, write_outboxes, write_suppression_sync
from orchestration.lib import paths
from orchestration.lib.publish import latest_as_of, snapshot_path
from orchestration.lib.report import add_sync_counts


def _backfill_result(as_of: str) -> MaterializeResult | None:
    """Nothing to write for a backfill: say so, and where its snapshot is."""
    latest = latest_as_of(paths.published_db())
    if latest is None or as_of >= latest:
        return None
    return MaterializeResult(metadata={
        "skipped": MetadataValue.md(
            f"backfill of {as_of}: published as the snapshot `{snapshot_path(paths.published_db(), as_of)}`; "
            f"tool files and outboxes follow the latest state ({latest})."),
    })


@asset(
    key=AssetKey(["exports", "suppression_sync"]),
    deps=[PUBLISHED_WAREHOUSE],
    partitions_def=DAILY,
    group_name="exports",
    description="exports/<as_of>/<tool>/ beside the warehouse: the suppressions HubSpot, Mailchimp, "
    "Salesforce and Marketo must apply, as full lists and as the delta since the previous publish "
    "of the same warehouse (nothing for a backfill).",
)
def suppression_sync(context: AssetExecutionContext) -> MaterializeResult:
    export_environment()
    skipped = _backfill_result(context.partition_key)
    if skipped is not None:
        return skipped
    written = write_suppression_sync(paths.published_db(), context.partition_key, paths.exports_dir())
    add_sync_counts(paths.reports_dir(), context.partition_key,
                    sync_counts(paths.exports_dir(), context.partition_key))
    return MaterializeResult(metadata={
        "folder": MetadataValue.path(str(paths.exports_dir() / context.partition_key)),
        "files": MetadataValue.json({tool: [p.name for p in files] for tool, files in written.items()}),
        "summary": MetadataValue.md(sync_summary(paths.exports_dir(), context.partition_key)),
    })


@asset(
    key=AssetKey(["exports", "outboxes"]),
    deps=[PUBLISHED_WAREHOUSE],
    partitions_def=DAILY,
    group_name="exports",
    description="exports/<as_of>/outbox/ beside the warehouse: withdrawal confirmations and re-consent "
    "requests for the email tool, each handed over once (recorded in audit.publication_ledger); "
    "nothing for a backfill.",
)
def outboxes(context: AssetExecutionContext) -> MaterializeResult:
    export_environment()
    skipped = _backfill_result(context.partition_key)
    if skipped is not None:
        return skipped
    written = write_outboxes(paths.published_db(), context.partition_key, paths.exports_dir())
    return MaterializeResult(metadata={name: MetadataValue.path(str(path)) for name, path in written.items()})
