"""Who is acting and from where, for the audit trail, carried through a request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("jingwu_request", default=None)
_EMPTY = RequestContext()


def get() -> RequestContext:
    return _current.get() or _EMPTY


def set_(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
