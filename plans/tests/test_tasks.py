"""The booking agent on Celery: queued when a broker is set, retried with backoff, and on a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from luna.celery import app as celery_app
from plans import tasks
from plans.models import Booking, Plan
from plans.tests.factories import BookingFactory

REDIS_URL = os.environ.get("LUNA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_WAIT_SECONDS = 90


@pytest.mark.django_db
def test_with_a_broker_the_confirmation_queues_the_agent_instead_of_running_it(
    client_for, alice, agreed_plan, provider, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = REDIS_URL
    queued = []
    monkeypatch.setattr(tasks.run_booking_agent, "delay", lambda booking_id: queued.append(booking_id))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 200
    assert queued == [response.json()["booking_id"]]
    assert Booking.objects.get().status == Booking.Status.PENDING
    assert provider.book_calls == 0


def test_the_wait_between_attempts_doubles_up_to_a_cap(settings):
    settings.LUNA_BOOKING_RETRY_BACKOFF_SECONDS = 2
    assert [tasks.retry_delay(attempts) for attempts in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert tasks.retry_delay(30) == tasks.MAX_BACKOFF_SECONDS


@pytest.fixture
def confirmed_booking(confirmed_plan):
    return BookingFactory(plan=confirmed_plan)


@pytest.fixture
def recorded_delays(monkeypatch):
    delays = []
    original = tasks.retry_delay

    def record(attempts: int) -> float:
        delays.append(original(attempts))
        return delays[-1]

    monkeypatch.setattr(tasks, "retry_delay", record)
    return delays


def run_task(booking: Booking) -> str | None:
    """Run the agent's task in this process, retries included, and refresh the booking after it."""
    outcome = tasks.run_booking_agent.apply(args=[str(booking.pk)]).get()
    booking.refresh_from_db()
    return outcome


@pytest.mark.django_db
def test_the_task_retries_a_provider_error_until_it_books(confirmed_booking, use_provider, recorded_delays, settings):
    settings.LUNA_BOOKING_RETRY_BACKOFF_SECONDS = 3
    record = use_provider("FlakyProvider")

    assert run_task(confirmed_booking) == "booked"
    assert (confirmed_booking.status, confirmed_booking.attempts) == (Booking.Status.BOOKED, 2)
    assert record.refused == record.booked == [confirmed_booking.pk]
    assert recorded_delays == [3]


@pytest.mark.django_db
def test_the_task_gives_up_at_the_attempt_limit(confirmed_booking, use_provider, recorded_delays, settings):
    settings.LUNA_BOOKING_MAX_ATTEMPTS = 4
    settings.LUNA_BOOKING_RETRY_BACKOFF_SECONDS = 1
    record = use_provider("FailingProvider")

    assert run_task(confirmed_booking) == "failed"
    assert (confirmed_booking.status, confirmed_booking.attempts) == (Booking.Status.FAILED, 4)
    assert confirmed_booking.last_error == "ProviderError: No tables left at that time."
    assert record.book_calls == 4
    assert recorded_delays == [1, 2, 4]


@pytest.mark.django_db
def test_the_task_leaves_a_cancelled_plans_booking_unbooked(confirmed_booking, provider):
    Plan.objects.filter(pk=confirmed_booking.plan_id).update(status=Plan.Status.CANCELLED)

    assert tasks.run_booking_agent.apply(args=[str(confirmed_booking.pk)]).get() == "cancelled"
    assert provider.book_calls == 0


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(settings, tmp_path):
    """A real `celery worker` process on its own queue, using the test database."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); the worker test needs it running.")
    queue = f"luna-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_BROKER_URL = REDIS_URL
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_default_queue")}
    celery_app.conf.update(broker_url=REDIS_URL, task_default_queue=queue)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "LUNA_BOOKING_PROVIDER": "plans.tests.providers.FlakyProvider",
        "LUNA_BOOKING_RETRY_BACKOFF_SECONDS": "0.2",
        "CONN_MAX_AGE": "0",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "luna.celery", "worker", "--pool=solo", "--queues", queue]
            + ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        celery_app.pool.force_close_all()
        celery_app.conf.update(saved)
        redis.Redis.from_url(REDIS_URL).delete(queue)


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker is a separate process and needs a database server it can share with the test (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_books_the_confirmed_plan(client_for, alice, agreed_plan, celery_worker):
    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["booking"]["status"] == "pending"  # queued, not run in the request
    booking_id = response.json()["booking_id"]

    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    booking = Booking.objects.get(pk=booking_id)
    while booking.status != Booking.Status.BOOKED and time.monotonic() < deadline:
        time.sleep(0.25)
        booking.refresh_from_db()

    assert booking.status == Booking.Status.BOOKED, celery_worker.read_text()[-3000:]
    # The worker's provider refuses each booking once: the task retried after its backoff.
    assert booking.attempts == 2
    assert booking.external_ref == "rec-1"
    assert booking.last_error == ""


@pytest.mark.django_db
def test_the_task_stops_retrying_once_the_plan_has_started(confirmed_booking, provider, recorded_delays):
    Plan.objects.filter(pk=confirmed_booking.plan_id).update(start_time=timezone.now() - timedelta(minutes=1))

    result = tasks.run_booking_agent.apply(args=[str(confirmed_booking.pk)])

    assert result.get() == "failed"
    confirmed_booking.refresh_from_db()
    assert (confirmed_booking.status, confirmed_booking.attempts) == (Booking.Status.FAILED, 1)
    assert recorded_delays == []
    assert provider.book_calls == 0
