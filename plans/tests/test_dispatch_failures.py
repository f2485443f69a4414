"""Whatever happens after the commit, a committed confirmation or cancellation is answered as such.

A broker that is down, or an agent that breaks, leaves the booking pending; the periodic
sweep picks it up.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.utils import timezone

from luna.celery import app as celery_app
from plans import dispatch, tasks
from plans.models import Booking, Plan

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def forget_connections() -> None:
    """Drop the Celery app's pooled connections, so the next task is sent with the current broker_url."""
    celery_app.pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def unreachable_broker(settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER
    saved = celery_app.conf.broker_url
    celery_app.conf.update(broker_url=CLOSED_PORT_BROKER)
    forget_connections()
    yield
    celery_app.conf.update(broker_url=saved)
    forget_connections()


def age(booking: Booking) -> None:
    """Make the booking look left behind: the sweep leaves fresh pending bookings to their dispatch."""
    Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now() - timedelta(minutes=5))


def test_a_confirmation_with_the_broker_down_answers_200_and_the_sweep_books_it(
    client_for, alice, agreed_plan, provider, unreachable_broker, settings, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    booking = Booking.objects.get(plan=agreed_plan)
    assert booking.status == Booking.Status.PENDING
    assert f"booking {booking.pk} stays pending" in caplog.text
    assert provider.book_calls == 0

    settings.CELERY_BROKER_URL = ""  # the sweep's own dispatch runs inline here
    age(booking)
    assert tasks.sweep_bookings() == {"retried": 0, "resumed": 1, "released": 0}
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert provider.book_calls == 1


def test_a_cancellation_with_the_broker_down_answers_200(
    client_for, alice, booked_plan, provider, unreachable_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/plans/{booked_plan.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Booking.objects.get(plan=booked_plan).status == Booking.Status.BOOKED  # the sweep cancels it later


def test_an_agent_that_breaks_after_the_commit_leaves_the_booking_pending_and_the_answer_200(
    client_for, alice, agreed_plan, provider, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def connection_lost(booking_id):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dispatch, "booking_run", connection_lost)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 200
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.CONFIRMED
    assert Booking.objects.get(plan=agreed_plan).status == Booking.Status.PENDING
    assert "dispatch_booking_agent" in caplog.text


def test_celery_beat_runs_the_sweep_every_minute_by_default():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["sweep-bookings"]
    assert schedule == {"task": "plans.sweep_bookings", "schedule": 60.0}
    assert "plans.sweep_bookings" in celery_app.tasks
