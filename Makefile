# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv and install the pinned requirements first; the install is
# skipped when requirements*.txt have not changed since the last one.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run dev demo test lint migrate seed worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(STAMP)

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

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
