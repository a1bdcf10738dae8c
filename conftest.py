"""Test-session settings that must apply before any test module builds a landing folder.

Files written by a test are seconds old; the nightly job defers files younger than
CONSENT_LEDGER_SETTLE_SECONDS (default 60) to the next run, so tests read them at once. Tests of the
settle time itself set it explicitly (dbt unit test overrides, tests/test_landing_*.py).
"""

import os

os.environ.setdefault("CONSENT_LEDGER_SETTLE_SECONDS", "0")
