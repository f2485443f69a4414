"""Throttles that read their rates when a request arrives, so settings overrides take effect."""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle (rate from DEFAULT_THROTTLE_RATES[view.throttle_scope]).

    DRF copies the rates into a class attribute at import time; reading them per
    request lets a changed setting (a test's `settings` fixture) apply at once.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
