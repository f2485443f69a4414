"""Luna served for real in a test: gunicorn as gunicorn.conf.py configures it, optionally behind nginx.

The server reads the test database: on PostgreSQL the test's own (so a test using it
must be `transaction=True` to share committed rows); on SQLite a fresh migrated file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

PROJECT = Path(__file__).resolve().parents[2]
NGINX_SITE = PROJECT / "deploy" / "nginx" / "luna.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None, timeout=20):
    """(status, headers, parsed JSON body) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def database_url(directory: Path) -> str:
    """A URL for a server process: the test database on PostgreSQL, else a new migrated SQLite file."""
    if connection.vendor == "postgresql":
        settings_dict = connection.settings_dict
        host = settings_dict["HOST"] or "127.0.0.1"
        port = settings_dict["PORT"] or 5432
        return f"postgres://{settings_dict['USER']}@{host}:{port}/{settings_dict['NAME']}"
    url = f"sqlite:///{directory / 'live.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=120,
    )
    return url


def wait_until_up(url: str, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            request(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def gunicorn(*, env: dict | None = None, workers: int = 2):
    """Yield the base URL of gunicorn serving Luna with gunicorn.conf.py (and `env` on top)."""
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        server_env = {
            **os.environ,
            "DATABASE_URL": database_url(Path(directory)),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "CACHE_URL": f"filecache://{directory}/cache",
            **(env or {}),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "luna.wsgi"],
            cwd=PROJECT,
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/health/")
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def nginx_available() -> bool:
    return shutil.which("nginx") is not None


@contextmanager
def nginx(upstream: str):
    """Yield the base URL of nginx running the project's site config in front of `upstream` (a base URL)."""
    port = free_port()
    upstream_address = upstream.removeprefix("http://")
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o777)  # nginx's workers run as an unprivileged user and write temp files here
        site = NGINX_SITE.read_text().replace("listen 80;", f"listen 127.0.0.1:{port};")
        site = site.replace("server 127.0.0.1:8000", f"server {upstream_address}")
        (Path(directory) / "luna.conf").write_text(site)
        (Path(directory) / "nginx.conf").write_text(
            f"""
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
worker_processes 1;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/luna.conf;
}}
"""
        )
        server = subprocess.Popen(
            ["nginx", "-p", directory, "-c", f"{directory}/nginx.conf", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/health/", seconds=10)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)
