"""What a process keeps in memory and how it learns that another process changed it.

- `SharedMark`: a value in the shared (Django) cache that is replaced whenever what it marks changes.
  A process compares the mark it read with the one its copy was made under, instead of asking the
  database on every request.
- `MarkedValue`: one value a process keeps, loaded again when its mark changes or once it is older
  than a bound (the recommendation catalogue keeps its marks itself, beside its other watermarks).
- `CappedDict`: a dict of at most so many entries, the oldest added forgotten first.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache

from luna.limits import CACHE_ERRORS
from luna.metrics import CACHE_FAILURES

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_UNAVAILABLE = "cache-unavailable"  # the mark of a process that could never read one


class SharedMark:
    """A mark under `key` in the shared cache; `use` names it in luna_cache_failures_total.

    A mark the cache does not have (never set, evicted, the cache emptied) is made anew: a lost mark
    reads as a change, which costs a reload, never a stale answer. While the cache is down, `read()`
    returns the mark this process read last, so that what it holds is served (not reloaded on every
    request); each failure is logged and counted.
    """

    def __init__(self, key: str, *, use: str) -> None:
        self.key = key
        self.use = use
        self._last: str | None = None

    def read(self) -> str | None:
        try:
            mark = cache.get(self.key)
            if mark is None:
                cache.add(self.key, uuid.uuid4().hex, timeout=None)
                mark = cache.get(self.key)
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable, keeping the last known %s: %s", self.key, exc)
            CACHE_FAILURES.labels(use=self.use).inc()
            return self._last if self._last is not None else CACHE_UNAVAILABLE
        self._last = mark
        return mark

    def change(self) -> None:
        """Replace the mark: every process holding something made under the old one makes it again."""
        cache.set(self.key, uuid.uuid4().hex, timeout=None)


class MarkedValue(Generic[T]):
    """`load()`'s result, kept by this process while `mark` stays the same and for at most `max_age`
    seconds (the backstop for a change made without `changed()`, or while the cache is down)."""

    def __init__(self, mark: SharedMark, load: Callable[[], T], *, max_age: float) -> None:
        self.mark = mark
        self.load = load
        self.max_age = max_age
        self._lock = threading.Lock()
        self._held: tuple[str | None, float, T] | None = None  # (mark, when loaded, value)

    def get(self) -> T:
        mark = self.mark.read()
        with self._lock:
            held = self._held
            if held is not None and held[0] == mark and time.monotonic() - held[1] < self.max_age:
                return held[2]
        value = self.load()
        with self._lock:
            self._held = (mark, time.monotonic(), value)
        return value

    def changed(self) -> None:
        """What `load()` reads has changed: every process loads it again on its next `get()`."""
        self.mark.change()
        self.invalidate()

    def invalidate(self) -> None:
        """Load again on this process's next `get()` (the others keep theirs)."""
        with self._lock:
            self._held = None


class CappedDict(dict):
    """A dict of at most `size` entries: adding one more forgets the one added first.

    Reads need no lock; threads that add entries hold one of their own around the assignment.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        if key not in self:
            while len(self) >= self.size:
                del self[next(iter(self))]
        super().__setitem__(key, value)
