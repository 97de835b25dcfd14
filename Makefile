# Two entry points: `make run` (the bot; offline emulator + terminal chat when no token is set)
# and `make test` (lint + the whole test suite). Both build .venv from pyproject.toml themselves.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m bot run $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The store's contract tests run against PostgreSQL too when a server answers locally (or
# TEST_POSTGRESQL_URL names one); otherwise they are skipped with that reason.
TEST_POSTGRESQL_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql://postgres@127.0.0.1:5432/test)

test: lint
	TEST_POSTGRESQL_URL=$(TEST_POSTGRESQL_URL) $(VENV)/bin/python -m pytest -q $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
