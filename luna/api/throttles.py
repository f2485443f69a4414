"""Request limits per scope, counted in the shared cache (luna.limits).

A view names its scope with `throttle_scope`; the rate is DEFAULT_THROTTLE_RATES[scope]
("120/minute"), read when the request arrives so that a changed setting applies at once. A
request over the rate gets DRF's 429 with `Retry-After`. Signed-in callers are counted per
account, the others per client address (NUM_PROXIES says which address that is).

When the cache is down a limit cannot be counted: a view with `throttle_fails_closed = True`
(sign-in, signup: they guard passwords) answers 503 with `Retry-After`; every other view lets
the request through, logs a warning and counts it in `luna_cache_failures_total`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings

from luna.errors import Unavailable
from luna.limits import LIMITS_UNAVAILABLE, CacheUnavailable, window_hit
from luna.metrics import CACHE_FAILURES

logger = logging.getLogger(__name__)


class ScopedRateThrottle(throttling.BaseThrottle):
    """DRF's throttle interface over one fixed-window counter per (scope, caller)."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if scope not in rates:  # as DRF's own: a scope left out is a mistake; a rate of None means unlimited
            raise ImproperlyConfigured(f"No rate for the throttle scope {scope!r} in DEFAULT_THROTTLE_RATES.")
        rate = rates[scope]
        if rate is None:
            return True
        limit, seconds = throttling.SimpleRateThrottle.parse_rate(None, rate)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        caller = f"user:{user.pk}" if signed_in else f"address:{self.get_ident(request)}"
        try:
            self.retry_after = window_hit(f"throttle:{scope}:{caller}", limit=limit, seconds=seconds)
        except CacheUnavailable as exc:
            if getattr(view, "throttle_fails_closed", False):
                logger.warning("cache unavailable, refusing %s: %s", scope, exc)
                raise Unavailable(LIMITS_UNAVAILABLE, code="limits_unavailable") from exc
            logger.warning("cache unavailable, letting %s through uncounted: %s", scope, exc)
            CACHE_FAILURES.labels(use=f"throttle:{scope}").inc()
            return True
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after
