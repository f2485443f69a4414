"""API keys and session keys are secrets: no admin page shows one, and the database keeps only their digests."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from users.models import Token, User
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


def test_the_database_holds_no_working_key(api_client):
    alice = UserFactory(handle="alice")
    key = signed_in_key("alice")
    stored = list(Token.objects.filter(user=alice).values_list("digest", "prefix"))

    assert stored == [(hashlib.sha256(key.encode()).hexdigest(), key[:8])]
    for value in stored[0]:
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
        assert api_client.get("/users/me/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/users/me/").status_code == 200


def test_a_key_drf_stored_in_clear_keeps_working_once_moved_and_the_clear_table_is_gone(api_client):
    alice = UserFactory(handle="alice")
    key = "0f" * 20
    created = (timezone.now() + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")  # as DRF's table held it
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40), user_id char(32), created timestamp)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, alice.pk.hex, created])
    migration = importlib.import_module("users.migrations.0004_api_key_digests")
    migration.move_drf_keys(django_apps, SimpleNamespace(connection=connection, execute=connection.cursor().execute))

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/users/me/").json()["id"] == str(alice.pk)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert Token.objects.get().prefix == "0f0f0f0f"


def test_handles_stored_before_are_stored_normalized_by_the_migration():
    User.objects.bulk_create([User(handle="Alice", name="Alice"), User(handle="BOB", name="Bob")])  # no save()
    migration = importlib.import_module("users.migrations.0003_normalize_handles")
    migration.normalize_handles(django_apps, None)
    assert sorted(User.objects.values_list("handle", flat=True)) == ["alice", "bob"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's LOWER already refuses this pair")
def test_the_handle_migration_stops_and_names_handles_that_become_one():
    # The Kelvin sign lower-cases to "k" in Unicode but not in SQLite's LOWER, so both rows could be stored.
    User.objects.bulk_create([User(handle="\u212aim", name="Kim"), User(handle="kim", name="Kim")])
    migration = importlib.import_module("users.migrations.0003_normalize_handles")
    with pytest.raises(RuntimeError, match="rename all but one of each and migrate again: 'kim'"):
        migration.normalize_handles(django_apps, None)
    assert sorted(User.objects.values_list("handle", flat=True)) == ["kim", "\u212aim"]


def test_a_session_key_read_from_the_database_signs_nobody_in():
    """The admin's (and the browsable API's) sessions are credentials too: the table keeps their digests."""
    UserFactory(handle="root", is_staff=True, is_superuser=True)
    root = Client()
    assert root.post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"}).status_code == 302
    cookie = root.cookies["sessionid"].value
    assert root.get("/admin/").status_code == 200

    stored = list(Session.objects.values_list("session_key", flat=True))
    assert len(stored) == 1 and cookie not in stored
    mallory = Client()
    mallory.cookies["sessionid"] = stored[0]  # read from a backup or a replica
    assert mallory.get("/admin/").status_code == 302  # to the login page
    assert mallory.get("/users/me/").status_code in (401, 403)

    root.post("/admin/logout/")
    assert not Session.objects.exists()
