"""The demo town's monitoring: the devices the town's report describes (a transmission device at each of the 62
key fire units, VOCs monitors at the 108 VOC enterprises, air stations, river water stations, site dust monitors,
video analytics) and a LED screen per community, registered through the services; and two days of hourly data, so
the monitoring pages show AQI and trends before the simulator has sent its first packet."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from shapely.geometry import Point, shape

from jingwu.geo.models import Grid, MapFeature, MapFeatureKind, Region, RegionLevel
from jingwu.geo.services import locate
from jingwu.geo.town import RIVERS
from jingwu.lib import clock
from jingwu.safety.choices import Tag
from jingwu.safety.models import Enterprise
from jingwu.safety.services import with_tag

from . import simulator
from .choices import DeviceType, ReadingKind
from .ingest import Sample, store
from .models import Device, Screen
from .services import save_device

D = DeviceType
SEED = 2212
AIR_STATIONS = 6
DUST_SITES = 5
WATER_STATIONS = 4
CAMERAS = 8
SCREENS = 15
# What the history fills in per device type (the AQI pollutants for air stations).
HISTORY_CODES: dict[str, tuple[str, ...]] = {
    D.AIR: simulator.CODES[D.AIR],
    D.VOC: ("a24088",),
    D.WATER: ("w01018", "w21003", "w01001"),
    D.DUST: ("a34002", "a34004", "LA"),
}


def _mn(kind: str, n: int) -> str:
    """A 24-character HJ 212-2017 MN: the township's code, zeros, the kind's letter and a number."""
    return f"{settings.JINGWU_DISTRICT_CODE}{settings.JINGWU_TOWNSHIP_CODE}".ljust(20, "0")[:20] + f"{kind}{n:03d}"


def _pw(rng: random.Random) -> str:
    return f"{rng.randrange(10**6):06d}"


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Good enough for ranking distances inside a town: a degree of longitude is shorter than one of latitude."""
    return math.hypot((a[0] - b[0]) * math.cos(math.radians(a[1])), a[1] - b[1])


def _spread(points: Sequence[tuple[float, float, Any]], n: int) -> list[tuple[float, float, Any]]:
    """``n`` of ``points`` far from one another (farthest-point order from the first), in a fixed order."""
    if not points:
        return []
    chosen = [points[0]]
    rest = list(points[1:])
    while rest and len(chosen) < n:
        best = max(rest, key=lambda p: min(_distance(p[:2], c[:2]) for c in chosen))
        chosen.append(best)
        rest.remove(best)
    return chosen


class _Territory:
    """The grids and the town's own base map, for placing devices without a place."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.grids = list(Grid.objects.select_related("region").order_by("code"))
        self.shapes = {g.pk: shape(g.geometry) for g in self.grids}
        self.features = list(MapFeature.objects.filter(kind__in=[MapFeatureKind.RIVER, MapFeatureKind.ROAD]))

    def region_centres(self) -> list[tuple[float, float, Any]]:
        """Per village or community, its grid nearest the region's centre, as (lon, lat, grid); busiest first."""
        by_region: dict[int, list[Grid]] = {}
        for g in self.grids:
            by_region.setdefault(g.region_id, []).append(g)
        out = []
        for grids in sorted(by_region.values(), key=lambda gs: (-len(gs), gs[0].region.code)):
            middle = (grids[0].region.center_lon, grids[0].region.center_lat)
            g = min(grids, key=lambda g: (_distance((g.center_lon, g.center_lat), middle), g.code))
            out.append((g.center_lon, g.center_lat, g))
        return out

    def point_in(self, grid: Grid) -> tuple[float, float]:
        geom = self.shapes[grid.pk]
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(200):
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if geom.contains(Point(x, y)):
                return x, y
        p = geom.representative_point()
        return p.x, p.y

    def random_point(self) -> tuple[float, float, Grid]:
        grid = self.rng.choice(self.grids)
        lon, lat = self.point_in(grid)
        return lon, lat, grid

    def points(self, n: int) -> list[tuple[float, float, Any]]:
        """``n`` points spread over the villages and communities; more than there are regions adds points inside
        their grids."""
        chosen = _spread(self.region_centres(), n)
        while len(chosen) < n and self.grids:
            chosen.append(self.random_point())
        return chosen

    def along(self, kind: str, name: str, fractions: Sequence[float]) -> list[tuple[float, float]]:
        """Points at ``fractions`` of a river's or road's length that fall inside a grid (a clipped line may
        leave the territory)."""
        out = []
        for f in self.features:
            if f.kind != kind or f.name != name:
                continue
            line = shape(f.geometry)
            for frac in fractions:
                p = line.interpolate(frac, normalized=True)
                if locate(p.x, p.y) is not None:
                    out.append((p.x, p.y))
        return out


