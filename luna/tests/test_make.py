"""The Makefile's promises to a newcomer: the address it prints is the one it serves, no stray broker."""

from __future__ import annotations

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_make_run_serves_and_announces_the_port_and_host_asked_for():
    dry = make("-n", "run", "PORT=8901", "HOST=0.0.0.0").stdout
    assert "Luna is starting on http://0.0.0.0:8901/" in dry
    assert "http://0.0.0.0:8901/admin/" in dry and "http://0.0.0.0:8901/docs/" in dry
    assert "GUNICORN_BIND=0.0.0.0:8901" in dry
    assert "Luna is starting on http://127.0.0.1:8000/" in make("-n", "run").stdout
    assert "runserver 127.0.0.1:8902" in make("-n", "dev", "PORT=8902").stdout


def test_make_worker_refuses_without_a_broker_url():
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    result = make("worker", env=env)
    assert result.returncode != 0
    assert "make worker needs CELERY_BROKER_URL" in result.stderr
    assert "migrate" not in result.stdout  # refused before touching anything


@pytest.mark.django_db
def test_ensure_admin_says_how_to_set_a_new_password_with_the_venv():
    first, again = StringIO(), StringIO()
    call_command("ensure_admin", stdout=first)
    assert "with password:" in first.getvalue()
    call_command("ensure_admin", stdout=again)
    assert ".venv/bin/python manage.py changepassword admin" in again.getvalue()
    assert "with password:" not in again.getvalue()


def test_make_run_installs_only_the_runtime_requirements_and_make_test_the_test_tools_too():
    run = make("-n", "-B", "run").stdout  # -B: as on a fresh clone, every install due
    assert "pip install --quiet -r requirements.txt" in run
    assert "requirements-dev.txt" not in run
    for target in ("test", "test-fast", "lint"):
        assert "pip install --quiet -r requirements-dev.txt" in make("-n", "-B", target).stdout
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()


def test_make_test_runs_the_suite_in_parallel_and_make_test_fast_leaves_the_slow_tests_out():
    test = make("-n", "test").stdout.splitlines()[-1]
    fast = make("-n", "test-fast").stdout.splitlines()[-1]
    assert test.startswith(".venv/bin/pytest") and " -n " in test and "slow" not in test
    assert fast.startswith(".venv/bin/pytest") and " -n " in fast and "-m 'not slow'" in fast
