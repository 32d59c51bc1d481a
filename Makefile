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

.PHONY: install demo lint test clean

install: $(STAMP)

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

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
