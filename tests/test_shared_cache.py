"""Per-process caches dropped across processes through the shared cache (Redis in a cluster)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import TestCase

from jingwu.lib import cached
from jingwu.lib.cached import SharedVersioned

REDIS = os.environ.get("JINGWU_TEST_REDIS_URL", "")
if not REDIS and os.environ.get("JINGWU_REQUIRE_SERVICES") == "1":
    raise RuntimeError("JINGWU_REQUIRE_SERVICES=1 but JINGWU_TEST_REDIS_URL is not set")


@pytest.mark.django_db
def test_two_processes_see_each_others_changes_through_the_cache(monkeypatch: Any) -> None:
    if REDIS:
        backend: Any = RedisCache(REDIS, {})
        backend.clear()
        monkeypatch.setattr(cached, "shared_cache", lambda: backend)
    else:
        monkeypatch.setattr(cached, "shared_cache", lambda: caches["shared"])
    builds = {"a": 0, "b": 0}

    def maker(name: str) -> Any:
        def build() -> int:
            builds[name] += 1
            return builds[name]

        return build

    # Two instances with the same key stand for the same cache in two processes.
    a = SharedVersioned("test-shared", maker("a"), check_seconds=0)
    b = SharedVersioned("test-shared", maker("b"), check_seconds=0)
    assert (a.get(), b.get()) == (1, 1)
    assert (a.get(), b.get()) == (1, 1)  # no rebuild without a change
    with TestCase.captureOnCommitCallbacks(execute=True):
        a.invalidate()
        assert a.get() == 2 and b.get() == 1  # the other process learns of it only once the change commits
    assert (a.get(), b.get()) == (3, 2)


@pytest.mark.skipif(not REDIS, reason="set JINGWU_TEST_REDIS_URL (CI does) to test against Redis")
def test_redis_is_reachable() -> None:
    backend = RedisCache(REDIS, {})
    backend.set("jingwu-test", "ok")
    assert backend.get("jingwu-test") == "ok"
