# Hearth's two commands: `make run` and `make test`. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
REQUIREMENTS := requirements/base.txt requirements/dev.txt requirements/production.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENTS) | sha1sum | cut -c1-12)
# Ports and the site URL for `make run`; anything set in the environment wins. honcho gives
# each process its own PORT, so the web port travels as HEARTH_PORT and SITE_URL is fixed here.
PORT ?= 8000
SANDBOX_PORT ?= 8001
SITE_URL ?= http://127.0.0.1:$(PORT)
LOCAL := DJANGO_SETTINGS_MODULE=config.settings.local SANDBOX_PORT=$(SANDBOX_PORT) SITE_URL=$(SITE_URL)
TEST := DJANGO_SETTINGS_MODULE=config.settings.test
# Two test processes, one per core (pytest-xdist): the suite takes about half the time.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint venv chromium node bench bench-quick bench-scale

venv: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/production.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run — Hearth on http://127.0.0.1:$PORT (default 8000) with the Google sandbox and demo data
run: venv
	$(LOCAL) $(BIN)/python manage.py migrate --noinput
	$(LOCAL) $(BIN)/python manage.py sandbox keygen
	$(LOCAL) $(BIN)/python manage.py sandbox demo
	$(LOCAL) $(BIN)/python manage.py setup_periodic_tasks
	$(LOCAL) $(BIN)/python manage.py demo_seed
	$(LOCAL) HEARTH_PORT=$(PORT) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho -f Procfile.local start

## make test — ruff and the whole suite against PostgreSQL and Redis (see DATABASE_URL below)
test: venv chromium node
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(TEST) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST) $(BIN)/pytest $(PYTEST_ARGS)

## make bench — every benchmark scenario at full scale (docs/benchmarks.md; about two hours on
## 2 cores); writes bench/results.json and the size-curve picture docs/benchmarks-size-curve.png
bench: venv
	$(BIN)/python -m pip install --quiet -r requirements/bench.txt
	$(BIN)/python -m bench --full
	$(BIN)/python -m bench.plot

## make bench-quick — every benchmark scenario at reduced scale
bench-quick: venv
	$(BIN)/python -m pip install --quiet -r requirements/bench.txt
	$(BIN)/python -m bench --quick

## make bench-scale — a million people synced, re-synced and listed (up to two hours)
bench-scale: venv
	$(BIN)/python -m bench --scale million --results bench/results-million.json

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Debian's Chromium for the browser tests (Playwright drives it; it cannot download its own)
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' and try again." >&2; exit 1; \
	  fi; \
	fi

## axe-core for the accessibility checks of the browser tests: package.json pins it, npm ci
## installs exactly the lockfile (again only when either changes)
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else \
	    echo "npm is missing: run 'sudo apt-get install npm' and try again." >&2; exit 1; \
	  fi; \
	fi
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@
