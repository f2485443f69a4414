"""Many requests at once on real PostgreSQL connections: still one booking, one provider call, and
no booked plan left without its venue."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_delete
from rest_framework.test import APIClient

from luna.tests.database import parallel_postgres
from plans.agent import booking_run
from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.models import Venue
from venues.tests.factories import VenueFactory

THREADS = 20

pytestmark = [
    pytest.mark.slow,
    *parallel_postgres(
        "concurrency needs PostgreSQL row locks and real parallel connections; SQLite serializes all writers"
    ),
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


# --- removing a venue while its plan is being confirmed ------------------------


def confirm_and_delete_together(alice, staff, plan, pause_in: str | None = None) -> tuple[int, int]:
    """alice confirms `plan` while staff delete its venue; the two status codes (confirm, delete).

    `pause_in` holds one side in the middle of its transaction ("delete": after it has read the
    venue's plans; "confirm": after it has saved the plan confirmed) until the other side has
    finished or a second has passed, so each interleaving is tried, not only the likely one.
    """
    confirmer, deleter = APIClient(), APIClient()
    confirmer.force_authenticate(alice)
    deleter.force_authenticate(staff)
    started, finished = threading.Event(), threading.Event()
    together = threading.Barrier(2, timeout=10)

    def pause(name: str) -> None:
        if name == pause_in and threading.current_thread().name == name:
            started.set()
            finished.wait(timeout=1)

    def after_the_check(sender, **kwargs) -> None:
        pause("delete")

    def after_confirming(sender, instance, update_fields, **kwargs) -> None:
        if instance.status == Plan.Status.CONFIRMED and update_fields:
            pause("confirm")

    codes: dict[str, int] = {}
    sides = {
        "confirm": lambda: confirmer.post(f"/plans/{plan.pk}/confirm/"),
        "delete": lambda: deleter.delete(f"/venues/{plan.venue_id}/"),
    }

    def run(name: str) -> None:
        try:
            if pause_in is None:
                together.wait()
            elif name != pause_in:
                started.wait(timeout=10)  # the other side is paused mid-way
            codes[name] = sides[name]().status_code
        finally:
            if name != pause_in:
                finished.set()
            connection.close()

    pre_delete.connect(after_the_check, sender=Venue, dispatch_uid="test-pause-delete")
    post_save.connect(after_confirming, sender=Plan, dispatch_uid="test-pause-confirm")
    try:
        threads = [threading.Thread(target=run, args=(name,), name=name) for name in sides]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        pre_delete.disconnect(dispatch_uid="test-pause-delete", sender=Venue)
        post_save.disconnect(dispatch_uid="test-pause-confirm", sender=Plan)
    return codes["confirm"], codes["delete"]


def assert_one_of_them_refused(codes: tuple[int, int], plan: Plan) -> None:
    plan = Plan.objects.select_related("booking").get(pk=plan.pk)
    if codes == (200, 409):  # confirmed first: the venue stays while the plan holds its booking
        assert plan.venue_id is not None and Venue.objects.filter(pk=plan.venue_id).exists()
        assert (plan.status, plan.booking.status) == (Plan.Status.CONFIRMED, Booking.Status.BOOKED)
    else:  # deleted first: the plan, left without a venue, cannot be confirmed
        assert codes == (409, 204), codes
        assert (plan.venue_id, plan.status) == (None, Plan.Status.PENDING)
        assert not Booking.objects.filter(plan=plan).exists()


# The side caught mid-way got its locks first, so it wins and the other is refused.
@pytest.mark.parametrize("pause_in, codes", [("delete", (409, 204)), ("confirm", (200, 409))])
def test_a_venue_deleted_while_its_plan_is_confirmed_leaves_no_booked_plan_without_a_venue(
    alice, staff, agreed_plan, provider, pause_in, codes
):
    assert confirm_and_delete_together(alice, staff, agreed_plan, pause_in=pause_in) == codes

    assert_one_of_them_refused(codes, agreed_plan)


def test_rounds_of_confirming_and_deleting_the_venue_at_once_always_refuse_one_of_them(alice, bob, staff, provider):
    for _ in range(10):
        plan = PlanFactory(organizer=alice, venue=VenueFactory())
        PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
        PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.ACCEPTED)

        codes = confirm_and_delete_together(alice, staff, plan)

        assert_one_of_them_refused(codes, plan)


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
            f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(people[index].pk)]}, format="json"
        ),
    )

    assert sorted(response.status_code for response in responses) == [200] * 2 + [400] * (THREADS - 2)
    assert plan.participants.exclude(user=alice).count() == 3
