"""The only writers of patrols and rivers: start, track, end, findings into the case loop, review of a flagged
track, the river registry and its GeoJSON import."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.cases import services as cases
from jingwu.cases.models import Category
from jingwu.geo.models import Grid, Region
from jingwu.geo.services import locate
from jingwu.lib import clock
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.org.actors import Acting, resolve
from jingwu.org.choices import Role
from jingwu.org.models import GridAssignment, Person

from . import geometry
from .choices import ChiefLevel, PatrolKind, PatrolState, Review
from .models import CheckIn, Checkpoint, Finding, Patrol, River, RiverChief, Section, TrackBatch

RIVER_CATEGORY = ("matter", "90004")  # 河湖问题: what a river patrol finds
PATROLLERS = frozenset({Role.GRID_WORKER, Role.RIVER_CHIEF})
# Who looks at a flagged track and accepts or rejects it, and who keeps the river registry.
REVIEWERS = frozenset({Role.SHIFT_LEAD, Role.LEADER})
EDITORS = frozenset({Role.SHIFT_LEAD, Role.LEADER, Role.ADMIN})
# Who sees every patrol; everyone else sees their own.
SEE_ALL = frozenset({Role.SHIFT_LEAD, Role.LEADER, Role.DISPATCHER, Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR})
MAX_BATCH = 5000
# A phone without signal keeps its track for days; older points than this are not a live patrol.
MAX_AGE = timedelta(days=7)
SKEW = timedelta(minutes=10)  # a phone's clock may run ahead of the server's by this much


def limits() -> geometry.Limits:
    return geometry.Limits(
        reach_m=float(settings.JINGWU_PATROL_REACH_M),
        max_speed=float(settings.JINGWU_PATROL_MAX_KMH) / 3.6,
        outside_m=float(settings.JINGWU_PATROL_OUTSIDE_M),
    )


def grid_limits() -> geometry.Limits:
    base = limits()
    return geometry.Limits(
        reach_m=float(settings.JINGWU_PATROL_GRID_REACH_M), max_speed=base.max_speed, outside_m=base.outside_m
    )


# --- who may patrol what ---------------------------------------------------------------------------------


def sections_of(person: Person | None) -> QuerySet[Section]:
    """The sections a river chief answers for: a village chief's own, a town chief's whole rivers."""
    if person is None:
        return Section.objects.none()
    chiefs = RiverChief.objects.filter(person=person)
    return Section.objects.filter(
        Q(pk__in=chiefs.filter(level=ChiefLevel.VILLAGE).values("section_id"))
        | Q(river_id__in=chiefs.filter(level=ChiefLevel.TOWN).values("river_id"))
    ).select_related("river")


def grids_of(person: Person | None) -> QuerySet[Grid]:
    if person is None:
        return Grid.objects.none()
    return Grid.objects.filter(pk__in=GridAssignment.objects.filter(person=person).values("grid_id"))


def visible_patrols(user: Any) -> QuerySet[Patrol]:
    acting = resolve(user)
    # Lists name the section or grid; their geometry (loaded only where a map needs it) would be parsed per row.
    qs = Patrol.objects.select_related("person", "section__river", "grid").defer("section__geometry", "grid__geometry")
    if any(r in SEE_ALL for r in acting.roles):
        return qs
    if acting.person is None:
        return qs.none()
    return qs.filter(person=acting.person)


def _patroller(actor: Any) -> tuple[Acting, Person]:
    acting = resolve(actor)
    if acting.role_for(PATROLLERS) is None or acting.person is None:
        raise Forbidden(gettext("只有网格员和河长可以巡查"), code="forbidden_role")
    return acting, acting.person


def own_patrol(actor: Any, ref: Any, *, for_update: bool = False) -> Patrol:
    """One of the actor's own patrols, by id or by the key the phone gave it when it started."""
    acting = resolve(actor)
    if acting.person is None:
        raise NotFound(gettext("巡查记录不存在"))
    ref = str(ref.pk if isinstance(ref, Patrol) else ref).strip()
    qs = Patrol.objects.select_for_update() if for_update else Patrol.objects.all()
    qs = qs.filter(person=acting.person)
    found = qs.filter(pk=int(ref)).first() if is_id(ref) else qs.filter(client_key=ref[:64]).first()
    if found is None:
        raise NotFound(gettext("巡查记录不存在"))
    return found


def is_id(ref: str) -> bool:
    """An id, not a key: ASCII digits only (``"²".isdigit()`` is true, and ``int("²")`` fails), and a key is
    never all digits (``start`` refuses one), so the two never meet."""
    return ref.isascii() and ref.isdigit() and len(ref) < 19


def _when(value: Any, name: str) -> datetime:
    """A time from the phone: epoch seconds (or milliseconds) or ISO 8601 with a zone."""
    if isinstance(value, bool):
        raise Invalid(gettext("时间格式无效"), code="invalid_time", details={"field": name})
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise Invalid(gettext("时间格式无效"), code="invalid_time", details={"field": name})
        secs = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(secs, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise Invalid(gettext("时间格式无效"), code="invalid_time", details={"field": name}) from exc
    at: datetime | None
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = parse_datetime(str(value)) if value not in (None, "") else None
        except ValueError:
            at = None
    if at is None or at.tzinfo is None:
        raise Invalid(gettext("时间格式无效（须带时区）"), code="invalid_time", details={"field": name})
    try:
        # In UTC: ISO 8601 allows zones PostgreSQL refuses (more than 16 hours off).
        return at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise Invalid(gettext("时间格式无效"), code="invalid_time", details={"field": name}) from exc


def _recent(at: datetime, now: datetime, name: str) -> datetime:
    if at > now + SKEW or at < now - MAX_AGE:
        raise Invalid(
            gettext("时间不在允许范围内（最近7天内，且不晚于当前时间）"),
            code="time_out_of_range",
            details={"field": name},
        )
    return at


# --- a patrol --------------------------------------------------------------------------------------------


def start(
    *,
    actor: Any,
    kind: str,
    section: Any = None,
    grid: Any = None,
    client_key: str,
    started_at: Any = None,
    note: str = "",
) -> tuple[Patrol, bool]:
    """Start a patrol of a river section (a chief's) or of the person's own grid. A retry with the same key
    returns the first patrol."""
    acting, person = _patroller(actor)
    key = (client_key or "").strip()
    if not key or len(key) > 64 or key.isdigit():
        raise Invalid(gettext("客户端标识必填，最长64个字符，不能全为数字"), code="invalid_key")
    existing = Patrol.objects.filter(person=person, client_key=key).first()
    if existing is not None:
        return existing, False
    now = clock.now()
    at = _recent(_when(started_at, "started_at"), now, "started_at") if started_at not in (None, "") else now
    note = textlib.check(str(note or "").strip(), "note")[:500]
    target_section = target_grid = None
    if kind == PatrolKind.RIVER:
        target_section = sections_of(person).filter(**_ref(section)).first()
        if target_section is None:
            raise Forbidden(gettext("只能巡查自己负责的河段"), code="not_your_section")
    elif kind == PatrolKind.GRID:
        target_grid = grids_of(person).filter(**_ref(grid)).first()
        if target_grid is None:
            raise Forbidden(gettext("只能巡查自己负责的网格"), code="not_your_grid")
    else:
        raise Invalid(gettext("巡查类型只能是巡河或网格巡查"), code="invalid_kind")
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                kind=kind,
                person=person,
                section=target_section,
                grid=target_grid,
                client_key=key,
                started_at=at,
                note=note,
                updated_at=now,
            )
            audit.record(
                "patrol.start",
                "patrol",
                patrol.pk,
                actor=acting.user,
                role=acting.role_for(PATROLLERS) or "",
                data={"kind": kind, "target": (target_section or target_grid).code},  # type: ignore[union-attr]
            )
    except IntegrityError:
        return Patrol.objects.get(person=person, client_key=key), False
    return patrol, True


def _ref(value: Any) -> dict[str, Any]:
    """A section or grid named by id or by code."""
    text = str(getattr(value, "pk", value) or "").strip()
    if not text:
        raise Invalid(gettext("请选择巡查的河段或网格"), code="target_required")
    return {"pk": int(text)} if is_id(text) and len(text) < 10 else {"code": text[:40]}


def _points(raw: Any, patrol: Patrol, now: datetime) -> list[list[float]]:
    """Validate a batch: ``[{at, lon, lat, accuracy?}]`` or ``[[t, lon, lat, acc?]]``; every point or none."""
    if not isinstance(raw, list) or not raw:
        raise Invalid(gettext("轨迹点不能为空"), code="points_required")
    if len(raw) > MAX_BATCH:
        raise Invalid(
            gettext("每批最多%(n)s个轨迹点") % {"n": MAX_BATCH}, code="too_many_points", details={"max": MAX_BATCH}
        )
    earliest = patrol.started_at - SKEW
    out: list[list[float]] = []
    for i, p in enumerate(raw):
        try:
            if isinstance(p, dict):
                t, lon, lat, acc = p.get("at"), p.get("lon"), p.get("lat"), p.get("accuracy", 0)
            elif isinstance(p, list | tuple) and len(p) in (3, 4):
                t, lon, lat = p[0], p[1], p[2]
                acc = p[3] if len(p) == 4 else 0
            else:
                raise TypeError
            if any(isinstance(v, bool) for v in (lon, lat, acc)):
                raise TypeError  # JSON true/false are not coordinates, whatever float() makes of them
            lon, lat, acc = float(lon), float(lat), float(acc or 0)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise Invalid(
                gettext("第%(i)s个轨迹点格式无效") % {"i": i + 1}, code="invalid_point", details={"index": i}
            ) from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise Invalid(gettext("第%(i)s个轨迹点坐标无效") % {"i": i + 1}, code="invalid_point", details={"index": i})
        at = _when(t, f"points[{i}].at")
        if at < earliest or at > now + SKEW:
            raise Invalid(
                gettext("第%(i)s个轨迹点的时间不在巡查时间内") % {"i": i + 1},
                code="point_out_of_time",
                details={"index": i},
            )
        out.append([at.timestamp(), lon, lat, max(0.0, min(acc, 10_000.0)) if math.isfinite(acc) else 0.0])
    return out


def add_points(*, actor: Any, patrol: Any, key: str, points: Any) -> tuple[TrackBatch, bool]:
    """Store one batch of track points. The batch key makes a resend (its answer lost) a no-op; points after
    the patrol ended (a phone that sends late) are kept and the measures taken again."""
    acting = resolve(actor)
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise Invalid(gettext("批次标识必填，最长80个字符"), code="invalid_key")
    p = patrol if isinstance(patrol, Patrol) else own_patrol(actor, patrol)
    now = clock.now()
    rows = _points(points, p, now)
    times = [r[0] for r in rows]
    existing = TrackBatch.objects.filter(patrol=p, key=key).first()
    if existing is not None:
        return _same(existing, rows), False
    try:
        with transaction.atomic():
            # Locked before its state is read: an ``end`` committing meanwhile would measure without this batch.
            p = Patrol.objects.select_for_update().get(pk=p.pk)
            batch = TrackBatch.objects.create(
                patrol=p,
                key=key,
                first_at=datetime.fromtimestamp(min(times), tz=UTC),
                last_at=datetime.fromtimestamp(max(times), tz=UTC),
                count=len(rows),
                data=rows,
                received_at=now,
            )
            if p.state == PatrolState.ENDED:
                _measure(p, now)
            else:
                Patrol.objects.filter(pk=p.pk).update(updated_at=now)
    except IntegrityError:
        return _same(TrackBatch.objects.get(patrol=p, key=key), rows), False
    del acting
    return batch, True


def _same(batch: TrackBatch, rows: list[list[float]]) -> TrackBatch:
    """A batch sent again is the same batch; different points under a key already used are a client's bug that
    would lose them silently, so they are refused."""
    if batch.count != len(rows) or [r[0] for r in batch.data] != [r[0] for r in rows]:
        raise Conflict(gettext("批次标识已用于另一批轨迹点"), code="batch_key_reused", details={"key": batch.key})
    return batch


def end(*, actor: Any, patrol: Any, ended_at: Any = None, note: str | None = None) -> Patrol:
    """End a patrol and measure its track. Ending it again changes nothing."""
    acting = resolve(actor)
    now = clock.now()
    with transaction.atomic():
        p = own_patrol(actor, patrol, for_update=True)
        if p.state == PatrolState.ENDED:
            return p
        at = _recent(_when(ended_at, "ended_at"), now, "ended_at") if ended_at not in (None, "") else now
        if at < p.started_at:
            raise Invalid(gettext("结束时间不能早于开始时间"), code="ended_before_start")
        p.ended_at = at
        p.state = PatrolState.ENDED
        if note is not None:
            p.note = textlib.check(str(note).strip(), "note")[:500]
        _measure(p, now)
        audit.record(
            "patrol.end",
            "patrol",
            p.pk,
            actor=acting.user,
            role=acting.role_for(PATROLLERS) or "",
            data={"distance_m": round(p.distance_m), "coverage": round(p.coverage, 4), "flags": p.flags},
        )
    return p


def track(p: Patrol) -> list[list[float]]:
    rows: list[list[float]] = []
    for data in TrackBatch.objects.filter(patrol=p).order_by("first_at", "id").values_list("data", flat=True):
        rows.extend(data)
    return rows


def _measure(p: Patrol, now: datetime) -> None:
    """Take the measures of a patrol from its whole track (inside the caller's transaction, row locked)."""
    target = p.target
    assert target is not None
    geom = geometry.target_geometry(target.geometry)
    cps = list(Checkpoint.objects.filter(section=p.section) if p.section_id else Checkpoint.objects.filter(grid=p.grid))
    # Points from before the start or after the end (a phone left recording, a late batch of another walk) are
    # kept as sent but not measured.
    low = (p.started_at - SKEW).timestamp()
    high = ((p.ended_at or now) + SKEW).timestamp()
    m = geometry.measure(
        [r for r in track(p) if low <= r[0] <= high],
        geom,
        limits() if p.kind == PatrolKind.RIVER else grid_limits(),
        [(c.pk, c.lon, c.lat, float(c.radius_m)) for c in cps],
    )
    p.points = m.points
    p.distance_m = round(m.distance_m, 1)
    p.coverage = round(m.coverage, 4)
    p.duration_s = int(((p.ended_at or now) - p.started_at).total_seconds())
    p.checkpoints_due = len(cps)
    p.checkpoints_met = len(m.checkins)
    p.flags = m.flags
    if p.review not in (Review.ACCEPTED, Review.REJECTED):
        p.review = Review.PENDING if m.flags else Review.NONE
    p.updated_at = now
    p.save()
    CheckIn.objects.filter(patrol=p).delete()
    CheckIn.objects.bulk_create(
        CheckIn(patrol=p, checkpoint_id=cid, at=datetime.fromtimestamp(t, tz=UTC)) for cid, t in m.checkins
    )


def review(*, actor: Any, patrol: Patrol, accept: bool, note: str = "") -> Patrol:
    """A person's word on a flagged track: accepted, it counts; rejected, it does not."""
    acting = resolve(actor)
    role = acting.role_for(REVIEWERS)
    if role is None:
        raise Forbidden(gettext("只有值班长和领导可以审核巡查轨迹"), code="forbidden_role")
    note = textlib.check(str(note or "").strip(), "note")[:500]
    if not accept and not note:
        raise Invalid(gettext("审核不通过须说明原因"), code="reason_required")
    with transaction.atomic():
        p = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if p.state != PatrolState.ENDED or not p.flags:
            raise Invalid(gettext("只有已结束且有异常的巡查需要审核"), code="nothing_to_review")
        p.review = Review.ACCEPTED if accept else Review.REJECTED
        p.reviewed_by = acting.person
        p.review_note = note
        p.updated_at = clock.now()
        p.save()
        audit.record(
            "patrol.review", "patrol", p.pk, actor=acting.user, role=role, data={"accept": accept, "note": note}
        )
    return p


@dataclass
class FoundResult:
    finding: Finding
    created: bool


def report_finding(
    *,
    actor: Any,
    patrol: Any,
    description: str,
    lon: float | None,
    lat: float | None,
    category: Any = None,
    photos: Any = (),
    client_key: str | None = None,
    address: str = "",
) -> FoundResult:
    """A problem found on a patrol becomes a case in the loop: a river patrol's in 河湖问题, a grid patrol's in
    any category. A river chief's finding starts at 待立案 (what the chief saw is verified); a grid worker's in
    their own grid does so by the loop's own rule."""
    acting, person = _patroller(actor)
    p = patrol if isinstance(patrol, Patrol) else own_patrol(actor, patrol)
    if lon is None or lat is None:
        raise Invalid(gettext("请在地图上标出问题位置"), code="location_required")
    if p.kind == PatrolKind.RIVER:
        kind, code = RIVER_CATEGORY
        category = Category.objects.filter(kind=kind, code=code).first()
    start = reason = None
    if p.kind == PatrolKind.RIVER and Role.RIVER_CHIEF in acting.roles:
        start, reason = "to_file", gettext("河长巡河发现")
    with transaction.atomic():
        result = cases.report_case(
            actor=actor,
            description=description,
            lon=lon,
            lat=lat,
            category=category,
            address=address,
            photos=photos,
            client_key=client_key,
            start=start,
            start_reason=reason or "",
        )
        finding, made = Finding.objects.get_or_create(
            case=result.case, defaults={"patrol": p, "at": result.case.reported_at}
        )
        if made:
            Patrol.objects.filter(pk=p.pk).update(updated_at=clock.now())
    del person
    return FoundResult(finding, result.created)


