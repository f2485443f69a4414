"""Every admin page opens for staff and sends everybody else to the login page."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse

from plans.models import Plan
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from recommendations.models import Experiment, ExperimentArm, RankerVersion
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
