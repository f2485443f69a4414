# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv and install the pinned requirements first; the install is
# skipped when requirements*.txt have not changed since the last one.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint migrate seed worker clean

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

run: seed
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "Luna is starting on http://127.0.0.1:8000/"
	@echo "  admin:    http://127.0.0.1:8000/admin/  (handle 'admin', password printed above when first created)"
	@echo "  API docs: http://127.0.0.1:8000/docs/"
	@echo ""
	$(BIN)/gunicorn -c gunicorn.conf.py luna.wsgi

# The booking agent on Celery: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)
# here and for the web processes. The worker also runs Celery beat, which sweeps up
# bookings left pending or failed; with several workers run beat once, separately.
worker: migrate
	mkdir -p .cache
	$(BIN)/celery -A luna.celery worker --beat --schedule .cache/celerybeat-schedule --loglevel=INFO

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
