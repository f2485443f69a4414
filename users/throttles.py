"""Failed sign-ins counted per handle in the shared cache, whatever address they come from.

The per-address throttle (DEFAULT_THROTTLE_RATES["token"]) stops one client guessing
fast; this stops many addresses guessing one account's password. Fixed windows of
LUNA_SIGNIN_FAILURE_WINDOW_SECONDS: after LUNA_SIGNIN_FAILURES_PER_HANDLE failures in
one, the handle is refused until the window ends, even with the right password.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(handle: str, window: int) -> str:
    digest = hashlib.sha256(handle.strip().lower().encode()).hexdigest()[:32]
    return f"signin-failures:{digest}:{window}"


def _window() -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    length = settings.LUNA_SIGNIN_FAILURE_WINDOW_SECONDS
    now = int(time.time())
    return now // length, length - now % length


def signin_retry_after(handle: str) -> int | None:
    """Seconds until this handle may try again, or None while it is below its limit."""
    window, left = _window()
    failures = cache.get(_key(handle, window), 0)
    return left if failures >= settings.LUNA_SIGNIN_FAILURES_PER_HANDLE else None


def signin_failure_record(handle: str) -> None:
    window, left = _window()
    key = _key(handle, window)
    cache.add(key, 0, timeout=left + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=left + 1)
