"""The leader's overview: the loop's figures for today, this month and this year, by place and unit."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from jingwu.cases.choices import OPEN_STATES, Action
from jingwu.cases.models import Case, Transition
from jingwu.cases.refs import refs
from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.workcal.services import get_calendar

from .common import roles_required
from .views import tile_settings


def periods(now: datetime) -> list[tuple[str, str, datetime]]:
    tz = get_calendar().tz
    local = now.astimezone(tz)
    day = datetime.combine(local.date(), time.min, tzinfo=tz)
    return [
        ("today", _("今日"), day),
        ("month", _("本月"), day.replace(day=1)),
        ("year", _("本年"), day.replace(month=1, day=1)),
    ]


def kpis(since: datetime, now: datetime) -> dict[str, Any]:
    steps = Transition.objects.filter(at__gte=since, at__lte=now).aggregate(
        reported=Count("id", filter=Q(action=Action.REPORT)),
        filed=Count("id", filter=Q(action=Action.FILE)),
        closed=Count("id", filter=Q(action__in=[Action.CLOSE, Action.SELF_RESOLVE])),
    )
    # 应结案: cases whose handling deadline falls in the period, less 挂账 (DOMAIN §5); 按期 = fed back in time.
    due = Case.objects.filter(handling_deadline__gte=since, handling_deadline__lte=now).exclude(status="suspended")
    counted = due.aggregate(
        n=Count("id"),
        closed=Count("id", filter=Q(status="closed")),
        ok=Count("id", filter=Q(status="closed", handled_on_time=True)),
    )
    steps["due"] = counted["n"]
    steps["closure_rate"] = round(100 * counted["closed"] / counted["n"], 1) if counted["n"] else None
    steps["on_time_rate"] = round(100 * counted["ok"] / counted["n"], 1) if counted["n"] else None
    return steps


def _list_url(**params: str) -> str:
    """The command-centre list of exactly the cases a figure counts."""
    return f"{reverse('web:centre')}?{urlencode(params)}"


@roles_required(Role.LEADER, Role.ADMIN, Role.SHIFT_LEAD)
def overview(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    r = refs()
    tiles = []
    for key, label, since in periods(now):
        figures = kpis(since, now)
        at = since.isoformat()
        links = {
            "reported": _list_url(reported_after=at),
            "filed": _list_url(filed_after=at),
            "closed": _list_url(closed_after=at),
            "due": _list_url(due_after=at),
        }
        tiles.append({"key": key, "label": label, "figures": figures, "links": links})
    overdue = Case.objects.filter(status__in=OPEN_STATES, due_at__lt=now).count()
    year_start = periods(now)[2][2]
    by_region = {
        row["region_id"]: row
        for row in Case.objects.filter(reported_at__gte=year_start)
        .values("region_id")
        .annotate(
            reported=Count("id"),
            closed=Count("id", filter=Q(status="closed")),
            overdue=Count("id", filter=Q(status__in=OPEN_STATES, due_at__lt=now)),
        )
    }
    year = year_start.isoformat()
    regions: list[dict[str, Any]] = [
        {
            "code": r.regions[k][0],
            "name": r.regions[k][1],
            **v,
            "links": {
                "reported": _list_url(region=r.regions[k][0], reported_after=year),
                "closed": _list_url(region=r.regions[k][0], reported_after=year, status="closed"),
                "overdue": _list_url(region=r.regions[k][0], reported_after=year, queue="overdue"),
            },
        }
        for k, v in by_region.items()
        if k in r.regions
    ]
    regions.sort(key=lambda x: -x["reported"])
    by_dept = {
        row["department_id"]: row
        for row in Transition.objects.filter(at__gte=year_start, action=Action.DISPATCH)
        .values("department_id")
        .annotate(dispatched=Count("case_id", distinct=True))  # cases, not steps: a re-dispatch counts once
    }
    feedback = {
        row["department_id"]: row
        for row in Transition.objects.filter(at__gte=year_start, action=Action.FEEDBACK)
        .values("department_id")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(on_time=True)))
    }
    open_by_dept = dict(
        Case.objects.filter(status__in=OPEN_STATES, department__isnull=False)
        .values_list("department_id")
        .annotate(n=Count("id"))
    )
    departments = []
    for dept_id, row in by_dept.items():
        if dept_id not in r.departments:
            continue
        fb = feedback.get(dept_id, {"n": 0, "ok": 0})
        departments.append(
            {
                "code": r.departments[dept_id][0],
                "name": r.departments[dept_id][1],
                "dispatched": row["dispatched"],
                "handled": fb["n"],
                "on_time_rate": round(100 * fb["ok"] / fb["n"], 1) if fb["n"] else None,
                "open": open_by_dept.get(dept_id, 0),
                "links": {
                    "dispatched": _list_url(dispatched_to=r.departments[dept_id][0], dispatched_after=year),
                    "open": _list_url(department=r.departments[dept_id][0], status=",".join(sorted(OPEN_STATES))),
                },
            }
        )
    departments.sort(key=lambda d: -int(d["dispatched"] or 0))
    months = list(
        Transition.objects.filter(at__gte=now - timedelta(days=366))
        .annotate(m=TruncMonth("at", tzinfo=get_calendar().tz))
        .values("m")
        .annotate(
            reported=Count("id", filter=Q(action=Action.REPORT)),
            closed=Count("id", filter=Q(action__in=[Action.CLOSE, Action.SELF_RESOLVE])),
        )
        .order_by("m")
    )

    def month_links(start: datetime) -> tuple[str, str]:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return (
            _list_url(reported_after=start.isoformat(), reported_before=end.isoformat()),
            _list_url(closed_after=start.isoformat(), closed_before=end.isoformat()),
        )

    by_month = [month_links(m["m"]) for m in months]
    chart = {
        # Each bar and point opens the list of the cases it counts.
        "links": {
            "months": [[a for a, _b in by_month], [b for _a, b in by_month]],
            "regions": [[x["links"]["reported"] for x in regions], [x["links"]["closed"] for x in regions]],
            "departments": [[d["links"]["dispatched"] for d in departments]],
        },
        "months": [m["m"].strftime("%Y-%m") for m in months],
        "reported": [m["reported"] for m in months],
        "closed": [m["closed"] for m in months],
        "regions": [x["name"] for x in regions],
        "region_reported": [x["reported"] for x in regions],
        "region_closed": [x["closed"] for x in regions],
        "departments": [d["name"] for d in departments],
        "dept_dispatched": [d["dispatched"] for d in departments],
    }
    return render(
        request,
        "web/overview.html",
        {
            "tiles": tiles,
            "overdue": overdue,
            "regions": regions,
            "departments": departments,
            "chart": chart,
            "map": tile_settings(),
        },
    )
