"""The database goes away and comes back: clean 503s, then recovery without a restart."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from luna.tests.tcp_proxy import TcpProxy

PROJECT = Path(__file__).resolve().parents[2]

# Server processes for real: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: a server process must reach the test database"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def run_in_django(database_url: str, script: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "luna.settings"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unreachable_database_gives_clean_503s():
    port = free_port()  # nothing listens here
    script = """
import json
from django.test import Client
client = Client()
for path in ("/health/", "/venues/"):
    response = client.get(path)
    print(json.dumps([path, response.status_code, response["Content-Type"], response.json()]))
"""
    result = run_in_django(f"postgres://postgres@127.0.0.1:{port}/luna", script)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    health, venues = lines
    assert health == [
        "/health/",
        503,
        "application/json",
        {"status": "unhealthy", "service": "Luna API Service", "database": "unavailable"},
    ]
    assert venues[1] == 503
    assert venues[2] == "application/json"
    assert venues[3] == {"detail": "The database is unavailable; try again shortly."}


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_server_recovers_when_the_database_comes_back():
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)).start()
    web_port = free_port()
    database_url = f"postgres://{settings_dict['USER']}@127.0.0.1:{proxy.port}/{settings_dict['NAME']}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{web_port}", "--workers", "1", "luna.wsgi"],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": database_url, "CONN_MAX_AGE": "600"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = get(f"{base}/health/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 200
        assert get(f"{base}/venues/")[0] == 200

        proxy.stop()
        assert get(f"{base}/health/") == (
            503,
            {"status": "unhealthy", "service": "Luna API Service", "database": "unavailable"},
        )
        assert get(f"{base}/venues/") == (503, {"detail": "The database is unavailable; try again shortly."})

        proxy.start()
        assert get(f"{base}/health/")[0] == 200
        assert get(f"{base}/venues/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        proxy.stop()
