# casebook: `make run` starts the product, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench bench-full check docs services clean assets axe vnu

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

GOVUK_FRONTEND := 6.3.0
GOVUK_STAMP := casebook/static/govuk/.version-$(GOVUK_FRONTEND)

## run: start casebook on SQLite at http://127.0.0.1:5000 (first admin printed on first run); `make run PORT=5001` for another port
PORT ?= 5000
run: $(STAMP) assets
	BIN=$(BIN) PORT=$(PORT) scripts/run.sh

## assets: GOV.UK Frontend $(GOVUK_FRONTEND), the version govuk-frontend-jinja 4.1 matches
assets: $(GOVUK_STAMP)

$(GOVUK_STAMP):
	npm install --no-save --no-audit --no-fund --prefix .cache/npm govuk-frontend@$(GOVUK_FRONTEND)
	rm -rf casebook/static/govuk
	cp -R .cache/npm/node_modules/govuk-frontend/dist/govuk casebook/static/govuk
	touch $(GOVUK_STAMP)

## axe: axe-core, the accessibility checker the browser journeys run on every page
AXE_CORE := 4.10.3
AXE_STAMP := .cache/npm-axe/.version-$(AXE_CORE)
axe: $(AXE_STAMP)

$(AXE_STAMP):
	npm install --no-save --no-audit --no-fund --prefix .cache/npm-axe axe-core@$(AXE_CORE)
	touch $(AXE_STAMP)

## vnu: the Nu Html Checker, run by the browser journeys on every page they are served (needs Java)
VNU_JAR := 26.9.27
VNU_STAMP := .cache/npm-vnu/.version-$(VNU_JAR)
vnu: $(VNU_STAMP)

$(VNU_STAMP):
	npm install --no-save --no-audit --no-fund --ignore-scripts --prefix .cache/npm-vnu vnu-jar@$(VNU_JAR)
	test -f .cache/npm-vnu/node_modules/vnu-jar/build/dist/vnu.jar
	touch $(VNU_STAMP)

## test: lint, type-check, then every test on SQLite and PostgreSQL, browser journeys included
test: $(STAMP) services assets axe vnu
	$(BIN)/ruff check events projections casebook tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

services:
	scripts/ensure-test-services.sh

## bench: benchmarks against the plain driver, SQLite and PostgreSQL (a few minutes); see tests/bench/README.md
bench: $(STAMP) services
	$(BIN)/python -m tests.bench

## bench-full: the same up to 1,000,000 events (about 20 minutes here)
bench-full: $(STAMP) services
	$(BIN)/python -m tests.bench --full

## docs: write the generated reference in docs/ (event types, measures, command line) from the code
docs: $(STAMP)
	$(BIN)/python -m casebook.reference

## check: lint and type-check
check: $(STAMP)
	$(BIN)/ruff check events projections casebook tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .cache casebook/static/govuk
