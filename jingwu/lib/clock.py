"""The one clock every service reads.

Services never call ``timezone.now()`` directly, so the demo loader can replay a year of cases at
their real times and tests can pin the clock without sleeping. ``time_machine`` works as well,
because the default falls through to ``django.utils.timezone.now``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_fixed: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("jingwu_clock", default=None)


def now() -> datetime:
    fixed = _fixed.get()
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)
