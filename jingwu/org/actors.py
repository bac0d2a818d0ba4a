"""Who is acting: a person (with one or more roles), a member of the public, or a named system actor.

System actors are the parts of the platform (and the outside systems wired to it) that act without a
person at the keyboard: the IoT rule engine, the inspection module, the scheduler, the 12345 and Open311
interfaces. Each has an account of its own (``sys:<key>``, no password) so that transitions and audit rows
name it, a case source it reports as, the case states it may start a case in, and the workflow steps it
may take. Domains register theirs at import time with ``register()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser

from .choices import Role

SYSTEM_PREFIX = "sys:"


@dataclass(frozen=True)
class SystemActor:
    key: str
    name: str
    # The case source (cases.choices.Source) of what it reports; the caller cannot claim another.
    # Empty: it does not report cases.
    source: str
    # "workflow:action" pairs it may take, e.g. "case:void", "alarm:clear".
    steps: frozenset[str] = frozenset()
    # Case states other than 待受理 a case it reports may start in (a verified inspection hazard: to_file).
    start_states: frozenset[str] = frozenset()
    # Most system actors touch only what they raised (an alarm voids its own case); the scheduler acts on all.
    own_only: bool = True

    @property
    def username(self) -> str:
        return SYSTEM_PREFIX + self.key

    def may(self, workflow: str, action: str) -> bool:
        return f"{workflow}:{action}" in self.steps


_registry: dict[str, SystemActor] = {}


def register(actor: SystemActor) -> SystemActor:
    _registry[actor.key] = actor
    return actor


def system_actor(key: str) -> SystemActor:
    try:
        return _registry[key]
    except KeyError as exc:
        raise LookupError(f"no system actor {key!r}; register it with jingwu.org.actors.register()") from exc


def system_actors() -> list[SystemActor]:
    return sorted(_registry.values(), key=lambda a: a.key)


# The platform's own. Sources are cases.choices.Source values (kept as strings: org sits below cases).
OPEN311 = register(SystemActor("open311", "Open311接口", "open311", steps=frozenset({"case:note"})))
HOTLINE = register(SystemActor("hotline12345", "12345热线接口", "hotline", start_states=frozenset({"to_file"})))
IOT = register(
    SystemActor(
        "iot",
        "物联网规则引擎",
        "iot",
        # It dispatches a fire alarm at once, voids an alarm's case that a person found false, and clears and
        # reopens the alarms it raised.
        steps=frozenset({"case:void", "case:note", "case:dispatch", "alarm:clear", "alarm:reopen"}),
        start_states=frozenset({"to_file", "to_dispatch"}),
    )
)
INSPECTION = register(
    SystemActor(
        "inspection",
        "安全检查模块",
        "inspection",
        steps=frozenset({"case:note"}),
        start_states=frozenset({"to_file", "to_dispatch"}),
    )
)
SCHEDULER = register(
    SystemActor("scheduler", "定时任务", "", steps=frozenset({"case:escalate", "case:note"}), own_only=False)
)


def system_user(actor: SystemActor) -> Any:
    """The account that stands for a system actor in foreign keys; made on first use."""
    from django.contrib.auth import get_user_model

    from .models import Person

    User = get_user_model()
    user = User.objects.select_related("person").filter(username=actor.username).first()
    if user is None:
        user = User(username=actor.username, is_active=True)
        user.set_unusable_password()
        user.save()
    try:
        person = user.person
    except Person.DoesNotExist:
        person = Person.objects.create(user=user, name=actor.name, role=Role.SYSTEM)
        user.person = person
    return user


@dataclass
class Acting:
    """The resolved actor of one call: the account for foreign keys, the roles it may act in (primary
    first), the name written on the timeline, and the namespace of its idempotency keys."""

    user: Any
    roles: tuple[str, ...]
    name: str
    namespace: str
    system: SystemActor | None = None
    person: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.roles[0]

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None and getattr(self.user, "is_authenticated", False) else None

    def role_for(self, allowed: Iterable[str]) -> str | None:
        """The first of this actor's roles that ``allowed`` admits."""
        allowed = set(allowed)
        return next((r for r in self.roles if r in allowed), None)

    def key(self, client_key: str | None) -> str | None:
        """A client's idempotency key in this caller's namespace: two callers may use the same key."""
        import hashlib

        client_key = (client_key or "").strip() or None
        if client_key is None:
            return None
        full = f"{self.namespace}:{client_key}"
        return full if len(full) <= 64 else f"{self.namespace[:20]}:#{hashlib.sha256(full.encode()).hexdigest()[:40]}"


def resolve(actor: Any) -> Acting:
    """Who is acting. ``None`` is refused: every write names its actor (a person or a system actor)."""
    from .services import person_of, roles_of

    if actor is None:
        raise ValueError("an actor is required: a user, AnonymousUser for the public, or a SystemActor")
    if isinstance(actor, Acting):
        return actor
    if isinstance(actor, SystemActor):
        user = system_user(actor)
        return Acting(user, (Role.SYSTEM,), actor.name, f"s:{actor.key}", system=actor, person=user.person)
    if isinstance(actor, AnonymousUser) or not getattr(actor, "is_authenticated", False):
        return Acting(None, (Role.PUBLIC,), "公众", "anon")
    person = person_of(actor)
    roles = roles_of(actor)
    system = None
    if Role.SYSTEM in roles and actor.get_username().startswith(SYSTEM_PREFIX):
        # An outside system calling the API with its own token (the 12345 interface, say).
        system = _registry.get(actor.get_username()[len(SYSTEM_PREFIX) :])
    name = person.name if person is not None else str(actor.get_username())
    return Acting(actor, roles, name, f"u{actor.pk}", system=system, person=person)
