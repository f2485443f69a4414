from __future__ import annotations

import hashlib
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from luna.geo import latitude_validators, longitude_validators
from users.validators import age_validators, normalize_handle, validate_handle

HANDLE_TAKEN = "Handle already taken."


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, handle: str) -> User:
        # Handles are stored normalized, so "ALICE" signs in as "alice" and "alıce" as nobody.
        return self.get(handle=normalize_handle(handle))

    def create_user(self, handle: str, password: str | None = None, **fields) -> User:
        user = self.model(handle=normalize_handle(handle), **fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, handle: str, password: str | None = None, **fields) -> User:
        fields.setdefault("name", handle)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(handle, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.CharField(
        max_length=30,
        unique=True,
        validators=[validate_handle],
        help_text="3-30 letters, digits, '_', '.' or '-'; unique regardless of case.",
    )
    name = models.CharField(max_length=150)
    age = models.PositiveSmallIntegerField(null=True, blank=True, validators=age_validators)
    home_lat = models.FloatField(null=True, blank=True, validators=latitude_validators)
    home_lng = models.FloatField(null=True, blank=True, validators=longitude_validators)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Tokens issued before this no longer sign in (users.authentication); sessions follow the
    # password hash already (Django's session auth hash).
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "handle"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="user_handle_ci_unique"),
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__gte=13, age__lte=120), name="user_age_range"),
            models.CheckConstraint(
                condition=Q(home_lat__isnull=True) | Q(home_lat__gte=-90, home_lat__lte=90),
                name="user_home_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(home_lng__isnull=True) | Q(home_lng__gte=-180, home_lng__lte=180),
                name="user_home_lng_range",
            ),
            models.CheckConstraint(
                condition=Q(home_lat__isnull=True, home_lng__isnull=True)
                | Q(home_lat__isnull=False, home_lng__isnull=False),
                name="user_home_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.handle

    @classmethod
    def normalize_username(cls, username: str) -> str:
        # Django's clean() (admin forms, full_clean) and createsuperuser spell the handle through this.
        return normalize_handle(username)

    def unique_error_message(self, model_class, unique_check) -> ValidationError:
        # The same words as the API's own check, whichever finds the handle taken first.
        if tuple(unique_check) == ("handle",):
            return ValidationError(HANDLE_TAKEN, code="handle_taken")
        return super().unique_error_message(model_class, unique_check)

    def save(self, *args, **kwargs) -> None:
        self.handle = normalize_handle(self.handle)  # whichever path built the user
        super().save(*args, **kwargs)

    def set_password(self, raw_password: str | None) -> None:
        # Every way of changing a password (API, admin, `changepassword`) comes through here.
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.password_changed_at = timezone.now()

    @property
    def has_home(self) -> bool:
        return self.home_lat is not None and self.home_lng is not None

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.handle


class Token(models.Model):
    """An API key (`Authorization: Token <key>`), stored as its SHA-256: the key is shown once, when it
    is issued (users.services.auth_token_create), and a read of this table signs nobody in.

    A user may hold several (one per device that signed in), the newest TOKENS_PER_USER of them.
    """

    digest = models.CharField(max_length=64, primary_key=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters, to tell keys apart.")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="token_user_newest")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
