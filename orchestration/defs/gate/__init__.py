"""Area gate: the Great Expectations suites, blocking checks that stop a bad build being published."""

from dagster import Definitions

from orchestration.defs.gate.checks import audit_trail_expectations

defs = Definitions(asset_checks=[audit_trail_expectations])
