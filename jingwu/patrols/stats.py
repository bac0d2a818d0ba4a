"""Patrol figures for any period and slice: patrols, distance, hours, coverage, check-ins, findings and findings
closed — the report's "巡河 538 次，解决问题 59 个", and the grid workers' patrols for their evaluation.

A patrol counts once it has ended with a believable track, or a person has accepted its flagged one
(``Patrol.counts``); flagged patrols waiting for review or rejected are shown beside, never mixed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from jingwu.cases.choices import State
from jingwu.workcal.services import get_calendar

from .choices import PatrolState, Review
from .models import Finding, Patrol

SLICES = ("total", "person", "river", "section", "grid", "region", "month", "kind")
COUNTED = Q(state=PatrolState.ENDED, review__in=[Review.NONE, Review.ACCEPTED])
FLAGGED = Q(state=PatrolState.ENDED, review__in=[Review.PENDING, Review.REJECTED])
DONE = (State.CLOSED,)


def _keys(by: str, prefix: str = "") -> dict[str, Any]:
    p = prefix
    if by == "person":
        return {"key": F(f"{p}person_id"), "label": F(f"{p}person__name")}
    if by == "river":
        return {"key": F(f"{p}section__river__code"), "label": F(f"{p}section__river__name")}
    if by == "section":
        return {"key": F(f"{p}section__code"), "label": F(f"{p}section__name")}
    if by == "grid":
        return {"key": F(f"{p}grid__code"), "label": F(f"{p}grid__name")}
    if by == "region":
        # A grid patrol's village is its grid's; a river patrol's, its section's.
        return {
            "key": Coalesce(f"{p}grid__region__code", f"{p}section__region__code"),
            "label": Coalesce(f"{p}grid__region__name", f"{p}section__region__name"),
        }
    if by == "month":
        return {"key": TruncMonth(f"{p}started_at", tzinfo=get_calendar().tz)}
    return {"key": F(f"{p}kind")}  # by == "kind"


def figures(qs: QuerySet[Patrol], by: str = "total") -> list[dict[str, Any]]:
    """One row per slice value, in the slice's order."""
    if by not in SLICES:
        raise ValueError(by)
    measures = {
        "patrols": Count("id", filter=COUNTED),
        "flagged": Count("id", filter=FLAGGED),
        "active": Count("id", filter=Q(state=PatrolState.ACTIVE)),
        "distance_m": Sum("distance_m", filter=COUNTED),
        "duration_s": Sum("duration_s", filter=COUNTED),
        "coverage": Avg("coverage", filter=COUNTED),
        "checkpoints_due": Sum("checkpoints_due", filter=COUNTED),
        "checkpoints_met": Sum("checkpoints_met", filter=COUNTED),
    }
    findings = Finding.objects.filter(patrol__in=qs.values("pk")).order_by()
    counts = {"findings": Count("id"), "closed": Count("id", filter=Q(case__status__in=DONE))}
    if by == "total":  # one row for the whole selection (values() with no field would group by every field)
        row = {"key": None, "label": "", **qs.order_by().aggregate(**measures)}
        return [_row(row, findings.aggregate(**counts))]
    rows = qs.order_by().values(**_keys(by)).annotate(**measures)
    found = findings.values(**_keys(by, "patrol__")).annotate(**counts)
    by_key: dict[Any, dict[str, Any]] = {r.get("key"): dict(r) for r in found}
    out = []
    for r in rows:
        f: dict[str, Any] = by_key.pop(r.get("key"), {})
        out.append(_row(dict(r), f))
    for key, f in by_key.items():  # findings on patrols that do not count (flagged) still show
        out.append(_row({"key": key, "label": f.get("label")}, f))
    out.sort(key=lambda r: (r["key"] is None, str(r["key"])))
    return out


def _row(r: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
    key = r.get("key")
    if isinstance(key, datetime):
        key = key.strftime("%Y-%m")
    due = r.get("checkpoints_due") or 0
    return {
        "key": key,
        "label": r.get("label") or (str(key) if key is not None else ""),
        "patrols": r.get("patrols") or 0,
        "flagged": r.get("flagged") or 0,
        "active": r.get("active") or 0,
        "distance_km": round((r.get("distance_m") or 0) / 1000, 1),
        "hours": round((r.get("duration_s") or 0) / 3600, 1),
        "coverage": round(r["coverage"], 4) if r.get("coverage") is not None else None,
        "checkins": round((r.get("checkpoints_met") or 0) / due, 4) if due else None,
        "findings": f.get("findings", 0),
        "findings_closed": f.get("closed", 0),
    }


def period(qs: QuerySet[Patrol], start: datetime | None, end: datetime | None) -> QuerySet[Patrol]:
    if start is not None:
        qs = qs.filter(started_at__gte=start)
    if end is not None:
        qs = qs.filter(started_at__lt=end)
    return qs
