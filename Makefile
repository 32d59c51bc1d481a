# derbes — developer entry points. `make test` is what CI runs (via .ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Reinstall only when the dependencies may have changed.
STAMP := $(VENV)/.derbes-installed
# Only the directories that exist: git does not keep empty ones.
TEST_DIRS := $(wildcard tests/unit tests/integration tests/e2e)
LINT_DIRS := $(wildcard src tests bench scripts)
# Two workers; each starts its own throwaway PostgreSQL (see tests/integration/conftest.py).
PYTEST_WORKERS ?= 2

# The browser files derbes serves (Swagger UI, ReDoc) and axe-core for the browser
# tests, pinned in package-lock.json; npm runs no package's scripts.
NODE_STAMP := node_modules/.derbes-installed
VENDOR_STAMP := src/derbes/api/static/vendor/.derbes-copied

.PHONY: install assets demo lint test screenshots wheel clean

install: $(STAMP) assets

assets: $(VENDOR_STAMP)

$(NODE_STAMP): package.json package-lock.json
	command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): $(NODE_STAMP) scripts/vendor_assets.py
	$(PYTHON) scripts/vendor_assets.py
	touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/derbes demo

lint: install
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_limits.py

# pytest exits 5 when it collected nothing: make treats that as the failure it is.
test: lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -n $(PYTEST_WORKERS) $(TEST_DIRS)

# The PNGs of docs/console/: the browser tests write their screenshots there.
screenshots: install
	DERBES_SCREENSHOTS=docs/console $(BIN)/pytest -q -n 0 -m browser tests/e2e/browser

# A wheel that serves /docs and /redoc offline: the copied browser files go in it.
wheel: install
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
