# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BACKEND := backend

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python $(BACKEND)/pyproject.toml
	$(BIN)/pip install --quiet -e '$(BACKEND)[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/aigt serve

test: install
	cd $(BACKEND) && ../$(BIN)/python -m pytest -n 2 -q

lint: install
	cd $(BACKEND) && ../$(BIN)/ruff check src tests benchmarks alembic && ../$(BIN)/ruff format --check src tests benchmarks alembic && ../$(BIN)/mypy

bench: install
	cd $(BACKEND) && ../$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV)
