"""Who reads which people, and how much of them (PIPL: the minimum a role's work needs).

- a grid worker: the people of their own grids, in full (they visit them), and proposes changes;
- a steward (a handler in a department named in ``Steward``: 社会事务办, 退役军人服务站): every grid, in full,
  edits directly, approves proposals, and exports where the row allows;
- a leader or shift lead: every grid, masked, without the restricted groups (重点人员), for oversight.

Everyone else reads nothing. Every open of a person's record is audited, whoever opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from jingwu.org.choices import Role
from jingwu.org.services import person_of, roles_of

if TYPE_CHECKING:
    from .models import ResidentQuerySet


@dataclass(frozen=True)
class Scope:
    grids: frozenset[int] | None  # None: every grid
    reveal: bool  # may read ID numbers and phones in full
    restricted: bool  # sees people in restricted groups
    edit: bool  # writes directly (a steward); a grid worker proposes
    export: bool
    role: str


OVERSIGHT = (Role.LEADER, Role.SHIFT_LEAD)
MISSING = object()


def remember(user: Any) -> Scope | None:
    """Work out the scope once for this request's user object."""
    if hasattr(user, "_registry_scope"):
        del user._registry_scope
    scope = scope_of(user)
    user._registry_scope = scope
    return scope


def is_steward(user: Any) -> tuple[bool, bool]:
    """(a steward, may export)."""
    from .models import Steward

    person = person_of(user)
    if person is None or Role.HANDLER not in roles_of(user) or not person.department_id:
        return False, False
    row = Steward.objects.filter(department_id=person.department_id).values_list("exports", flat=True).first()
    return row is not None, bool(row)


def scope_of(user: Any) -> Scope | None:
    """The reading the user's roles give, or None: a steward's first, then a grid worker's (their own grids,
    even if they hold an oversight role too: what they read in full stays their grids), then oversight.
    Kept on the user object for the rest of the request (pages and the API set it once)."""
    cached = getattr(user, "_registry_scope", MISSING)
    if cached is not MISSING:
        return cached  # type: ignore[return-value]
    roles = roles_of(user)
    steward, exports = is_steward(user)
    if steward:
        return Scope(None, True, True, True, exports, Role.HANDLER)
    if Role.GRID_WORKER in roles:
        from jingwu.org.models import GridAssignment

        person = person_of(user)
        grids = frozenset(GridAssignment.objects.filter(person=person).values_list("grid_id", flat=True))
        return Scope(grids, True, True, False, False, Role.GRID_WORKER)
    for role in OVERSIGHT:
        if role in roles:
            return Scope(None, False, False, False, False, role)
    return None


def residents(qs: ResidentQuerySet, user: Any, scope: Scope | None = None) -> ResidentQuerySet:
    from .models import CareTag
    from .services import today

    s = scope if scope is not None else scope_of(user)
    if s is None:
        return qs.none()
    if s.grids is not None:
        qs = qs.filter(grid_id__in=s.grids)
    if not s.restricted:
        # Any restricted tag not ended, even one that begins later: hidden from the first day it is known.
        day = today()
        hidden = (
            CareTag.objects.filter(group__restricted=True)
            .filter(Q(until__isnull=True) | Q(until__gte=day))
            .values("resident_id")
        )
        qs = qs.exclude(pk__in=hidden)
    return qs


def grid_allowed(scope: Scope, grid_id: int | None) -> bool:
    return scope.grids is None or (grid_id is not None and grid_id in scope.grids)
