"""A value built from the database, kept in each process, rebuilt when any process changes its source.

Each process keeps its own copy (a grid index or a working calendar is too costly to rebuild per
request). A change bumps a version stamp in the shared Django cache (Redis in a cluster) and drops the
local copy at once; other processes notice the new stamp within ``check_seconds``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


class SharedVersioned(Generic[T]):
    def __init__(self, key: str, build: Callable[[], T], check_seconds: float = 2.0) -> None:
        self.key = f"jingwu:version:{key}"
        self.build = build
        self.check_seconds = check_seconds
        self._value: T | None = None
        self._version: str | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def _shared_version(self) -> str:
        version = cache.get(self.key)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(self.key, version, timeout=None)
            version = cache.get(self.key, version)
        return str(version)

    def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked_at < self.check_seconds:
            return self._value
        with self._lock:
            version = self._shared_version()
            if self._value is None or version != self._version:
                self._value = self.build()
                self._version = version
            self._checked_at = now
            return self._value

    def refresh_local(self, min_interval: float = 1.0) -> bool:
        """Rebuild this process's copy now (at most once per ``min_interval``): for a look-up that missed,
        in case the row is newer than the copy. Returns whether it rebuilt."""
        now = time.monotonic()
        with self._lock:
            if now - getattr(self, "_refreshed_at", 0.0) < min_interval:
                return False
            self._refreshed_at = now
            self._value = self.build()
            self._version = self._shared_version()
            self._checked_at = now
            return True

    def invalidate(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, timeout=None)
        with self._lock:
            self._value = None
