"""The demo town's rivers and a year of patrols.

- Rivers: the two channels the 2019 report names (陈台子排河, 程村排河, already on the base map) and eleven more
  (the 2020 plan treats 13), each cut into a section per village it crosses, with 排口/闸站 check-in points.
- Chiefs: five town-level 河长 over the thirteen rivers, a village-level 河长 per village a river crosses.
- River patrols: the town chiefs' 538 patrols of the year, through the services (start, track, end), 59 of them
  with a finding that becomes a 河湖问题 case and runs the loop to 结案 ("巡河538人次，治理问题59处"); now and
  then a GPS jump flags a track and the leader reviews it.
- Grid patrols: every grid worker patrols a grid on most working days (网格员队伍管理). A town's year of them is
  some 24,000 patrols, loaded in bulk with their tracks measured by the same ``geometry.measure`` the service
  uses; the grid workers' reports of the year (from ``cases.demo``) become the findings of the patrol they were
  made on.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import shapely
from django.db import transaction
from shapely.geometry import LineString, MultiLineString, mapping, shape

from jingwu.cases import services as cases
from jingwu.cases.choices import Source
from jingwu.cases.demo import _name, _user, photo
from jingwu.cases.models import Case
from jingwu.geo.models import Grid, MapFeature, MapFeatureKind, Region, RegionLevel
from jingwu.geo.town import RIVERS
from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.models import GridAssignment
from jingwu.workcal.services import get_calendar

from . import geometry, services
from .choices import ChiefLevel, PatrolKind, PatrolState, Review
from .models import CheckIn, Checkpoint, Finding, Patrol, River, RiverChief, Section, TrackBatch

SEED = 538
RIVER_PATROLS = 538
RIVER_FINDINGS = 59
CHANNELS = [
    "精武排干",
    "付村排水渠",
    "小南河支渠",
    "宽河",
    "大南河",
    "东干渠",
    "西干渠",
    "北排渠",
    "南排渠",
    "杨家排渠",
    "学府河",
]
FINDINGS = [
    "河道内有生活垃圾和漂浮物",
    "岸坡局部坍塌，需加固",
    "排口有异常排水，颜色发黑",
    "河边违规种植蔬菜",
    "河道内有人违规垂钓",
    "岸边堆放建筑垃圾",
    "水面大面积水草需打捞",
    "护栏损坏",
]


def _lines(geom: Any) -> list[LineString]:
    if isinstance(geom, LineString):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, MultiLineString):
        return [g for g in geom.geoms if not g.is_empty]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, LineString)]


def _channel(rng: random.Random, town: Any) -> LineString:
    """A drainage channel: 2–4 km, gently bending, inside the town."""
    minx, miny, maxx, maxy = town.bounds
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        heading = rng.uniform(0, 2 * math.pi)
        pts = [(x, y)]
        for _ in range(rng.randint(10, 20)):
            heading += rng.gauss(0, 0.15)
            x += math.cos(heading) * 0.0025
            y += math.sin(heading) * 0.002
            pts.append((x, y))
        line = LineString(pts).intersection(town)
        parts = _lines(line)
        if parts and max(p.length for p in parts) > 0.015:
            return max(parts, key=lambda p: p.length)


def build_rivers(seed: int = SEED) -> list[Section]:
    rng = random.Random(seed)
    town = shape(Region.objects.get(level=RegionLevel.TOWN).geometry)
    villages = [(r, shape(r.geometry)) for r in Region.objects.exclude(level=RegionLevel.TOWN).order_by("code")]
    courses: list[tuple[str, Any]] = []
    for f in MapFeature.objects.filter(kind=MapFeatureKind.RIVER, name__in=RIVERS).order_by("name"):
        courses.append((f.name, shape(f.geometry)))
    for name in CHANNELS:
        courses.append((name, _channel(rng, town)))
    sections: list[Section] = []
    for n, (name, course) in enumerate(courses, 1):
        river = River.objects.create(code=f"HD{n:02d}", name=name)
        k = 0
        for region, area in villages:
            for part in _lines(course.intersection(area)):
                if part.length < 0.003:  # a few hundred metres clipped off a village's corner: no section of its own
                    continue
                k += 1
                section, _ = services.save_section(
                    river=river,
                    code=f"{river.code}-{k:02d}",
                    name=f"{region.name}段",
                    geometry_json=mapping(part),
                    region=region,
                )
                sections.append(section)
                for j, frac in enumerate((0.3, 0.8)[: 1 + (part.length > 0.01)]):
                    p = part.interpolate(frac, normalized=True)
                    Checkpoint.objects.create(
                        section=section, name=("排口" if j == 0 else "闸站") + f"{k}", lon=p.x, lat=p.y, radius_m=60
                    )
    return sections


def build_chiefs(sections: list[Section], seed: int = SEED) -> dict[str, list[Any]]:
    """Five town-level chiefs sharing the rivers; a village chief for each village's sections."""
    rng = random.Random(seed + 1)
    rivers = list(River.objects.order_by("code"))
    town = []
    for i in range(5):
        user = _user(f"hz{i + 1:02d}", _name(rng), Role.RIVER_CHIEF, phone=f"135{rng.randrange(10**8):08d}")
        town.append(user)
    for i, river in enumerate(rivers):
        RiverChief.objects.create(person=town[i % 5].person, river=river, level=ChiefLevel.TOWN)
    village: dict[int | None, Any] = {}
    for s in sections:
        if s.region_id not in village:
            n = len(village) + 6
            village[s.region_id] = _user(
                f"hz{n:02d}", _name(rng), Role.RIVER_CHIEF, phone=f"135{rng.randrange(10**8):08d}"
            )
        RiverChief.objects.create(
            person=village[s.region_id].person, river=s.river, section=s, level=ChiefLevel.VILLAGE
        )
    return {"town": town, "village": list(village.values())}


