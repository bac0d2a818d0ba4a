"""What the leader's overview and the big screen show, from the one set of definitions (``indicators``) and
the daily rollup (``rollup``). Every figure carries the link to the cases it counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from jingwu.cases.choices import OPEN_STATES, CaseKind
from jingwu.cases.models import Case
from jingwu.cases.refs import refs
from jingwu.lib import clock

from . import indicators as ind
from . import rollup

RATE_MEASURES = ["due", "closed_due", "closed_on_time", "handled_on_time"]
# The overview and the wall count the loop without petitions (信访): those are seen by the leaders and the petition
# clerks only, on their own register, and a figure here must open the same cases for everyone who sees it.
NOT_PETITIONS = "!" + CaseKind.PETITION


def loop_cases() -> Any:
    return Case.objects.exclude(kind=CaseKind.PETITION)


def _tz() -> Any:
    from jingwu.workcal.services import get_calendar

    return get_calendar().tz


def periods(now: datetime) -> list[tuple[str, str, datetime]]:
    tz = _tz()
    day = datetime.combine(now.astimezone(tz).date(), time.min, tzinfo=tz)
    return [
        ("today", _("今日"), day),
        ("month", _("本月"), day.replace(day=1)),
        ("year", _("本年"), day.replace(month=1, day=1)),
    ]


def link(measure: str, period: ind.Period, **filters: str) -> str:
    return "/centre/?" + urlencode({"measure": measure, **period.params(), **filters, "kind": NOT_PETITIONS})


def pct(num: int, den: int) -> float | None:
    return round(100 * num / den, 2) if den else None


def unit_rates(since: datetime, now: datetime) -> ind.Table:
    """The period's deadline measures by unit: the league table, and summed, the period's tile (one read of
    the deadlines' index for both, which over a city's year is most of the overview's cost)."""
    return ind.count(loop_cases(), ind.Period(since, now, now), "department", measures=RATE_MEASURES)


def tile(since: datetime, now: datetime, by_unit: ind.Table | None = None) -> dict[str, Any]:
    """A period's flow (from the rollup) and its deadline rates (from the cases, over an index; or the sum of
    ``by_unit``, the same period's counts by unit)."""
    period = ind.Period(since, now, now)
    flow = rollup.flow(since, now, "", now).get("", dict.fromkeys(rollup.FIGURES, 0))
    if by_unit is None:
        rates = ind.count(loop_cases(), period, measures=RATE_MEASURES).counts.get("", {})
    else:
        rates = {m: sum(row.get(m, 0) for row in by_unit.counts.values()) for m in RATE_MEASURES}
    due = rates.get("due", 0)
    return {
        "reported": flow["reported"],
        "filed": flow["filed"],
        "closed": flow["closed"],
        "due": due,
        "closure_rate": pct(rates.get("closed_due", 0), due),
        "on_time_rate": pct(rates.get("closed_on_time", 0), due),
        "links": {
            "reported": link("reported", period),
            "filed": link("filed", period),
            "closed": link("closed", period),
            "due": link("due", period),
            "closed_due": link("closed_due", period),
            "closed_on_time": link("closed_on_time", period),
        },
    }


def overdue_by(field: str, now: datetime) -> dict[Any, int]:
    return dict(
        loop_cases()
        .filter(status__in=OPEN_STATES, due_at__lt=now)
        .values_list(field)
        .annotate(n=Count("id"))
        .order_by()
    )


def open_by(field: str) -> dict[Any, int]:
    return dict(loop_cases().filter(status__in=OPEN_STATES).values_list(field).annotate(n=Count("id")).order_by())


def regions(since: datetime, now: datetime) -> list[dict[str, Any]]:
    period = ind.Period(since, now, now)
    r = refs()
    flow = rollup.flow(since, now, "region", now)
    late = overdue_by("region_id", now)
    out: list[dict[str, Any]] = []
    for key, figures in flow.items():
        if not key.isdigit() or int(key) not in r.regions:
            continue
        code, name = r.regions[int(key)]
        out.append(
            {
                "code": code,
                "name": name,
                "reported": figures["reported"],
                "closed": figures["closed"],
                "overdue": late.get(int(key), 0),
                "links": {
                    "reported": link("reported", period, region=code),
                    "closed": link("closed", period, region=code),
                    "overdue": f"/centre/?queue=overdue&region={code}&kind={NOT_PETITIONS}",
                },
            }
        )
    out.sort(key=lambda x: (-int(x["reported"]), str(x["name"])))
    return out


def departments(since: datetime, now: datetime, by_unit: ind.Table | None = None) -> list[dict[str, Any]]:
    """The units' league table: what fell due in the period (应结案) and how it went, counted from the cases (a
    unit is the case's lead unit now, as on the statistics pages), and what each has open and overdue now."""
    period = ind.Period(since, now, now)
    r = refs()
    table = by_unit if by_unit is not None else unit_rates(since, now)
    still = open_by("department_id")
    late = overdue_by("department_id", now)
    out: list[dict[str, Any]] = []
    for pk in set(table.counts) | set(still):
        if pk not in r.departments:
            continue
        code, name = r.departments[pk]
        due = table.value(pk, "due")
        out.append(
            {
                "code": code,
                "name": name,
                "due": due,
                "closed": table.value(pk, "closed_due"),
                "closure_rate": pct(table.value(pk, "closed_due"), due),
                "on_time_rate": pct(table.value(pk, "handled_on_time"), due),
                "open": still.get(pk, 0),
                "overdue": late.get(pk, 0),
                "links": {
                    "due": link("due", period, department=code),
                    "closed": link("closed_due", period, department=code),
                    "on_time": link("handled_on_time", period, department=code),
                    "open": f"/centre/?department={code}&status={','.join(sorted(OPEN_STATES))}&kind={NOT_PETITIONS}",
                },
            }
        )
    out.sort(key=lambda d: (-int(d["due"]), -int(d["open"]), str(d["name"])))
    return out


def categories(since: datetime, now: datetime, top: int = 10) -> list[dict[str, Any]]:
    period = ind.Period(since, now, now)
    r = refs()
    rows: list[dict[str, Any]] = []
    for key, figures in rollup.flow(since, now, "category", now).items():
        if not key.isdigit() or int(key) not in r.categories or not figures["reported"]:
            continue
        kind, code, name = r.categories[int(key)][:3]
        rows.append(
            {
                "code": f"{kind}:{code}",
                "name": name,
                "reported": figures["reported"],
                "link": link("reported", period, category=f"{kind}:{code}"),
            }
        )
    rows.sort(key=lambda x: (-int(x["reported"]), str(x["name"])))
    return rows[:top]


def sources(since: datetime, now: datetime) -> list[dict[str, Any]]:
    from jingwu.cases.choices import Source

    period = ind.Period(since, now, now)
    rows: list[dict[str, Any]] = [
        {
            "code": key,
            "name": str(Source(key).label) if key in Source.values else key,
            "reported": figures["reported"],
            "link": link("reported", period, source=key),
        }
        for key, figures in rollup.flow(since, now, "source", now).items()
        if figures["reported"]
    ]
    rows.sort(key=lambda x: -x["reported"])
    return rows


def months(now: datetime, count: int = 12) -> list[dict[str, Any]]:
    tz = _tz()
    today = now.astimezone(tz).date()
    first = today.replace(day=1)
    for _i in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    out = []
    for month, figures in rollup.by_month(first, today, now):
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        period = ind.Period(_at(month), min(_at(following), now), now)
        out.append(
            {
                "month": month.strftime("%Y-%m"),
                "reported": figures["reported"],
                "closed": figures["closed"],
                "links": {"reported": link("reported", period), "closed": link("closed", period)},
            }
        )
    return out


def days(now: datetime, count: int = 30) -> list[dict[str, Any]]:
    today = now.astimezone(_tz()).date()
    out = []
    for day, figures in rollup.by_day(today - timedelta(days=count - 1), today, now):
        period = ind.Period(_at(day), min(_at(day + timedelta(days=1)), now), now)
        out.append(
            {
                "day": day.strftime("%m-%d"),
                "reported": figures["reported"],
                "closed": figures["closed"],
                "links": {"reported": link("reported", period), "closed": link("closed", period)},
            }
        )
    return out


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz())


