"""The ledgers: 隐患清单 (hazards by industry and type), 动态监管台账 (every place, overdue first) and the
figures the work report quotes ("检查 N 家次，整改隐患 M 处") for any period. Each is a fixed number of
queries whatever the size of the town (tests count them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from jingwu.cases.choices import State
from jingwu.lib import clock
from jingwu.workcal.services import get_calendar

from .choices import HazardType, Industry, Severity
from .models import Enterprise, Hazard, Inspection
from .services import PERSONAL as SEALED
from .services import with_tag

CLOSED_STATES = (State.CLOSED, State.VOIDED, State.MERGED)
OPEN = ~Q(status__in=CLOSED_STATES)


@dataclass
class Period:
    start: date | None = None
    end: date | None = None  # inclusive

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        tz = get_calendar().tz
        lo = datetime.combine(self.start, time.min, tzinfo=tz) if self.start else None
        # The end day is included; a far-off end (9999-12-31) means no end.
        hi = (
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
            if self.end and self.end < date.max
            else None
        )
        return lo, hi

    def within(self, field: str) -> Q:
        lo, hi = self.bounds()
        q = Q()
        if lo is not None:
            q &= Q(**{f"{field}__gte": lo})
        if hi is not None:
            q &= Q(**{f"{field}__lt": hi})
        return q


@dataclass
class HazardFilters:
    period: Period
    industry: str = ""
    hazard_type: str = ""
    level: str = ""
    grid: int | None = None
    state: str = ""  # open, closed, overdue
    enterprise: int | None = None


def hazards(f: HazardFilters, now: datetime | None = None) -> QuerySet[Hazard]:
    """The hazards found in the period that match; ``state`` narrows to open, closed or overdue now."""
    now = now or clock.now()
    qs = Hazard.objects.filter(f.period.within("found_at"))
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.hazard_type:
        qs = qs.filter(hazard_type=f.hazard_type)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.grid:
        qs = qs.filter(grid_id=f.grid)
    if f.enterprise:
        qs = qs.filter(enterprise_id=f.enterprise)
    if f.state == "open":
        qs = qs.filter(OPEN)
    elif f.state == "closed":
        qs = qs.filter(status=State.CLOSED)
    elif f.state == "overdue":
        qs = qs.filter(OPEN, rectify_by__lt=now)
    return qs


def hazard_rows(f: HazardFilters, now: datetime | None = None) -> QuerySet[Hazard]:
    """The hazards as the lists show them, newest first, with their place (its name: not its sealed contacts)
    and their case."""
    unread = [f"enterprise__{name}" for name in SEALED]
    return hazards(f, now).select_related("enterprise", "case").defer(*unread).order_by("-found_at", "-id")


def hazard_list(f: HazardFilters, now: datetime | None = None) -> dict[str, Any]:
    """隐患清单: one row per industry and hazard type with its counts, and the totals. One query."""
    now = now or clock.now()
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in hazards(f, now)
        .values("industry", "hazard_type")
        .annotate(
            total=Count("id"),
            major=Count("id", filter=Q(level=Severity.MAJOR)),
            open=Count("id", filter=OPEN),
            overdue=Count("id", filter=OPEN & Q(rectify_by__lt=now)),
            closed=Count("id", filter=Q(status=State.CLOSED)),
            closed_late=Count("id", filter=Q(status=State.CLOSED) & Q(closed_at__gt=F("rectify_by"))),
        )
        .order_by("industry", "hazard_type")
    ]
    industries, types = dict(Industry.choices), dict(HazardType.choices)
    totals = {k: 0 for k in ("total", "major", "open", "overdue", "closed", "closed_late")}
    for r in rows:
        r["industry_label"] = str(industries.get(r["industry"], r["industry"]))
        r["type_label"] = str(types.get(r["hazard_type"], r["hazard_type"]))
        for k in totals:
            totals[k] += r[k]
    return {"rows": rows, "totals": totals}


@dataclass
class PlaceFilters:
    q: str = ""
    industry: str = ""
    tag: str = ""
    risk: str = ""
    grid: int | None = None
    only: str = ""  # "open": places with open hazards; "overdue": with overdue ones; "never": never inspected


def places(f: PlaceFilters, now: datetime | None = None) -> QuerySet[Enterprise]:
    """动态监管台账: every place with its last inspection and its hazards, overdue first, then by the most open
    hazards, then those inspected longest ago (never first)."""
    now = now or clock.now()
    # The ledger shows no contacts: leave the sealed fields unread (and undecrypted), and the grid's boundary.
    qs = Enterprise.objects.filter(active=True).defer(*SEALED).annotate(grid_code=F("grid__code"))
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(credit_code=f.q.upper()))
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.risk:
        qs = qs.filter(risk=f.risk)
    if f.grid:
        qs = qs.filter(grid_id=f.grid)
    if f.tag:
        qs = with_tag(qs, f.tag)
    if f.only == "open":
        qs = qs.filter(open_hazards__gt=0)
    elif f.only == "overdue":
        qs = qs.filter(next_due__lt=now)
    elif f.only == "never":
        qs = qs.filter(last_inspected_at=None)
    # The earliest open deadline first: overdue places lead by themselves, then those due soonest; places with
    # nothing open follow (no deadline), the never inspected first. The (next_due, id) index serves the start.
    return qs.order_by(
        F("next_due").asc(nulls_last=True),
        "-open_hazards",
        F("last_inspected_at").asc(nulls_first=True),
        "id",
    )


def overdue_counts(place_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """How many of each place's open hazards are past their deadline (for one page of the ledger)."""
    now = now or clock.now()
    rows = (
        Hazard.objects.filter(OPEN, enterprise_id__in=place_ids, rectify_by__lt=now)
        .values("enterprise_id")
        .annotate(n=Count("id"))
    )
    return {r["enterprise_id"]: r["n"] for r in rows}


def figures(
    period: Period,
    now: datetime | None = None,
    found: dict[str, int] | None = None,
    where: HazardFilters | None = None,
) -> dict[str, int]:
    """The report's sentence for a period: inspections (家次), places inspected, hazards found and rectified
    (销号 in the period), of them major; and, as of now, open and overdue — of the places and hazards the
    filters choose (industry, hazard type, level, grid). One aggregate per question, four in all; three when
    the caller has counted what was found already."""
    now = now or clock.now()
    places = Q()
    kinds = Q()
    if where is not None:
        if where.industry:
            places &= Q(enterprise__industry=where.industry)
            kinds &= Q(industry=where.industry)
        if where.grid:
            places &= Q(enterprise__grid_id=where.grid)
            kinds &= Q(grid_id=where.grid)
        if where.enterprise:
            places &= Q(enterprise_id=where.enterprise)
            kinds &= Q(enterprise_id=where.enterprise)
        if where.hazard_type:
            kinds &= Q(hazard_type=where.hazard_type)
        if where.level:
            kinds &= Q(level=where.level)
    done = Inspection.objects.filter(period.within("at"), places).aggregate(
        inspections=Count("id"), places=Count("enterprise_id", distinct=True)
    )
    if found is None:
        found = Hazard.objects.filter(period.within("found_at"), kinds).aggregate(
            found=Count("id"), major=Count("id", filter=Q(level=Severity.MAJOR))
        )
    rectified = Hazard.objects.filter(period.within("closed_at"), kinds, status=State.CLOSED).count()
    standing = Hazard.objects.filter(OPEN, kinds).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(rectify_by__lt=now))
    )
    return {**done, **found, "rectified": rectified, **standing}
