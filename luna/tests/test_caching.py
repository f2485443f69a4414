"""What a process keeps under a mark in the shared cache: loaded once, again after any process's change,
a lost mark, or its age; served as last read while the cache is down. And the capped dict."""

from __future__ import annotations

from django.core.cache import cache

from luna.caching import CappedDict, MarkedValue, SharedMark
from luna.metrics import CACHE_FAILURES
from luna.tests.caches import cache_down

KEY = "luna:test:mark"


def counting_loads() -> tuple[list[int], MarkedValue]:
    loads: list[int] = []

    def load() -> int:
        loads.append(len(loads) + 1)
        return len(loads)

    return loads, MarkedValue(SharedMark(KEY, use="test"), load, max_age=3600)


def test_a_value_is_loaded_once_while_the_mark_stays():
    loads, kept = counting_loads()
    assert [kept.get() for _ in range(5)] == [1] * 5
    assert loads == [1]


def test_a_change_made_by_another_process_reaches_this_one():
    loads, here = counting_loads()
    _, elsewhere = counting_loads()
    assert here.get() == 1
    elsewhere.changed()
    assert here.get() == 2
    assert here.get() == 2


def test_a_lost_mark_reads_as_a_change():
    loads, kept = counting_loads()
    kept.get()
    cache.delete(KEY)  # evicted, or the cache was emptied
    assert kept.get() == 2
    assert kept.get() == 2


def test_a_value_older_than_its_bound_is_loaded_again():
    loads: list[int] = []
    kept = MarkedValue(SharedMark(KEY, use="test"), lambda: loads.append(1) or len(loads), max_age=0)
    assert [kept.get(), kept.get()] == [1, 2]


def test_with_the_cache_down_the_last_value_is_served_and_the_failure_counted():
    loads, kept = counting_loads()
    mark = kept.mark.read()
    assert kept.get() == 1
    failures = CACHE_FAILURES.labels(use="test")._value.get()
    with cache_down:
        assert kept.mark.read() == mark
        assert [kept.get() for _ in range(3)] == [1, 1, 1]
    assert loads == [1]
    assert CACHE_FAILURES.labels(use="test")._value.get() == failures + 4


def test_a_process_that_never_read_the_mark_loads_once_while_the_cache_is_down():
    loads, kept = counting_loads()
    with cache_down:
        assert [kept.get(), kept.get()] == [1, 1]


def test_a_capped_dict_forgets_the_entry_added_first():
    kept = CappedDict(2)
    kept["a"], kept["b"] = 1, 2
    kept["a"] = 10  # replacing an entry adds none
    assert kept == {"a": 10, "b": 2}
    kept["c"] = 3
    assert kept == {"b": 2, "c": 3}
    kept["d"] = 4
    assert list(kept) == ["c", "d"]
