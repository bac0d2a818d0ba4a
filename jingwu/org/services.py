from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connections

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
    token or a deactivated account stops working at once, in every process (a per-process cache let revoked
    tokens live on).

    One statement brings the token's user, their Person and their further roles (a row per role), so the
    request needs no second query for ``roles_of``: a phone's or API client's request pays one round trip and
    no ORM compilation for who it is (the select_related queryset cost more than the list it guarded)."""
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return _user_with_roles(_token_sql(), [digest, False, True])


def active_user(pk: Any) -> Any:
    """The active user of a signed-in session, with their Person and roles, in one statement as for a token
    (the session's pages and polls asked for the user, the person and the roles one after the other)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _user_with_roles(_session_sql(), [pk, True])


def _user_with_roles(sql: str, params: list[Any]) -> Any:
    # Always the primary: a replica a moment behind would still honour a token just revoked.
    rows = list(get_user_model().objects.db_manager(DEFAULT_DB_ALIAS).raw(sql, params))
    if not rows:
        return None
    user: Any = rows[0]  # with the joined columns as attributes
    person_field = Person._meta.get_field("user")
    if user.jw_p_id is None:
        person_field.remote_field.set_cached_value(user, None)  # user.person raises DoesNotExist, as before
        return user
    person = Person.from_db(
        user._state.db,
        [f.attname for f in _PERSON_FIELDS],
        [getattr(user, f"jw_p_{f.attname}") for f in _PERSON_FIELDS],
    )
    person.must_change_password = bool(person.must_change_password)  # SQLite hands back 0/1
    person_field.set_cached_value(person, user)
    person_field.remote_field.set_cached_value(user, person)
    joined: list[Any] = rows
    extra = [r.jw_extra_role for r in joined if r.jw_extra_role not in (None, "", person.role)]
    person._jw_roles = (person.role, *dict.fromkeys(extra))  # type: ignore[attr-defined]
    return user


_PERSON_FIELDS = list(Person._meta.concrete_fields)


@functools.cache
def _token_sql() -> str:
    from .models import ApiToken

    user_meta, qn = get_user_model()._meta, _quote
    return _user_sql(
        f"FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(user_meta.db_table)} u ON u.{qn(user_meta.pk.column)} = t.{qn('user_id')} ",
        f"t.{qn('digest')} = %s AND t.{qn('revoked')} = %s AND u.{qn('is_active')} = %s",
    )


@functools.cache
def _session_sql() -> str:
    user_meta, qn = get_user_model()._meta, _quote
    return _user_sql(
        f"FROM {qn(user_meta.db_table)} u ", f"u.{qn(user_meta.pk.column)} = %s AND u.{qn('is_active')} = %s"
    )


def _user_sql(source: str, where: str) -> str:
    from .models import PersonRole

    user_meta, qn = get_user_model()._meta, _quote
    user_cols = ", ".join(f"u.{qn(f.column)}" for f in user_meta.concrete_fields)
    person_cols = ", ".join(f"p.{qn(f.column)} AS {qn('jw_p_' + f.attname)}" for f in _PERSON_FIELDS)
    return (
        f"SELECT {user_cols}, {person_cols}, r.{qn('role')} AS jw_extra_role {source}"
        f"LEFT JOIN {qn(Person._meta.db_table)} p ON p.{qn('user_id')} = u.{qn(user_meta.pk.column)} "
        f"LEFT JOIN {qn(PersonRole._meta.db_table)} r ON r.{qn('person_id')} = p.{qn('id')} "
        f"WHERE {where} ORDER BY r.{qn('id')}"
    )


def _quote(name: str | None) -> str:
    assert name is not None  # a concrete field always has its column
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)
