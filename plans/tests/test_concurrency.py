"""Many requests at once on real PostgreSQL connections: still one booking, one provider call."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from plans.agent import booking_run
from plans.models import Booking, Plan
from plans.tests.factories import BookingFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory

THREADS = 20

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL row locks and real parallel connections; SQLite serializes all writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(count: int, work) -> list:
    """Run `work(i)` in `count` threads released at the same moment; each closes its own connection."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    assert errors == []
    return results


def post_together(user, path: str) -> list:
    """THREADS clients signed in as `user` POST to `path` at the same moment; their responses."""
    clients = []
    for _ in range(THREADS):
        client = APIClient()
        client.force_authenticate(user)
        clients.append(client)
    return run_together(THREADS, lambda index: clients[index].post(path))


def test_twenty_concurrent_confirmations_make_one_booking_and_one_provider_call(alice, agreed_plan, provider):
    responses = post_together(alice, f"/plans/{agreed_plan.pk}/confirm/")

    assert [response.status_code for response in responses] == [200] * THREADS
    assert len({response.json()["booking_id"] for response in responses}) == 1
    assert Booking.objects.count() == 1
    booking = Booking.objects.get()
    assert provider.booked == [booking.pk]
    assert (booking.status, booking.attempts, booking.external_ref) == (Booking.Status.BOOKED, 1, "rec-1")
    assert {response.json()["booking_id"] for response in responses} == {str(booking.pk)}
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.CONFIRMED


def test_twenty_agent_runs_started_together_call_the_provider_once(confirmed_plan, use_provider):
    record = use_provider("SlowProvider")
    booking = BookingFactory(plan=confirmed_plan)

    run_together(THREADS, lambda index: booking_run(booking.pk))

    booking.refresh_from_db()
    assert record.booked == [booking.pk]
    assert (booking.status, booking.attempts, booking.claimed_at) == (Booking.Status.BOOKED, 1, None)


def test_concurrent_retries_of_a_failed_booking_book_it_once(staff, confirmed_plan, provider):
    booking = BookingFactory(plan=confirmed_plan, status=Booking.Status.FAILED, attempts=1)

    responses = post_together(staff, f"/bookings/{booking.pk}/retry/")

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [409] * (THREADS - 1)
    booking.refresh_from_db()
    assert provider.booked == [booking.pk]
    assert (booking.status, booking.attempts) == (Booking.Status.BOOKED, 2)


def test_a_plan_locked_elsewhere_is_a_quick_503_with_retry_after_not_a_hang(alice, agreed_plan, provider):
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                Plan.objects.select_for_update().get(pk=agreed_plan.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone() == ("5s",)  # what every connection gets from the settings
            cursor.execute("SET lock_timeout = '300ms'")  # the same path, quicker for the test
        client = APIClient()
        client.force_authenticate(alice)
        response = client.post(f"/plans/{agreed_plan.pk}/confirm/")
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {"detail": "The database is busy with this data; try again shortly."}
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.PENDING
    assert not Booking.objects.exists()


def test_twenty_invitations_at_once_for_the_last_places_leave_the_plan_within_the_cap(alice, plan, settings):
    settings.LUNA_PLAN_MAX_INVITEES = 3  # bob is invited already: two places are left
    people = UserFactory.create_batch(THREADS)
    for person in people:
        SocialEdgeFactory(user=person, other_user=alice)
    clients = []
    for _ in range(THREADS):
        client = APIClient()
        client.force_authenticate(alice)
        clients.append(client)

    responses = run_together(
        THREADS,
        lambda index: clients[index].post(
            f"/plans/{plan.pk}/participants/", {"user_ids": [str(people[index].pk)]}, format="json"
        ),
    )

    assert sorted(response.status_code for response in responses) == [200] * 2 + [400] * (THREADS - 2)
    assert plan.participants.exclude(user=alice).count() == 3