def _working_days(start: datetime, end: datetime) -> list[Any]:
    cal = get_calendar()
    day, last, out = start.astimezone(cal.tz).date(), end.astimezone(cal.tz).date(), []
    while day <= last:
        if cal.is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def _along(line: Any, t0: float, rng: random.Random, share: float, jump: bool) -> list[list[float]]:
    """A walk along a river section: 1.1–1.4 m/s, a fix every 20 s, 4 m of GPS noise."""
    frame = geometry.frame_for(line)
    length = geometry.line_length_m(mapping(line))
    speed = rng.uniform(1.1, 1.4)
    n = max(3, int(length * share / speed / 20))
    flip = rng.random() < 0.5
    rows = []
    for i in range(n + 1):
        f = i / n * share
        p = line.interpolate(1 - f if flip else f, normalized=True)
        rows.append(
            [
                round(t0 + i * 20, 1),
                round(p.x + rng.gauss(0, 4) / frame.kx, 6),
                round(p.y + rng.gauss(0, 4) / frame.ky, 6),
                rng.randint(4, 15),
            ]
        )
    if jump:
        j = len(rows) // 2
        rows[j][1] += 0.03  # the phone put itself 2.6 km away for one fix
    return rows


def load_river_patrols(
    town: Any, chiefs: dict[str, list[Any]], end: datetime, count: int = RIVER_PATROLS, seed: int = SEED
) -> dict[str, int]:
    rng = random.Random(seed + 2)
    cal = get_calendar()
    days = _working_days(end - timedelta(days=365), end - timedelta(hours=2))
    plan: list[tuple[datetime, Any]] = []
    for _ in range(count):
        day = rng.choice(days)
        at = datetime.combine(day, time(rng.randint(8, 15), rng.randrange(60)), cal.tz)
        plan.append((min(at, end - timedelta(hours=2)), rng.choice(chiefs["town"])))
    plan.sort(key=lambda p: p[0])
    # The findings: on patrols at least a month old, so that each has had time to be put right.
    older = [i for i, (at, _) in enumerate(plan) if at < end - timedelta(days=30)]
    wanted = round(count * RIVER_FINDINGS / RIVER_PATROLS)
    with_finding = set(rng.sample(older, min(wanted, len(older))))
    leader, lead, dispatcher = town.users["leader"], town.users["shiftlead"], town.users["dispatcher"]
    handler = town.handlers["W03"]
    made = found = closed = flagged = 0
    for i, (at, chief) in enumerate(plan):
        sections = list(services.sections_of(chief.person))
        section = rng.choice(sections)
        line = shape(section.geometry)
        if line.geom_type != "LineString":
            line = max(_lines(line), key=lambda p: p.length)
        jump = rng.random() < 0.02
        rows = _along(line, at.timestamp(), rng, rng.uniform(0.7, 1.0), jump)
        finish = datetime.fromtimestamp(rows[-1][0], tz=UTC) + timedelta(minutes=rng.randint(1, 10))
        with transaction.atomic():
            with clock.frozen_at(at):
                p, _ = services.start(
                    actor=chief, kind=PatrolKind.RIVER, section=section.code, client_key=str(uuid.uuid4())
                )
            when = datetime.fromtimestamp(rows[len(rows) // 2][0], tz=UTC)
            case = None
            if i in with_finding:
                mid = rows[len(rows) // 2 + 1]
                with clock.frozen_at(when):
                    result = services.report_finding(
                        actor=chief,
                        patrol=p,
                        description=rng.choice(FINDINGS),
                        lon=mid[1],
                        lat=mid[2],
                        photos=[photo(i)],
                    )
                case = result.finding.case
                found += 1
            with clock.frozen_at(finish):
                services.add_points(actor=chief, patrol=p, key="1", points=rows)
                p = services.end(actor=chief, patrol=p)
            made += 1
            if p.flags:
                flagged += 1
                with clock.frozen_at(finish + timedelta(hours=rng.randint(2, 30))):
                    ok = rng.random() < 0.8
                    services.review(actor=leader, patrol=p, accept=ok, note="" if ok else "轨迹异常，视为未巡查")
        if case is not None:
            closed += _resolve(case, when, end, rng, (lead, dispatcher, handler, town))
    return {"river_patrols": made, "river_findings": found, "river_closed": closed, "flagged": flagged}


def _resolve(case: Case, found: datetime, end: datetime, rng: random.Random, people: tuple[Any, Any, Any, Any]) -> int:
    """A river problem through the loop: 立案, dispatched to the 水务站, put right, checked by the grid's worker,
    closed."""
    lead, dispatcher, handler, town = people
    cal = get_calendar()
    checker = town.grid_worker.get(case.grid_id)
    steps: list[tuple[str, datetime | None, Any, dict[str, Any]]] = [
        ("file", cal.add(found, timedelta(minutes=rng.uniform(20, 120))), lead, {}),
        ("dispatch", None, dispatcher, {"department": "W03"}),
        ("feedback", None, handler, {"note": "已清理整治完毕", "photos": [photo(case.pk)]}),
        ("check", None, checker, {"outcome": "pass", "photos": [photo(case.pk + 1)]}),
        ("close", None, lead, {}),
    ]
    gaps = [0, 30, 60 * 24 * rng.uniform(1, 6), 60 * rng.uniform(3, 30), 60 * rng.uniform(1, 4)]
    when = found
    for (action, fixed, actor, kw), gap in zip(steps, gaps, strict=True):
        when = fixed or cal.add(when, timedelta(minutes=gap))
        if when >= end or actor is None:
            return 0
        with clock.frozen_at(when):
            case.refresh_from_db()
            case = cases.perform(case.pk, action, actor=actor, version=case.version, data=cases.ActionInput(**kw))
    return 1


def _wander(
    grid: Any, frame: geometry.Frame, start: tuple[float, float], t0: float, minutes: int, rng: random.Random
) -> list[list[float]]:
    """A grid worker's round: a fix every 3 minutes at 1.1 m/s, turning at the grid's edge."""
    prepared = grid
    shapely.prepare(prepared)
    x, y = start
    heading = rng.uniform(0, 2 * math.pi)
    rows = []
    step = 1.1 * 180
    for i in range(max(3, minutes // 3)):
        rows.append(
            [
                round(t0 + i * 180),
                round(x + rng.gauss(0, 5) / frame.kx, 6),
                round(y + rng.gauss(0, 5) / frame.ky, 6),
                rng.randint(5, 20),
            ]
        )
        for _ in range(4):
            heading += rng.gauss(0, 0.6)
            nx, ny = x + math.cos(heading) * step / frame.kx, y + math.sin(heading) * step / frame.ky
            if shapely.contains_xy(prepared, nx, ny):
                x, y = nx, ny
                break
            heading += math.pi / 2
    return rows


def load_grid_patrols(town: Any, end: datetime, days: int = 365, seed: int = SEED) -> dict[str, int]:
    """A year of daily grid patrols, in bulk (see the module's note), with the grid workers' reports of each day
    as the findings of that day's patrol."""
    rng = random.Random(seed + 3)
    cal = get_calendar()
    grids = {g.pk: g for g in Grid.objects.all()}
    shapes = {pk: shape(g.geometry) for pk, g in grids.items()}
    frames = {pk: geometry.frame_for(s) for pk, s in shapes.items()}
    limits = services.grid_limits()
    for pk, g in grids.items():
        p = shapes[pk].representative_point()
        Checkpoint.objects.create(grid=g, name="网格服务站", lon=p.x, lat=p.y, radius_m=80)
    checkpoints = {
        c.grid_id: [(c.pk, c.lon, c.lat, float(c.radius_m))] for c in Checkpoint.objects.filter(grid__isnull=False)
    }
    own: dict[int, list[int]] = {}
    for a in GridAssignment.objects.order_by("grid__code"):
        own.setdefault(a.person_id, []).append(a.grid_id)
    reports: dict[tuple[int, Any], Case] = {}
    for c in Case.objects.filter(source=Source.GRID_WORKER, reporter_user__person__isnull=False).select_related(
        "reporter_user__person"
    ):
        if c.lon is None or c.grid_id is None:
            continue
        who = c.reporter_user.person.pk  # type: ignore[union-attr]
        reports.setdefault((who, c.reported_at.astimezone(cal.tz).date()), c)
    dates = _working_days(end - timedelta(days=days), end)
    patrols: list[Patrol] = []
    tracks: list[list[list[float]]] = []
    hits: list[list[tuple[int, float]]] = []
    linked: list[Case | None] = []
    for day in dates:
        for worker in town.workers:
            person = worker.person
            case = reports.get((person.pk, day))
            if case is None and rng.random() < 0.06:  # leave, training, a day at the centre
                continue
            mine = own.get(person.pk, [])
            if not mine:
                continue
            grid_id = case.grid_id if case is not None and case.grid_id in mine else mine[day.toordinal() % len(mine)]
            minutes = rng.randint(45, 120)
            if case is not None:
                began = case.reported_at - timedelta(minutes=rng.randint(5, 30))
                start_at = (float(case.lon or 0), float(case.lat or 0))
            else:
                began = datetime.combine(day, time(rng.randint(8, 15), rng.randrange(60)), cal.tz)
                start_at = shapes[grid_id].representative_point().coords[0]
            finish = began + timedelta(minutes=minutes)
            if finish > end:
                continue
            rows = _wander(shapes[grid_id], frames[grid_id], start_at, began.timestamp(), minutes, rng)
            m = geometry.measure(rows, shapes[grid_id], limits, checkpoints.get(grid_id, ()), frames[grid_id])
            patrols.append(
                Patrol(
                    kind=PatrolKind.GRID,
                    person=person,
                    grid_id=grid_id,
                    client_key=str(uuid.UUID(int=rng.getrandbits(128))),
                    state=PatrolState.ENDED,
                    started_at=began,
                    ended_at=finish,
                    points=m.points,
                    distance_m=round(m.distance_m, 1),
                    duration_s=minutes * 60,
                    coverage=round(m.coverage, 4),
                    checkpoints_due=len(checkpoints.get(grid_id, ())),
                    checkpoints_met=len(m.checkins),
                    flags=m.flags,
                    review=Review.PENDING if m.flags else Review.NONE,
                    updated_at=finish,
                )
            )
            tracks.append(rows)
            hits.append(m.checkins)
            linked.append(case)
    made = findings = 0
    for i in range(0, len(patrols), 2000):
        with transaction.atomic():
            chunk = Patrol.objects.bulk_create(patrols[i : i + 2000])
            TrackBatch.objects.bulk_create(
                TrackBatch(
                    patrol=p,
                    key="1",
                    first_at=datetime.fromtimestamp(rows[0][0], tz=UTC),
                    last_at=datetime.fromtimestamp(rows[-1][0], tz=UTC),
                    count=len(rows),
                    data=rows,
                    received_at=p.ended_at or p.started_at,
                )
                for p, rows in zip(chunk, tracks[i : i + 2000], strict=True)
            )
            CheckIn.objects.bulk_create(
                CheckIn(patrol=p, checkpoint_id=cid, at=datetime.fromtimestamp(t, tz=UTC))
                for p, got in zip(chunk, hits[i : i + 2000], strict=True)
                for cid, t in got
            )
            found = [
                Finding(patrol=p, case=c, at=c.reported_at)
                for p, c in zip(chunk, linked[i : i + 2000], strict=True)
                if c is not None
            ]
            Finding.objects.bulk_create(found)
            made += len(chunk)
            findings += len(found)
    return {"grid_patrols": made, "grid_findings": findings}


def load(
    town: Any, end: datetime | None = None, river_patrols: int = RIVER_PATROLS, grid_days: int = 365, seed: int = SEED
) -> dict[str, int]:
    end = end or clock.now()
    sections = build_rivers(seed)
    chiefs = build_chiefs(sections, seed)
    out = {
        "rivers": River.objects.count(),
        "sections": len(sections),
        "chiefs": len(chiefs["town"]) + len(chiefs["village"]),
    }
    out |= load_river_patrols(town, chiefs, end, river_patrols, seed)
    out |= load_grid_patrols(town, end, grid_days, seed)
    return out
