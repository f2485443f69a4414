"""Sign-in attempts counted per handle in the shared cache, whatever address they come from.

The per-address throttle (DEFAULT_THROTTLE_RATES["token"]) stops one client guessing fast;
this stops many addresses guessing one account's password. An attempt is counted before its
password is checked (luna.limits.window_hit), and taken back when the password was right, so
the count is of failed sign-ins and concurrent guesses cannot all pass a check made before any
of them was counted: of 40 simultaneous guesses, LUNA_SIGNIN_FAILURES_PER_HANDLE are checked.
Once that many failed in a window of LUNA_SIGNIN_FAILURE_WINDOW_SECONDS (opened by the first),
the handle is refused until the window ends, even with the right password.

Handles come here normalized (users.validators.normalize_handle), the spelling they are
stored and looked up in, so no other spelling of one account has a count of its own.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings

from luna.errors import RateLimited, Unavailable
from luna.limits import LIMITS_UNAVAILABLE, CacheUnavailable, window_hit, window_unhit

logger = logging.getLogger(__name__)


def _key(handle: str) -> str:
    return f"signin-attempts:{hashlib.sha256(handle.encode()).hexdigest()[:32]}"


def signin_attempt_count(handle: str) -> None:
    """Count a sign-in attempt for `handle`; RateLimited when the handle is locked.

    Unavailable when the cache is down: guesses that cannot be counted are not let through.
    """
    try:
        retry_after = window_hit(
            _key(handle),
            limit=settings.LUNA_SIGNIN_FAILURES_PER_HANDLE,
            seconds=settings.LUNA_SIGNIN_FAILURE_WINDOW_SECONDS,
        )
    except CacheUnavailable as exc:
        logger.warning("cache unavailable, refusing a sign-in: %s", exc)
        raise Unavailable(LIMITS_UNAVAILABLE, code="limits_unavailable") from exc
    if retry_after is not None:
        raise RateLimited(
            f"Too many failed sign-ins for this handle; try again in {retry_after} s.", retry_after=retry_after
        )


def signin_attempt_succeeded(handle: str) -> None:
    """The attempt had the right password: it is not a failure."""
    try:
        window_unhit(_key(handle))
    except CacheUnavailable as exc:
        # The sign-in was counted and its password was right; a failure too many is the worst of it.
        logger.warning("cache unavailable, a successful sign-in stays counted: %s", exc)
