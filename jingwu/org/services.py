from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AnonymousUser

from jingwu.lib.cached import SharedVersioned

from .choices import Role
from .models import Person


def person_of(user: Any) -> Person | None:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def role_of(user: Any) -> str:
    """The role a user acts in. Superusers without a Person act as administrators."""
    person = person_of(user)
    if person is not None:
        return person.role
    if user is not None and getattr(user, "is_superuser", False):
        return Role.ADMIN
    return Role.PUBLIC


def roles_of(user: Any) -> tuple[str, ...]:
    """Every role a user may act in, the primary one first. Kept on the Person object, which lives as long
    as the request (or the token cache, which is dropped when a role changes)."""
    person = person_of(user)
    if person is None:
        return (role_of(user),)
    cached = getattr(person, "_jw_roles", None)
    if cached is None:
        extra = [r for r in person.extra_roles.order_by("id").values_list("role", flat=True) if r != person.role]
        cached = (person.role, *extra)
        person._jw_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: Any, *wanted: str) -> bool:
    return any(r in wanted for r in roles_of(user))


def issue_token(user: Any, name: str = "") -> str:
    """A new bearer token; the plain value is shown once and never stored."""
    import secrets

    from jingwu.audit import services as audit

    from .models import ApiToken

    raw = "jw_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name[:64], digest=hashlib.sha256(raw.encode()).hexdigest(), prefix=raw[:8])
    audit.record("token.issue", "user", user.pk, actor=user, role=role_of(user), data={"name": name[:64]})
    return raw


def _empty() -> dict[str, Any]:
    return {}


# Token → user, per process. Dropped everywhere (within two seconds) when a token, a user or a person
# changes, so a revocation or a role change takes effect without a query per request.
token_users: SharedVersioned[dict[str, Any]] = SharedVersioned("api-token-users", _empty)


def user_for_token(raw: str) -> Any:
    from .models import ApiToken

    digest = hashlib.sha256(raw.encode()).hexdigest()
    known = token_users.get()
    user = known.get(digest)
    if user is not None:
        return user
    token = ApiToken.objects.select_related("user", "user__person").filter(digest=digest, revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    if len(known) < 100_000:
        known[digest] = token.user
    return token.user
