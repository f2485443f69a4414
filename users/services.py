from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from users.models import User

HANDLE_TAKEN = "Handle already taken."
BAD_CREDENTIALS = "Unable to sign in with the given handle and password."
STAFF_ONLY_FIELDS = ("is_active", "is_staff")


def _save_profile(user: User) -> None:
    # The serializer checked the handle, but another signup may take it in between;
    # the database's case-insensitive unique constraint then has the last word.
    user.full_clean(exclude=["password"], validate_constraints=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"handle": ValidationError(HANDLE_TAKEN, code="handle_taken")}) from None


@transaction.atomic
def user_create(
    *,
    handle: str,
    name: str,
    age: int | None = None,
    home_lat: float | None = None,
    home_lng: float | None = None,
    password: str | None = None,
) -> User:
    user = User(handle=handle, name=name, age=age, home_lat=home_lat, home_lng=home_lng)
    user.set_password(password)  # None leaves an unusable password
    _save_profile(user)
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **fields) -> User:
    for field in STAFF_ONLY_FIELDS:
        if field in fields and fields[field] != getattr(user, field) and not actor.is_staff:
            raise PermissionDenied(f"Only staff may change {field}.")
    password = fields.pop("password", None)
    for field, value in fields.items():
        setattr(user, field, value)
    if password is not None:
        user.set_password(password)
    _save_profile(user)
    if fields.get("is_active") is False:
        Token.objects.filter(user=user).delete()
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Close an account without erasing history.

    The row stays so the plans, participations and interactions that name the user keep
    their meaning; the account can no longer sign in (its token is revoked), and it is
    hidden from non-staff listings and from recommendations, which consider active users only.
    """
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
    Token.objects.filter(user=user).delete()


def auth_token_issue(*, request: HttpRequest | None, handle: str, password: str) -> Token:
    # authenticate() refuses inactive accounts and unusable passwords, and does not say which half was wrong.
    user = authenticate(request, handle=handle, password=password)
    if user is None:
        raise ValidationError(BAD_CREDENTIALS, code="authorization")
    token, _ = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()
