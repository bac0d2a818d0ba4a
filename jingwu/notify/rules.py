"""Who is told what: the events of the loop, the people each concerns, and the channels per event.

The channels per event are configuration (``JINGWU_NOTIFY_RULES``, a JSON object event → channels); these are
the defaults. In-app is always on. A channel that is not set up (no mail server, no VAPID keys, no SMS
provider) is skipped, not failed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_noop

from jingwu.cases import origins
from jingwu.cases.choices import Action, CaseKind, State
from jingwu.cases.models import Case, Transition
from jingwu.cases.services import CLERK_KINDS
from jingwu.org.choices import Role
from jingwu.org.models import GridAssignment, Person, PersonRole

# event → (title, default channels)
EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "task": (gettext_noop("新任务"), ("inapp", "webpush")),
    "dispatched": (gettext_noop("新派遣案件"), ("inapp", "email")),
    "support": (gettext_noop("协办请求"), ("inapp", "email")),
    "returned": (gettext_noop("案件被回退，待改派"), ("inapp",)),
    "rework": (gettext_noop("核查未通过，需返工"), ("inapp", "email", "webpush")),
    "assigned": (gettext_noop("您被指定为承办人"), ("inapp", "webpush")),
    "escalated": (gettext_noop("收到督办"), ("inapp", "email", "webpush", "sms")),
    "urged": (gettext_noop("收到催办"), ("inapp", "webpush", "sms")),
    "due_soon": (gettext_noop("案件即将超时"), ("inapp", "webpush")),
    "revisit": (gettext_noop("市民不满意，待回访"), ("inapp",)),
    # A case the domain that raised it brings to the leaders at once (a 重大隐患).
    "for_leaders": (gettext_noop("重大事项，请领导关注"), ("inapp", "email", "webpush", "sms")),
    # Supervision (督查督办): a task's deadline near, a late task's 督办, a task reported done or sent back.
    "task_new": (gettext_noop("新督办任务"), ("inapp", "webpush")),
    "task_due": (gettext_noop("督办任务即将到期"), ("inapp", "webpush")),
    "ducha": (gettext_noop("收到督办通知"), ("inapp", "email", "webpush", "sms")),
    "task_reported": (gettext_noop("任务申请办结，待确认"), ("inapp",)),
    "task_returned": (gettext_noop("任务办结申请被退回"), ("inapp", "webpush")),
}


def channels_for(event: str) -> tuple[str, ...]:
    configured: dict[str, Any] = getattr(settings, "JINGWU_NOTIFY_RULES", {}) or {}
    chosen = configured.get(event, EVENTS[event][1])
    return tuple(dict.fromkeys(["inapp", *chosen]))


def _people(role: str, **where: Any) -> list[Person]:
    extra = PersonRole.objects.filter(role=role).values("person_id")
    return list(
        Person.objects.filter(Q(role=role) | Q(pk__in=extra), user__is_active=True, **where).select_related("user")
    )


def holders(case: Case, state: str, department_id: int | None) -> list[Person]:
    """Whoever has the case in hand in ``state`` (the state the event left it in, not the state it may be in
    by the time a retried event is delivered)."""
    if state == State.TO_CHECK:
        origin = origins.of(case)
        if origin is not None and origin.checkers is not None:
            return origin.checkers(case)
    if state in (State.VERIFYING, State.TO_CHECK) and case.grid_id:
        ids = GridAssignment.objects.filter(grid_id=case.grid_id).values("person_id")
        return list(Person.objects.filter(pk__in=ids, user__is_active=True).select_related("user"))
    if state == State.HANDLING and department_id:
        named = case.handler
        if named is not None and named.department_id == department_id and named.user.is_active:
            return [named]
        return _people(Role.HANDLER, department_id=department_id)
    by_state = {
        State.REPORTED: Role.OPERATOR,
        State.TO_FILE: Role.SHIFT_LEAD,
        State.TO_CLOSE: Role.SHIFT_LEAD,
        State.TO_DISPATCH: Role.DISPATCHER,
        State.RETURNED: Role.DISPATCHER,
    }
    role = by_state.get(State(state)) if state in State.values else None
    if role is not None and case.kind in CLERK_KINDS:
        role = Role.PETITION_CLERK  # the clerk takes the centre's steps on petitions and suggestions
    return _people(role) if role else []


# The steps that can tell anyone anything; every other step costs the receiver nothing but this look-up.
TELLING = frozenset({Action.DISPATCH, Action.RETURN, Action.ASSIGN, Action.ESCALATE, Action.URGE, Action.NOTE})


def may_tell(change: Any) -> bool:
    return (
        change.action in TELLING
        or (change.action == Action.CHECK and change.outcome == "fail")
        or (change.action == Action.RATE and change.outcome == "unsatisfied")
        or (change.action == Action.REPORT and change.origin_kind in origins.kinds_for_leaders())
        or (change.to_state != change.from_state and change.to_state in (State.VERIFYING, State.TO_CHECK))
    )


def events_for(change: Any, case: Case, record: Transition | None) -> list[tuple[str, list[Person]]]:
    """The events one step of the loop makes, each with the people it concerns, as of that step."""
    action, state, out = change.action, change.to_state, []
    department = (change.extra or {}).get("department")
    if change.to_state != change.from_state and state in (State.VERIFYING, State.TO_CHECK):
        out.append(("task", holders(case, state, department)))
    if action == Action.CHECK and change.outcome == "fail":
        out.append(("rework", holders(case, state, department)))
    if action == Action.DISPATCH:
        out.append(("dispatched", _people(Role.HANDLER, department_id=department)))
        codes = ((record.data or {}) if record is not None else {}).get("supporting", [])
        if codes:
            out.append(("support", _people(Role.HANDLER, department__code__in=codes)))
    if action == Action.RETURN:
        out.append(("returned", _people(Role.DISPATCHER)))
    if action == Action.ASSIGN and record is not None:
        named = Person.objects.filter(pk=(record.data or {}).get("handler") or 0, user__is_active=True)
        out.append(("assigned", list(named.select_related("user"))))
    if action == Action.ESCALATE:
        out.append(("escalated", holders(case, state, department)))
    if action == Action.URGE:
        out.append(("urged", holders(case, state, department)))
    if action == Action.NOTE and record is not None and (record.data or {}).get("warning") == "due_soon":
        out.append(("due_soon", holders(case, state, department)))
    if action == Action.REPORT and change.origin_kind:
        origin = origins.of(case)
        if origin is not None and origin.for_leaders is not None and origin.for_leaders(case):
            out.append(("for_leaders", _people(Role.LEADER)))
    if action == Action.RATE and change.outcome == "unsatisfied":
        callers = [Role.PETITION_CLERK] if case.kind in CLERK_KINDS else [Role.OPERATOR, Role.SHIFT_LEAD]
        out.append(("revisit", [p for r in callers for p in _people(r)]))
    if case.kind == CaseKind.PETITION:
        # A notification carries the case's words: a petition's go only to those who may see it.
        out = [(event, _seeing(case, people)) for event, people in out]
    return out


def _seeing(case: Case, people: list[Person]) -> list[Person]:
    return [p for p in people if Case.objects.visible_to(p.user).filter(pk=case.pk).exists()]