def overview(now: datetime | None = None) -> dict[str, Any]:
    """The leader's overview: today, this month and this year; the year by village and unit; twelve months."""
    now = now or clock.now()
    year = periods(now)[2][2]
    by_unit = unit_rates(year, now)
    tiles = [
        {"key": key, "label": label, "figures": tile(since, now, by_unit if since == year else None)}
        for key, label, since in periods(now)
    ]
    return {
        "tiles": tiles,
        "overdue": loop_cases().filter(status__in=OPEN_STATES, due_at__lt=now).count(),
        "regions": regions(year, now),
        "departments": departments(year, now, by_unit),
        "months": months(now),
    }


KEEP = 20  # a value is kept this many refresh periods, so a page opened after a quiet spell still finds one


def shared(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()`` at most once per ``JINGWU_FIGURES_CACHE_SECONDS`` for every node (the shared cache), per
    language: the figures carry translated labels.

    A value older than that is still answered, and the task worker computes the next one (one task per key,
    however many pages ask): a leader opening the overview after a quiet half minute, or a big screen that asks
    once per refresh, would otherwise wait for the whole computation each time. Only a key never computed, or
    unused for ``KEEP`` periods, is computed in the request."""
    from django.conf import settings
    from django.core.cache import caches
    from django.utils.translation import get_language

    ttl = settings.JINGWU_FIGURES_CACHE_SECONDS
    if ttl <= 0:
        return compute()
    cache = caches["shared"]
    lang = get_language() or settings.LANGUAGE_CODE
    full = f"figures:{key}:{lang}"
    entry = cache.get(full)
    now = clock.now().timestamp()
    if entry is None:
        value = compute()
        cache.set(full, (now, value), ttl * KEEP)
        return value
    at, value = entry
    if now - at >= ttl and cache.add(f"{full}:refreshing", 1, ttl):
        from .jobs import refresh_figures

        refresh_figures.enqueue(key, lang)
    return value


def refresh(key: str, lang: str) -> None:
    """Compute ``key``'s figures again into the shared cache (the task ``shared`` enqueued)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.utils import translation

    kind, _sep, user_id = key.partition(":")
    with translation.override(lang):
        if kind == "overview":
            value = overview(clock.now())
        elif kind == "screen":
            user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
            if user is None:
                return
            value = screen(user, clock.now())
        else:
            raise ValueError(f"unknown figures {key!r}")
    full = f"figures:{key}:{lang}"
    caches["shared"].set(full, (clock.now().timestamp(), value), settings.JINGWU_FIGURES_CACHE_SECONDS * KEEP)
    caches["shared"].delete(f"{full}:refreshing")


def overview_shared() -> dict[str, Any]:
    return shared("overview", lambda: overview(clock.now()))


def screen_shared(user: Any) -> dict[str, Any]:
    # Per viewer: the alarms and monitoring shown are those the viewer may see.
    return shared(f"screen:{user.pk}", lambda: screen(user, clock.now()))


def screen(user: Any, now: datetime | None = None) -> dict[str, Any]:
    """The big screen's data, refreshed by the page every half minute: today and this month, the grids' load,
    the latest cases and alarms, thirty days' trend, the top categories, the units' league table, and the
    monitoring and safety summaries."""
    from jingwu.cases.choices import State

    now = now or clock.now()
    (_k, _l, today), (_k2, _l2, month) = periods(now)[:2]
    month_units = unit_rates(month, now)
    r = refs()
    load = {
        row["grid_id"]: row
        for row in loop_cases()
        .filter(status__in=OPEN_STATES, grid__isnull=False)
        .values("grid_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by()
    }
    local_today = now.astimezone(_tz()).date()

    def shown(at: datetime) -> str:
        local = at.astimezone(_tz())
        return local.strftime("%H:%M") if local.date() == local_today else local.strftime("%m-%d %H:%M")

    latest = [
        {
            "number": c.number,
            "category": r.categories[c.category_id][2] if c.category_id in r.categories else "",
            "region": r.regions[c.region_id][1] if c.region_id in r.regions else "",
            "state": c.status,
            "status": str(State(c.status).label),
            "overdue": c.is_overdue(now),
            "at": shown(c.reported_at),
            "reported_at": c.reported_at.isoformat(),
            "kind": c.kind,
            "link": f"/cases/{c.number}/",
        }
        for c in loop_cases()
        .filter(reported_at__lte=now)
        .order_by("-reported_at")
        .only("number", "category_id", "region_id", "status", "reported_at", "kind", "due_at")[:12]
    ]
    return {
        "at": now.astimezone(_tz()).strftime("%Y-%m-%d %H:%M:%S"),
        "at_iso": now.astimezone(_tz()).isoformat(),
        "today": tile(today, now),
        "month": tile(month, now, month_units),
        "open": loop_cases().filter(status__in=OPEN_STATES).count(),
        "overdue": loop_cases().filter(status__in=OPEN_STATES, due_at__lt=now).count(),
        "grids": [
            {"code": code, "open": load[pk]["open"], "overdue": load[pk]["overdue"]}
            for pk, code in r.grids.items()
            if pk in load
        ],
        "latest": latest,
        "alarms": _alarms(user, now),
        "days": days(now),
        "categories": categories(month, now, top=8),
        "sources": sources(month, now),
        "departments": departments(month, now, month_units)[:10],
        "monitoring": _monitoring(user),
        "safety": _safety(now),
    }


def _alarms(user: Any, now: datetime) -> list[dict[str, Any]]:
    from jingwu.iot.models import Alarm

    out = []
    for a in Alarm.objects.visible_to(user).select_related("device", "rule").order_by("-raised_at")[:8]:
        out.append(
            {
                "device": a.device.name,
                "rule": a.rule.name,
                "status": a.get_status_display(),
                "open": a.status != "cleared",
                "at": a.raised_at.astimezone(_tz()).strftime("%m-%d %H:%M"),
                "link": f"/iot/alarms/{a.pk}/",
            }
        )
    return out


def _monitoring(user: Any) -> dict[str, Any]:
    from jingwu.iot.pages import summary

    s = summary(user)
    out = {k: s[k] for k in ("devices", "online", "offline", "fault", "alarms", "fire", "unacknowledged", "town")}
    hour = s.get("hour")
    # The hour the town's AQI is of, and how many stations reported in it.
    out["hour"] = hour.astimezone(_tz()).strftime("%m-%d %H:00") if hour else None
    out["reporting"] = s.get("reporting", 0)
    return out


def _safety(now: datetime) -> dict[str, Any]:
    from jingwu.safety.models import Enterprise, Hazard

    hazards = Hazard.objects.all()
    open_states = list(OPEN_STATES)
    year = periods(now)[2][2]
    return {
        "enterprises": Enterprise.objects.count(),
        "hazards_year": hazards.filter(found_at__gte=year).count(),
        "hazards_open": hazards.filter(status__in=open_states).count(),
        "hazards_overdue": hazards.filter(status__in=open_states, rectify_by__lt=now).count(),
        "hazards_closed_year": hazards.filter(closed_at__gte=year).count(),
    }
