# One command per task, the same locally and in CI. Each target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Front-end packages (htmx, Leaflet, Chart.js, libsodium, Swagger UI) from npm, exactly as
# package-lock.json pins them; the web app and every /docs page serve them from here.
ASSETS := node_modules/.installed
# The browser the browser tests drive (Debian's; Playwright cannot download its own here).
CHROMIUM := /usr/bin/chromium

.PHONY: constraints demo run test lint typecheck layers unit bench browser screenshots clean

# Every package at the version constraints.txt pins (the set make test last passed with).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(ASSETS)

# Installed when missing and we may (root, as in CI); elsewhere the browser tests say why
# they skip. apt-get update runs only when the package lists do not know chromium yet.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }; \
	else echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests"; fi

## demo: the energy marketplace in one process (ARGS="--duration 60 --json" to stop and summarise)
demo: $(STAMP) $(ASSETS)
	$(BIN)/plaza demo $(ARGS)

## run: a one-node devnet (its own coordinator) with its API on http://127.0.0.1:8650
run: $(STAMP) $(ASSETS)
	$(BIN)/plaza node run --data-dir .plaza/node

## test: lint, types, layering, then the whole test suite in three runs: the tests that serve
## (contract, integration, system), the unit tests apart from their servers' leftovers, and
## the browser tests (Playwright's sync API keeps an event loop running to the end). The first
## two run on two workers each (pytest-xdist; a serving test mostly waits on its servers, so
## one worker left a core idle), the slowest folder first so that no worker is left alone
## with a long test at the end; the browser tests stay on one, where a page's Argon2id and
## Chromium need the cores to themselves and two workers gained nothing.
test: lint typecheck layers $(ASSETS) $(CHROMIUM)
	$(BIN)/pytest -n 2 --dist loadfile --durations=15 tests/system tests/integration tests/contract
	$(BIN)/pytest -n 2 tests/unit
	$(BIN)/pytest tests/browser

## browser: the browser tests alone (tests/browser, headless Chromium)
browser: $(STAMP) $(ASSETS) $(CHROMIUM)
	$(BIN)/pytest tests/browser -q

## screenshots: a PNG of each main page of the web app, into docs/screenshots/
screenshots: $(STAMP) $(ASSETS) $(CHROMIUM)
	$(BIN)/python tests/browser/screenshots.py docs/screenshots

## unit: the fast tests alone (tests/unit), no lint, types or layering
unit: $(STAMP) $(ASSETS)
	$(BIN)/pytest tests/unit -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

## bench: the ledger benchmark, as JSON
bench: $(STAMP)
	$(BIN)/plaza bench ledger --json

## constraints: every dependency at its newest release within pyproject.toml, pinned anew
## into constraints.txt (run make test on it before committing)
constraints:
	rm -rf .venv-resolve && $(PYTHON) -m venv .venv-resolve
	.venv-resolve/bin/pip install --quiet -e '.[dev]'
	{ head -2 constraints.txt; .venv-resolve/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-resolve

clean:
	rm -rf $(VENV) node_modules .plaza .mypy_cache .pytest_cache .ruff_cache