def _save(data: dict[str, Any], actor: Any, counts: dict[str, int]) -> Device:
    device, _token = save_device(data | {"name": data["name"][:100]}, actor=actor)
    kind = DeviceType(device.type).value
    counts[kind] = counts.get(kind, 0) + 1
    return device


def _at_place(place: Enterprise) -> dict[str, Any]:
    # The device is where its place is: its own point puts it on the map and in the place's grid.
    return {"place": place.pk, "lon": place.lon, "lat": place.lat} if place.lon is not None else {"place": place.pk}


def load_devices(actor: Any, seed: int = SEED) -> dict[str, int]:
    """Register the demo town's devices and LED screens through the services, unless devices exist. Returns the
    number of devices by type and of screens (what exists, when nothing was registered). ``actor`` may manage
    devices (a shift lead)."""
    if Device.objects.exists():
        have = dict(Device.objects.values_list("type").annotate(n=Count("id")).order_by("type"))
        return {**have, "screens": Screen.objects.count()}
    rng = random.Random(seed)
    land = _Territory(rng)
    places = Enterprise.objects.filter(active=True).order_by("id")
    fire_units = list(with_tag(places, Tag.FIRE_KEY).order_by("id"))
    voc_units = list(with_tag(places, Tag.VOC).order_by("id"))
    sites = list(with_tag(places, Tag.SITE).order_by("id"))
    counts: dict[str, int] = {}
    with transaction.atomic():
        # GB 26875: every key fire unit sends its fire alarm controller's signals through a 用户信息传输装置;
        # about a third also watch their wiring, a few the pressure of their hydrants.
        for e in fire_units:
            _save(
                {"name": f"{e.name}用户信息传输装置", "type": D.FIRE_PANEL, "client_id": f"fire-{e.pk}", "interval": 60}
                | _at_place(e),
                actor,
                counts,
            )
        wired = sorted(rng.sample(fire_units, max(1, round(len(fire_units) / 3)) if fire_units else 0), key=_pk)
        for e in wired:
            _save(
                {"name": f"{e.name}电气火灾监控", "type": D.ELECTRICAL, "client_id": f"elec-{e.pk}", "interval": 60}
                | _at_place(e),
                actor,
                counts,
            )
        piped = sorted(rng.sample(fire_units, max(1, len(fire_units) // 10) if fire_units else 0), key=_pk)
        for e in piped:
            _save(
                {"name": f"{e.name}消火栓水压监测", "type": D.HYDRANT, "client_id": f"hyd-{e.pk}", "interval": 60}
                | _at_place(e),
                actor,
                counts,
            )
        stations: list[Device] = []
        names: set[str] = set()
        for n, (lon, lat, grid) in enumerate(land.points(AIR_STATIONS), 1):
            name = f"{grid.region.name}空气质量监测站"
            name = name if name not in names else f"{grid.region.name}{n}号空气质量监测站"
            names.add(name)
            stations.append(
                _save(
                    {
                        "name": name,
                        "type": D.AIR,
                        "mn": _mn("A", n),
                        "pw": _pw(rng),
                        "lon": lon,
                        "lat": lat,
                        "address": f"{grid.region.name}",
                        "interval": 60,
                    },
                    actor,
                    counts,
                )
            )
        for n, e in enumerate(voc_units, 1):
            _save(
                {
                    "name": f"{e.name}VOCs在线监测",
                    "type": D.VOC,
                    "mn": _mn("V", n),
                    "pw": _pw(rng),
                    "interval": 60,
                }
                | _at_place(e),
                actor,
                counts,
            )
        site_places = sorted(rng.sample(sites, min(DUST_SITES, len(sites))), key=_pk)
        for n in range(1, DUST_SITES + 1):
            data: dict[str, Any] = {"type": D.DUST, "client_id": f"dust-{n}", "interval": 60}
            if n <= len(site_places):
                e = site_places[n - 1]
                data |= {"name": f"{e.name}扬尘噪声监测"} | _at_place(e)
            elif land.grids:
                lon, lat, grid = land.random_point()
                data |= {"name": f"{grid.region.name}{n}号工地扬尘噪声监测", "lon": lon, "lat": lat}
            else:
                continue
            _save(data, actor, counts)
        _water(land, actor, rng, counts)
        _cameras(land, fire_units, actor, rng, counts)
        counts["screens"] = _screens(stations)
    return counts


def _pk(e: Enterprise) -> int:
    return e.pk


def _water(land: _Territory, actor: Any, rng: random.Random, counts: dict[str, int]) -> None:
    """Two stations on each of the rivers the town's report names, upstream (west) and downstream (east)."""
    per = max(1, WATER_STATIONS // len(RIVERS))
    fallback = land.points(WATER_STATIONS)
    n = 0
    for river in sorted(RIVERS, key=lambda r: r != "陈台子排河"):
        found = land.along(MapFeatureKind.RIVER, river, (0.3, 0.7))[:per]
        for i in range(per):
            if n >= WATER_STATIONS:
                return
            if i < len(found):
                lon, lat = found[i]
            elif n < len(fallback):
                lon, lat = fallback[n][:2]
            else:
                continue
            n += 1
            part = ("西段", "东段")[i] if per == 2 else f"{i + 1}号"
            _save(
                {
                    "name": f"{river}{part}水质站",
                    "type": D.WATER,
                    "mn": _mn("W", n),
                    "pw": _pw(rng),
                    "lon": lon,
                    "lat": lat,
                    "address": f"{river}{part}",
                    "interval": 300,
                },
                actor,
                counts,
            )


def _cameras(
    land: _Territory, fire_units: list[Enterprise], actor: Any, rng: random.Random, counts: dict[str, int]
) -> None:
    """Half at crowded key fire units, where the fire lane is watched; half at points along the main roads."""
    crowded = [e for e in fire_units if Tag.CROWDED in (e.tags or [])] or fire_units
    at_places = sorted(rng.sample(crowded, min(CAMERAS // 2, len(crowded))), key=_pk)
    spots: list[tuple[str, float, float]] = []
    for road in ("精武大道", "学府路"):
        spots += [(road, lon, lat) for lon, lat in land.along(MapFeatureKind.ROAD, road, (0.2, 0.4, 0.6, 0.8))]
    rng.shuffle(spots)
    n = 0
    for e in at_places:
        n += 1
        _save(
            {"name": f"{e.name}消防通道视频分析", "type": D.CAMERA, "client_id": f"cam-{n}", "interval": 60}
            | _at_place(e),
            actor,
            counts,
        )
    while n < CAMERAS and land.grids:
        if spots:
            road, lon, lat = spots.pop()
            name = f"{road}{n + 1}号点位视频分析"
        else:
            lon, lat, grid = land.random_point()
            name = f"{grid.region.name}{n + 1}号点位视频分析"
        n += 1
        _save(
            {"name": name, "type": D.CAMERA, "client_id": f"cam-{n}", "lon": lon, "lat": lat, "interval": 60},
            actor,
            counts,
        )


def _screens(stations: list[Device]) -> int:
    """A LED screen for each of the busiest villages and communities, showing its nearest air station (and a
    second one about as near)."""
    regions = (
        Region.objects.exclude(level=RegionLevel.TOWN)
        .annotate(n=Count("grids"))
        .filter(n__gt=0)
        .order_by("-n", "code")[:SCREENS]
    )
    made = 0
    for region in regions:
        here = (region.center_lon, region.center_lat)
        near = sorted(
            (s for s in stations if s.lon is not None and s.lat is not None),
            key=lambda s: _distance(here, (s.lon or 0.0, s.lat or 0.0)),
        )
        shown = near[:1]
        if len(near) > 1:
            first = _distance(here, (near[0].lon or 0.0, near[0].lat or 0.0))
            if _distance(here, (near[1].lon or 0.0, near[1].lat or 0.0)) <= 1.25 * first:
                shown.append(near[1])
        screen = Screen.objects.create(name=f"{region.name}LED屏", region=region, token=secrets.token_urlsafe(24))
        screen.stations.set(shown)
        made += 1
    return made


# --- history ---------------------------------------------------------------------------------------------------


def history(hours: int = 48, now: datetime | None = None, seed: int = simulator.SEED) -> int:
    """Hourly figures for the last ``hours`` whole hours of the air, VOCs, water and dust devices: each hour's
    average, minimum and maximum of the values the simulator would have sent every five minutes. Stored without
    the rules (the past raises no alarms); a second run writes the same values over them. Returns the rows
    written."""
    now = now or clock.now()
    top = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    stations = [
        s
        for d in Device.objects.filter(type__in=list(HISTORY_CODES)).order_by("id")
        if (s := simulator.Station.of(d)) is not None
    ]
    made = 0
    batch: list[Sample] = []
    for back in range(hours, 0, -1):
        hour = top - timedelta(hours=back)
        moments = [hour + timedelta(minutes=5 * i + 2, seconds=30) for i in range(12)]
        for station in stations:
            taken = [simulator.values(station, at, seed) for at in moments]
            for code in HISTORY_CODES[station.type]:
                xs = [t[code] for t in taken if code in t]
                if xs:
                    avg = simulator.rounded(code, sum(xs) / len(xs))
                    batch.append(Sample(station.id, code, ReadingKind.HOUR, hour, avg, min(xs), max(xs)))
        if len(batch) >= 5000:
            made += store(batch, rules=False, live=False).readings
            batch = []
    if batch:
        made += store(batch, rules=False, live=False).readings
    return made
