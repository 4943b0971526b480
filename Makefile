# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BACKEND := backend
EXTENSION := vscode-extension

.PHONY: install run test test-backend test-extension package-extension lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python $(BACKEND)/pyproject.toml
	$(BIN)/pip install --quiet -e '$(BACKEND)[test,learner]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/aigt serve

# The extension's packages first: the backend suite transpiles the catalog's TypeScript solutions with them.
test: $(EXTENSION)/node_modules/.installed test-backend test-extension

test-backend: install
	cd $(BACKEND) && ../$(BIN)/python -m pytest -n 2 -q

# The extension's tests start `aigt serve` from .venv, so they need the backend installed.
$(EXTENSION)/node_modules/.installed: $(EXTENSION)/package-lock.json
	cd $(EXTENSION) && npm ci --no-audit --no-fund
	touch $@

test-extension: install $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && npm test

package-extension: $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && npm run package

lint: install
	cd $(BACKEND) && ../$(BIN)/ruff check src tests benchmarks alembic && ../$(BIN)/ruff format --check src tests benchmarks alembic && ../$(BIN)/mypy

bench: install
	cd $(BACKEND) && ../$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(EXTENSION)/node_modules $(EXTENSION)/out
