# The two commands: `make run` (set up and run Attune on SQLite) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test demo install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# The scheduler runs as its own process beside the development server, and stops with it.
run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) load-prompts
	$(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

# A demo couple with three weeks of history and one-time sign-in links for both partners and their
# therapist (development only). Run it beside `make run`; the links use $PORT too.
demo: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) demo

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)
