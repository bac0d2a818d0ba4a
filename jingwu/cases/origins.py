"""What a domain that raises cases says about them: the rules that differ for cases it raised.

A domain (a safety hazard, an alarm, a patrol finding) raises a case with ``report_case(origin=...)`` and the
case runs the one loop. Where that loop needs the domain's word, the domain registers an ``Origin`` for its
kind (``app_label.model``) when its app is ready:

- ``may_check``: who else may take the 核查 step (a hazard's 复查 is the inspectors', not only the grid's);
- ``checkers``: whom to tell that a case waits for that check;
- ``deadline``: the handling deadline a dispatch sets, where the domain fixed one (a hazard's 整改期限), and
  ``rework_deadline`` the one a failed 核查 sets (a new 限期; otherwise the original deadline stands);
- ``follow``: called inside the transaction of every step, so the domain's own row follows the case
  atomically (a ledger never disagrees with the case, even across a crash);
- ``for_leaders``: whether a new case must be brought to the leaders at once (a 重大隐患);
- ``visible``: the cases of this kind a user sees beyond what their roles show (a company's inspectors see the
  hazards its inspections found). A case a domain raised is never shown to the public (Open311, the public
  map), whatever its category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from jingwu.org.actors import Acting

    from .models import Case, Transition


@dataclass(frozen=True)
class Origin:
    kind: str
    may_check: Callable[[Case, Acting], bool] | None = None
    checkers: Callable[[Case], list[Any]] | None = None
    deadline: Callable[[Case, datetime], datetime | None] | None = None
    follow: Callable[[Case, Transition], None] | None = None
    for_leaders: Callable[[Case], bool] | None = None
    visible: Callable[[Any], Q | None] | None = None
    # After a failed 核查 (返工): a new handling deadline where the domain sets one (a hazard's 复查 sets a new
    # 限期); otherwise the original deadline stands, as the loop has it.
    rework_deadline: Callable[[Case, datetime], datetime | None] | None = None
    # The domain's own record behind the case, for staff: (label, url), e.g. ("检查记录 2144", "/safety/…").
    link: Callable[[Case, Any], tuple[str, str] | None] | None = None
    # The handling deadline it sets runs in continuous time (an alarm's minutes), not working time.
    continuous: bool = False


_registry: dict[str, Origin] = {}


def register(origin: Origin) -> Origin:
    _registry[origin.kind] = origin
    return origin


def of(case: Case) -> Origin | None:
    return _registry.get(case.origin_kind) if case.origin_kind else None


def visible_to(user: Any) -> list[Q]:
    """What each domain lets this user see of its cases (``Origin.visible``)."""
    found = []
    for o in _registry.values():
        if o.visible is not None:
            q = o.visible(user)
            if q is not None:
                found.append(q)
    return found


def kinds_for_leaders() -> frozenset[str]:
    return frozenset(kind for kind, o in _registry.items() if o.for_leaders is not None)
