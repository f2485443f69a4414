"""The plan page in the admin, and the actions that go through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from plans.models import STARTED, Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_plan_page_shows_participants_and_the_booking(admin_client, confirmed_plan):
    BookingFactory(plan=confirmed_plan, status=Booking.Status.BOOKED, external_ref="mock-1234", attempts=1)

    page = admin_client.get(reverse("admin:plans_plan_change", args=[confirmed_plan.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Participants" in html and "Booking" in html
    participants = page.context["inline_admin_formsets"][0].formset.queryset
    assert sorted(participants.values_list("user__handle", "status")) == [("alice", "accepted"), ("bob", "accepted")]
    assert "mock-1234" in html


@pytest.mark.django_db(transaction=True)
def test_confirming_from_the_admin_goes_through_the_service_and_reports_each_plan(admin_client, agreed_plan, plan):
    past = Plan.objects.create(
        organizer=agreed_plan.organizer, venue=agreed_plan.venue, start_time=timezone.now() - timedelta(hours=1)
    )

    response = admin_client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "confirm_plans", "_selected_action": [str(agreed_plan.pk), str(past.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    notes = messages_of(response)
    assert any("confirmed; booking booked (mock-" in note for note in notes)
    assert any(f"not confirmed. {STARTED.reason}." in note for note in notes)
    assert Booking.objects.get().plan_id == agreed_plan.pk
    assert Plan.objects.get(pk=past.pk).status == Plan.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_retrying_from_the_admin_books_failed_bookings_and_skips_others(admin_client, confirmed_plan, provider):
    failed = BookingFactory(plan=confirmed_plan, status=Booking.Status.FAILED, attempts=2)
    booked = BookingFactory(
        plan=PlanFactory(
            organizer=confirmed_plan.organizer,
            venue=confirmed_plan.venue,
            start_time=confirmed_plan.start_time,
            confirmed=True,
        ),
        status=Booking.Status.BOOKED,
        external_ref="rec-0",
    )

    response = admin_client.post(
        reverse("admin:plans_booking_changelist"),
        {"action": "retry_bookings", "_selected_action": [str(failed.pk), str(booked.pk)]},
        follow=True,
    )

    notes = messages_of(response)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.external_ref) == (Booking.Status.BOOKED, 3, "rec-1")
    assert any(": booked (rec-1)." in note for note in notes)
    assert any("Only a failed booking can be retried; this one is booked." in note for note in notes)
    assert provider.booked == [failed.pk]


@pytest.mark.django_db(transaction=True)
def test_cancelling_from_the_admin_cancels_the_booking_too(admin_client, confirmed_plan, provider):
    BookingFactory(plan=confirmed_plan, status=Booking.Status.BOOKED, provider="recording", external_ref="rec-9")

    response = admin_client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "cancel_plans", "_selected_action": [str(confirmed_plan.pk)]},
        follow=True,
    )

    assert any("cancelled; booking cancelled." in note for note in messages_of(response))
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    assert provider.cancelled == ["rec-9"]


@pytest.mark.django_db
def test_staff_cannot_add_a_booking_or_set_its_status_by_hand(admin_client, confirmed_plan, provider):
    booking = BookingFactory(plan=confirmed_plan, status=Booking.Status.FAILED, attempts=1, last_error="busy")

    assert admin_client.get(reverse("admin:plans_booking_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:plans_booking_change", args=[booking.pk]),
        {"plan": str(confirmed_plan.pk), "status": "booked", "external_ref": "typed-by-hand", "attempts": 0},
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.external_ref, booking.attempts) == (Booking.Status.FAILED, "", 1)
    assert provider.book_calls == 0


@pytest.mark.django_db
def test_the_plan_page_has_buttons_that_confirm_and_cancel_through_the_services(
    admin_client, agreed_plan, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_BROKER_URL = ""
    page = admin_client.get(reverse("admin:plans_plan_change", args=[agreed_plan.pk]))
    html = page.content.decode()
    assert "Confirm and book" in html and "Cancel the plan" in html and "Retry the booking" not in html
    assert "Provider reference" not in html  # no empty Booking panel before there is a booking

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(reverse("admin:plans_plan_confirm", args=[agreed_plan.pk]), follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:plans_plan_change", args=[agreed_plan.pk])
    assert any("confirmed; booking" in message for message in messages_of(done))
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.CONFIRMED
    assert Booking.objects.get(plan=agreed_plan).status == Booking.Status.BOOKED
    page = admin_client.get(reverse("admin:plans_plan_change", args=[agreed_plan.pk])).content.decode()
    assert "Confirm and book" not in page and "Provider reference" in page

    assert admin_client.get(reverse("admin:plans_plan_cancel", args=[agreed_plan.pk])).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:plans_plan_cancel", args=[agreed_plan.pk]))
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.CANCELLED


@pytest.mark.django_db
def test_a_failed_booking_is_retried_from_the_plan_page(admin_client, confirmed_plan, settings):
    settings.CELERY_BROKER_URL = ""
    BookingFactory(plan=confirmed_plan, status=Booking.Status.FAILED, last_error="provider down", attempts=1)
    assert (
        "Retry the booking"
        in admin_client.get(reverse("admin:plans_plan_change", args=[confirmed_plan.pk])).content.decode()
    )
    response = admin_client.post(reverse("admin:plans_plan_retry_booking", args=[confirmed_plan.pk]), follow=True)
    assert response.status_code == 200
    assert Booking.objects.get(plan=confirmed_plan).attempts >= 1
    assert any("Booking for" in message for message in messages_of(response))


@pytest.mark.django_db
def test_the_lists_show_people_booking_and_errors_not_ids(admin_client, confirmed_plan):
    BookingFactory(plan=confirmed_plan, status=Booking.Status.FAILED, last_error="provider down")
    plans = admin_client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert "column-participant_count" in plans and "column-booking_status" in plans and ">failed<" in plans
    assert str(confirmed_plan) in plans
    bookings = admin_client.get(reverse("admin:plans_booking_changelist")).content.decode()
    assert "provider down" in bookings


# --- the pending plan's form goes through the services, with the API's rules ------


def plan_form(*, organizer, venue, start, participants=()) -> dict:
    """The plan page's form as a browser posts it; `participants` are (user, status) rows to add."""
    data = {
        "organizer": str(organizer.pk),
        "venue": str(venue.pk) if venue is not None else "",
        "start_time_0": start.strftime("%Y-%m-%d"),
        "start_time_1": start.strftime("%H:%M:%S"),
        "participants-TOTAL_FORMS": str(len(participants)),
        "participants-INITIAL_FORMS": "0",
    }
    for index, (user, status) in enumerate(participants):
        data[f"participants-{index}-user"] = str(user.pk)
        data[f"participants-{index}-status"] = status
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2001, 9999])
def test_a_plan_added_in_the_admin_to_start_in_2001_or_9999_is_refused_with_a_form_error(
    admin_client, alice, venue, year
):
    start = timezone.now().replace(year=year, month=6, day=1)

    response = admin_client.post(reverse("admin:plans_plan_add"), plan_form(organizer=alice, venue=venue, start=start))

    assert response.status_code == 200  # the form again
    errors = response.context["adminform"].form.errors
    expected = "in the future" if year == 2001 else "within 730 days from now"
    assert expected in str(errors["start_time"])
    assert not Plan.objects.exists() and not PlanParticipant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("organizer_listed", [False, True])
