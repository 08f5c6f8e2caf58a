# One command per task, the same locally and in CI. Each target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: the energy marketplace in one process (ARGS="--duration 60 --json" to stop and summarise)
demo: $(STAMP)
	$(BIN)/plaza demo $(ARGS)

## run: a one-node devnet (its own coordinator) with its API on http://127.0.0.1:8650
run: $(STAMP)
	$(BIN)/plaza node run --data-dir .plaza/node

## test: lint, types, layering, then the whole test suite
test: lint typecheck layers
	$(BIN)/pytest

## unit: the fast tests alone (tests/unit), no lint, types or layering
unit: $(STAMP)
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

clean:
	rm -rf $(VENV) .plaza .mypy_cache .pytest_cache .ruff_cache
