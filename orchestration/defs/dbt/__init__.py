"""Area dbt: every model, seed, snapshot and dbt test as Dagster assets and checks."""

from dagster import Definitions

from orchestration.defs.dbt.assets import consent_ledger_dbt
from orchestration.defs.dbt.resources import dbt_resource

defs = Definitions(assets=[consent_ledger_dbt], resources={"dbt": dbt_resource()})