def test_a_plan_added_in_the_admin_is_made_as_the_api_makes_it(admin_client, alice, bob, venue, organizer_listed):
    start = timezone.now() + timedelta(days=2)
    rows = [(bob, "invited")] + ([(alice, "accepted")] if organizer_listed else [])

    response = admin_client.post(
        reverse("admin:plans_plan_add"), plan_form(organizer=alice, venue=venue, start=start, participants=rows)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = Plan.objects.get()
    assert (plan.organizer, plan.venue, plan.status) == (alice, venue, Plan.Status.PENDING)
    assert sorted(plan.participants.values_list("user__handle", "status")) == [
        ("alice", "accepted"),  # the organizer is always a participant, accepted (plan_create)
        ("bob", "invited"),
    ]


@pytest.mark.django_db
def test_a_plan_added_in_the_admin_needs_a_venue(admin_client, alice):
    start = timezone.now() + timedelta(days=2)

    response = admin_client.post(reverse("admin:plans_plan_add"), plan_form(organizer=alice, venue=None, start=start))

    assert response.status_code == 200
    assert "venue" in response.context["adminform"].form.errors
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_moving_a_pending_plan_to_another_venue_in_the_admin_asks_the_group_again(admin_client, alice, agreed_plan):
    elsewhere = VenueFactory(name="Elsewhere")
    url = reverse("admin:plans_plan_change", args=[agreed_plan.pk])

    response = admin_client.post(url, plan_form(organizer=alice, venue=elsewhere, start=agreed_plan.start_time))

    assert response.status_code == 302
    assert Plan.objects.get(pk=agreed_plan.pk).venue == elsewhere
    assert sorted(agreed_plan.participants.values_list("user__handle", "status")) == [
        ("alice", "accepted"),
        ("bob", "invited"),  # bob agreed to the Blue Note, not to this place
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2001, 9999])
def test_the_admin_refuses_a_pending_plans_time_in_2001_or_9999_and_keeps_its_organizer(
    admin_client, alice, bob, agreed_plan, year
):
    url = reverse("admin:plans_plan_change", args=[agreed_plan.pk])
    start = timezone.now().replace(year=year, month=6, day=1)

    response = admin_client.post(url, plan_form(organizer=bob, venue=agreed_plan.venue, start=start))

    assert response.status_code == 200  # the form again, saying why
    assert "start time must be" in str(response.context["adminform"].form.errors)
    plan = Plan.objects.get(pk=agreed_plan.pk)
    assert (plan.organizer, plan.start_time) == (alice, agreed_plan.start_time)
    assert sorted(plan.participants.values_list("user__handle", "status")) == [
        ("alice", "accepted"),
        ("bob", "accepted"),
    ]


