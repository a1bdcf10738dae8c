"""The Dagster code location (`dagster dev` loads it from pyproject's [tool.dagster]): the
definitions of every area under orchestration/defs/, merged."""

from dagster import Definitions

from orchestration.defs import dbt, exports, gate, publish, schedules

defs = Definitions.merge(dbt.defs, gate.defs, publish.defs, exports.defs, schedules.defs)
