"""API keys are secrets: no admin page shows one, to staff or anyone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in_key(handle: str) -> str:
    response = Client().post("/auth/token/", {"handle": handle, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200
    return response.json()["token"]


def test_staff_with_the_token_view_permission_find_no_page_of_api_keys():
    UserFactory(handle="root", is_staff=True, is_superuser=True)
    root_key = signed_in_key("root")
    mallory = UserFactory(handle="mallory", is_staff=True)
    mallory.user_permissions.set(Permission.objects.filter(content_type__app_label="authtoken"))
    client = Client()
    client.force_login(mallory)

    listing = client.get("/admin/authtoken/tokenproxy/")
    index = client.get("/admin/")

    assert listing.status_code == 404
    assert index.status_code == 200
    assert "authtoken" not in index.content.decode()
    assert root_key not in listing.content.decode() + index.content.decode()


def test_not_even_a_superuser_sees_a_key_in_the_admin():
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    alice = UserFactory(handle="alice")
    alice_key = signed_in_key("alice")
    client = Client()
    client.force_login(root)
    pages = [
        client.get("/admin/authtoken/tokenproxy/"),
        client.get(f"/admin/users/user/{alice.pk}/change/"),
        client.get("/admin/users/user/"),
    ]
    assert [page.status_code for page in pages] == [404, 200, 200]
    assert not any(alice_key in page.content.decode() for page in pages)
