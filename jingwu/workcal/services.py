from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from jingwu.lib.cached import SharedVersioned
from jingwu.lib.worktime import Limit, WorkCalendar

from .models import DayKind, Holiday


def _build() -> WorkCalendar:
    holidays: list[date] = []
    workdays: list[date] = []
    for day, kind in Holiday.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).append(day)
    return WorkCalendar.build(settings.JINGWU_WORK_SCHEDULE, settings.TIME_ZONE, holidays, workdays)


calendar_cache: SharedVersioned[WorkCalendar] = SharedVersioned("workcal", _build)


def get_calendar() -> WorkCalendar:
    return calendar_cache.get()


def add_working_time(start: datetime, limit: Limit) -> datetime:
    return get_calendar().add_limit(start, limit)


def working_time_between(a: datetime, b: datetime) -> timedelta:
    return get_calendar().between(a, b)
