# casebook: `make run` starts the product, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench bench-full check services clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: start casebook on SQLite at http://127.0.0.1:5000 (first admin printed on first run)
run: $(STAMP)
	$(BIN)/casebook init
	$(BIN)/casebook serve

## test: every test, on SQLite and PostgreSQL, browser journeys included
test: $(STAMP) services
	$(BIN)/python -m pytest

services:
	scripts/ensure-test-services.sh

## check: lint and type-check
check: $(STAMP)
	$(BIN)/ruff check events projections casebook tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache
