"""/api/patrols/: start, track, end and findings of a patrol; statistics; the rivers and their sections.

A phone names a patrol by the key it chose when it started (it may start without signal), so every path that
takes ``{ref}`` accepts the patrol's id or that key. Track points come in batches, each with its own key: a
batch sent twice is stored once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from jingwu.cases import serializers
from jingwu.cases.api import _body_doc, _parse_body
from jingwu.lib import clock
from jingwu.lib.errors import Invalid, NotFound
from jingwu.org.actors import resolve
from jingwu.org.auth import require_user

from . import services, stats
from .choices import Flag
from .models import Patrol, RiverChief, Section

router = Router(tags=["patrols"])


class StartIn(Schema):
    kind: Literal["river", "grid"]
    section: str | None = Field(None, max_length=40, description="section id or code (a river patrol)")
    grid: str | None = Field(None, max_length=40, description="grid id or 15-digit code (a grid patrol)")
    client_key: str = Field(..., min_length=1, max_length=64, description="the phone's own name for the patrol")
    started_at: datetime | None = None
    note: str = Field("", max_length=500)


class TrackIn(Schema):
    key: str = Field(..., min_length=1, max_length=80, description="the batch's key: a resend is stored once")
    points: list[Any] | None = Field(
        None, description="[{at, lon, lat, accuracy}] or [[epoch s, lon, lat, accuracy]]", max_length=5000
    )
    track: dict[str, Any] | None = Field(
        None, description="GeoJSON LineString, or a Feature with one, its times in properties.times"
    )
    times: list[Any] | None = Field(None, description="one time per LineString coordinate", max_length=5000)


class EndIn(Schema):
    ended_at: datetime | None = None
    note: str | None = Field(None, max_length=500)


class ReviewIn(Schema):
    accept: bool
    note: str = Field("", max_length=500)


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(..., max_length=4000)
    lon: float | None = None
    lat: float | None = None
    category: str | None = Field(None, max_length=32)
    address: str = Field("", max_length=200)
    client_key: str | None = Field(None, max_length=64)


class StatsQuery(Schema):
    by: Literal["total", "person", "river", "section", "grid", "region", "month", "kind"] = "total"
    kind: Literal["river", "grid"] | None = None
    start: datetime | None = Field(None, alias="from")
    end: datetime | None = Field(None, alias="to")
    person: int | None = None


class ListQuery(Schema):
    kind: Literal["river", "grid"] | None = None
    person: int | None = None
    start: datetime | None = Field(None, alias="from")
    end: datetime | None = Field(None, alias="to")
    flagged: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _t(at: datetime | None) -> str | None:
    return timezone.localtime(at).isoformat() if at is not None else None


def patrol_json(p: Patrol) -> dict[str, Any]:
    target = p.target
    return {
        "id": p.pk,
        "client_key": p.client_key,
        "kind": p.kind,
        "kind_label": p.get_kind_display(),
        "person": {"id": p.person_id, "name": p.person.name},
        "section": {"code": p.section.code, "name": str(p.section)} if p.section_id and p.section else None,
        "grid": {"code": p.grid.code, "name": p.grid.name} if p.grid_id and p.grid else None,
        "target": getattr(target, "code", None),
        "state": p.state,
        "started_at": _t(p.started_at),
        "ended_at": _t(p.ended_at),
        "points": p.points,
        "distance_m": p.distance_m,
        "duration_s": p.duration_s,
        "coverage": p.coverage,
        "checkpoints_due": p.checkpoints_due,
        "checkpoints_met": p.checkpoints_met,
        "flags": [{**f, "label": str(Flag(f["code"]).label)} for f in p.flags if f.get("code") in Flag.values],
        "review": p.review,
        "counts": p.counts,
        "note": p.note,
    }


def _span(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """A period from the query, in UTC (PostgreSQL refuses a zone more than 16 hours off, which ISO 8601 allows),
    between 1970 and 2100; a time without a zone is the town's."""

    def one(at: datetime | None, name: str) -> datetime | None:
        if at is None:
            return None
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if not 1970 <= at.year <= 2100:
            raise Invalid(gettext("时间不在允许范围内"), code="invalid_time", details={"field": name})
        return at.astimezone(UTC)

    return one(start, "from"), one(end, "to")


def _visible(user: Any, ref: str) -> Patrol:
    qs = services.visible_patrols(user)
    p = qs.filter(pk=int(ref)).first() if services.is_id(ref) else None
    if p is None:
        acting = resolve(user)
        p = qs.filter(person=acting.person, client_key=ref[:64]).first() if acting.person else None
    if p is None:
        raise NotFound(gettext("巡查记录不存在"))
    return p


@router.get("/patrols/targets", summary="What this person may patrol: river sections (a chief) and own grids")
def targets(request: HttpRequest) -> dict[str, Any]:
    user = require_user(request)
    person = resolve(user).person
    return {
        "sections": [
            {"id": s.pk, "code": s.code, "name": str(s), "length_m": s.length_m, "geometry": s.geometry}
            for s in services.sections_of(person)
        ],
        "grids": [
            {"id": g.pk, "code": g.code, "name": g.name, "geometry": g.geometry} for g in services.grids_of(person)
        ],
    }


@router.get("/patrols/stats", summary="Patrols, distance, hours, coverage, findings and findings closed, by slice")
def patrol_stats(request: HttpRequest, q: Query[StatsQuery]) -> dict[str, Any]:
    user = require_user(request)
    qs = stats.period(services.visible_patrols(user), *_span(q.start, q.end))
    if q.kind:
        qs = qs.filter(kind=q.kind)
    if q.person:
        qs = qs.filter(person_id=q.person)
    return {"by": q.by, "from": q.start, "to": q.end, "rows": stats.figures(qs, q.by)}


@router.get("/patrols/rivers", summary="Rivers and sections as GeoJSON, with their chiefs")
def rivers(request: HttpRequest) -> dict[str, Any]:
    require_user(request)
    chiefs: dict[int, list[dict[str, Any]]] = {}
    town: dict[int, list[dict[str, Any]]] = {}
    for c in RiverChief.objects.select_related("person"):
        row = {"name": c.person.name, "level": c.level}
        (chiefs.setdefault(c.section_id, []) if c.section_id else town.setdefault(c.river_id, [])).append(row)
    features = [
        {
            "type": "Feature",
            "geometry": s.geometry,
            "properties": {
                "code": s.code,
                "name": s.name,
                "river_code": s.river.code,
                "river_name": s.river.name,
                "length_m": s.length_m,
                "chiefs": town.get(s.river_id, []) + chiefs.get(s.pk, []),
            },
        }
        for s in Section.objects.select_related("river")
    ]
    return {"type": "FeatureCollection", "features": features}


@router.post(
    "/patrols/rivers/import",
    summary="Import rivers and sections (GeoJSON LineString features)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def import_rivers(request: HttpRequest) -> dict[str, int]:
    user = require_user(request, write=True)
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise Invalid(gettext("请求体不是有效的JSON"), code="invalid_json") from exc
    return services.import_rivers(body, actor=user)


@router.post("/patrols", response={200: dict, 201: dict}, summary="Start a patrol (idempotent by client_key)")
def start(request: HttpRequest, body: StartIn) -> Any:
    user = require_user(request, write=True)
    p, created = services.start(
        actor=user,
        kind=body.kind,
        section=body.section,
        grid=body.grid,
        client_key=body.client_key,
        started_at=body.started_at,
        note=body.note,
    )
    return Status(201 if created else 200, patrol_json(p))


@router.get("/patrols", summary="Patrols this user may see (their own; all for the command centre and leaders)")
def list_patrols(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    user = require_user(request)
    qs = stats.period(services.visible_patrols(user), *_span(q.start, q.end))
    if q.kind:
        qs = qs.filter(kind=q.kind)
    if q.person:
        qs = qs.filter(person_id=q.person)
    if q.flagged is True:
        qs = qs.exclude(flags=[])
    elif q.flagged is False:
        qs = qs.filter(flags=[])
    total = qs.count()
    return {"count": total, "results": [patrol_json(p) for p in qs[q.offset : q.offset + q.limit]]}


@router.get("/patrols/{ref}", summary="A patrol with its track (GeoJSON) and findings")
def detail(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = require_user(request)
    p = _visible(user, ref)
    rows = services.track(p)
    rows.sort(key=lambda r: r[0])
    out = patrol_json(p)
    out["track"] = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[r[1], r[2]] for r in rows]},
        "properties": {"times": [_t(datetime.fromtimestamp(r[0], tz=UTC)) for r in rows]},
    }
    out["checkins"] = [
        {"checkpoint": c.checkpoint.name, "at": _t(c.at)}
        for c in p.checkins.select_related("checkpoint").order_by("at")
    ]
    out["findings"] = [
        {"number": f.case.number, "status": f.case.status, "status_label": f.case.get_status_display(), "at": _t(f.at)}
        for f in p.findings.select_related("case")
    ]
    return out


def _track_points(body: TrackIn) -> list[Any]:
    if body.points is not None:
        return body.points
    track = body.track
    if not isinstance(track, dict):
        raise Invalid(gettext("须提供points或track"), code="points_required")
    times = body.times
    if track.get("type") == "Feature":
        props = track.get("properties") or {}
        if not isinstance(props, dict):
            raise Invalid(gettext("轨迹须为GeoJSON LineString"), code="invalid_geometry")
        times = times or props.get("times") or props.get("coordTimes")
        track = track.get("geometry") or {}
    if (
        not isinstance(track, dict)
        or track.get("type") != "LineString"
        or not isinstance(track.get("coordinates"), list)
    ):
        raise Invalid(gettext("轨迹须为GeoJSON LineString"), code="invalid_geometry")
    coords = track["coordinates"]
    if not isinstance(times, list) or len(times) != len(coords):
        raise Invalid(gettext("LineString须为每个坐标提供时间（times）"), code="times_required")
    out = []
    for c, t in zip(coords, times, strict=True):
        if not isinstance(c, list) or len(c) < 2:
            raise Invalid(gettext("轨迹坐标格式无效"), code="invalid_point")
        out.append({"at": t, "lon": c[0], "lat": c[1]})
    return out


@router.post("/patrols/{ref}/track", response={200: dict, 201: dict}, summary="Add a batch of track points")
def add_track(request: HttpRequest, ref: str, body: TrackIn) -> Any:
    user = require_user(request, write=True)
    batch, created = services.add_points(actor=user, patrol=ref, key=body.key, points=_track_points(body))
    return Status(201 if created else 200, {"key": batch.key, "count": batch.count, "created": created})


@router.post("/patrols/{ref}/end", summary="End a patrol: its track is measured (idempotent)")
def end(request: HttpRequest, ref: str, body: EndIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    return patrol_json(services.end(actor=user, patrol=ref, ended_at=body.ended_at, note=body.note))


@router.post("/patrols/{ref}/review", summary="Accept or reject a flagged track (shift lead, leader)")
def review(request: HttpRequest, ref: str, body: ReviewIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    if not services.is_id(ref):
        raise NotFound(gettext("巡查记录不存在"))
    p = services.visible_patrols(user).filter(pk=int(ref)).first()
    if p is None:
        raise NotFound(gettext("巡查记录不存在"))
    return patrol_json(services.review(actor=user, patrol=p, accept=body.accept, note=body.note))


@router.post(
    "/patrols/{ref}/findings",
    response={200: dict, 201: dict},
    openapi_extra=_body_doc(FindingIn),
    summary="Report a problem found on the patrol: a case in the loop (JSON, or multipart with photos)",
)
def finding(request: HttpRequest, ref: str) -> Any:
    user = require_user(request, write=True)
    body, files = _parse_body(request, FindingIn)
    result = services.report_finding(
        actor=user,
        patrol=ref,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        category=body.category,
        address=body.address,
        photos=files,
        client_key=body.client_key,
    )
    case = result.finding.case
    payload = {"case": serializers.staff_case(case, clock.now()), "created": result.created, "patrol": ref}
    return Status(201 if result.created else 200, payload)
