"""/api/supervision/: targets with their standing, actuals, tasks with their traffic lights, progress reports,
and the work-report reader. The same auth and error shape as the rest of /api/."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, NotFound
from jingwu.org.auth import require_user
from jingwu.org.services import has_role

from . import reader, services
from .choices import UnitRole
from .models import Target, Task

router = Router(tags=["supervision"])


def _viewer(request: HttpRequest, write: bool = False) -> Any:
    user = require_user(request, write=write)
    if not has_role(user, *services.VIEW):
        raise Forbidden(gettext("无权查看督查督办"), code="forbidden_role")
    return user


def _today() -> date:
    from jingwu.workcal.services import get_calendar

    return clock.now().astimezone(get_calendar().tz).date()


class YearFilter(Schema):
    year: int | None = Field(None, ge=1949, le=2100, description="the year; this year by default")


class TargetOut(Schema):
    indicator: str
    unit: str
    year: int
    target_value: Decimal | None
    target_growth_pct: Decimal | None
    goal: Decimal | None = Field(description="the value aimed at (from the growth rate when only a rate is set)")
    latest_value: Decimal | None
    latest_period: str | None
    latest_kind: str | None
    percent: float | None = Field(description="share of the goal reached, %")
    expected: float = Field(description="share of the year the latest figure covers, %")
    elapsed: float = Field(description="share of the year gone by, %")
    growth_pct: Decimal | None
    standing: str = Field(description="no_data, on_track, watch, behind or done")
    department: str | None


def _unit_name(t: Target) -> str | None:
    unit = t.department or t.indicator.department
    return unit.name if unit is not None else None


@router.get("/supervision/targets", response=list[TargetOut], summary="A year's targets and how far each has got")
def target_list(request: HttpRequest, params: Query[YearFilter]) -> list[dict[str, Any]]:
    today = _today()
    year = params.year or today.year
    user = _viewer(request)
    views = services.target_views(
        services.targets_for(user).filter(year=year).select_related("indicator", "department"), today
    )
    return [
        {
            "indicator": v.target.indicator.name,
            "unit": v.target.indicator.unit,
            "year": v.target.year,
            "target_value": v.target.value,
            "target_growth_pct": v.target.growth_pct,
            "goal": v.goal,
            "latest_value": v.latest.value if v.latest else None,
            "latest_period": v.latest.period if v.latest else None,
            "latest_kind": v.latest.kind if v.latest else None,
            "percent": v.percent,
            "expected": v.expected,
            "elapsed": v.elapsed,
            "growth_pct": v.growth,
            "standing": v.standing,
            "department": _unit_name(v.target),
        }
        for v in views
    ]


class ActualIn(Schema):
    indicator: str = Field(max_length=64, description="the indicator's name or one of its aliases")
    year: int = Field(ge=1949, le=2100)
    period: str = Field("Y", description="Y, Q1–Q4 or M01–M12; quarters and months are year to date")
    kind: Literal["actual", "estimate"] = "actual"
    value: Decimal | None = Field(None, description="in the indicator's unit")
    growth_pct: Decimal | None = None
    source: str = Field(max_length=200, description="where the figure comes from (统计月报 …)")


class ActualOut(Schema):
    indicator: str
    year: int
    period: str
    kind: str
    value: Decimal | None
    growth_pct: Decimal | None
    source: str
    entered_at: datetime


@router.post(
    "/supervision/actuals",
    response=ActualOut,
    summary="Enter (or correct) an actual: the supervising office, or the indicator's own unit",
)
def actual_create(request: HttpRequest, body: ActualIn) -> dict[str, Any]:
    user = _viewer(request, write=True)
    ind = services.find_indicator(body.indicator)
    if ind is None:
        raise NotFound(gettext("未知指标"), code="unknown_indicator")
    a = services.record_actual(
        ind,
        body.year,
        body.period,
        value=body.value,
        growth_pct=body.growth_pct,
        kind=body.kind,
        source=body.source,
        actor=user,
    )
    return {
        "indicator": ind.name,
        "year": a.year,
        "period": a.period,
        "kind": a.kind,
        "value": a.value,
        "growth_pct": a.growth_pct,
        "source": a.source,
        "entered_at": a.entered_at,
    }


class TaskOut(Schema):
    number: str
    title: str
    year: int
    deadline: date
    status: str
    progress: int
    light: str = Field(description="green, yellow (deadline near), red (late) or done")
    lead: str | None
    supporting: list[str]
    source: str


def _task_out(t: Task, today: date) -> dict[str, Any]:
    units = list(t.unit_rows.all())
    lead = next((u for u in units if u.role == UnitRole.LEAD), None)
    return {
        "number": t.number,
        "title": t.title,
        "year": t.year,
        "deadline": t.deadline,
        "status": t.status,
        "progress": t.progress,
        "light": services.light(t, today, list(t.milestones.all())),
        "lead": lead.department.name if lead else None,
        "supporting": [u.department.name for u in units if u.role == UnitRole.SUPPORT],
        "source": t.source,
    }


@router.get("/supervision/tasks", response=list[TaskOut], summary="Tasks you may see (a unit: its own), by deadline")
def task_list(request: HttpRequest, params: Query[YearFilter]) -> list[dict[str, Any]]:
    user = _viewer(request)
    today = _today()
    qs = services.tasks_for(user).prefetch_related("unit_rows__department", "milestones").order_by("deadline", "pk")
    if params.year:
        qs = qs.filter(year=params.year)
    return [_task_out(t, today) for t in qs[:1000]]


class ReportIn(Schema):
    text: str = Field(max_length=4000)
    percent: int = Field(ge=0, le=100)
    finished: bool = Field(False, description="the lead unit asks for the task to be confirmed done")
    client_key: str | None = Field(None, max_length=64, description="client-generated idempotency key")


@router.post(
    "/supervision/tasks/{number}/reports",
    response={201: TaskOut, 200: TaskOut},
    summary="A responsible unit reports progress (a retry with the same client_key answers 200)",
)
def task_report(request: HttpRequest, number: str, body: ReportIn) -> Status:
    user = _viewer(request, write=True)
    t = services.get_task(user, number)
    _report, created = services.report_progress(
        t, actor=user, text=body.text, percent=body.percent, finished=body.finished, client_key=body.client_key
    )
    t.refresh_from_db()
    return Status(201 if created else 200, _task_out(t, _today()))


class ReadIn(Schema):
    text: str = Field(max_length=2_000_000, description="the report's text (UTF-8; text extracted from a PDF is fine)")


class FigureOut(Schema):
    indicator: str
    value: float | None
    unit: str | None
    growth_pct: float | None
    year: int | None
    kind: str
    sentence: str


class TaskProposal(Schema):
    sentence: str
    heading: str
    year: int
    places: list[str]
    projects: list[str]
    department: str | None


class ReadingOut(Schema):
    figures: list[FigureOut]
    tasks: list[TaskProposal]


@router.post(
    "/supervision/read",
    response=ReadingOut,
    summary="Read a work report: the figures and tasks it states, proposed for review (nothing is saved)",
)
def read_report(request: HttpRequest, body: ReadIn) -> dict[str, Any]:
    user = _viewer(request, write=True)
    if not services.may_manage(user):
        raise Forbidden(gettext("只有督查员和领导可以读取工作报告"), code="forbidden_role")
    reading = reader.read(body.text)
    return {
        "figures": [{**f.as_json(), "sentence": f.sentence} for f in reading.figures],
        "tasks": [
            {
                "sentence": t.sentence,
                "heading": t.heading,
                "year": t.year,
                "places": t.places,
                "projects": t.projects,
                "department": t.department,
            }
            for t in reading.tasks
        ],
    }
