# crmsync — the two commands:
#   make demo   set up, seed the sandbox CRM + ERP, run both syncs through Airflow, print summary
#   make test   set up, run the test suite
# Everything is installed into .venv from the pinned requirements.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
export AIRFLOW_HOME := $(CURDIR)
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: demo test lint setup bench bench-dedupe bench-connectors lock clean dictionary
BENCH_DEDUPE_ARGS ?= --records 100000
BENCH_CONNECTORS_ARGS ?= --rows 100000

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/crmsync demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

dictionary: setup
	$(BIN)/crmsync dictionary --out docs/data_dictionary.md

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# Matching quality and speed beside Splink 5 (its own venv, .venv-splink, made on first use).
bench-dedupe: setup
	$(BIN)/python -m bench.dedupe $(BENCH_DEDUPE_ARGS)

# Pull throughput per connector: SQL on SQLite/PostgreSQL/MariaDB-ODBC beside a plain cursor
# loop; add --peers (or CRMSYNC_E2E=1) for the Tryton and BottleCRM peers.
bench-connectors: setup
	$(BIN)/python -m bench.connectors $(BENCH_CONNECTORS_ARGS)

# Re-pin dependencies after changing pyproject.toml.
lock: setup
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf .state
