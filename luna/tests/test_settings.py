"""Settings are read strictly from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
LONG_KEY = "k" * 20 + "-production-secret-key-for-tests-0123456789"


def import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "LUNA_ENV"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import luna.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, missing",
    [
        ({"ALLOWED_HOSTS": "luna.example"}, "SECRET_KEY"),
        ({"SECRET_KEY": LONG_KEY}, "ALLOWED_HOSTS"),
        ({}, "SECRET_KEY and ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(env, missing):
    result = import_settings(LUNA_ENV="production", **env)
    assert result.returncode != 0
    assert f"LUNA_ENV=production needs {missing}" in result.stderr


def test_production_starts_with_secret_key_and_hosts_and_turns_debug_off():
    result = import_settings(LUNA_ENV="production", SECRET_KEY=LONG_KEY, ALLOWED_HOSTS="luna.example,api.luna.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['luna.example', 'api.luna.example']"


def test_a_malformed_boolean_stops_start_up():
    result = import_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_malformed_throttle_rate_stops_start_up():
    result = import_settings(LUNA_THROTTLE_SIGNUP="lots")
    assert result.returncode != 0
    assert "LUNA_THROTTLE_SIGNUP='lots' is not a rate" in result.stderr


def test_a_throttle_rate_from_the_environment_is_used():
    result = subprocess.run(
        [sys.executable, "-c", "import luna.settings as s; print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"],
        cwd=PROJECT,
        env={**os.environ, "LUNA_THROTTLE_SIGNUP": "5/minute"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "'signup': '5/minute'" in result.stdout


def settings_value(expression: str, **env: str) -> str:
    clean = {key: value for key, value in os.environ.items() if key not in {"CACHE_URL", *env}}
    result = subprocess.run(
        [sys.executable, "-c", f"import luna.settings as s; print({expression})"],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_cache_url_every_process_of_the_machine_shares_a_cache_folder():
    backend = settings_value("s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION']")
    assert backend == f"django.core.cache.backends.filebased.FileBasedCache {PROJECT / '.cache' / 'django'}"


def test_throttles_trust_no_forwarded_address_unless_proxies_are_declared():
    assert settings_value("s.REST_FRAMEWORK['NUM_PROXIES']") == "0"
    assert settings_value("s.REST_FRAMEWORK['NUM_PROXIES']", LUNA_TRUSTED_PROXIES="1") == "1"


def test_postgresql_connections_give_up_on_locks_and_long_statements():
    options = settings_value(
        "s.DATABASES['default']['OPTIONS']['options']", DATABASE_URL="postgres://postgres@127.0.0.1:5432/luna"
    )
    assert options == "-c lock_timeout=5000 -c statement_timeout=20000 -c random_page_cost=1.1"


def test_a_cache_url_with_a_key_prefix_sets_djangos_key_prefix():
    config = settings_value("s.CACHES['default']['KEY_PREFIX']", CACHE_URL="redis://127.0.0.1:6379/1?key_prefix=luna")
    assert config == "luna"


@pytest.mark.parametrize("value, message", [("fast", "is not a valid float"), ("nan", "must be a finite number")])
def test_a_malformed_planner_cost_stops_start_up(value, message):
    result = import_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/luna", LUNA_DB_RANDOM_PAGE_COST=value)
    assert result.returncode != 0
    assert f"LUNA_DB_RANDOM_PAGE_COST={value!r} {message}" in result.stderr


def manage_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_metrics_folder_that_does_not_exist_yet_is_created(tmp_path):
    folder = tmp_path / "metrics" / "luna"
    result = manage_check(PROMETHEUS_MULTIPROC_DIR=str(folder))
    assert result.returncode == 0, result.stderr
    assert folder.is_dir()


def test_a_metrics_folder_that_cannot_be_created_stops_start_up_with_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folder = blocker / "metrics"
    result = manage_check(PROMETHEUS_MULTIPROC_DIR=str(folder))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"PROMETHEUS_MULTIPROC_DIR={str(folder)!r} cannot be created (Not a directory): "
        "point it at a folder this process may write to, or unset it."
    )
