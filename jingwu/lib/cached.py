"""A value built from the database, kept in each process, rebuilt when any process changes its source.

Each process keeps its own copy (a grid index or a working calendar is too costly to rebuild per
request). A change drops the local copy at once and, when its transaction commits, bumps a version stamp in
the ``shared`` cache, which every process reads: Redis when ``REDIS_URL`` is set, else a table in the
database (never a per-process memory cache, which would leave every other worker stale for good). Other
processes notice the new stamp within ``check_seconds``. Bumping after commit matters: a process that
rebuilt on an early stamp would read the old rows and keep them under the new version.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from time import monotonic
from typing import Any, Generic, TypeVar

from django.core.cache import caches
from django.db import transaction

T = TypeVar("T")


def shared_cache() -> Any:
    return caches["shared"]


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
        cache = shared_cache()
        version = cache.get(self.key)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(self.key, version, timeout=None)
            version = cache.get(self.key, version)
        return str(version)

    def get(self) -> T:
        now = monotonic()
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
        now = monotonic()
        with self._lock:
            if now - getattr(self, "_refreshed_at", 0.0) < min_interval:
                return False
            self._refreshed_at = now
            # The stamp before the rows, as in get(): a change committed between the two then leaves a stamp
            # older than the copy (rebuilt again next time), never a stale copy under the newer stamp.
            version = self._shared_version()
            self._value = self.build()
            self._version = version
            self._checked_at = now
            return True

    def drop_local(self) -> None:
        """Forget this process's copy (a test whose database was just flushed)."""
        with self._lock:
            self._value = None
            self._version = None

    def invalidate(self) -> None:
        """Drop this process's copy now, and every process's once the current transaction commits."""
        with self._lock:
            self._value = None
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        shared_cache().set(self.key, uuid.uuid4().hex, timeout=None)
        with self._lock:
            self._value = None
