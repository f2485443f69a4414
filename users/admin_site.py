"""The admin site, whose login goes through the same limits as `POST /auth/token/`.

Django's own login form checks the password as often as it is posted. Here every POST counts
against the client address (the "token" scope of DEFAULT_THROTTLE_RATES, shared with the API)
and against the handle (users.throttles, the same lockout), through users.services.user_sign_in.
A refused attempt gets the login page again with status 429 (503 while the limits cannot be
counted), a `Retry-After` header and a message saying how long to wait.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from luna.api.exceptions import RETRY_AFTER_SECONDS
from luna.api.throttles import ScopedRateThrottle
from luna.errors import RateLimited, Unavailable
from users.services import user_sign_in

# The admin's login counts as a sign-in: the same scope, so one address shares one budget.
_SIGN_IN = SimpleNamespace(throttle_scope="token", throttle_fails_closed=True)


class AdminLoginForm(AdminAuthenticationForm):
    """Staff sign-in with the API's limits; `refusal` is (status, seconds to wait) when refused."""

    refusal: tuple[int, int] | None = None

    def clean(self) -> dict:
        handle = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if handle is None or not password:
            return self.cleaned_data
        try:
            self._count_address()
            self.user_cache = user_sign_in(request=self.request, handle=handle, password=password)
        except RateLimited as exc:
            self.refusal = (429, exc.retry_after)
            raise ValidationError(exc.message, code="throttled") from None
        except Unavailable as exc:
            self.refusal = (503, RETRY_AFTER_SECONDS)
            raise ValidationError(exc.message, code=exc.code) from None
        except ValidationError:
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _count_address(self) -> None:
        throttle = ScopedRateThrottle()
        if not throttle.allow_request(self.request, _SIGN_IN):
            wait = throttle.wait()
            raise RateLimited(f"Too many sign-in attempts from your address; try again in {wait} s.", retry_after=wait)


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
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        refusal = getattr(form, "refusal", None)
        if refusal is not None:
            response.status_code = refusal[0]
            response["Retry-After"] = str(refusal[1])
        return response
