from __future__ import annotations

from typing import Any

from jingwu.lib import clock

from . import context
from .models import AuditEvent


def record(
    action: str,
    object_type: str,
    object_id: str | int = "",
    *,
    actor: Any = None,
    role: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row, inside the caller's transaction so that it stands or falls with the write."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=user,
        actor_name=user.get_username() if user else "system",
        role=role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=context.get().ip,
        data=data or {},
    )