@pytest.mark.django_db
def test_the_admin_does_not_take_a_pending_plans_venue_away(admin_client, alice, agreed_plan):
    url = reverse("admin:plans_plan_change", args=[agreed_plan.pk])

    response = admin_client.post(url, plan_form(organizer=alice, venue=None, start=agreed_plan.start_time))

    assert response.status_code == 200
    assert "venue" in response.context["adminform"].form.errors
    assert Plan.objects.get(pk=agreed_plan.pk).venue_id == agreed_plan.venue_id


# --- who accepts: the participant, as in the API (POST /plans/{id}/respond/ is for themselves) ------


@pytest.mark.django_db
def test_staff_cannot_accept_a_plan_for_someone_in_the_admin(admin_client, alice, bob, plan):
    """Accepting shares a member's home and likes with the group: it is the member's own answer."""
    carol = UserFactory(handle="carol")
    row = plan.participants.get(user=bob)

    # On the participant's page, and when adding one.
    admin_client.post(
        reverse("admin:plans_planparticipant_change", args=[row.pk]),
        {"plan": str(plan.pk), "user": str(bob.pk), "status": "accepted"},
    )
    admin_client.post(
        reverse("admin:plans_planparticipant_add"), {"plan": str(plan.pk), "user": str(carol.pk), "status": "accepted"}
    )
    # On a new plan's form.
    admin_client.post(
        reverse("admin:plans_plan_add"),
        plan_form(organizer=alice, venue=plan.venue, start=plan.start_time, participants=[(carol, "accepted")]),
    )

    answers = set(PlanParticipant.objects.exclude(user=alice).values_list("user__handle", "status"))
    assert answers == {("bob", "invited"), ("carol", "invited")}


@pytest.mark.django_db
def test_an_accepted_participants_row_cannot_be_handed_to_someone_else_in_the_admin(
    admin_client, alice, agreed_plan, bob
):
    mallory = UserFactory(handle="mallory")
    row = agreed_plan.participants.get(user=bob)

    # On the participant's page (plan and user are read-only there) ...
    admin_client.post(
        reverse("admin:plans_planparticipant_change", args=[row.pk]),
        {"plan": str(agreed_plan.pk), "user": str(mallory.pk), "status": "accepted"},
    )
    # ... and in the plan page's participant rows.
    data = plan_form(organizer=alice, venue=agreed_plan.venue, start=agreed_plan.start_time)
    data.update(
        {
            "participants-TOTAL_FORMS": "1",
            "participants-INITIAL_FORMS": "1",
            "participants-0-id": str(row.pk),
            "participants-0-plan": str(agreed_plan.pk),
            "participants-0-user": str(mallory.pk),
        }
    )
    response = admin_client.post(reverse("admin:plans_plan_change", args=[agreed_plan.pk]), data)

    assert response.status_code == 200  # the form again
    assert "row stays theirs" in response.content.decode()
    row.refresh_from_db()
    assert (row.user, row.status) == (bob, PlanParticipant.Status.ACCEPTED)
