"""/api/stats/: indicators by any slice, time per stage, scores and monthly rankings, the overview and the big
screen's data. Every count comes with the link to the case list it counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema

from jingwu.cases.models import Case
from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid
from jingwu.org.auth import require_user
from jingwu.org.choices import Role
from jingwu.org.services import has_role

from . import evaluation, figures
from . import indicators as ind

router = Router(tags=["stats"])

# Who reads the statistics: the command centre and the leaders, who may open the case lists every figure links
# to; each counts the cases they may see. The overview and the big screen (whole-territory rollups) are for the
# leaders, the shift leads and the administrators, as the overview page.
READERS = (Role.LEADER, Role.SHIFT_LEAD, Role.DISPATCHER, Role.OPERATOR, Role.ADMIN)
SCREEN = (Role.LEADER, Role.SHIFT_LEAD, Role.ADMIN)

Slice = Literal["", "region", "grid", "worker", "department", "category", "source", "kind"]
Subject = Literal["worker", "operator", "shift_lead", "dispatcher", "department", "region"]


def reader(request: HttpRequest, roles: tuple[str, ...] = READERS) -> Any:
    user = require_user(request)
    if not has_role(user, *roles):
        raise Forbidden(gettext("无权查看统计"), code="forbidden_role")
    return user


class Filters(Schema):
    from_: datetime | None = Field(
        None, alias="from", description="start (ISO 8601); this month's first day by default"
    )
    to: datetime | None = Field(None, description="end, exclusive (ISO 8601); now by default")
    region: str = Field("", description="village/community code")
    grid: str = Field("", description="grid code")
    worker: str = Field("", description="grid worker's username (the grids assigned to them)")
    department: str = Field("", description="department code")
    category: str = Field("", description="category, kind:code or code")
    source: str = Field("", description="source (grid_worker, public, hotline, …)")
    kind: str = Field("", description="case kind, the domain that raised it (event, hazard, alarm, patrol, petition …)")


class IndicatorQuery(Filters):
    by: Slice = Field("", description="the slice to group by; empty for the whole")


def _period(q: Filters) -> ind.Period:
    """The query's period in UTC (PostgreSQL refuses a zone more than 16 hours off, which ISO 8601 allows),
    between 1970 and 2100; a time without a zone is the town's."""
    now = clock.now()
    tz = ind.period_of(None, None, now).start.tzinfo

    def one(at: datetime | None, name: str) -> datetime | None:
        if at is None:
            return None
        at = at.replace(tzinfo=tz) if at.tzinfo is None else at
        if not 1970 <= at.year <= 2100:
            raise Invalid(gettext("时间不在允许范围内"), code="invalid_time", details={"field": name})
        return at.astimezone(UTC)

    p = ind.period_of(one(q.from_, "from"), one(q.to, "to"), now)
    if p.end <= p.start:
        raise Invalid(gettext("结束时间须晚于开始时间"), code="invalid_period")
    return p


def _filters(q: Filters) -> dict[str, str]:
    return {k: getattr(q, k) for k in ("region", "grid", "worker", "department", "category", "source", "kind")}


class MeasureOut(Schema):
    key: str
    label: str


class IndicatorDef(Schema):
    key: str
    label: str
    num: str
    den: str
    lower_is_better: bool


class Row(Schema):
    key: str = Field(description="the slice's value (code, username …); empty for the whole")
    name: str
    counts: dict[str, int]
    links: dict[str, str] = Field(description="measure → the case list of exactly the cases counted")
    rates: dict[str, float | None] = Field(description="indicator → percent, null when nothing was due")


class IndicatorsOut(Schema):
    start: datetime
    end: datetime
    by: str
    measures: list[MeasureOut]
    indicators: list[IndicatorDef]
    rows: list[Row]


def measures_out() -> list[dict[str, str]]:
    return [{"key": m.key, "label": str(m.label)} for m in ind.MEASURES.values()]


def indicators_out() -> list[dict[str, Any]]:
    return [
        {"key": i.key, "label": str(i.label), "num": i.num, "den": i.den, "lower_is_better": i.lower_is_better}
        for i in ind.INDICATORS.values()
    ]


@router.get("/stats/indicators", response=IndicatorsOut, summary="Every indicator for a period and a slice")
def indicators(request: HttpRequest, q: Query[IndicatorQuery]) -> dict[str, Any]:
    user = reader(request)
    p = _period(q)
    table = ind.count(Case.objects.visible_to(user), p, q.by, _filters(q))
    return {
        "start": p.start,
        "end": p.end,
        "by": q.by,
        "measures": measures_out(),
        "indicators": indicators_out(),
        "rows": ind.indicator_rows(table),
    }


class StageOut(Schema):
    key: str
    label: str
    count: int
    mean_hours: float | None = Field(description="mean working hours in the stage")
    p90_hours: float | None = Field(description="90th percentile, working hours")


@router.get("/stats/stages", response=list[StageOut], summary="Time per stage, in working hours")
def stages(request: HttpRequest, q: Query[Filters]) -> list[dict[str, Any]]:
    user = reader(request)
    period = _period(q)
    if period.end - period.start > timedelta(days=ind.STAGE_DAYS):
        raise Invalid(
            gettext("各环节用时一次最多统计%(days)s天") % {"days": ind.STAGE_DAYS},
            code="period_too_long",
            details={"max_days": ind.STAGE_DAYS},
        )
    return ind.stage_times(Case.objects.visible_to(user), period, _filters(q))


class PartOut(Schema):
    key: str
    label: str
    weight: float
    rate: float | None
    num: int
    den: int
    num_link: str
    den_link: str


class ScoreOut(Schema):
    key: str
    name: str
    score: float | None = Field(description="0–100")
    grade: str = Field(description="A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below; — when nothing was counted")
    rank: int | None
    parts: list[PartOut]


class ScoreQuery(Schema):
    subject: Subject = "worker"
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = None


@router.get("/stats/scores", response=list[ScoreOut], summary="Evaluation scores and grades for a period")
def scores(request: HttpRequest, q: Query[ScoreQuery]) -> list[dict[str, Any]]:
    user = reader(request)
    period = _period(Filters.model_validate({"from": q.from_, "to": q.to}))
    return evaluation.scores(user, q.subject, period)


class RankingQuery(Schema):
    subject: Subject = "worker"
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; this month by default")


class RankingOut(Schema):
    subject: str
    month: str
    weights: dict[str, float]
    entries: list[ScoreOut]


@router.get("/stats/rankings", response=RankingOut, summary="A month's ranking of one kind of subject")
def rankings(request: HttpRequest, q: Query[RankingQuery]) -> dict[str, Any]:
    user = reader(request)
    period = evaluation.month_period(q.month, clock.now())
    return {
        "subject": q.subject,
        "month": period.start.strftime("%Y-%m"),
        "weights": evaluation.scheme()[q.subject],
        "entries": evaluation.scores(user, q.subject, period),
    }


@router.get("/stats/overview", summary="The leader's overview: today, this month, this year")
def overview(request: HttpRequest) -> dict[str, Any]:
    reader(request, SCREEN)
    return figures.overview_shared()


@router.get("/stats/screen", summary="The big screen's data (refresh every 30 s)")
def screen(request: HttpRequest) -> dict[str, Any]:
    user = reader(request, SCREEN)
    return figures.screen_shared(user)
