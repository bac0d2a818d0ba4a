"""Daily rollups of the loop's flow, and flow figures that read them where a day is rolled and the cases
themselves for the rest (today, or days the worker has not reached yet): the answer is the same either way,
only faster."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum

from jingwu.cases.choices import Action, CaseKind
from jingwu.cases.models import Case, Transition
from jingwu.lib import clock

from .models import DailyStat

FIGURES = ("reported", "filed", "dispatched", "fed_back", "fed_back_on_time", "closed", "returned", "reworked")
DIMS = {"": "", "region": "region_id", "department": "department_id", "category": "category_id", "source": "source"}
DIMS["kind"] = "kind"
# How many days one run of the job rolls at most (a long outage is caught up over several nights).
CATCH_UP = 800


def _tz() -> Any:
    from jingwu.workcal.services import get_calendar

    return get_calendar().tz


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz())


def _step_counts() -> dict[str, Any]:
    def did(*actions: str, **extra: Any) -> Any:
        return Count("case_id", distinct=True, filter=Q(action__in=actions, **extra))

    return {
        "filed": did(Action.FILE),
        "dispatched": did(Action.DISPATCH),
        "fed_back": did(Action.FEEDBACK),
        "fed_back_on_time": did(Action.FEEDBACK, on_time=True),
        "closed": did(Action.CLOSE, Action.SELF_RESOLVE),
        "returned": did(Action.RETURN),
        "reworked": did(Action.CHECK, outcome="fail"),
    }


STEP_ACTIONS = [Action.FILE, Action.DISPATCH, Action.FEEDBACK, Action.CLOSE, Action.SELF_RESOLVE, Action.RETURN]
STEP_ACTIONS.append(Action.CHECK)


def live(start: datetime, end: datetime, dim: str) -> dict[str, dict[str, int]]:
    """The flow between ``start`` and ``end`` counted from the cases and steps (key → figure → count)."""
    field = DIMS[dim]
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    # Without petitions (信访): the overview and the wall count the loop that every one of their viewers sees.
    reported = Case.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(kind=CaseKind.PETITION)
    if field:
        for key, n in reported.values_list(field).annotate(n=Count("id")).order_by():
            out[_key(key)]["reported"] = n
    else:
        out[""]["reported"] = reported.count()
    steps = Transition.objects.filter(at__gte=start, at__lt=end, action__in=STEP_ACTIONS).exclude(
        case__kind=CaseKind.PETITION
    )
    if field:
        rows = steps.values(f"case__{field}").annotate(**_step_counts()).order_by()
        for row in rows:
            values = dict(row)
            out[_key(values.pop(f"case__{field}"))].update(values)
    else:
        out[""].update(steps.aggregate(**_step_counts()))
    return dict(out)


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def rollup_day(day: date) -> int:
    """Rewrite one day's rows (the job is idempotent); returns the number of rows written."""
    start = _start(day)
    end = _start(day + timedelta(days=1))
    rows = []
    for dim in DIMS:
        for key, figures in live(start, end, dim).items():
            if dim and not any(figures.values()):
                continue
            rows.append(DailyStat(day=day, dim=dim, key=key, **figures))
    if not any(r.dim == "" for r in rows):
        rows.append(DailyStat(day=day, dim="", key=""))
    with transaction.atomic():
        DailyStat.objects.filter(day=day).delete()
        DailyStat.objects.bulk_create(rows)
    return len(rows)


def rolled_until() -> date | None:
    """The last day rolled, when every day from the first case's to it is rolled."""
    return DailyStat.objects.filter(dim="").aggregate(d=Max("day"))["d"]


def rollup_pending(now: datetime | None = None, limit: int = CATCH_UP) -> list[date]:
    """Roll every day from the last one rolled (or the first case's) to yesterday."""
    now = now or clock.now()
    yesterday = now.astimezone(_tz()).date() - timedelta(days=1)
    last = rolled_until()
    if last is None:
        first = Case.objects.order_by("reported_at").values_list("reported_at", flat=True).first()
        if first is None:
            return []
        day = first.astimezone(_tz()).date()
    else:
        day = last + timedelta(days=1)
    done: list[date] = []
    while day <= yesterday and len(done) < limit:
        rollup_day(day)
        done.append(day)
        day += timedelta(days=1)
    return done


def flow(start: datetime, end: datetime, dim: str = "", now: datetime | None = None) -> dict[str, dict[str, int]]:
    """The flow figures for ``[start, end)`` by ``dim``: whole rolled days from the rollup, the edges and the
    days not rolled yet from the cases."""
    now = now or clock.now()
    end = min(end, now)
    tz = _tz()
    last = rolled_until()
    total: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def add(part: dict[str, dict[str, int]]) -> None:
        for key, figures in part.items():
            row = total[key]
            for k, v in figures.items():
                row[k] += v or 0

    first_day = start.astimezone(tz).date()
    if _start(first_day) < start:
        first_day += timedelta(days=1)
    last_day = end.astimezone(tz).date() - timedelta(days=1)  # the last whole day before ``end``
    if last is not None and last_day > last:
        last_day = last
    if last is None or first_day > last_day:
        add(live(start, end, dim))
        return dict(total)
    if _start(first_day) > start:
        add(live(start, _start(first_day), dim))
    add(_rolled(first_day, last_day, dim))
    tail = _start(last_day + timedelta(days=1))
    if tail < end:
        add(live(tail, end, dim))
    return dict(total)


def _rolled(first: date, last: date, dim: str) -> dict[str, dict[str, int]]:
    rows = (
        DailyStat.objects.filter(dim=dim, day__gte=first, day__lte=last)
        .values("key")
        .annotate(**{f: Sum(f) for f in FIGURES})
        .order_by()
    )
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        key = str(values.pop("key"))
        out[key] = {k: int(v or 0) for k, v in values.items()}
    return out


def by_day(first: date, last: date, now: datetime | None = None) -> list[tuple[date, dict[str, int]]]:
    """The whole territory's flow for each day from ``first`` to ``last`` (a trend line)."""
    now = now or clock.now()
    rolled = {
        r["day"]: r for r in DailyStat.objects.filter(dim="", day__gte=first, day__lte=last).values("day", *FIGURES)
    }
    out = []
    day = first
    while day <= last:
        if day in rolled:
            figures = {f: rolled[day][f] for f in FIGURES}
        else:
            figures = live(_start(day), min(_start(day + timedelta(days=1)), now), "").get("", {})
            figures = {f: figures.get(f, 0) for f in FIGURES}
        out.append((day, figures))
        day += timedelta(days=1)
    return out


def by_month(first: date, last: date, now: datetime | None = None) -> list[tuple[date, dict[str, int]]]:
    """The whole territory's flow for each month from ``first``'s to ``last``'s."""
    now = now or clock.now()
    months: list[tuple[date, dict[str, int]]] = []
    month = first.replace(day=1)
    while month <= last:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        figures = flow(_start(month), _start(following), "", now).get("", dict.fromkeys(FIGURES, 0))
        months.append((month, {f: figures.get(f, 0) for f in FIGURES}))
        month = following
    return months
