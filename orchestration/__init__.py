"""Consent Ledger's Python side, one folder per role (README, "Architecture").

- `definitions.py`: the Dagster code location, merged from `defs/<area>/`.
- `defs/`: Dagster definitions by area: `dbt` (the models and their tests as assets), `gate` (the
  Great Expectations checks that block publication), `publish`, `exports` (tool files, outboxes),
  `schedules`; `defs/partitions.py` is the daily partition they share.
- `lib/`: plain library code with no Dagster definitions: paths, warehouse access, atomic file
  writes, the lock, file permissions, CSV safety, the publication swap, the landing scan, the run
  report and its charts, run dates. It imports nothing from `defs`, `features` or `cli`.
- `features/`: marketing-ops features over the published warehouse: segment export, explain,
  suppression sync and outboxes.
- `cli/`: the `consent-ledger` command (`main.py`), its `run` (the nightly job through Dagster)
  and its feature subcommands.

The sample-data generator is not product code: it lives in `devtools/generate/`.
"""
