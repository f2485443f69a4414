from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from luna.api.fields import ObjectIdField, StrictCharField
from luna.api.permissions import is_self_or_staff
from luna.api.schema import answer_may_omit
from luna.api.serializers import StrictModelSerializer, StrictSerializer
from users.models import User
from users.selectors import handle_taken
from users.services import HANDLE_TAKEN
from users.validators import normalize_handle, validate_handle

HOME_TOGETHER = "Give home_lat and home_lng together, or neither."


class UserIdField(ObjectIdField):
    """A user named by id in a request body (`many=True` for a list); closed accounts count as unknown."""

    noun = "user"

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)


class ActingUserField(UserIdField):
    """Whose write this is: the caller unless staff name someone else.

    The id is parsed once (ObjectIdField.parse) and compared as a UUID with the caller's,
    so no spelling of someone else's id slips past; a member naming anyone but themselves
    is a 403 before any lookup (whether that id exists is none of their business).
    """

    def __init__(self, *, what: str, **kwargs) -> None:
        kwargs.setdefault(
            "help_text", f"Whose {what} this is; defaults to the caller. Only staff may name someone else."
        )
        super().__init__(required=False, default=serializers.CurrentUserDefault(), **kwargs)

    def to_internal_value(self, data) -> User:
        caller = self.context["request"].user
        if caller.is_staff:
            return super().to_internal_value(data)
        if self.parse(data) != caller.pk:
            raise PermissionDenied(f"Only staff may act for another user ({self.field_name}).")
        return caller


# Shown to the user themselves and to staff only; absent, not null, for anyone else (a null home
# means "no home"), so staff accounts cannot be picked out of a listing and homes stay private.
PRIVATE_FIELDS = ("age", "home_lat", "home_lng", "is_active", "is_staff")
PRIVATE = "Only in the answer to this user and to staff; absent for anyone else."
answer_may_omit("User", PRIVATE_FIELDS)


@extend_schema_field({"type": "integer", "nullable": True, "description": PRIVATE})
class _PrivateIntegerField(serializers.IntegerField):
    pass


@extend_schema_field({"type": "number", "format": "double", "nullable": True, "description": PRIVATE})
class _PrivateFloatField(serializers.FloatField):
    pass


@extend_schema_field({"type": "boolean", "description": PRIVATE})
class _PrivateBooleanField(serializers.BooleanField):
    pass


class UserSerializer(StrictModelSerializer):
    """A user as the API shows it; never the password or its hash.

    With a `viewer` in the context, the PRIVATE_FIELDS (age, home, whether the account is
    active or staff) are left out unless the viewer is that user or staff: other people see
    who someone is, not where they live.
    """

    age = _PrivateIntegerField(read_only=True, allow_null=True)
    home_lat = _PrivateFloatField(read_only=True, allow_null=True)
    home_lng = _PrivateFloatField(read_only=True, allow_null=True)
    is_active = _PrivateBooleanField(read_only=True)
    is_staff = _PrivateBooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "handle", "name", "age", "home_lat", "home_lng", "is_active", "is_staff", "created_at"]
        read_only_fields = fields

    def to_representation(self, user: User) -> dict:
        data = super().to_representation(user)
        viewer = self.context.get("viewer")
        if viewer is not None and not is_self_or_staff(viewer, user.pk):
            for field in PRIVATE_FIELDS:
                data.pop(field, None)
        return data


def password_field(**kwargs) -> StrictCharField:
    """A password in a request body: written, never read back, taken exactly as typed."""
    return StrictCharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}, **kwargs
    )


class HandleField(StrictCharField):
    """A handle in a request body, normalized (users.validators.normalize_handle) before it is checked."""

    def to_internal_value(self, data) -> str:
        return normalize_handle(super().to_internal_value(data))


class _ProfileInputSerializer(StrictModelSerializer):
    """Shared rules of signup and profile edits: handle free (in any spelling), home given as a pair,
    password strength."""

    handle = HandleField(max_length=30, validators=[validate_handle])
    password = password_field(
        required=False,
        allow_null=True,
        help_text="Checked by the password validators.",
    )

    def validate_handle(self, value: str) -> str:
        if handle_taken(value, exclude=self.instance):
            raise serializers.ValidationError(HANDLE_TAKEN, code="handle_taken")
        return value

    def validate(self, attrs: dict) -> dict:
        current = self.instance
        home_lat = attrs.get("home_lat", current.home_lat if current else None)
        home_lng = attrs.get("home_lng", current.home_lng if current else None)
        if (home_lat is None) != (home_lng is None):
            missing = "home_lng" if home_lng is None else "home_lat"
            raise serializers.ValidationError({missing: [HOME_TOGETHER]}, code="home_pair")
        password = attrs.get("password")
        if password is not None:
            candidate = User(
                handle=attrs.get("handle", current.handle if current else ""),
                name=attrs.get("name", current.name if current else ""),
            )
            try:
                password_validation.validate_password(password, user=candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}, code="password") from None
        return attrs


PASSWORD_REQUIRED = "Give a password: an account without one could never sign in."
NO_PASSWORD_STAFF_ONLY = 'Only staff may create an account without a password ("password": null).'


class UserCreateSerializer(_ProfileInputSerializer):
    """Signup. A password is required; staff creating an account for someone else may send
    `"password": null` to leave it unusable (that person cannot sign in until a password is set)."""

    password = password_field(
        allow_null=True,
        error_messages={"required": PASSWORD_REQUIRED},
        help_text="Required; checked by the password validators. Staff only may send null: the account "
        "then has no usable password and cannot sign in until one is set.",
    )

    class Meta:
        model = User
        fields = ["handle", "name", "age", "home_lat", "home_lng", "password"]

    def validate_password(self, value: str | None) -> str | None:
        request = self.context.get("request")
        if value is None and not (request is not None and request.user.is_staff):
            raise serializers.ValidationError(NO_PASSWORD_STAFF_ONLY, code="password_staff_only")
        return value


class UserUpdateSerializer(_ProfileInputSerializer):
    """PATCH body: every field optional; see users.services.user_update for who may change what."""

    current_password = password_field(
        required=False, help_text="Required, and checked, when you change your own password."
    )

    class Meta:
        model = User
        fields = [
            "handle",
            "name",
            "age",
            "home_lat",
            "home_lng",
            "password",
            "current_password",
            "is_active",
            "is_staff",
        ]


class UserUpdatedSerializer(UserSerializer):
    """The answer to a PATCH: the user, plus a new token when the caller changed their own password."""

    token = serializers.CharField(
        required=False,
        help_text="Only after you changed your own password: your previous token no longer works, use this one.",
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenRequestSerializer(StrictSerializer):
    handle = StrictCharField(max_length=150, help_text="Case-insensitive.")
    password = password_field()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)
    user = UserSerializer(read_only=True)
