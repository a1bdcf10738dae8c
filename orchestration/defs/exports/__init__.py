"""Area exports: files for the marketing tools and the email tool, written after each publish."""

from dagster import Definitions

from orchestration.defs.exports.assets import outboxes, suppression_sync

defs = Definitions(assets=[suppression_sync, outboxes])
