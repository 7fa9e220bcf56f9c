# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install assets run test test-calendar lint format bench clean

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	# Bytecode for the catalogue's own modules (pip compiles the libraries): with
	# PYTHONDONTWRITEBYTECODE set, every command would compile them again (#20).
	$(BIN)/python -m compileall -q catalogue lineage search cli.py
	touch $(INSTALLED)

install: $(INSTALLED)

# The pages' front-end files: `npm ci` when node_modules is missing or older than
# package.json / package-lock.json, then the files the pages serve (GOV.UK
# Frontend, cytoscape, cytoscape-dagre) copied into catalogue/web/static/vendor.
NODE_MODULES := node_modules/.installed
VENDOR := catalogue/web/static/vendor/.copied

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_MODULES)

$(VENDOR): $(NODE_MODULES) catalogue/web/frontend_files.py | $(INSTALLED)
	$(BIN)/python -m catalogue.web.frontend_files
	touch $(VENDOR)

assets: $(VENDOR)

# The demo is the London Borough of Thamesbury: its pages say so (override either name).
run: install assets
	$(BIN)/catalogue init
	$(BIN)/catalogue demo --if-empty
	CATALOGUE_ORGANISATION="$${CATALOGUE_ORGANISATION:-London Borough of Thamesbury}" \
	CATALOGUE_SERVICE_NAME="$${CATALOGUE_SERVICE_NAME:-Thamesbury Council data catalogue}" \
	CATALOGUE_DEMO_HINTS=on \
	$(BIN)/catalogue serve --host $(HOST) --port $(PORT)

# The suite in TEST_WORKERS processes (pytest-xdist; each has its own databases,
# index folders and browser), then the fault tests alone: they restart the shared
# PostgreSQL server and time kills against a quiet machine. The slowest tests are
# listed at the end of each run.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := $(BIN)/pytest -n $(TEST_WORKERS) --durations=15

test: install assets
	$(PYTEST_PARALLEL) --ignore=tests/faults
	$(BIN)/pytest --durations=10 tests/faults

# The tests that depend on today's date (marked `calendar`), again with the whole
# session's clock a year ahead: a test that passes only near the day it was
# written fails here. CI runs it after `make test`.
test-calendar: install assets
	CATALOGUE_TEST_CLOCK_AHEAD_DAYS=365 $(PYTEST_PARALLEL) -m calendar

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (under 20 minutes on 2 cores; each step's time is printed at the end):
# tables printed, JSON in benchmarks/results/. `make bench QUICK=1` runs them at
# small sizes (a smoke run, no verdicts); `LARGE=1` adds the 250,000-asset steps.
# PostgreSQL rows too when CATALOGUE_BENCH_POSTGRES_URL (or CATALOGUE_TEST_POSTGRES_URL)
# names a server where the role may create databases.
BENCH_INSTALLED := $(VENV)/.bench-installed
$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' --config-settings editable_mode=compat
	touch $(BENCH_INSTALLED)

BENCH_FLAGS := $(if $(QUICK),--quick) $(if $(LARGE),--large)

bench: install $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.run $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) instance *.egg-info .pytest_cache .ruff_cache node_modules catalogue/web/static/vendor test-artifacts
