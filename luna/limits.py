"""Counting attempts in the shared Django cache: the one counter every limiter of Luna uses.

A window opens at a key's first hit and lasts `seconds`; within it the first `limit` hits are
admitted and the rest are told how long until it ends. Each hit is counted before the caller
does the work it guards (checks a password, stores a like), so concurrent requests cannot all
read "below the limit" and all get through.

- Redis (`CACHE_URL=redis://...`): SET NX (the window, with its expiry) and INCRBY are sent as one
  transaction in one round trip, atomic on the server, so exactly `limit` hits are admitted per
  window however many processes and machines race (a hit costs the request one round trip).
- The file cache (the default): its `add` and `incr` read and then write the file, so hits
  racing unguarded could be lost. Each hit takes an exclusive `flock` on a lock file in the
  cache folder around both calls, so every process of the machine counts exactly too; the
  folder is per machine, which is why several machines need Redis.
- Other backends count as their `add` and `incr` do (the in-memory one is exact per process).

When the cache cannot be reached a hit raises `CacheUnavailable`; each limiter decides whether
that refuses the request (sign-in and signup: they protect passwords) or lets it through.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import time
from collections.abc import Iterator

from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is in requirements.txt
    RedisError = OSError

# What a cache raises when its server or folder cannot be reached.
CACHE_ERRORS = (RedisError, OSError)


LIMITS_UNAVAILABLE = (
    "Sign-in and signup are unavailable for a moment (their limits cannot be counted); try again shortly."
)


class CacheUnavailable(Exception):
    """The shared cache could not be reached, so the hit was not counted."""


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """Hold the file cache's lock (a no-op with another backend)."""
    current = caches["default"]
    if not isinstance(current, FileBasedCache):
        yield
        return
    folder = current._dir  # the backend keeps its folder here; Django has no public name for it
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "limits.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def window_count(key: str, *, seconds: int, amount: int = 1) -> int:
    """Add `amount` hits to `key`'s window (one of `seconds` opens at its first hit): the count after them."""
    now = time.time()
    if isinstance(caches["default"], RedisCache):
        return _redis_window_count(key, seconds=seconds, amount=amount, now=now)
    try:
        with _exclusive():
            for _ in range(2):
                opened = cache.add(key, 0, timeout=seconds)
                if opened:
                    cache.set(f"{key}:ends", now + seconds, timeout=seconds)
                try:
                    count = cache.incr(key, amount)
                except ValueError:
                    continue  # the window ended between the two calls: open the next one
                if count <= amount and not opened:
                    # Redis's INCRBY may have made the key anew when it expired between the client's
                    # EXISTS and INCRBY: give it a window, or it would count forever.
                    cache.touch(key, seconds)
                return count
            return amount  # the cache lost the key twice running: count these hits alone
    except CACHE_ERRORS as exc:
        raise CacheUnavailable(str(exc)) from exc


def _redis_window_count(key: str, *, seconds: int, amount: int, now: float) -> int:
    """window_count on Redis: the window's SET NX EX and the INCRBY in one MULTI/EXEC (one round trip;
    the key always has its expiry). The window's end is written only by the hit that opened it."""
    current = caches["default"]
    stored = current.make_and_validate_key(key)
    try:
        # The backend keeps its client here; Django has no public name for it (as for the file cache's folder).
        pipe = current._cache.get_client(stored, write=True).pipeline(transaction=True)
        pipe.set(stored, 0, ex=seconds, nx=True)
        pipe.incrby(stored, amount)
        opened, count = pipe.execute()
        if opened:
            cache.set(f"{key}:ends", now + seconds, timeout=seconds)
    except CACHE_ERRORS as exc:
        raise CacheUnavailable(str(exc)) from exc
    return int(count)


def window_hit(key: str, *, limit: int, seconds: int) -> int | None:
    """Count one hit on `key`; None when it is within the limit, else the seconds until the window ends."""
    if window_count(key, seconds=seconds) <= limit:
        return None
    try:
        ends = cache.get(f"{key}:ends")
    except CACHE_ERRORS as exc:
        raise CacheUnavailable(str(exc)) from exc
    now = time.time()
    return max(1, math.ceil((ends if ends is not None else now + seconds) - now))


def window_unhit(key: str) -> None:
    """Take back one hit of the current window (an attempt that turned out not to count)."""
    try:
        with _exclusive(), contextlib.suppress(ValueError):  # the window has ended: nothing to take back
            cache.decr(key)
    except CACHE_ERRORS as exc:
        raise CacheUnavailable(str(exc)) from exc
