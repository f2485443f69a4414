"""The Data page's loads across real threads and connections (PostgreSQL): the background thread
generates while the page reads its progress, and two simultaneous starts admit one."""

from __future__ import annotations

import threading
import time

from django.db import connection

from luna.errors import Conflict
from luna.tests.database import parallel_postgres
from users.models import User
from users.tests.factories import UserFactory
from world import data_jobs
from world.models import DataJob

pytestmark = parallel_postgres(
    "needs parallel connections; on SQLite the generating transaction holds the only write lock"
)


def test_a_synthetic_world_runs_in_a_thread_while_the_page_shows_its_progress(client):
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.post("/admin/data/synthetic/", {"users": "2000", "venues": "300", "interactions": "250000"})

    assert response.status_code == 303
    job_url = response["X-Data-Job"]
    seen, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(job_url).json()
        seen.append((status["status"], status["stage"]))
        if status["status"] != "running":
            break
        time.sleep(0.05)
    assert status["status"] == "done", status
    assert ("running", "interactions") in seen  # seen mid-way, from another connection
    assert User.objects.filter(is_staff=False).count() == 2000
    assert "Generated the synthetic world" in client.get("/admin/data/").content.decode()


def test_two_simultaneous_starts_admit_one():
    alice, bob = UserFactory(handle="alice", is_staff=True), UserFactory(handle="bob", is_staff=True)
    barrier, outcomes = threading.Barrier(2, timeout=10), {}

    def start(user):
        try:
            barrier.wait()
            data_jobs.data_job_claim(kind="demo", user=user, parameters={})
            outcomes[user.handle] = "claimed"
        except Conflict:
            outcomes[user.handle] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(user,)) for user in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["claimed", "refused"]
    assert DataJob.objects.filter(status="running").count() == 1
