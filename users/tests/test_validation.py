"""Every bad signup or profile edit is a 400 naming the field, and nothing is stored."""

from __future__ import annotations

import pytest

from luna.tests.bodies import bad_coordinates, body_with
from users.models import User

pytestmark = pytest.mark.django_db

VALID = {
    "handle": "dana",
    "name": "Dana Park",
    "age": 30,
    "home_lat": 40.7,
    "home_lng": -74.0,
    "password": "a long passphrase",
}


def with_(**changes) -> dict:
    return body_with(VALID, **changes)


SIGNUP_CASES = [
    ("handle-missing", with_(handle=...), "handle"),
    ("handle-too-short", with_(handle="ab"), "handle"),
    ("handle-too-long", with_(handle="a" * 31), "handle"),
    ("handle-with-space", with_(handle="da na"), "handle"),
    ("handle-number", with_(handle=12345), "handle"),
    ("handle-null", with_(handle=None), "handle"),
    ("name-missing", with_(name=...), "name"),
    ("name-blank", with_(name=""), "name"),
    ("name-number", with_(name=7), "name"),
    ("age-12", with_(age=12), "age"),
    ("age-121", with_(age=121), "age"),
    ("age-string", with_(age="thirty"), "age"),
    ("age-numeric-string", with_(age="30"), "age"),
    ("age-fraction", with_(age=30.5), "age"),
    ("age-boolean", with_(age=True), "age"),
    *((case, with_(**change), field) for case, change, field in bad_coordinates("home_lat", "home_lng")),
    ("only-lat", with_(home_lng=...), "home_lng"),
    ("only-lng", with_(home_lat=...), "home_lat"),
    ("lat-null-lng-given", with_(home_lat=None), "home_lat"),
    ("weak-password", with_(password="password"), "password"),
    ("password-missing", with_(password=...), "password"),
    ("short-password", with_(password="x7#"), "password"),
    ("password-like-handle", with_(password="dana-park"), "password"),
    ("password-number", with_(password=12345678901), "password"),
    ("is-staff-given", with_(is_staff=True), "is_staff"),
    ("id-given", with_(id="6f1c0d1e-2b1e-4b8e-9a51-3f7c1a2b9c00"), "id"),
    ("unknown-field", with_(nickname="D"), "nickname"),
]


@pytest.mark.parametrize("body, field", [pytest.param(b, f, id=i) for i, b, f in SIGNUP_CASES])
def test_signup_rejects_bad_input(api_client, body, field):
    response = api_client.post("/users/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert all(isinstance(message, str) for message in response.json()[field])
    assert User.objects.count() == 0


RAW_BODIES = [
    ("nan", '{"handle": "dana", "name": "D", "home_lat": NaN, "home_lng": 0}'),
    ("infinity", '{"handle": "dana", "name": "D", "home_lat": Infinity, "home_lng": 0}'),
    ("minus-infinity", '{"handle": "dana", "name": "D", "age": -Infinity}'),
    ("truncated", '{"handle": "dana", "name": '),
    ("not-json", "handle=dana&name=D"),
    ("lone-surrogate", '{"handle": "dana", "name": "\\ud800"}'),
]


@pytest.mark.parametrize("raw", [pytest.param(raw, id=name) for name, raw in RAW_BODIES])
def test_signup_rejects_bodies_that_are_not_valid_json(api_client, raw):
    response = api_client.generic("POST", "/users/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert User.objects.count() == 0


def test_a_number_too_large_for_a_float_is_a_400_on_its_field(api_client):
    raw = '{"handle": "dana", "name": "D", "home_lat": 1e400, "home_lng": 0}'
    response = api_client.generic("POST", "/users/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "home_lat" in response.json()
    assert User.objects.count() == 0


@pytest.mark.parametrize("raw", ["[]", '"dana"', "42", "null"])
def test_signup_rejects_json_that_is_not_an_object(api_client, raw):
    response = api_client.generic("POST", "/users/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert User.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_body_that_is_not_declared_json_is_a_415(api_client, content_type):
    response = api_client.generic("POST", "/users/", "handle=dana&name=D", content_type=content_type)
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]
    assert User.objects.count() == 0


PATCH_CASES = [
    ("age-121", {"age": 121}, "age"),
    ("lat-over-90", {"home_lat": 95}, "home_lat"),
    ("lng-string", {"home_lng": "east"}, "home_lng"),
    ("clear-only-lat", {"home_lat": None}, "home_lat"),
    ("handle-invalid", {"handle": "no spaces"}, "handle"),
    ("name-blank", {"name": ""}, "name"),
    ("weak-password", {"password": "123456789"}, "password"),
    ("is-staff-string", {"is_staff": "yes"}, "is_staff"),
    ("id-read-only", {"id": "6f1c0d1e-2b1e-4b8e-9a51-3f7c1a2b9c00", "name": "New"}, "id"),
    ("created-at-read-only", {"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ("is-superuser-not-editable", {"is_superuser": True}, "is_superuser"),
]


@pytest.mark.parametrize("body, field", [pytest.param(b, f, id=i) for i, b, f in PATCH_CASES])
def test_profile_edits_reject_bad_input_and_change_nothing(client_for, staff, alice, body, field):
    before = User.objects.filter(pk=alice.pk).values().get()
    response = client_for(staff).patch(f"/users/{alice.id}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert User.objects.filter(pk=alice.pk).values().get() == before


@pytest.mark.parametrize(
    "body, field",
    [({"password": "x"}, "handle"), ({"handle": "alice"}, "password"), ({"handle": 1, "password": "x"}, "handle")],
)
def test_the_token_endpoint_rejects_incomplete_credentials(api_client, alice, body, field):
    response = api_client.post("/auth/token/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
