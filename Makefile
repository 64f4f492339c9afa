# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK_HASH := $(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(LOCK_HASH)
DEV_STAMP := $(VENV)/.dev-$(LOCK_HASH)

.PHONY: help run test test-fast install install-dev pdf browser lint typecheck pytest fuzz bench demo clean

help: ## list the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: install ## install, migrate and serve on the embedded SQLite
	$(BIN)/madoguchi migrate
	$(BIN)/madoguchi serve

test: install-dev browser lint typecheck pytest ## everything CI checks (on SQLite)

test-fast: install-dev ## the quick loop: no browser, no slow tests, on SQLite
	$(BIN)/pytest -q -m "not browser and not slow"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e .
	@rm -f $(VENV)/.run-*; touch $@

$(DEV_STAMP): $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@rm -f $(VENV)/.dev-* $(VENV)/.run-*; touch $@ $(RUN_STAMP)

install: $(RUN_STAMP) pdf ## the app into .venv

install-dev: $(DEV_STAMP) pdf ## the app and its test and lint tools into .venv

pdf: ## Pango and a Japanese font for PDF exports (Debian packages)
	@bash scripts/ensure-pdf.sh

browser: ## Debian's chromium for the browser tests
	@bash scripts/ensure-chromium.sh

lint: install-dev ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev ## mypy, strict, on server/, tests/ and bench/
	$(BIN)/mypy

pytest: install-dev ## the whole suite (PYTEST_ARGS to pass more)
	$(BIN)/pytest $(PYTEST_ARGS)

FUZZ_EXAMPLES ?= 20000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

fuzz: install-dev ## a longer fuzz of every POST route and of sign-in, on SQLite then PostgreSQL
	MADOGUCHI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q --timeout=0 tests/reliability/test_route_fuzz.py tests/reliability/test_auth_fuzz.py
	MADOGUCHI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) MADOGUCHI_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q --timeout=0 tests/reliability/test_route_fuzz.py tests/reliability/test_auth_fuzz.py

bench: install-dev ## speed figures on SQLite and PostgreSQL → docs/performance.md
	$(BIN)/python -m bench

demo: install ## a month of demo data in the embedded SQLite
	$(BIN)/madoguchi migrate
	$(BIN)/madoguchi demo

clean: ## remove .venv, var and caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
