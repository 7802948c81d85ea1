# Datamarket: `make run` starts the marketplace with demo data; `make test` runs the whole suite.
# Both set everything up first on a fresh machine (a virtualenv in .venv with all four
# distributions); nothing needs to be installed by hand.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
# localstripe, the local stand-in for Stripe that `make run` starts on 127.0.0.1.
STRIPE_PORT ?= 8420
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DISTRIBUTIONS := pyproject.toml sdk/pyproject.toml plugins/governance_tools/pyproject.toml plugins/ai_models/pyproject.toml
PO_FILES := $(wildcard marketplace/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
PYTEST_WORKERS ?= auto
# The local plugins folder of `make run`: the demo's own plugin (docs/sdk.md's example, which
# the demo's company check sells). Name a folder of your own to develop your plugins there.
DATAMARKET_PLUGINS_DIR ?= $(CURDIR)/marketplace/demo/plugins

.PHONY: run test test-postgres test-concurrency setup translations extract-messages lint clean help \
	mutate

help:
	@echo "make run    set up and start the marketplace with demo data on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make mutate mutation-test the money core against its unit tests and print the score"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Datamarket needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python $(DISTRIBUTIONS)
	$(BIN)/pip install --quiet -e ./sdk -e ./plugins/governance_tools -e ./plugins/ai_models -e '.[test,local]'
	@touch $@

# Compiled catalogs are build output: made from the .po files, never committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO_FILES)

setup: $(STAMP) translations

run: export DATAMARKET_PLUGINS_DIR := $(DATAMARKET_PLUGINS_DIR)
run: setup
	$(BIN)/datamarket db upgrade
	$(BIN)/datamarket seed-demo
	$(BIN)/datamarket reindex
	@echo
	@echo "Datamarket is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo "Payments go to localstripe on http://127.0.0.1:$(STRIPE_PORT) (test cards only)"
	@echo "Background jobs run in a worker started beside the server (datamarket worker)"
	@echo
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) STRIPE_PORT=$(STRIPE_PORT) RUN_PARENT_PID=$$PPID \
		scripts/run-with-localstripe \
		$(BIN)/gunicorn --workers 2 --worker-class gthread --threads 4 \
		--bind $(HOST):$(PORT) --access-logfile - 'marketplace:create_app()'

test: setup
	scripts/ensure-test-services
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider --durations=30 sdk/tests plugins/governance_tools/tests plugins/ai_models/tests tests

# The same suite against PostgreSQL; .ci/run starts the server and sets the URL. The browser
# suite runs once, in `make test`: what it checks (layout, accessibility, scripts under the CSP)
# does not depend on the database, and every route is requested on PostgreSQL by every kind of
# user in tests/test_routes_policy.py.
test-postgres: setup
	@test -n "$$DATAMARKET_TEST_DATABASE_URL" || { echo "set DATAMARKET_TEST_DATABASE_URL"; exit 2; }
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not browser" tests

# Money under concurrency: double-clicked payments, two admins refunding at once, a new buyer's
# first payment twice, against gunicorn (4 workers x 4 threads) on PostgreSQL with localstripe.
# Kept out of `make test` (pyproject's pytest options); a few minutes. Without
# DATAMARKET_TEST_DATABASE_URL it uses the local server of scripts/start-postgres, started if
# nothing answers on 127.0.0.1:5432.
CONCURRENCY_DATABASE_URL ?= postgresql+psycopg://dm:dm@127.0.0.1:5432/dm

test-concurrency: setup
	@if [ -z "$$DATAMARKET_TEST_DATABASE_URL" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		scripts/start-postgres; fi
	DATAMARKET_TEST_DATABASE_URL="$${DATAMARKET_TEST_DATABASE_URL:-$(CONCURRENCY_DATABASE_URL)}" \
		$(BIN)/pytest -p no:cacheprovider tests/concurrency

extract-messages: setup
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l --project Datamarket --version 0.1 -o marketplace/translations/messages.pot marketplace
	$(BIN)/pybabel update --no-fuzzy-matching -i marketplace/translations/messages.pot -d marketplace/translations

# Mutation testing of the money core (commerce pricing, ledger, orders, entitlements, fulfilment)
# against their fast unit tests only; [tool.mutmut] in pyproject.toml says which. Too slow for
# `make test`. Each run starts afresh in mutants/ (git-ignored), lists the survivors, and prints
# the score.
MUTATE_STAMP := $(VENV)/.mutate-installed

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,local,mutate]'
	@touch $@

mutate: setup $(MUTATE_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/mutmut export-cicd-stats
	@echo "Survivors (mutmut show NAME prints one):"
	@$(BIN)/mutmut results
	@$(BIN)/python scripts/mutation_score.py

lint: setup
	$(BIN)/ruff check marketplace sdk plugins tests scripts

clean:
	rm -rf $(VENV) $(MO_FILES) mutants
