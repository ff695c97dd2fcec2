# The two commands of the README: `make run` (the dashboard) and `make test` (every test).
# Both create the virtual environment .venv and install what they need on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run summary test browser postgres bench clean

$(BIN)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.testing: $(BIN)/.runtime requirements-test.txt
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(BIN)/.runtime            ## the dashboard: make run ARGS="--seed 7 --days 30"
	$(BIN)/python app.py $(ARGS)

summary: $(BIN)/.runtime        ## the console summary: make summary ARGS="--seed 100 --days 30"
	$(BIN)/python -m metrics $(ARGS)

browser:                        ## Debian's chromium and chromium-driver for the browser tests, when missing
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; fi

postgres:                       ## Debian's postgresql (initdb, pg_ctl) for the throwaway cluster of the PostgreSQL tests, when missing
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; fi

test: $(BIN)/.testing browser postgres   ## every test: unit, property, CLI, browser (headless Chromium) and PostgreSQL
	$(BIN)/python -m pytest --headless $(ARGS)

bench: $(BIN)/.runtime          ## speed tables for the README (not a test)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
