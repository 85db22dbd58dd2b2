# The two commands: `make run` and `make test`. Everything else supports them.
# Needs only Python 3.11+ and make (and, for what Paraph and its tests need
# from Debian, root or the packages already installed: see
# scripts/ensure-system.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PARAPH := $(BIN)/paraph
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL + Redis run (trust auth on loopback, as a CI machine has).
PG_URL ?= postgresql://postgres@127.0.0.1:5432/paraph
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# Test processes (pytest-xdist); 0 runs everything in one process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
# The SQLite run moves the clock of every process it starts (pytest, the
# browser, the Node OIDC peer, subprocesses) this far ahead with libfaketime,
# so a test that only passes on the day it was written fails. Empty: real time.
CLOCK_SHIFT ?= +400d

.PHONY: run test install runtime messages lint typecheck test-sqlite test-postgres clean

# --- Installing --------------------------------------------------------------

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Paraph needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	@# Debian's python3 makes a venv only with its python3-venv package; a venv
	@# left without pip by such a failure is made again.
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  rm -rf $(VENV); echo "$(PYTHON) -m venv $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	    rm -rf $(VENV); scripts/ensure-system.sh python-venv && $(PYTHON) -m venv $(VENV); }; \
	fi
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

# What Paraph needs from Debian to run at all (Pango, which typesets its
# PDFs): installed when missing (as root); otherwise make stops and names
# the packages to install.
runtime:
	@scripts/ensure-system.sh runtime

# Compiled translations (.mo) from the committed .po files (none yet is fine).
messages: install
	@if [ -n "$$(find paraph -path '*/LC_MESSAGES/*.po' -print -quit)" ]; then \
	  command -v msgfmt >/dev/null || scripts/ensure-system.sh packages; \
	  cd paraph && ../$(PARAPH) compilemessages -v0; \
	fi

# --- make run ----------------------------------------------------------------

# Links in e-mails and SMS, the API's links and the sandbox cards' OCSP
# address follow the address `make run` serves on (PORT=8101 make run), unless
# PARAPH_BASE_URL says otherwise (behind a proxy).
RUN_BASE_URL := $(or $(PARAPH_BASE_URL),http://$(HOST):$(PORT))
run: export PARAPH_SANDBOX = true
run: export PARAPH_BASE_URL = $(RUN_BASE_URL)
run: runtime install messages
	$(PARAPH) migrate --noinput -v0
	$(PARAPH) demo
	@mkdir -p var
	@echo "Paraph (sandbox) at http://$(HOST):$(PORT)/ (links: $(RUN_BASE_URL)) — Ctrl-C stops it; task worker log: var/worker.log"
	@# `paraph worker` is the production topology: a worker of every queue, and
	@# one of the interactive queue alone so log-in codes never wait behind bulk
	@# work (docs/operations.md, "Worker topology"); SIGTERM stops them all.
	@$(PARAPH) worker >var/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null || true' EXIT; \
	  $(PARAPH) runserver $(HOST):$(PORT)

# --- make test ---------------------------------------------------------------

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy paraph

test-sqlite: runtime install messages
	@if [ -n "$(CLOCK_SHIFT)" ] && ! command -v faketime >/dev/null; then \
	  if [ "$${CI:-}" = "true" ]; then echo "faketime is missing: CI cannot move the clock" >&2; exit 1; fi; \
	  echo "(faketime is missing: the SQLite run keeps the real clock)"; fi
	@if [ -n "$(CLOCK_SHIFT)" ] && command -v faketime >/dev/null; then \
	  echo "== the clock of this run is moved $(CLOCK_SHIFT): $$(faketime -f '$(CLOCK_SHIFT)' date -u)"; \
	  env -u DATABASE_URL -u REDIS_URL -u PARAPH_TEST_DB_NAME \
	    faketime -f '$(CLOCK_SHIFT)' $(PYTEST); \
	else \
	  env -u DATABASE_URL -u REDIS_URL -u PARAPH_TEST_DB_NAME $(PYTEST); \
	fi

# Documents go to a real S3-compatible server in this run: SeaweedFS, started
# on free loopback ports by paraph/test_settings.py and stopped at the end.
test-postgres: runtime install messages
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) PARAPH_TEST_STORAGE=s3 $(PYTEST)

# With CI=true: the Debian packages and services the tests need are installed
# and started when missing, and the suite runs on PostgreSQL + Redis, then on
# the embedded default (SQLite, no Redis); a skipped test fails the run.
# Elsewhere: whatever can be installed is, PostgreSQL + Redis are used when
# they answer on loopback, and the SQLite run always happens.
# Every step runs even when an earlier one failed; the summary says which failed.
test:
	@if [ "$${CI:-}" = "true" ]; then \
	  scripts/ensure-system.sh packages services; \
	else \
	  scripts/ensure-system.sh packages || echo "(tests that need these packages will be skipped)"; \
	fi
	@$(MAKE) --no-print-directory install messages
	@failed=""; started=$$SECONDS; \
	echo "== ruff, mypy"; \
	$(MAKE) --no-print-directory -k lint typecheck || failed="$$failed lint-or-types"; \
	if [ "$${CI:-}" = "true" ] || $(BIN)/python scripts/services-answer.py "$(PG_URL)" "$(REDIS_TEST_URL)"; then \
	  echo "== tests on PostgreSQL + Redis"; \
	  $(MAKE) --no-print-directory test-postgres || failed="$$failed postgresql"; \
	else \
	  echo "== PostgreSQL or Redis does not answer on loopback: the SQLite run only"; \
	fi; \
	echo "== tests on the embedded default (SQLite, no Redis)"; \
	$(MAKE) --no-print-directory test-sqlite || failed="$$failed sqlite"; \
	took=$$((SECONDS - started)); \
	if [ -n "$$failed" ]; then echo "== make test FAILED ($${took} s):$$failed" >&2; exit 1; fi; \
	echo "== make test passed ($${took} s)"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
