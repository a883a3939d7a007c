"""Hidden tests for lru_cache.py (see SPEC.md)."""

import importlib

import pytest


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def LRUCache():
    # Imported per test, so a broken module fails each test instead of the whole file.
    return importlib.import_module("lru_cache").LRUCache


@pytest.fixture
def clock():
    return FakeClock()


def test_put_then_get_returns_value_or_default(LRUCache):
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("missing") is None
    assert cache.get("missing", "fallback") == "fallback"


def test_invalid_arguments_raise_value_error(LRUCache):
    for capacity in (0, -1, 1.5, "3"):
        with pytest.raises(ValueError):
            LRUCache(capacity)
    for ttl in (0, -2.5):
        with pytest.raises(ValueError):
            LRUCache(2, ttl=ttl)


def test_full_cache_evicts_least_recently_used(LRUCache):
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache
    assert cache.get("b") == 2 and cache.get("c") == 3
    assert len(cache) == 2


def test_get_hit_refreshes_recency_and_miss_does_not(LRUCache):
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    assert cache.get("zzz") is None
    cache.put("c", 3)
    assert cache.keys() == ["a", "c"]


def test_replacing_a_key_updates_value_and_recency_without_eviction(LRUCache):
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    assert len(cache) == 2
    assert cache.keys() == ["b", "a"]
    cache.put("c", 3)
    assert cache.get("a") == 10 and "b" not in cache


def test_entries_expire_exactly_at_ttl_and_get_does_not_extend(LRUCache, clock):
    cache = LRUCache(3, ttl=10, clock=clock)
    cache.put("a", 1)
    clock.now += 9.999
    assert cache.get("a") == 1
    clock.now += 0.001
    assert cache.get("a") is None
    cache.put("b", 2)
    clock.now += 5
    cache.put("b", 3)  # a replacement restarts the lifetime
    clock.now += 9
    assert cache.get("b") == 3


def test_len_and_contains_ignore_expired_entries(LRUCache, clock):
    cache = LRUCache(3, ttl=5, clock=clock)
    cache.put("old", 1)
    clock.now += 3
    cache.put("new", 2)
    clock.now += 2
    assert len(cache) == 1
    assert "old" not in cache and "new" in cache
    assert cache.keys() == ["new"]


def test_contains_does_not_change_recency(LRUCache):
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    cache.put("c", 3)
    assert "a" not in cache and "b" in cache


def test_delete_reports_whether_a_live_entry_was_removed(LRUCache, clock):
    cache = LRUCache(2, ttl=1, clock=clock)
    cache.put("a", 1)
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    cache.put("b", 2)
    clock.now += 1
    assert cache.delete("b") is False
    assert len(cache) == 0


def test_expired_entries_make_room_before_live_ones_are_evicted(LRUCache, clock):
    cache = LRUCache(2, ttl=10, clock=clock)
    cache.put("stale", 1)
    clock.now += 6
    cache.put("live", 2)
    clock.now += 4  # "stale" expires, "live" has 6 s left
    cache.put("fresh", 3)
    assert cache.keys() == ["live", "fresh"]
