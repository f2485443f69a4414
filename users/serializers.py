from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from luna.api.fields import StrictCharField
from luna.api.serializers import StrictModelSerializer
from users.models import User
from users.selectors import handle_taken
from users.services import HANDLE_TAKEN
from users.validators import validate_handle

HOME_TOGETHER = "Give home_lat and home_lng together, or neither."


class ActiveUserField(serializers.PrimaryKeyRelatedField):
    """A user named by id in a request body; closed accounts count as unknown."""

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)


def acting_user_field(what: str) -> ActiveUserField:
    """The optional `user_id` of a write: whose `what` this is, the caller unless staff name someone."""
    return ActiveUserField(
        source="user",
        required=False,
        help_text=f"Whose {what} this is; defaults to the caller. Only staff may name someone else.",
    )


def with_handle_taken_summary(errors: dict) -> dict:
    """A taken handle is also summarised in `detail`, as the reference design's clients expect.

    Applied to every 400 of the accounts endpoints, so the serializer's check and the database's
    unique constraint (a signup that won a race) give the same body.
    """
    if "detail" in errors or not any(
        getattr(error, "code", None) == "handle_taken" for error in errors.get("handle", [])
    ):
        return errors
    return {"detail": ErrorDetail(HANDLE_TAKEN, code="handle_taken"), **errors}


PRIVATE_FIELDS = ("age", "home_lat", "home_lng")


class UserSerializer(StrictModelSerializer):
    """A user as the API shows it; never the password or its hash.

    With a `viewer` in the context, age and home location are null unless the viewer is
    that user or staff: other people see who someone is, not where they live.
    """

    class Meta:
        model = User
        fields = ["id", "handle", "name", "age", "home_lat", "home_lng", "is_active", "is_staff", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            field: {"help_text": "Null unless the caller is this user or staff."} for field in PRIVATE_FIELDS
        }

    def to_representation(self, user: User) -> dict:
        data = super().to_representation(user)
        viewer = self.context.get("viewer")
        if viewer is not None and not (viewer.is_staff or viewer.pk == user.pk):
            data.update(dict.fromkeys(PRIVATE_FIELDS))
        return data


class _ProfileInputSerializer(StrictModelSerializer):
    """Shared rules of signup and profile edits: handle free (any case), home given as a pair, password strength."""

    handle = StrictCharField(max_length=30, validators=[validate_handle])
    password = StrictCharField(
        write_only=True,
        required=False,
        allow_null=True,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Optional; checked by the password validators. Without one the account cannot sign in for a token.",
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


class UserCreateSerializer(_ProfileInputSerializer):
    class Meta:
        model = User
        fields = ["handle", "name", "age", "home_lat", "home_lng", "password"]


class UserUpdateSerializer(_ProfileInputSerializer):
    """PATCH body: every field optional; `is_active` and `is_staff` may only be changed by staff."""

    class Meta:
        model = User
        fields = ["handle", "name", "age", "home_lat", "home_lng", "password", "is_active", "is_staff"]


class TokenRequestSerializer(serializers.Serializer):
    handle = StrictCharField(max_length=150, help_text="Case-insensitive.")
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)
    user = UserSerializer(read_only=True)
