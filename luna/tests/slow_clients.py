"""Slow clients against a served Luna, while a probe checks that everyone else is still answered.

`slow_client_probe(base, ...)` opens `sockets` connections that each send one header
line every `interval` seconds (never finishing the request), and meanwhile asks
`/health/` once a second. Run as a script it measures gunicorn alone and gunicorn
behind nginx and prints the figures:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luna .venv/bin/python -m luna.tests.slow_clients
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from luna.tests.live import request


@dataclass
class ProbeReport:
    latencies: list[float] = field(default_factory=list)  # seconds; inf for a probe that failed
    slow_sockets_closed_by_server: int = 0

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("inf"))

    @property
    def failed(self) -> int:
        return sum(1 for latency in self.latencies if latency == float("inf"))


def _slow_client(host: str, port: int, interval: float, stop: threading.Event, closed: list) -> None:
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError:
        return
    try:
        sock.sendall(b"GET /health/ HTTP/1.1\r\nHost: localhost\r\n")
        line = 0
        while not stop.wait(interval):
            line += 1
            sock.sendall(f"X-Slow-{line}: {'a' * 10}\r\n".encode())
    except OSError:
        closed.append(1)  # the server gave up on this client: what it should do
    finally:
        sock.close()


def slow_client_probe(base: str, *, sockets: int = 10, seconds: float = 30, interval: float = 5) -> ProbeReport:
    address = urlparse(base)
    stop = threading.Event()
    closed: list = []
    clients = [
        threading.Thread(target=_slow_client, args=(address.hostname, address.port, interval, stop, closed))
        for _ in range(sockets)
    ]
    for client in clients:
        client.start()
    time.sleep(0.5)  # let every slow socket connect first
    report = ProbeReport()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            status, _, _ = request(f"{base}/health/", timeout=5)
            report.latencies.append(time.monotonic() - started if status == 200 else float("inf"))
        except OSError:
            report.latencies.append(float("inf"))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    stop.set()
    for client in clients:
        client.join(timeout=10)
    report.slow_sockets_closed_by_server = len(closed)
    return report


def _describe(name: str, report: ProbeReport) -> str:
    answered = [latency for latency in report.latencies if latency != float("inf")]
    median = sorted(answered)[len(answered) // 2] * 1000 if answered else float("nan")
    worst = max(answered) * 1000 if answered else float("nan")
    return (
        f"{name:<22} probes {len(report.latencies):>3}  failed {report.failed:>3}  "
        f"median {median:7.1f} ms  worst answered {worst:7.1f} ms"
    )


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
    django.setup()
    from luna.tests.live import gunicorn, nginx

    production = {"LUNA_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    production |= {"LUNA_SSL_REDIRECT": "0", "LUNA_TRUSTED_PROXIES": "1"}
    for name, env in (("gunicorn sync, alone", {"GUNICORN_WORKER_CLASS": "sync"}), ("gunicorn gthread, alone", {})):
        with gunicorn(env={**production, "LUNA_TRUSTED_PROXIES": "0", **env}, workers=5) as base:
            print(_describe(name, slow_client_probe(base)), flush=True)
    with gunicorn(env=production, workers=5) as upstream, nginx(upstream) as base:
        print(_describe("behind nginx", slow_client_probe(base)), flush=True)
