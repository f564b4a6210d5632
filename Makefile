# Salvaguarda — `make help` lists every target.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install pinned dependencies

run: $(STAMP) ## Run everything: embedded DB if no DATABASE_URL, migrate, demo data, web + worker + beat
	@bash scripts/run.sh

test: $(STAMP) ## Lint (ruff), import boundaries (import-linter), types (mypy), then the whole test suite on real PostgreSQL and a real broker
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	$(MAKE) --no-print-directory types
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## Lint, check formatting, import boundaries and types (no tests)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	$(MAKE) --no-print-directory types

# The Django plugin of mypy imports config.settings. Settings start the embedded PostgreSQL
# when DATABASE_URL is unset; mypy needs no database, so unset URLs get placeholders that
# nothing connects to.
types: $(STAMP) ## Type-check with mypy: --strict on the domain apps, default on faces and config (pyproject.toml)
	DATABASE_URL=$${DATABASE_URL:-postgresql://localhost/salvaguarda} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-memory://} $(VENV)/bin/mypy

fmt: $(STAMP) ## Format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: $(STAMP) ## Django checks, missing migrations, OpenAPI schema validation
	$(PY) manage.py check
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') DATABASE_URL=$${DATABASE_URL:-postgresql://localhost/salvaguarda} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://localhost:6379/0} DJANGO_ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

messages: $(STAMP) ## Extract es/en messages and compile the catalogues (translate locale/es first: scripts/po_fill.py)
	$(PY) manage.py makemessages -l es -l en --ignore=.venv --ignore=var --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

code: $(STAMP) ## Current second-factor code of a demo account: make code U=lead.norte
	@$(PY) manage.py demo_code $(U)

scenario: $(STAMP) ## Load the Almendralejo demo scenario (idempotent)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_scenario almendralejo

fuzz: $(STAMP) ## Long schemathesis run: coverage cases + 100 random examples per operation and persona
	SCHEMA_FUZZ_COVERAGE=1 SCHEMA_FUZZ_EXAMPLES=$${SCHEMA_FUZZ_EXAMPLES:-100} SCHEMA_FUZZ_RANDOM=1 $(PY) -m pytest tests/api/test_schema_fuzz.py -q -W ignore $(PYTEST_ARGS)

bench: $(STAMP) ## Latency, query counts and memory of the case pages vs a bare DRF view (throwaway DB)
	DJANGO_SETTINGS_MODULE=config.settings $(PY) -m bench $(BENCH_ARGS)

faults: $(STAMP) ## Fault suite (slow, not in `make test`): SIGKILLed workers on Redis and RabbitMQ, broker and PostgreSQL outages; prints its figures (docs/faults.md)
	$(PY) -m pytest -m faults tests/faults -q -rP $(PYTEST_ARGS)

mutants: $(STAMP) ## Mutation testing of the rule modules (mutmut; not in `make test`): the share of changes the tests catch
	$(PY) scripts/mutants.py $(MUTANTS_ARGS)

.PHONY: help install run test lint types fmt check messages code scenario faults fuzz bench mutants
