"""A closed (inactive) account signs in nowhere: not by token, session or the admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from users.models import User
from users.services import auth_token_create
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def close(user: User) -> None:
    # As the admin's "active" checkbox does: the row changes, nothing else is cleaned up.
    User.objects.filter(pk=user.pk).update(is_active=False)


def test_a_token_left_behind_by_a_closed_account_is_refused(alice):
    key = auth_token_create(user=alice)
    close(alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/users/me/")
    assert response.status_code == 401
    assert client.post("/social/edges/", {"other_user_id": str(alice.id)}, format="json").status_code == 401


def test_a_session_opened_before_the_account_closed_no_longer_signs_in(alice):
    client = APIClient()
    client.force_login(alice)
    assert client.get("/users/me/").status_code == 200
    close(alice)
    assert client.get("/users/me/").status_code in (401, 403)


def test_a_closed_staff_account_cannot_sign_in_to_the_admin():
    boss = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    assert client.get(reverse("admin:index")).status_code == 200
    close(boss)
    assert client.get(reverse("admin:index")).status_code == 302
    fresh = Client()
    page = fresh.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD, "next": "/admin/"})
    assert page.status_code == 200  # the login form again, with an error
    assert "_auth_user_id" not in fresh.session
