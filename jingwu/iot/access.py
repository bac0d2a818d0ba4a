"""Who sees which devices and alarms: the command centre and leaders all; a grid worker the devices in their
grids; a department the alarms whose cases it was given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from jingwu.org.choices import SEE_ALL, Role

if TYPE_CHECKING:
    from .models import AlarmQuerySet

# Who may confirm an alarm (called the unit, watched the camera) and who may clear one by hand: the command
# centre. A department given an alarm's case reports what it found through the case (处置 → 核查), where
# someone else checks it; it cannot void its own work by calling the alarm false.
ACKNOWLEDGERS = frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER})
CLEARERS = frozenset({Role.SHIFT_LEAD, Role.DISPATCHER})
# Who registers devices and writes rules.
MANAGERS = frozenset({Role.SHIFT_LEAD, Role.ADMIN})


def _where(user: Any, device: str) -> Q | None:
    """None: everything; otherwise the condition on rows whose device is reached through ``device``."""
    from jingwu.cases.models import Case
    from jingwu.org.models import GridAssignment
    from jingwu.org.services import person_of, roles_of

    roles = set(roles_of(user))
    if roles & SEE_ALL:
        return None
    person = person_of(user)
    # Air quality is everyone's: every station is shown to whoever sees monitoring at all.
    where = Q(**{f"{device}type": "air"})
    if person is None:
        return where
    if Role.GRID_WORKER in roles:
        mine = GridAssignment.objects.filter(person=person).values("grid_id")
        where |= Q(**{f"{device}grid_id__in": mine})
    if Role.HANDLER in roles and person.department_id:
        from .models import Alarm

        held = Case.objects.visible_to(user).filter(origin_kind="iot.alarm")
        if device:  # alarms: those whose case the department holds or held
            where |= Q(case__in=held)
        else:  # devices: those with such an alarm
            where |= Q(pk__in=Alarm.objects.filter(case__in=held).values("device_id"))
    return where


def devices_for(qs: Any, user: Any) -> Any:
    where = _where(user, "")
    return qs if where is None else qs.filter(where)


def alarms_for(qs: AlarmQuerySet, user: Any) -> AlarmQuerySet:
    where = _where(user, "device__")
    return qs if where is None else qs.filter(where)


def sees_monitoring(user: Any) -> bool:
    from jingwu.org.services import roles_of

    return bool(set(roles_of(user)) & (SEE_ALL | {Role.GRID_WORKER, Role.HANDLER}))
