from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AnonymousUser

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
    """The role a user acts in. An account without a Person (a superuser from ``createsuperuser`` included)
    acts as the public: every power comes from a named person's role (三员分立)."""
    person = person_of(user)
    if person is not None:
        return person.role
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


def grid_ids(person: Person) -> list[int]:
    """The grids a person is assigned to, as a list: a literal list lets the planner see how few cases it
    selects (a subquery is estimated at half the table). Read each time: an assignment may change between two
    calls on the same objects."""
    from .models import GridAssignment

    return list(GridAssignment.objects.filter(person=person).order_by("grid_id").values_list("grid_id", flat=True))


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


def user_for_token(raw: str) -> Any:
    """The active user a bearer token belongs to, read from the database on every request: a revoked
    token or a deactivated account stops working at once, in every process (an indexed look-up by digest
    costs a fraction of a millisecond; a per-process cache let revoked tokens live on)."""
    from .models import ApiToken

    digest = hashlib.sha256(raw.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user", "user__person")
        .filter(digest=digest, revoked=False, user__is_active=True)
        .first()
    )
    return token.user if token is not None else None
