"""Reads from the replica, only where asked.

Heavy read-only work (the statistics report, the list exports the task worker builds) runs inside
``replica_reads()``: its queries go to the ``replica`` alias when ``DATABASE_REPLICA_URL`` configured one, and to
the primary otherwise. Nothing else is routed: a request that writes and then reads must see its own write, which
a replica a few milliseconds behind would not show. Every write goes to the primary, even of a row that was read
from the replica.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reads: ContextVar[str | None] = ContextVar("jingwu_replica_reads", default=None)


def replica_alias() -> str:
    """The alias heavy reads should use: the replica when one is configured, else the primary."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


@contextmanager
def replica_reads() -> Iterator[str]:
    """Send the reads made inside the block to ``replica_alias()``; yields the alias chosen."""
    alias = replica_alias()
    token = _reads.set(alias)
    try:
        yield alias
    finally:
        _reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _reads.get()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        # Explicit: without a router's answer Django would write an object back to the alias it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from one may point at an object read from the other.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA, None} else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # A streaming replica is read-only and copies the primary's schema; nothing migrates it.
        return False if db == REPLICA else None
