"""`python -m orchestration.cli`: the same as the `consent-ledger` command."""

import sys

from orchestration.cli.main import main

sys.exit(main())
