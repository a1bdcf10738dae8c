"""The `consent-ledger` command: `main.py` parses and dispatches, `run.py` runs the nightly job,
`features.py` holds the export and explain subcommands."""
