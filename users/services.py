from __future__ import annotations

import secrets
from contextlib import contextmanager

from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from luna.services import model_update
from users.models import HANDLE_TAKEN, Token, User
from users.throttles import signin_attempt_count, signin_attempt_succeeded
from users.validators import normalize_handle

BAD_CREDENTIALS = "Unable to sign in with the given handle and password."
WRONG_PASSWORD = "This is not your current password."


# Keys a user may hold at once (one per device that signed in); a new one retires the oldest beyond.
TOKENS_PER_USER = 10

PROFILE_FIELDS = ["handle", "name", "age", "home_lat", "home_lng", "is_active", "is_staff"]


@contextmanager
def _handle_race():
    """The serializer checked the handle, but another signup may take it in between;
    the database's case-insensitive unique constraint then has the last word."""
    try:
        with transaction.atomic():
            yield
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
    user.full_clean(exclude=["password"], validate_constraints=False)
    with _handle_race():
        user.save()
    return user


def _check_rights(*, actor: User, user: User, fields: dict, current_password: str | None) -> None:
    """Who may change which field, beyond who may change the account (users.permissions.UserAccess).

    Staff rights are granted and removed only by superusers, and a staff account is opened
    or closed only by one: otherwise a staff member could make themselves, or anyone, more
    powerful. Your own password needs your current one.
    """

    def changes(field: str) -> bool:
        return field in fields and fields[field] != getattr(user, field)

    privileged = user.is_staff or user.is_superuser
    if changes("is_staff") and not actor.is_superuser:
        raise PermissionDenied("Only a superuser may grant or remove staff rights.")
    if changes("is_active"):
        if not actor.is_staff:
            raise PermissionDenied("Only staff may change is_active.")
        if privileged and not actor.is_superuser:
            raise PermissionDenied("Only a superuser may open or close a staff account.")
    if "password" in fields and actor.pk == user.pk:
        if not current_password or not password_check(user=user, password=current_password):
            message = "Give your current password to set a new one." if not current_password else WRONG_PASSWORD
            raise ValidationError({"current_password": ValidationError(message, code="current_password")})


@transaction.atomic
def user_update(*, actor: User, user: User, current_password: str | None = None, **fields) -> tuple[User, str | None]:
    """Change a profile; returns the user and, when the actor changed their own password, a new API key.

    A new password ends every sign-in of the account made before it: older tokens stop
    working (users.authentication) and sessions end (Django's session auth hash follows
    the password hash). The caller who changed their own password gets the new token.
    """
    _check_rights(actor=actor, user=user, fields=fields, current_password=current_password)
    password = fields.pop("password", None)
    if password is not None:
        user.set_password(password)
    with _handle_race():
        model_update(
            instance=user,
            fields=PROFILE_FIELDS,
            data=fields,
            also_save=["password", "password_changed_at"] if password is not None else [],
            clean_exclude=["password"],
            validate_constraints=False,
        )
    if fields.get("is_active") is False:
        _end_sign_ins(user)
    key = None
    if password is not None and actor.pk == user.pk:
        Token.objects.filter(user=user).delete()
        key = auth_token_create(user=user)
    return user, key


def _end_sign_ins(user: User) -> None:
    """Revoke the account's token and end its sessions, so reopening it later revives neither."""
    Token.objects.filter(user=user).delete()
    user_key = str(user.pk)
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == user_key
    ]
    Session.objects.filter(session_key__in=ended).delete()


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Close an account without erasing history.

    The row stays so the plans, participations and interactions that name the user keep
    their meaning; the account can no longer sign in (its token is revoked and its sessions
    end), and it is hidden from non-staff listings and from recommendations, which consider
    active users only.
    """
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
    _end_sign_ins(user)


def user_sign_in(*, request: HttpRequest | None, handle: str, password: str) -> User:
    """The account this handle and password sign in to; every sign-in (API token, admin login) comes here.

    The attempt is counted against the handle before the password is checked (users.throttles), so
    a locked handle is refused (RateLimited) without a check, even with the right password.
    """
    handle = normalize_handle(handle)
    signin_attempt_count(handle)
    # authenticate() refuses inactive accounts and unusable passwords, and does not say which half was wrong.
    user = authenticate(request, handle=handle, password=password)
    if user is None:
        raise ValidationError(BAD_CREDENTIALS, code="authorization")
    signin_attempt_succeeded(handle)
    return user


def password_check(*, user: User, password: str) -> bool:
    """Whether `password` is the signed-in `user`'s (changing it asks for it), counted like a sign-in:
    whoever holds a stolen key or an open session guesses no faster than at the sign-in form."""
    signin_attempt_count(user.handle)
    if not user.check_password(password):
        return False
    signin_attempt_succeeded(user.handle)
    return True


@transaction.atomic
def auth_token_create(*, user: User) -> str:
    """A new API key for `user`. The key is returned here and nowhere else: only its digest is stored."""
    key = secrets.token_hex(20)  # 40 hex digits, as DRF's keys were
    Token.objects.create(digest=Token.digest_of(key), prefix=key[:8], user=user)
    retired = Token.objects.filter(user=user).order_by("-created_at", "digest")[TOKENS_PER_USER:]
    Token.objects.filter(digest__in=list(retired.values_list("digest", flat=True))).delete()
    return key


def auth_token_issue(*, request: HttpRequest | None, handle: str, password: str) -> tuple[User, str]:
    """The user and a new API key, for the right handle and password (users.services.user_sign_in)."""
    user = user_sign_in(request=request, handle=handle, password=password)
    return user, auth_token_create(user=user)


def auth_token_revoke(*, user: User) -> None:
    """Sign the user out of the API: every key of theirs stops working."""
    Token.objects.filter(user=user).delete()
