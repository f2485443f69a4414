# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv and install the pinned requirements first: `make run` only the runtime ones
# (requirements.txt), `make test` and `make lint` the test and lint tools too (requirements-dev.txt).
# Each install is skipped when its requirements files have not changed since it last ran.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install install-dev run dev demo test test-fast lint migrate seed worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# requirements-dev.txt includes requirements.txt: this install covers `make run`'s too.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed

# Where `make run` and `make dev` listen: `make run PORT=8900 HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000

run: seed
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "Luna is starting on http://$(HOST):$(PORT)/"
	@echo "  admin:    http://$(HOST):$(PORT)/admin/  (handle 'admin'; its password is printed once, when make run first creates it)"
	@echo "  API docs: http://$(HOST):$(PORT)/docs/"
	@echo ""
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py luna.wsgi

# Django's auto-reloading server on the same database, for changing the code.
dev: seed
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The README's walkthrough, signup to booking, against the server `make run` started (same PORT / HOST).
demo:
	LUNA_URL=http://$(HOST):$(PORT) bash tools/walkthrough.sh

# The booking agent on Celery: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)
# here and for the web processes. The worker also runs Celery beat, which sweeps up
# bookings left pending or failed; with several workers run beat once, separately.
worker:
	@test -n "$$CELERY_BROKER_URL" || { echo "make worker needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0), set for the web processes too; without one the booking agent runs in the web process and no worker is needed." >&2; exit 2; }
	$(MAKE) migrate
	mkdir -p .cache
	$(BIN)/celery -A luna.celery worker --beat --schedule .cache/celerybeat-schedule --loglevel=INFO

# The whole suite in parallel, one process per core (pytest-xdist). PYTEST_ARGS go on the end, e.g.
# `make test PYTEST_ARGS="-n 0"` for a single process, or `PYTEST_ARGS=users/` for one app.
PYTEST_ARGS ?=
PYTEST_PARALLEL := -n auto --dist worksteal

test: install-dev
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The code-edit loop: the suite without the tests marked slow (real gunicorn and nginx servers, the
# browser, schema fuzzing, the walkthrough, concurrency); `make test` before pushing runs them all.
test-fast: install-dev
	$(BIN)/pytest $(PYTEST_PARALLEL) -m 'not slow' $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
