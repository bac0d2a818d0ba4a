"""Counting failures per key in a window, in the cache every process shares (Redis, or the database).

For public endpoints that answer a secret (a case number and its tracking code): the failures of one
client address, and of one case number, are counted, and past the limit every answer is 429 until the
window has passed, so guessing a code is hopeless without slowing down an honest citizen.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches


def _cache() -> Any:
    return caches["shared"]


def blocked(key: str, limit: int) -> bool:
    return int(_cache().get(f"jingwu:throttle:{key}", 0)) >= limit


def fail(key: str, window_seconds: int) -> int:
    cache, full = _cache(), f"jingwu:throttle:{key}"
    cache.add(full, 0, window_seconds)
    try:
        return int(cache.incr(full))
    except ValueError:  # expired between add and incr
        cache.set(full, 1, window_seconds)
        return 1