# --- rivers ----------------------------------------------------------------------------------------------


def _line(raw: Any, where: str) -> dict[str, Any]:
    from shapely.geometry import shape

    if not isinstance(raw, dict) or raw.get("type") not in ("LineString", "MultiLineString"):
        raise Invalid(gettext("%(where)s：河段走向须为LineString") % {"where": where}, code="invalid_geometry")
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several kinds on malformed coordinates
        raise Invalid(gettext("%(where)s：坐标无效") % {"where": where}, code="invalid_geometry") from exc
    if geom.is_empty or geom.length == 0:
        raise Invalid(gettext("%(where)s：河段走向为空") % {"where": where}, code="invalid_geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid(gettext("%(where)s：坐标超出范围") % {"where": where}, code="invalid_geometry")
    return {"type": raw["type"], "coordinates": raw["coordinates"]}


def save_section(
    *, river: River, code: str, name: str, geometry_json: dict[str, Any], region: Region | None = None
) -> tuple[Section, bool]:
    from shapely.geometry import shape

    geom = _line(geometry_json, code)
    line = shape(geom)
    mid = line.interpolate(0.5, normalized=True)
    here = locate(mid.x, mid.y)
    if here is None:
        raise Invalid(gettext("%(where)s：河段不在辖区内") % {"where": code}, code="outside_territory")
    grid = Grid.objects.filter(code=here.grid_code).first()
    values = {
        "river": river,
        "name": name,
        "geometry": geom,
        "length_m": round(geometry.line_length_m(geom), 1),
        "region": region or (grid.region if grid else None),
        "grid": grid,
    }
    return Section.objects.update_or_create(code=code, defaults=values)


def import_rivers(data: Any, *, actor: Any) -> dict[str, int]:
    """Rivers and sections from GeoJSON: each LineString feature a section, with properties ``river_code``,
    ``river_name``, ``code`` and ``name``. All or nothing; a section with a known code is updated."""
    acting = resolve(actor)
    role = acting.role_for(EDITORS)
    if role is None:
        raise Forbidden(gettext("无权维护河道"), code="forbidden_role")
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise Invalid(gettext("须为GeoJSON FeatureCollection"), code="invalid_geojson")
    made = updated = 0
    rivers: set[str] = set()
    with transaction.atomic():
        for i, f in enumerate(data["features"]):
            where = gettext("第%(i)s个要素") % {"i": i + 1}
            if not isinstance(f, dict) or not isinstance(f.get("properties") or {}, dict):
                raise Invalid(gettext("%(where)s：不是GeoJSON要素") % {"where": where}, code="invalid_geojson")
            props = f.get("properties") or {}
            river_code = str(props.get("river_code") or "").strip()[:32]
            code = str(props.get("code") or "").strip()[:40]
            if not river_code or not code:
                raise Invalid(
                    gettext("%(where)s：缺少河道编码或河段编码") % {"where": where},
                    code="code_required",
                    details={"index": i},
                )
            river, _ = River.objects.get_or_create(
                code=river_code, defaults={"name": str(props.get("river_name") or river_code)[:64]}
            )
            _, created = save_section(
                river=river,
                code=code,
                name=textlib.check(str(props.get("name") or code), "name")[:64],
                geometry_json=f.get("geometry"),  # type: ignore[arg-type]
            )
            made += created
            updated += not created
            rivers.add(river_code)
        audit.record("river.import", "river", "", actor=acting.user, role=role, data={"sections": made + updated})
    return {"rivers": len(rivers), "created": made, "updated": updated}
