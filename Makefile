# The two commands: `make run` (the portal with a seeded demo county) and `make test`.
# Everything else here is what those two need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ADDR   ?= 127.0.0.1:8000
# pytest-xdist processes; CI's machine has 2 cores.
JOBS   ?= 2

.PHONY: run test install install-dev install-bench bench lint check-deploy migrate seed worker clean ci

$(BIN)/python:
	bash scripts/install-system-deps.sh runtime
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt constraints.txt
	bash scripts/install-system-deps.sh runtime
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	bash scripts/install-system-deps.sh test
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(BIN)/pip install -q -r requirements-bench.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev
install-bench: $(VENV)/.bench

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --if-empty

## The portal on http://$(ADDR) with a worker beside it, seeded on first start.
run: seed
	$(BIN)/python manage.py serve $(ADDR)

## The whole test suite (SQLite by default; DATABASE_URL/REDIS_URL switch to PostgreSQL/Redis).
test: install-dev
	$(BIN)/pytest -n $(JOBS) --dist loadfile

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

## Production settings must pass Django's deployment checks without a warning.
check-deploy: install
	env -u DATABASE_URL -u REDIS_URL DEBUG=0 ALLOWED_HOSTS=portal.example.gov.cn \
	  SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

## A worker alone (production runs worker and beat as their own services).
worker: install
	$(BIN)/celery -A config worker --loglevel INFO

## Figures at province scale on PostgreSQL + Redis (bench/README.md): seeds a throwaway
## database BENCH_DB once, then prints one table with the targets met or missed.
BENCH_DB ?= portal_bench
bench: install-bench
	$(BIN)/python bench/run.py --database $(BENCH_DB) $(BENCH_ARGS)

ci:
	bash .ci/run

clean:
	rm -rf var/broker var/test*.sqlite3* .pytest_cache
