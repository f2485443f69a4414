"""Every admin page opens for staff and sends everybody else to the login page."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse

from experiments.models import Experiment, ExperimentArm
from plans.models import Plan
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from recommendations.models import RankerVersion
from social.tests.factories import SocialEdgeFactory
from users.services import auth_token_create
from users.tests.factories import PASSWORD, UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.fixture
def world():
    participant = PlanParticipantFactory()
    BookingFactory(plan=participant.plan)
    InteractionFactory()
    SocialEdgeFactory()
    auth_token_create(user=participant.user)
    RankerVersion.objects.create(
        version=1,
        metrics={"learned": {"precision": 0.05, "recall": 0.1}, "formula": {"precision": 0.02, "recall": 0.04}},
        artifact=b"a model",
        artifact_bytes=7,
    )
    experiment = Experiment.objects.create(name="first-test")
    ExperimentArm.objects.create(experiment=experiment, name="a", ranker="formula", is_control=True)
    ExperimentArm.objects.create(experiment=experiment, name="b", ranker="learned")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_staff_can_open_every_changelist_and_change_page(client, world, model):
    staff = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    obj = model.objects.first()
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert change.status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)  # bookings are only made by the booking agent


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_a_non_staff_user_is_sent_to_the_login_page(client, alice, model):
    client.force_login(alice)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_sign_in_with_handle_and_password(client, db):
    UserFactory(handle="boss", is_staff=True)
    response = client.post(
        reverse("admin:login"), {"username": "Boss", "password": PASSWORD, "next": "/admin/"}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].handle == "boss"


EXPORTED = MODELS


@pytest.mark.parametrize("model", EXPORTED, ids=lambda model: model._meta.label)
def test_every_list_exports_its_rows_as_csv(client, world, model):
    staff = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    rows = list(model.objects.all())
    response = client.post(
        url, {"action": "export_as_csv", "_selected_action": [str(row.pk) for row in rows], "select_across": "0"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert opts.pk.attname in lines[0]
    assert "password" not in lines[0]
    assert len(lines) == 1 + len(rows)


def test_the_export_keeps_to_the_filters_of_the_list(client, world):
    staff = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    PlanFactory(cancelled=True)
    pending = Plan.objects.filter(status=Plan.Status.PENDING).count()
    assert 0 < pending < Plan.objects.count()
    response = client.post(
        reverse("admin:plans_plan_changelist") + "?status__exact=pending",
        {"action": "export_as_csv", "_selected_action": ["x"], "select_across": "1"},
    )
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    status = lines[0].index("status")
    assert [line[status] for line in lines[1:]] == ["pending"] * pending


def test_the_export_turns_no_cell_into_a_spreadsheet_formula(client):
    staff = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    names = ['=HYPERLINK("http://x")', "+1+cmd", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "Plain - bar"]
    venues = [VenueFactory(name=name, lng=-73.95) for name in names]  # named by mallory
    client.force_login(staff)
    response = client.post(
        reverse("admin:venues_venue_changelist"),
        {"action": "export_as_csv", "_selected_action": [str(venue.pk) for venue in venues], "select_across": "0"},
    )
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    name, lng = lines[0].index("name"), lines[0].index("lng")
    assert sorted(line[name] for line in lines[1:]) == sorted(["'" + name for name in names[:-1]] + ["Plain - bar"])
    assert {line[lng] for line in lines[1:]} == {"-73.95"}  # a number stays a number, sign and all


def test_user_and_venue_pages_show_their_plans_edges_and_interactions(client):
    from social.tests.factories import SocialEdgeFactory
    from venues.tests.factories import InteractionFactory, VenueFactory

    staff = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    alice, bob = UserFactory(handle="alice"), UserFactory(handle="bob")
    venue = VenueFactory(name="Blue Note")
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=bob)
    SocialEdgeFactory(user=alice, other_user=bob, strength=0.7)
    InteractionFactory(user=bob, venue=venue, interaction_type="like")

    user_page = client.get(reverse("admin:users_user_change", args=[bob.pk])).content.decode()
    assert "Social graph" in user_page and ">alice<" in user_page and "0.7" in user_page  # alice's edge to bob
    assert f"/admin/plans/plan/{plan.pk}/change/" in user_page  # a plan bob is in
    venue_page = client.get(reverse("admin:venues_venue_change", args=[venue.pk])).content.decode()
    assert "Last 20 interactions" in venue_page and ">bob<" in venue_page and "like" in venue_page
    assert "Upcoming plans" in venue_page and f"/admin/plans/plan/{plan.pk}/change/" in venue_page
    assert client.get(reverse("admin:users_user_add")).status_code == 200
    assert client.get(reverse("admin:venues_venue_add")).status_code == 200


def column_classes(page: str) -> list[str]:
    """The columns of a change list, in order (each header's `column-<name>` class)."""
    import re

    return re.findall(r'<th scope="col" class="[^"]*column-([\w]+)', page)


def test_the_bookings_list_leads_with_plan_status_attempts_last_error_and_updated_at(client):
    from plans.models import Booking

    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    error = "The provider did not answer within 10 s (connection reset by peer while reading the response)"
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.FAILED, attempts=5, last_error=error)

    page = client.get(reverse("admin:plans_booking_changelist")).content.decode()

    assert column_classes(page) == ["plan", "status", "attempts", "last_error", "updated_at"]
    assert f'<span title="{error}">The provider did not answer within 10 s…</span>' in page


def test_the_interactions_list_starts_with_the_time_it_is_sorted_by(client):
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    InteractionFactory()

    page = client.get(reverse("admin:venues_interaction_changelist")).content.decode()

    assert column_classes(page)[0] == "created_at"
    assert 'class="sortable column-created_at sorted descending"' in page


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        ("users_user", ["handle", "name", "age", "is_active", "is_staff", "created_at"]),
        ("plans_plan", ["__str__", "status", "start_time", "participant_count", "booking_status"]),
        ("plans_planparticipant", ["user", "plan", "status", "updated_at"]),
    ],
)
def test_a_list_shows_few_enough_columns_for_a_laptop_screen(client, world, model, columns):
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))

    page = client.get(reverse(f"admin:{model}_changelist")).content.decode()

    assert column_classes(page) == columns


def test_a_bookings_and_a_plans_names_are_short():
    import uuid

    from plans.models import Booking

    venue = VenueFactory(name="The Underground Comedy Cellar and Late-Night Listening Lounge")
    plan = PlanFactory(organizer=UserFactory(handle="alice"), venue=venue)
    booking = BookingFactory(plan=plan, status=Booking.Status.BOOKED, external_ref=f"mock-{uuid.uuid4()}")

    assert str(booking) == f"Booking {booking.external_ref[:13]}… (booked)"
    assert str(plan) == f"alice at The Underground Comedy…, {plan.start_time:%Y-%m-%d}"
