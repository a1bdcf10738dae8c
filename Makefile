# Consent Ledger. `make run` and `make test` work on a fresh machine with Python 3.11, 3.12 or 3.13:
# PYTHON defaults to the first of python3.11, python3.12, python3.13 on the PATH (override: PYTHON=...).
PYTHON ?= $(or $(firstword $(foreach v,3.11 3.12 3.13,$(shell command -v python$(v) 2>/dev/null))),\
	$(error no python3.11, python3.12 or python3.13 on the PATH; install one or set PYTHON=/path/to/python))
VENV := .venv
BIN := $(VENV)/bin
LANDING ?= $(or $(CONSENT_LEDGER_LANDING),data/landing)

export DBT_SEND_ANONYMOUS_USAGE_STATS = false
export GX_ANALYTICS_ENABLED = false
export DAGSTER_DISABLE_TELEMETRY = 1

.PHONY: install install-encryption run test unit lint ui clean bench docs

$(BIN)/consent-ledger: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/consent-ledger

# Opt-in encryption at rest (README, Guarantees): DuckDB 1.5.5 and the third-party wheel that carries
# its crypto module for that version. The default stack (constraints.txt) stays on DuckDB 2.0.1.
install-encryption: install
	$(BIN)/pip install --quiet duckdb==1.5.5 duckdb-extension-httpfs==1.5.5

# Install, generate sample landing data when there is none, run the nightly job once.
# Freshly generated sample files are complete, so they need not wait out the settle time.
run: install
	@if [ -z "$$(find $(LANDING) -type f 2>/dev/null | head -n 1)" ]; then \
		$(BIN)/consent-ledger generate --out $(LANDING) --contacts 2000 --days 14 && \
		CONSENT_LEDGER_SETTLE_SECONDS=0 $(BIN)/consent-ledger run --landing $(LANDING); \
	else \
		$(BIN)/consent-ledger run --landing $(LANDING); \
	fi

# The whole suite: lint (ruff, SQLFluff), then pytest, which builds each landing fixture once and runs
# the dbt unit tests once (tests/test_dbt_unit_tests.py), in one worker per core (pytest-xdist; tests
# that share a built warehouse stay in one worker: tests/conftest.py). PYTEST_ARGS adds pytest
# options (e.g. PYTEST_ARGS="-k hubspot" or "--durations=20"); TEST_WORKERS=0 runs in one process.
# The suite writes, fsyncs and throws away hundreds of small databases: they live in memory
# (/dev/shm) where the machine has it, else under TMPDIR.
PYTEST_ARGS ?=
TEST_WORKERS ?= auto
TEST_TMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
test: lint
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The dbt unit tests alone (the `unit_tests:` blocks beside the models), on a scratch database:
# seeds and models over an empty landing folder (unit tests read their inputs' and `this`'s columns),
# then the unit tests; no data tests.
UNIT_DIR = $(CURDIR)/target/unit
unit: install
	rm -rf $(UNIT_DIR) && mkdir -p $(UNIT_DIR)/landing
	CONSENT_LEDGER_LANDING=$(UNIT_DIR)/landing CONSENT_LEDGER_WORKING_DB=$(UNIT_DIR)/unit.duckdb \
		CONSENT_LEDGER_AS_OF=2026-03-10 DBT_TARGET_PATH=$(UNIT_DIR)/target DBT_LOG_PATH=$(UNIT_DIR)/logs \
		$(BIN)/dbt build --exclude-resource-type test --exclude-resource-type unit_test --profiles-dir . --project-dir . --quiet
	CONSENT_LEDGER_LANDING=$(UNIT_DIR)/landing CONSENT_LEDGER_WORKING_DB=$(UNIT_DIR)/unit.duckdb \
		CONSENT_LEDGER_AS_OF=2026-03-10 DBT_TARGET_PATH=$(UNIT_DIR)/target DBT_LOG_PATH=$(UNIT_DIR)/logs \
		$(BIN)/dbt test --select resource_type:unit_test --profiles-dir . --project-dir .

# The Dagster UI with the nightly schedule (http://127.0.0.1:3000), on the warehouse's own instance
# (warehouse/dagster/, or CONSENT_LEDGER_DAGSTER_HOME), which `consent-ledger run` records its runs in.
# No -m: dagster reads pyproject's [tool.dagster], so the code location is named consent_ledger.
ui: install
	$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	DAGSTER_HOME="$$($(BIN)/python -m orchestration.lib.instance)" $(BIN)/dagster dev -h 127.0.0.1 -p 3000

# The dbt docs (models, columns, tests, lineage) as one static page that opens from disk, no server
# and no network: target/docs/static_index.html. Built against an empty scratch database, so it
# never opens the warehouse and the TYPE column stays empty; DOCS_DB=warehouse/work/ledger_work.duckdb
# (while no run is going) fills it from a built database.
DOCS_DB ?= $(CURDIR)/target/docs/catalog.duckdb
docs: install
	mkdir -p target/docs
	CONSENT_LEDGER_WORKING_DB=$(abspath $(DOCS_DB)) $(BIN)/dbt docs generate --static \
		--profiles-dir . --project-dir . --target-path target/docs --log-path target/docs/logs --quiet
	@echo "dbt docs: $(CURDIR)/target/docs/static_index.html (open it in a browser)"

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

# Python (ruff) and SQL (SQLFluff, DuckDB dialect, dbt templater: .sqlfluff) lint. SQLFluff renders
# each model with dbt against a scratch database, never the warehouse.
LINT_DIR = $(CURDIR)/target/lint
lint: install
	$(BIN)/ruff check orchestration devtools expectations tests benchmarks
	mkdir -p $(LINT_DIR)/landing
	CONSENT_LEDGER_LANDING=$(LINT_DIR)/landing CONSENT_LEDGER_WORKING_DB=$(LINT_DIR)/lint.duckdb \
		DBT_TARGET_PATH=$(LINT_DIR)/target DBT_LOG_PATH=$(LINT_DIR)/logs \
		$(BIN)/sqlfluff lint models

clean:
	rm -rf target logs .pytest_cache .ruff_cache
