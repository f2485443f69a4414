"""A load the Data page runs in a thread of a gunicorn worker lives as long as that worker: the
worker is not recycled by its request count (GUNICORN_MAX_REQUESTS) while the load runs."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_conf(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # no folder of its own made
    spec = importlib.util.spec_from_file_location("luna_gunicorn_conf", PROJECT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def served(conf, worker, requests: int) -> None:
    for _ in range(requests):  # as gunicorn's workers do: the hook, then the count
        conf.pre_request(worker, None)
        worker.nr += 1


def test_requests_served_while_a_load_runs_in_the_worker_do_not_count_toward_its_recycling(gunicorn_conf):
    worker = SimpleNamespace(nr=0, max_requests=10)
    release = threading.Event()
    load = threading.Thread(target=release.wait, name="data-job-7", daemon=True)
    load.start()
    try:
        served(gunicorn_conf, worker, 25)
        assert worker.nr < worker.max_requests
    finally:
        release.set()
        load.join()

    served(gunicorn_conf, worker, 10)
    assert worker.nr >= worker.max_requests  # recycled as usual once the load is over
