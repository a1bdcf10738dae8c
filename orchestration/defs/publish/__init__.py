"""Area publish: the atomic swap of the checked working database into the published file."""

from dagster import Definitions

from orchestration.defs.publish.assets import published_warehouse

defs = Definitions(assets=[published_warehouse])
