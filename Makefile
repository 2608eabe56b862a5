# IPT Online: everyday commands. No activation needed: everything runs from .venv/bin/.
#   make run     install, migrate, load the demo practice, serve on http://$(HOST):$(PORT)
#                (with the background task worker, which stops when the server stops)
#   make test    make check, then the whole test suite
#   make check   lint, format, migrations, types, production deploy check
#   make bench   the performance targets P1-P9 of quality.md, one table (bench/README.md)
#   make lock    recompile requirements.lock from requirements.in
#   make clean   remove the virtualenv and caches (keeps db.sqlite3 and .local-secrets.json)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
# `make run` starts the task worker in its own session, so Ctrl-C reaches it once, from the trap.
SETSID := $(shell command -v setsid 2>/dev/null)
# Files mypy checks (the rest of the code is analysed only as far as these import it).
TYPED := ipt/lib ipt/serve.py $(wildcard ipt/*/access.py ipt/*/*_access.py) $(wildcard ipt/*/actions.py ipt/*/*_actions.py) $(wildcard ipt/*/actions)
# pytest-xdist workers; PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help install lock run check pip-audit bandit test bench browser-deps clean

help:
	@echo "make run    install, migrate, seed the demo practice, serve on http://$(HOST):$(PORT)"
	@echo "make test   make check, then the whole test suite (browser tests need $(CHROMIUM))"
	@echo "make check  ruff, ruff format --check, makemigrations --check, mypy, check --deploy, pip-audit, bandit"
	@echo "make bench  build the bench data set, load the real server, print P1-P9 (BENCH_ARGS=--skip-p6 ...)"
	@echo "make lock   recompile requirements.lock from requirements.in with uv"
	@echo "make clean  remove .venv and caches (keeps db.sqlite3 and .local-secrets.json)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock changes.
$(VENV)/.installed: requirements.lock | $(PY)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

lock: | $(PY)
	test -x $(BIN)/uv || $(BIN)/pip install --disable-pip-version-check -q uv
	$(BIN)/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --no-header

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo
	@echo "Open http://$(HOST):$(PORT)/ and sign in as therapist@demo.test (or any demo account above)."
	@echo "Staff accounts ask for a 6-digit code: $(PY) manage.py demo_totp prints the current one."
	@echo "Background tasks (reminders) run alongside: $(PY) manage.py task_worker (stops with the server)."
	@echo
	@$(SETSID) $(PY) manage.py task_worker & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT; \
	  trap 'exit 130' INT TERM; \
	  $(BIN)/uvicorn ipt.asgi:application --host $(HOST) --port $(PORT) --ws-per-message-deflate false

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/mypy $(TYPED)
	@echo "manage.py check --deploy under production settings (throwaway secrets)"
	@IPT_ENV=production \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  FIELD_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	  ALLOWED_HOSTS=ipt.example.org \
	  $(PY) manage.py check --deploy --fail-level WARNING
	@$(MAKE) --no-print-directory bandit pip-audit

# S6: no known vulnerability in requirements.lock (pip-audit looks every pinned package up in PyPI's
# JSON API). A package it could not look up FAILS the check: an audit that saw nothing must not pass.
# PIP_AUDIT=warn turns "could not look up" into a loud warning; a vulnerability found still fails.
PIP_AUDIT ?= fail

pip-audit: install
	@report=$$(mktemp); log=$$(mktemp); trap 'rm -f "$$report" "$$log"' EXIT; \
	  $(BIN)/pip-audit -r requirements.lock --no-deps --disable-pip --progress-spinner off \
	    -f json -o "$$report" 2>"$$log" || true; \
	  if ! $(PY) scripts/pip_audit_verdict.py "$$report" "$(PIP_AUDIT)"; then \
	    [ -s "$$report" ] || tail -n 5 "$$log" >&2; exit 1; fi

# S6: no high-severity bandit finding in ipt/ (configuration in pyproject.toml; medium and low
# findings are triaged with `# nosec BXXX` and a reason on the line above).
bandit: install
	$(BIN)/bandit -c pyproject.toml -r ipt -q --severity-level high

# The whole suite's duration goes to test-artifacts/suite-seconds (P9 of `make bench`).
test: check browser-deps
	@echo "$(BIN)/pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)"
	@started=$$(date +%s); status=0; \
	  $(BIN)/pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS) || status=$$?; \
	  if [ -z "$(strip $(PYTEST_ARGS))" ]; then \
	    mkdir -p test-artifacts; \
	    printf '%s\n%s\n' "$$(( $$(date +%s) - started ))" \
	      "pytest exit status $$status, PYTEST_WORKERS=$(PYTEST_WORKERS), finished $$(date -u +%FT%TZ)" \
	      > test-artifacts/suite-seconds; \
	  fi; \
	  exit $$status

# Benchmarks: P1-P9 of docs/quality.md in one table. BENCH_ARGS: --patients N, --seconds S, --skip-p5,
# --skip-p6 (bench/README.md). DATABASE_URL (PostgreSQL) and REDIS_URL are used when set.
BENCH_ARGS ?=
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# Browser tests drive Debian's Chromium (Playwright's own download is not needed).
browser-deps:
	@if [ -x $(CHROMIUM) ]; then \
	  echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q chromium; \
	else \
	  echo "WARNING: $(CHROMIUM) is missing, so the browser tests cannot run." >&2; \
	  echo "Install it as root: sudo apt-get install -y chromium" >&2; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis staticfiles test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
