# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PARAPH := $(BIN)/paraph
PG_URL ?= postgresql://postgres@127.0.0.1:5432/paraph
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install messages lint typecheck test-sqlite test-postgres demo clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Compiled translations (.mo) are built from the committed .po files.
messages: install
	@command -v msgfmt >/dev/null || scripts/ensure-system.sh packages
	cd paraph && ../$(PARAPH) compilemessages -v0

run: install messages
	$(PARAPH) migrate --noinput -v0
	$(PARAPH) demo
	@echo "Paraph (sandbox) at http://$(HOST):$(PORT)/ — Ctrl-C stops it"
	@trap 'kill 0' INT TERM EXIT; \
	  $(PARAPH) worker >var/worker.log 2>&1 & \
	  $(PARAPH) runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy paraph

test-sqlite: install messages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install messages
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

# In CI (CI=true): system packages and services are installed and started when
# missing, and the suite runs on PostgreSQL + Redis, then on the embedded default.
# Elsewhere: PostgreSQL + Redis when they answer on loopback, then SQLite.
test: install messages
	scripts/ensure-system.sh packages || [ "$$CI" != "true" ]
	@if [ "$$CI" = "true" ]; then scripts/ensure-system.sh services; fi
	$(MAKE) --no-print-directory lint typecheck
	@if [ "$$CI" = "true" ] || ( (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null ); then \
	  echo "== tests on PostgreSQL + Redis"; $(MAKE) --no-print-directory test-postgres || exit $$?; \
	else echo "== PostgreSQL or Redis not running on loopback: SQLite only"; fi
	@echo "== tests on the embedded default (SQLite, no Redis)"
	$(MAKE) --no-print-directory test-sqlite

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
