"""A least-recently-used cache with optional per-entry expiry (reference solution)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRUCache:
    """Holds at most `capacity` entries; evicts the least recently used one when full.

    With `ttl`, an entry expires `ttl` seconds (as read from `clock`) after the
    `put` that last stored it. Expired entries are dropped before anything is
    read, so they are never seen.
    """

    def __init__(self, capacity: int, ttl: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0):
            raise ValueError(f"ttl must be None or a number > 0, got {ttl!r}")
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._values: OrderedDict[Hashable, Any] = OrderedDict()  # least recently used first
        # Lifetimes restart on put, so put order is expiry order: oldest first.
        self._stored_at: OrderedDict[Hashable, float] = OrderedDict()

    def _drop_expired(self) -> None:
        if self._ttl is None:
            return
        now = self._clock()
        while self._stored_at:
            key, stored_at = next(iter(self._stored_at.items()))
            if now - stored_at < self._ttl:
                break
            del self._stored_at[key]
            del self._values[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store `value` under `key` as the most recently used entry."""
        self._drop_expired()
        if key not in self._values and len(self._values) >= self._capacity:
            evicted, _ = self._values.popitem(last=False)
            del self._stored_at[evicted]
        self._values[key] = value
        self._values.move_to_end(key)
        self._stored_at[key] = self._clock()
        self._stored_at.move_to_end(key)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value under `key` (now the most recently used), or `default` if absent or expired."""
        self._drop_expired()
        if key not in self._values:
            return default
        self._values.move_to_end(key)
        return self._values[key]

    def delete(self, key: Hashable) -> bool:
        """Remove `key`; True if a live entry was removed."""
        self._drop_expired()
        if key not in self._values:
            return False
        del self._values[key]
        del self._stored_at[key]
        return True

    def keys(self) -> list[Hashable]:
        """Live keys, least recently used first."""
        self._drop_expired()
        return list(self._values)

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        self._drop_expired()
        return key in self._values
