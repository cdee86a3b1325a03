# Mixed Market: `make run` serves the site with demo data, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 (.python-version); pyenv's shims honour that file inside the repository.
PYTHON_BOOT := $(shell for p in python3.13 python3; do if $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then command -v $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 2026
SCALE ?= 1

.PHONY: help install assets run test bench migrate seed clean

help:
	@echo "make run    - install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - seed a scaled demo database and time the main pages"

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON_BOOT)" || { echo "Python 3.13 is needed (see .python-version)"; exit 1; }
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

marketplace/static/govuk/govuk.css: node_modules/.installed $(wildcard marketplace/assets/scss/*.scss)
	npm run --silent build

install: $(VENV)/.installed assets
assets: marketplace/static/govuk/govuk.css

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed_demo --seed $(SEED) --scale $(SCALE)

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

bench: install
	VAR_DIR=$(CURDIR)/var/bench $(PY) manage.py migrate --no-input
	VAR_DIR=$(CURDIR)/var/bench $(PY) manage.py bench --scale 10

clean:
	rm -rf $(VENV) node_modules marketplace/static/govuk var
