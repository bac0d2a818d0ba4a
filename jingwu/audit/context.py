"""Who is acting and from where, for the audit trail, carried through a request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None


current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "jingwu_request_context", default=RequestContext()
)
