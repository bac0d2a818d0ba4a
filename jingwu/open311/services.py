"""Open311 client keys: made and revoked here (the admin and ``jingwu open311-key`` both call these)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from jingwu.audit import services as audit

from .models import ApiKey


def create_key(name: str, contact: str = "", actor: Any = None) -> tuple[ApiKey, str]:
    """A new key; the plain value is returned once and only its SHA-256 is stored."""
    raw = "o311_" + secrets.token_urlsafe(24)
    key = ApiKey.objects.create(
        name=name[:64], contact=contact[:128], digest=hashlib.sha256(raw.encode()).hexdigest(), prefix=raw[:8]
    )
    audit.record("open311.key_create", "open311_key", key.pk, actor=actor, data={"name": key.name})
    return key, raw


def revoke_key(key: ApiKey, actor: Any = None) -> None:
    ApiKey.objects.filter(pk=key.pk).update(active=False)
    audit.record("open311.key_revoke", "open311_key", key.pk, actor=actor, data={"name": key.name})
