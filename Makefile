# Consent Ledger. `make run` and `make test` work on a fresh machine with Python 3.11, 3.12 or 3.13:
# PYTHON defaults to the first of python3.11, python3.12, python3.13 on the PATH (override: PYTHON=...).
PYTHON ?= $(or $(firstword $(foreach v,3.11 3.12 3.13,$(shell command -v python$(v) 2>/dev/null))),\
	$(error no python3.11, python3.12 or python3.13 on the PATH; install one or set PYTHON=/path/to/python))
VENV := .venv
BIN := $(VENV)/bin
LANDING ?= $(or $(CONSENT_LEDGER_LANDING),data/landing)

export DBT_SEND_ANONYMOUS_USAGE_STATS = false
export GX_ANALYTICS_ENABLED = false
DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install run test ui lint clean bench

$(BIN)/consent-ledger: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/consent-ledger

# Install, generate sample landing data when there is none, run the nightly job once.
# Freshly generated sample files are complete, so they need not wait out the settle time.
run: install
	@if [ -z "$$(find $(LANDING) -type f 2>/dev/null | head -n 1)" ]; then \
		$(BIN)/consent-ledger generate --out $(LANDING) --contacts 2000 --days 14 && \
		CONSENT_LEDGER_SETTLE_SECONDS=0 $(BIN)/consent-ledger run --landing $(LANDING); \
	else \
		$(BIN)/consent-ledger run --landing $(LANDING); \
	fi

test: install
	$(BIN)/ruff check orchestration expectations tests
	$(BIN)/pytest

# The Dagster UI with the nightly schedule (http://127.0.0.1:3000).
ui: install
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

# The benchmark (not part of the test suite): floor, full, incremental, empty nightly run and a 1M
# candidate export at about EVENTS consent events; data cached under data/bench/, results in
# benchmarks/results/latest.json (fields: benchmarks/results/README.md). REPEAT defaults to 3 up to
# 200k events, else 1.
EVENTS ?= 100000
DAYS ?= 100
SEED ?= 42
REPEAT ?=
bench: install
	$(BIN)/python benchmarks/bench.py --events $(EVENTS) --days $(DAYS) --seed $(SEED) $(if $(REPEAT),--repeat $(REPEAT))

lint: install
	$(BIN)/ruff check orchestration expectations tests

clean:
	rm -rf target logs .pytest_cache .ruff_cache
