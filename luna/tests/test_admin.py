"""Every admin page opens for staff and sends everybody else to the login page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.authtoken.models import Token

from plans.tests.factories import BookingFactory, PlanParticipantFactory
from recommendations.models import RankerVersion
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import PASSWORD, UserFactory
from venues.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.fixture
def world():
    participant = PlanParticipantFactory()
    BookingFactory(plan=participant.plan)
    InteractionFactory()
    SocialEdgeFactory()
    Token.objects.create(user=participant.user)
    RankerVersion.objects.create(
        version=1,
        metrics={"learned": {"precision": 0.05, "recall": 0.1}, "formula": {"precision": 0.02, "recall": 0.04}},
        artifact=b"a model",
        artifact_bytes=7,
    )


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
