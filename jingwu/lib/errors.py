"""Errors the services raise. Each has a stable code; the API maps them to one error shape."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """Someone else acted first (stale version), or the idempotency key belongs to someone else."""

    status = 409
    code = "stale_version"


class InvalidState(ServiceError):
    status = 409
    code = "invalid_state"
