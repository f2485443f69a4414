"""Accounts over the API: signup, tokens, profiles, closing an account."""

from __future__ import annotations

from unittest.mock import ANY

import pytest

from users.models import Token, User
from users.services import BAD_CREDENTIALS, HANDLE_TAKEN, auth_token_create
from users.tests.factories import PASSWORD, UserFactory
from venues.models import Interaction
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db

USER_FIELDS = {"id", "handle", "name", "age", "home_lat", "home_lng", "is_active", "is_staff", "created_at"}


def test_signup_with_every_field_returns_them(api_client):
    body = {"handle": "dana", "name": "Dana Park", "age": 31, "home_lat": 40.7128, "home_lng": -74.006}
    response = api_client.post("/users/", {**body, "password": "a-long-unusual-passphrase"}, format="json")
    assert response.status_code == 201
    assert set(response.data) == USER_FIELDS
    assert {key: response.json()[key] for key in body} == body
    assert response.json()["is_staff"] is False
    stored = User.objects.get(handle="dana")
    assert stored.check_password("a-long-unusual-passphrase")
    assert str(stored.id) == response.json()["id"]


def test_signup_with_minimal_fields_gives_an_account_that_signs_in(api_client):
    response = api_client.post("/users/", {"handle": "eve", "name": "Eve", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json()["age"] is None
    assert response.json()["home_lat"] is None and response.json()["home_lng"] is None
    assert api_client.post("/auth/token/", {"handle": "eve", "password": PASSWORD}, format="json").status_code == 200


def test_signup_without_a_password_is_refused_saying_so(api_client):
    response = api_client.post("/users/", {"handle": "nopass", "name": "No Pass"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Give a password: an account without one could never sign in."]}
    assert not User.objects.exists()


def test_a_member_cannot_sign_up_someone_with_a_null_password(api_client, client_for, alice):
    for client in (api_client, client_for(alice)):
        response = client.post("/users/", {"handle": "nopass", "name": "No Pass", "password": None}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "password": ['Only staff may create an account without a password ("password": null).']
        }
    assert not User.objects.filter(handle="nopass").exists()


def test_staff_may_create_an_account_without_a_usable_password_explicitly(client_for, staff, api_client):
    response = client_for(staff).post("/users/", {"handle": "dana", "name": "Dana", "password": None}, format="json")
    assert response.status_code == 201
    assert not User.objects.get(handle="dana").has_usable_password()
    assert api_client.post("/auth/token/", {"handle": "dana", "password": ""}, format="json").status_code == 400


def test_the_password_and_its_hash_are_never_returned(api_client, staff, client_for):
    response = api_client.post(
        "/users/", {"handle": "dana", "name": "Dana", "password": "a-long-unusual-passphrase"}, format="json"
    )
    hashed = User.objects.get(handle="dana").password
    for body in (response.content, client_for(staff).get(f"/users/{response.json()['id']}/").content):
        assert b"password" not in body
        assert hashed.encode() not in body


def test_a_taken_handle_is_refused_in_any_case(api_client, alice):
    response = api_client.post(
        "/users/", {"handle": "ALICE", "name": "Another Alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"handle": [HANDLE_TAKEN]}
    assert User.objects.count() == 1


def test_a_weak_password_is_refused_with_the_validators_messages(api_client):
    response = api_client.post("/users/", {"handle": "dana", "name": "Dana", "password": "12345678"}, format="json")
    assert response.status_code == 400
    assert any("too common" in message for message in response.json()["password"])
    assert User.objects.count() == 0


def test_users_list_starts_with_the_caller_and_lists_who_signed_up(client_for, alice, api_client):
    client = client_for(alice)
    assert [user["handle"] for user in client.get("/users/").json()["results"]] == ["alice"]
    api_client.post("/users/", {"handle": "dana", "name": "Dana", "password": PASSWORD}, format="json")
    listed = client.get("/users/").json()
    assert listed["count"] == 2
    assert [user["handle"] for user in listed["results"]] == ["alice", "dana"]
    assert listed["next"] is None and listed["previous"] is None


def test_users_list_searches_handle_and_name(client_for, alice, bob, charlie):
    client = client_for(alice)
    assert [u["handle"] for u in client.get("/users/?search=singh").json()["results"]] == ["bob"]
    assert [u["handle"] for u in client.get("/users/?search=CHAR").json()["results"]] == ["charlie"]


def test_users_list_paginates(client_for, alice):
    UserFactory.create_batch(4)
    page = client_for(alice).get("/users/?limit=2&offset=2").json()
    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert "offset=4" in page["next"]


def test_me_is_the_caller(client_for, bob):
    response = client_for(bob).get("/users/me")
    assert response.status_code == 200
    assert response.json()["handle"] == "bob"


def test_a_user_changes_their_profile(client_for, alice):
    response = client_for(alice).patch(
        f"/users/{alice.id}/", {"name": "Alice C.", "home_lat": 51.5, "home_lng": -0.12}, format="json"
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.name, alice.home_lat, alice.home_lng) == ("Alice C.", 51.5, -0.12)


def test_a_user_may_clear_their_home_as_a_pair(client_for, alice):
    response = client_for(alice).patch(f"/users/{alice.id}/", {"home_lat": None, "home_lng": None}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert not alice.has_home


def test_a_user_may_not_make_themselves_staff(client_for, alice):
    response = client_for(alice).patch(f"/users/{alice.id}/", {"is_staff": True, "name": "Boss"}, format="json")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert (alice.is_staff, alice.name) == (False, "Alice Chen")


def test_only_a_superuser_may_make_someone_staff(client_for, staff, alice):
    response = client_for(staff).patch(f"/users/{alice.id}/", {"is_staff": True}, format="json")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.is_staff is False

    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    response = client_for(root).patch(f"/users/{alice.id}/", {"is_staff": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_staff"] is True


def test_changing_the_handle_to_a_taken_one_is_refused(client_for, alice, bob):
    response = client_for(alice).patch(f"/users/{alice.id}/", {"handle": "Bob"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"handle": [HANDLE_TAKEN]}
    alice.refresh_from_db()
    assert alice.handle == "alice"


def test_keeping_your_own_handle_in_another_case_is_allowed_and_stored_normalized(client_for, alice):
    response = client_for(alice).patch(f"/users/{alice.id}/", {"handle": "Alice"}, format="json")
    assert response.status_code == 200
    assert response.json()["handle"] == "alice"


def test_closing_an_account_deactivates_it_and_keeps_its_history(client_for, api_client, alice):
    InteractionFactory(user=alice)
    auth_token_create(user=alice)
    response = client_for(alice).delete(f"/users/{alice.id}/")
    assert response.status_code == 204
    alice.refresh_from_db()
    assert alice.is_active is False
    assert Interaction.objects.filter(user=alice).count() == 1
    assert not Token.objects.filter(user=alice).exists()
    signin = api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json")
    assert signin.status_code == 400


def test_a_closed_account_is_hidden_from_others_but_not_from_staff(client_for, alice, bob, staff):
    client_for(alice).delete(f"/users/{alice.id}/")
    assert client_for(bob).get(f"/users/{alice.id}/").status_code == 404
    assert [u["handle"] for u in client_for(bob).get("/users/").json()["results"]] == ["bob", "staffer"]
    seen_by_staff = client_for(staff).get(f"/users/{alice.id}/")
    assert seen_by_staff.status_code == 200
    assert seen_by_staff.json()["is_active"] is False


def test_staff_can_reactivate_an_account(client_for, alice, staff):
    client_for(staff).delete(f"/users/{alice.id}/")
    response = client_for(staff).patch(f"/users/{alice.id}/", {"is_active": True}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.is_active


def test_a_token_is_issued_for_handle_in_any_case_and_password(api_client, alice):
    response = api_client.post("/auth/token", {"handle": "ALICE", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert Token.objects.get(user=alice).digest == Token.digest_of(response.json()["token"])
    assert response.json()["user"]["handle"] == "alice"
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/users/me/").json()["id"] == str(alice.id)


def test_each_sign_in_gets_a_key_of_its_own_and_both_work(api_client, alice):
    first = api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json").json()
    second = api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json").json()
    assert first["token"] != second["token"]
    assert Token.objects.count() == 2
    for key in (first["token"], second["token"]):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api_client.get("/users/me/").status_code == 200


@pytest.mark.parametrize(
    "handle, password", [("alice", "wrong password"), ("nobody", PASSWORD)], ids=["wrong-password", "unknown-handle"]
)
def test_wrong_credentials_do_not_say_which_half_was_wrong(api_client, alice, handle, password):
    response = api_client.post("/auth/token/", {"handle": handle, "password": password}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [BAD_CREDENTIALS]}
    assert Token.objects.count() == 0


def test_an_account_without_password_gets_no_token(api_client):
    UserFactory(handle="dana", password=None)
    response = api_client.post("/auth/token/", {"handle": "dana", "password": ""}, format="json")
    assert response.status_code == 400
    assert Token.objects.count() == 0


def test_revoking_the_token_signs_the_client_out(api_client, alice):
    token = api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.delete("/auth/token/").status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    assert api_client.get("/users/me/").status_code == 401


def test_hammering_signup_is_throttled(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"signup": "3/hour", "token": "20/minute"},
    }
    statuses = [
        api_client.post(
            "/users/", {"handle": f"user{n}x", "name": "N", "password": PASSWORD}, format="json"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    assert User.objects.count() == 3


def test_hammering_the_token_endpoint_is_throttled(api_client, alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"signup": "30/hour", "token": "2/minute"},
    }
    statuses = [
        api_client.post("/auth/token/", {"handle": "alice", "password": f"guess {n}"}, format="json").status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 429, 429]
    throttled = api_client.post("/auth/token/", {"handle": "alice", "password": PASSWORD}, format="json")
    assert throttled.status_code == 429
    assert Token.objects.count() == 0


def test_other_endpoints_are_not_throttled_by_the_signup_rate(client_for, alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"signup": "1/hour", "token": "1/hour"},
    }
    client = client_for(alice)
    assert [client.get("/users/").status_code for _ in range(3)] == [200, 200, 200]


class TestUserInteractions:
    def test_a_user_sees_their_interactions_newest_first(self, client_for, alice, bob):
        venue = VenueFactory()
        older = InteractionFactory(user=alice, venue=venue, interaction_type="view")
        newer = InteractionFactory(user=alice, venue=venue, interaction_type="like")
        InteractionFactory(user=bob, venue=venue)
        page = client_for(alice).get(f"/users/{alice.id}/interactions").json()
        assert page["count"] == 2
        assert [item["id"] for item in page["results"]] == [newer.id, older.id]
        assert page["results"][0] == {
            "id": newer.id,
            "user_id": str(alice.id),
            "venue_id": str(venue.id),
            "interaction_type": "like",
            "dwell_time_seconds": 120,
            "created_at": page["results"][0]["created_at"],
        }

    def test_they_filter_by_venue_and_type(self, client_for, alice):
        cafe, bar = VenueFactory(), VenueFactory()
        wanted = InteractionFactory(user=alice, venue=cafe, interaction_type="like")
        InteractionFactory(user=alice, venue=cafe, interaction_type="view")
        InteractionFactory(user=alice, venue=bar, interaction_type="like")
        client = client_for(alice)
        by_both = client.get(f"/users/{alice.id}/interactions/?venue={cafe.id}&interaction_type=like").json()
        assert [item["id"] for item in by_both["results"]] == [wanted.id]
        assert client.get(f"/users/{alice.id}/interactions/?venue={cafe.id}").json()["count"] == 2

    @pytest.mark.parametrize("query", ["venue=not-a-uuid", "venue=", "interaction_type=love", "interaction_type="])
    def test_a_malformed_filter_is_a_400(self, client_for, alice, query):
        response = client_for(alice).get(f"/users/{alice.id}/interactions/?{query}")
        assert response.status_code == 400
        assert query.split("=")[0] in response.json()


def test_others_see_who_someone_is_but_not_their_age_or_home(client_for, alice, bob, staff):
    seen_by_bob = client_for(bob).get(f"/users/{alice.id}/").json()
    # Left out, not null (null would mean "no home"); whether someone is staff is private too.
    assert seen_by_bob == {"id": str(alice.id), "handle": "alice", "name": "Alice Chen", "created_at": ANY}
    listed = {user["handle"]: user for user in client_for(bob).get("/users/").json()["results"]}
    assert set(listed["alice"]) == set(listed["staffer"]) == {"id", "handle", "name", "created_at"}
    assert listed["bob"]["home_lat"] == 40.7306 and listed["bob"]["is_staff"] is False
    assert client_for(staff).get("/users/").json()["results"][0].keys() >= {"is_staff", "home_lat"}
    for viewer in (alice, staff):
        seen = client_for(viewer).get(f"/users/{alice.id}/").json()
        assert (seen["age"], seen["home_lat"], seen["home_lng"]) == (25, 40.7306, -73.9352)
