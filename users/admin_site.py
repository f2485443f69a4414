"""The admin site, whose login goes through the same limits as `POST /auth/token/`.

Django's own login form checks the password as often as it is posted. Here every POST counts
against the client address (the "token" scope of DEFAULT_THROTTLE_RATES, shared with the API)
and against the handle (users.throttles, the same lockout), through users.services.user_sign_in.
A refused attempt gets the login page again with status 429 (503 while the limits cannot be
counted), a `Retry-After` header and a message saying how long to wait. The password change
page checks the old password the same way (users.services.password_check).
"""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.urls import reverse

from luna.api.exceptions import RETRY_AFTER_SECONDS
from luna.api.throttles import ScopedRateThrottle
from luna.errors import RateLimited, Unavailable
from users.services import password_check, user_sign_in

# The admin's login counts as a sign-in: the same scope, so one address shares one budget.
_SIGN_IN = SimpleNamespace(throttle_scope="token", throttle_fails_closed=True)


class _Limited:
    """A form whose password check the sign-in limits may refuse: `refusal` is then (status, seconds to wait)."""

    refusal: tuple[int, int] | None = None

    @contextmanager
    def limited(self):
        try:
            yield
        except RateLimited as exc:
            self.refusal = (429, exc.retry_after)
            raise ValidationError(exc.message, code="throttled") from None
        except Unavailable as exc:
            self.refusal = (503, RETRY_AFTER_SECONDS)
            raise ValidationError(exc.message, code=exc.code) from None


class AdminLoginForm(_Limited, AdminAuthenticationForm):
    """Staff sign-in with the API's limits."""

    def clean(self) -> dict:
        handle = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if handle is None or not password:
            return self.cleaned_data
        try:
            with self.limited():
                self._count_address()
                self.user_cache = user_sign_in(request=self.request, handle=handle, password=password)
        except ValidationError as exc:
            if self.refusal is not None:
                raise
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _count_address(self) -> None:
        throttle = ScopedRateThrottle()
        if not throttle.allow_request(self.request, _SIGN_IN):
            wait = throttle.wait()
            raise RateLimited(f"Too many sign-in attempts from your address; try again in {wait} s.", retry_after=wait)


class PasswordChangeForm(_Limited, AdminPasswordChangeForm):
    """The old password is checked as the API checks `current_password` (users.services.password_check)."""

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        with self.limited():
            right = password_check(user=self.user, password=old_password)
        if not right:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


def _refused(response):
    """The limits' status and Retry-After on a page whose form they refused."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    refusal = getattr(form, "refusal", None)
    if refusal is not None:
        response.status_code = refusal[0]
        response["Retry-After"] = str(refusal[1])
    return response


class AdminSite(admin.AdminSite):
    login_form = AdminLoginForm

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._page_urls: list = []

    def register_page_urls(self, urls: list) -> None:
        """Add URL patterns of admin pages that are not a model's (world's Data page), from the
        owning app's AppConfig.ready: the admin site imports no app, the app tells it."""
        self._page_urls.extend(urls)

    def get_urls(self) -> list:
        # Before the admin's own: its last pattern catches every other path.
        return [*self._page_urls, *super().get_urls()]

    def login(self, request, extra_context=None):
        return _refused(super().login(request, extra_context))

    def password_change(self, request, extra_context=None):
        # Django's, with the form above in place of its own.
        url = reverse("admin:password_change_done", current_app=self.name)
        defaults = {
            "form_class": PasswordChangeForm,
            "success_url": url,
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return _refused(PasswordChangeView.as_view(**defaults)(request))
