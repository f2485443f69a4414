"""Only superusers hand out or take away staff rights, and only they touch staff accounts' passwords.

The matrix: {superuser, staff, member} acting on {themselves, a member, a staff member, a superuser}
to promote (make staff), demote (remove staff) or reset the password, through the API and the admin.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new long passphrase"
ACTORS = ["superuser", "staff", "member"]
TARGETS = ["self", "member", "staff", "superuser"]
ACTIONS = ["promote", "demote", "reset-password"]

# Whether the action takes effect, by actor and target ("-" where it changes nothing either way:
# promoting someone who is staff already, demoting someone who is not).
TAKES_EFFECT = {
    ("superuser", "self"): {"promote": "-", "demote": True, "reset-password": True},
    ("superuser", "member"): {"promote": True, "demote": "-", "reset-password": True},
    ("superuser", "staff"): {"promote": "-", "demote": True, "reset-password": True},
    ("superuser", "superuser"): {"promote": "-", "demote": True, "reset-password": True},
    ("staff", "self"): {"promote": "-", "demote": False, "reset-password": True},
    ("staff", "member"): {"promote": False, "demote": "-", "reset-password": True},
    ("staff", "staff"): {"promote": "-", "demote": False, "reset-password": False},
    ("staff", "superuser"): {"promote": "-", "demote": False, "reset-password": False},
    ("member", "self"): {"promote": False, "demote": "-", "reset-password": True},
    ("member", "member"): {"promote": False, "demote": "-", "reset-password": False},
    ("member", "staff"): {"promote": "-", "demote": False, "reset-password": False},
    ("member", "superuser"): {"promote": "-", "demote": False, "reset-password": False},
}

CASES = [
    pytest.param(actor, target, action, id=f"{actor}-{action}-{target}")
    for actor in ACTORS
    for target in TARGETS
    for action in ACTIONS
]


def make(kind: str, handle: str) -> User:
    flags = {"superuser": {"is_staff": True, "is_superuser": True}, "staff": {"is_staff": True}, "member": {}}
    return UserFactory(handle=handle, **flags[kind])


def people(actor_kind: str, target_kind: str) -> tuple[User, User]:
    actor = make(actor_kind, "actor")
    target = actor if target_kind == "self" else make(target_kind, "target")
    if actor_kind == "staff":
        # A staff member who may use the users admin at all.
        actor.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    return actor, target


def may_change_account(actor_kind: str, target_kind: str) -> bool:
    """Whether the actor may change the account at all: themselves, or as superuser, or as staff a member."""
    return target_kind == "self" or actor_kind == "superuser" or (actor_kind, target_kind) == ("staff", "member")


def refused(actor_kind: str, target_kind: str, effect) -> bool:
    return effect is False or not may_change_account(actor_kind, target_kind)


def state(user: User) -> tuple[bool, bool]:
    user.refresh_from_db()
    return user.is_staff, user.check_password(NEW_PASSWORD)


def expected_state(before: tuple[bool, bool], action: str, effect) -> tuple[bool, bool]:
    is_staff, new_password = before
    if effect is True and action == "promote":
        return True, new_password
    if effect is True and action == "demote":
        return False, new_password
    if effect is True and action == "reset-password":
        return is_staff, True
    return before


@pytest.mark.parametrize("actor_kind, target_kind, action", CASES)
def test_the_api_follows_the_matrix(client_for, actor_kind, target_kind, action):
    actor, target = people(actor_kind, target_kind)
    effect = TAKES_EFFECT[(actor_kind, target_kind)][action]
    body = {"promote": {"is_staff": True}, "demote": {"is_staff": False}, "reset-password": {"password": NEW_PASSWORD}}
    body = body[action]
    if action == "reset-password" and target_kind == "self":
        body = {**body, "current_password": PASSWORD}
    before = state(target)

    response = client_for(actor).patch(f"/users/{target.pk}/", body, format="json")

    assert state(target) == expected_state(before, action, effect)
    assert response.status_code == (403 if refused(actor_kind, target_kind, effect) else 200), response.content


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form_data(target: User, *, is_staff: bool) -> dict:
    data = {"handle": target.handle, "name": target.name, "age": target.age}
    data |= {"home_lat": target.home_lat, "home_lng": target.home_lng, "is_active": "on"}
    if is_staff:
        data["is_staff"] = "on"
    if target.is_superuser:
        data["is_superuser"] = "on"
    return data


@pytest.mark.parametrize("actor_kind, target_kind, action", CASES)
def test_the_admin_follows_the_matrix(actor_kind, target_kind, action):
    actor, target = people(actor_kind, target_kind)
    effect = TAKES_EFFECT[(actor_kind, target_kind)][action]
    client = admin_client(actor)
    before = state(target)

    if action == "reset-password":
        response = client.post(
            f"/admin/users/user/{target.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )
    else:
        data = change_form_data(target, is_staff=action == "promote")
        response = client.post(f"/admin/users/user/{target.pk}/change/", data)

    if actor_kind == "member":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert state(target) == before
        return
    assert state(target) == expected_state(before, action, effect)
    # Refused fields are not in a staff member's form, so that post "succeeds" and changes nothing;
    # another staff account's pages are refused whole.
    assert response.status_code == (403 if not may_change_account(actor_kind, target_kind) else 302)


def test_a_posted_is_superuser_from_staff_changes_nothing():
    actor, target = people("staff", "self")
    data = {**change_form_data(actor, is_staff=True), "is_superuser": "on"}
    response = admin_client(actor).post(f"/admin/users/user/{actor.pk}/change/", data)
    assert response.status_code == 302
    actor.refresh_from_db()
    assert (actor.is_staff, actor.is_superuser) == (True, False)


def test_staff_see_no_privilege_fields_in_the_user_form(alice):
    actor, _ = people("staff", "self")
    form = admin_client(actor).get(f"/admin/users/user/{alice.pk}/change/").context["adminform"].form
    assert {"is_staff", "is_superuser", "groups", "user_permissions"}.isdisjoint(form.fields)
    root = make("superuser", "root")
    form = admin_client(root).get(f"/admin/users/user/{alice.pk}/change/").context["adminform"].form
    assert {"is_staff", "is_superuser", "groups", "user_permissions"} <= set(form.fields)
