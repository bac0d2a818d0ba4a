"""Jingwu Town (精武镇, Xiqing District, Tianjin) as the demo territory.

The report names thirteen villages and the communities below; the town has eighteen villages, so five
plausible village names complete the list (marked ``named_in_report=False``). The polygons are a
generated tessellation around the town's real location, not surveyed boundaries.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping, shape

# (name, named in the 2019 report)
VILLAGES: list[tuple[str, bool]] = [
    ("付村", True),
    ("小南河村", True),
    ("宽河村", True),
    ("大卷子村", True),
    ("小卞庄村", True),
    ("陈台子村", True),
    ("姚村", True),
    ("程村", True),
    ("刘庄村", True),
    ("孙庄子村", True),
    ("闫庄子村", True),
    ("吴庄子村", True),
    ("牛坨子村", True),
    ("大南河村", False),
    ("东台子村", False),
    ("杨家台村", False),
    ("北汪庄村", False),
    ("西王庄村", False),
]
COMMUNITIES: list[tuple[str, bool]] = [
    ("智达里社区", True),
    ("燕南园社区", True),
    ("民兴佳园社区", True),
    ("聚兴佳园社区", True),
    ("盛兴佳园社区", True),
    ("常青藤社区", False),
]
TOWN_NAME = "精武镇"
CENTER = (117.125, 39.04)
BBOX = (117.05, 38.98, 117.20, 39.10)


def town_boundary(rng: random.Random) -> Polygon:
    cx, cy = CENTER
    rx, ry = 0.072, 0.057
    points = []
    n = 36
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    for i in range(n):
        a = 2 * math.pi * i / n
        wobble = (
            1
            + 0.08 * math.sin(3 * a + phases[0])
            + 0.05 * math.sin(5 * a + phases[1])
            + 0.03 * math.sin(7 * a + phases[2])
        )
        points.append((cx + rx * wobble * math.cos(a), cy + ry * wobble * math.sin(a)))
    poly = Polygon(points).intersection(shapely.box(*BBOX))
    return shapely.set_precision(poly, 1e-6)


def _sample_points(boundary: Polygon, n: int, rng: random.Random) -> list[Point]:
    minx, miny, maxx, maxy = boundary.bounds
    pts: list[Point] = []
    while len(pts) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if boundary.contains(p):
            pts.append(p)
    return pts


def tessellate(boundary: Polygon, n: int, rng: random.Random, relax: int = 4) -> list[Polygon]:
    """``n`` Voronoi cells clipped to the boundary, smoothed by a few Lloyd iterations."""
    points = _sample_points(boundary, n, rng)
    cells: list[Polygon] = []
    for _ in range(relax + 1):
        regions = shapely.voronoi_polygons(MultiPoint(points), extend_to=boundary.envelope.buffer(0.05))
        by_point = []
        for p in points:
            cell = next(c for c in regions.geoms if c.contains(p) or c.touches(p))
            by_point.append(cell.intersection(boundary))
        cells = by_point
        points = [c.centroid for c in cells]
    precise = [shapely.set_precision(c, 1e-6) for c in cells]
    return [c if c.geom_type == "Polygon" else max(c.geoms, key=lambda g: g.area) for c in precise]


def _kmeans(xy: np.ndarray, k: int, rng: random.Random, iters: int = 30) -> np.ndarray:
    idx = rng.sample(range(len(xy)), k)
    centers = xy[idx].copy()
    labels = np.zeros(len(xy), dtype=int)
    for _ in range(iters):
        d = ((xy[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        for j in range(k):
            members = xy[labels == j]
            if len(members):
                centers[j] = members.mean(axis=0)
            else:  # an empty cluster takes the point farthest from its centre
                far = d.min(axis=1).argmax()
                centers[j] = xy[far]
    return labels


def build(district: str, township: str, grids: int = 125, seed: int = 2019) -> list[dict[str, Any]]:
    """GeoJSON features for the town, its villages and communities, and ``grids`` unit grids."""
    rng = random.Random(seed)
    boundary = town_boundary(rng)
    cells = tessellate(boundary, grids, rng)
    xy = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    k = len(VILLAGES) + len(COMMUNITIES)
    labels = _kmeans(xy, k, rng)
    # The clusters nearest the centre become the urban communities; the rest are villages.
    clusters = sorted(range(k), key=lambda j: float(np.hypot(*(xy[labels == j].mean(axis=0) - CENTER))))
    names = COMMUNITIES + VILLAGES
    town_code = f"{district}{township}000"
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {"type": "region", "code": town_code, "name": TOWN_NAME, "level": "town", "parent": None},
            "geometry": mapping(boundary),
        }
    ]
    grid_features = []
    for rank, j in enumerate(clusters):
        name, _named = names[rank]
        level = "community" if rank < len(COMMUNITIES) else "village"
        # 统计用区划代码: 居委会 0xx-1xx, 村委会 2xx.
        local = 1 + rank if level == "community" else 201 + rank - len(COMMUNITIES)
        region_code = f"{district}{township}{local:03d}"
        members = [cells[i] for i in np.flatnonzero(labels == j)]
        union = shapely.set_precision(shapely.union_all(members), 1e-6)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "type": "region",
                    "code": region_code,
                    "name": name,
                    "level": level,
                    "parent": town_code,
                },
                "geometry": mapping(union),
            }
        )
        # Grid sequence runs north to south in bands, west to east within a band.
        ordered = sorted(members, key=lambda c: (-round(c.centroid.y / 0.01), c.centroid.x))
        for seq, cell in enumerate(ordered, 1):
            grid_features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "type": "grid",
                        "code": f"{region_code[:12]}{seq:03d}",
                        "name": f"{name}第{seq}网格",
                        "region": region_code,
                    },
                    "geometry": mapping(cell),
                }
            )
    return features + grid_features


RIVERS = ["程村排河", "陈台子排河"]  # two of the town's 13 river channels named in the 2019 report
LANDMARKS = [
    "精武镇人民政府",
    "精武文化公园",
    "滨河公园",
    "精武小学",
    "付村中学",
    "霍元甲文武学校",
    "学府科创广场",
    "武牛菜市场",
]


def base_features(features: list[dict[str, Any]], seed: int = 2019) -> list[dict[str, Any]]:
    """A base map for the demo town, which has no tile server to draw on: roads joining the villages (a
    minimum spanning tree over their centres) and two main roads across the town, two rivers, and the
    landmarks the town's report names, placed in the built-up centre. The places are made up; the names are
    the town's own."""
    rng = random.Random(seed)
    town = next(shape(f["geometry"]) for f in features if f["properties"].get("level") == "town")
    places = [
        (f["properties"]["name"], shape(f["geometry"]).representative_point())
        for f in features
        if f["properties"].get("type") == "region" and f["properties"].get("level") != "town"
    ]
    out: list[dict[str, Any]] = []

    def add(kind: str, name: str, geometry: Any, rank: int = 2) -> None:
        clipped = geometry.intersection(town) if kind in ("road", "river") else geometry
        if not clipped.is_empty:
            out.append({"kind": kind, "name": name, "rank": rank, "geometry": mapping(clipped)})

    # Village roads: Prim's tree over the villages' centres, so every village is reached once.
    joined, rest = [places[0]], places[1:]
    while rest:
        a, b = min(((a, b) for a in joined for b in rest), key=lambda ab: ab[0][1].distance(ab[1][1]))
        add("road", "", LineString([a[1], b[1]]), rank=3)
        joined.append(b)
        rest.remove(b)
    minx, miny, maxx, maxy = town.bounds
    cx, cy = town.centroid.x, town.centroid.y
    wobble = lambda: rng.uniform(-0.004, 0.004)  # noqa: E731
    xs = np.linspace(minx - 0.01, maxx + 0.01, 9)
    ys = np.linspace(miny - 0.01, maxy + 0.01, 9)
    add("road", "精武大道", LineString([(x, cy + wobble()) for x in xs]), rank=1)
    add("road", "学府路", LineString([(cx + wobble(), y) for y in ys]), rank=1)
    for n, name in enumerate(RIVERS):
        base_y = miny + (maxy - miny) * (0.3 + 0.45 * n)
        amp = (maxy - miny) * 0.06
        add(
            "river",
            name,
            LineString(
                [
                    (x, base_y + amp * math.sin(3 * (x - minx) / (maxx - minx) + n))
                    for x in np.linspace(minx - 0.01, maxx + 0.01, 40)
                ]
            ),
        )
    for name in LANDMARKS:
        add("landmark", name, Point(cx + rng.uniform(-0.02, 0.02), cy + rng.uniform(-0.015, 0.015)))
    return out
