"""Files for the tools, written from the published warehouse after each publication."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration import paths
from orchestration.assets import PUBLISHED_WAREHOUSE
from orchestration.partitions import DAILY
from orchestration.resources import export_environment
from orchestration.sync import sync_summary, write_outboxes, write_suppression_sync


@asset(
    key=AssetKey(["exports", "suppression_sync"]),
    deps=[PUBLISHED_WAREHOUSE],
    partitions_def=DAILY,
    description="exports/<as_of>/<tool>/: the suppressions HubSpot, Mailchimp, Salesforce and Marketo "
    "must apply, as full lists and as the delta since the previous publish.",
)
def suppression_sync(context: AssetExecutionContext) -> MaterializeResult:
    export_environment()
    written = write_suppression_sync(paths.published_db(), context.partition_key, paths.exports_dir())
    return MaterializeResult(metadata={
        "folder": MetadataValue.path(str(paths.exports_dir() / context.partition_key)),
        "files": MetadataValue.json({tool: [p.name for p in files] for tool, files in written.items()}),
        "summary": MetadataValue.md(sync_summary(paths.exports_dir(), context.partition_key)),
    })


@asset(
    key=AssetKey(["exports", "outboxes"]),
    deps=[PUBLISHED_WAREHOUSE],
    partitions_def=DAILY,
    description="exports/<as_of>/outbox/: withdrawal confirmations owed and re-consent requests for "
    "the email tool (never suppressed or erased contacts).",
)
def outboxes(context: AssetExecutionContext) -> MaterializeResult:
    export_environment()
    written = write_outboxes(paths.published_db(), context.partition_key, paths.exports_dir())
    return MaterializeResult(metadata={name: MetadataValue.path(str(path)) for name, path in written.items()})
