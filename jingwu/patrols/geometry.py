"""What a track says: its length, the share of the target it covered, the required points it passed, and
whether it can be believed. Pure functions on numpy arrays and shapely geometries, no database.

Distances are in metres on a local equirectangular projection centred on the target. Over a town (tens of
kilometres) that is within 0.1 % of the geodesic distance, well inside a phone's GPS error, and it lets
shapely measure lengths and areas in plane geometry.

A point is implausible when reaching it from the last believable point would need more than the speed of a
car (``max_speed``): a GPS jump, or a track pasted together. Such points are dropped from the length and
the coverage, counted, and the patrol flagged for a person to look at — never silently accepted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, shape
from shapely.geometry.base import BaseGeometry

R = 6_371_008.8  # mean Earth radius, metres
DEG = math.pi / 180


@dataclass(frozen=True)
class Limits:
    reach_m: float = 50.0  # a stretch of river (or a part of a grid) within this of the track is covered
    max_speed: float = 120 / 3.6  # m/s; faster than a car on a village road is a jump
    jitter_m: float = 30.0  # moves shorter than this are GPS noise, whatever the speed they imply
    outside_m: float = 500.0  # a point farther than this from the target is outside the area
    outside_share: float = 0.1  # more than this share of points outside flags the patrol
    min_points: int = 3


@dataclass
class Measure:
    points: int = 0  # points received (after removing repeats)
    kept: int = 0  # points believed
    distance_m: float = 0.0
    coverage: float = 0.0
    jumps: int = 0
    outside: int = 0
    checkins: list[tuple[int, float]] = field(default_factory=list)  # (checkpoint id, epoch seconds)
    flags: list[dict[str, Any]] = field(default_factory=list)


class Frame:
    """The local plane around a target: degrees ↔ metres."""

    def __init__(self, lat0: float) -> None:
        self.kx = R * math.cos(lat0 * DEG) * DEG
        self.ky = R * DEG

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.column_stack((lon * self.kx, lat * self.ky))

    def geometry(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: c * np.array([self.kx, self.ky]))


def target_geometry(geojson: dict[str, Any]) -> BaseGeometry:
    return shape(geojson)


def frame_for(geom: BaseGeometry) -> Frame:
    return Frame(geom.centroid.y)


def clean(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """Points as an (n, 4) array of (t, lon, lat, accuracy), in time order, one per instant (a batch sent twice
    across two keys, or overlapping batches, repeat points)."""
    if not rows:
        return np.empty((0, 4))
    a = np.asarray(rows, dtype=float)
    if a.shape[1] == 3:
        a = np.column_stack((a, np.zeros(len(a))))
    order = np.argsort(a[:, 0], kind="stable")
    a = a[order]
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = np.diff(a[:, 0]) > 0
    return a[keep]


def believable(t: np.ndarray, xy: np.ndarray, limits: Limits) -> np.ndarray:
    """Which points to believe: each one reachable from the last believed one at a car's speed."""
    n = len(t)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    step = np.hypot(*np.diff(xy, axis=0).T)
    dt = np.maximum(np.diff(t), 1.0)
    if not np.any((step > limits.jitter_m) & (step / dt > limits.max_speed)):
        return keep  # the usual case: nothing to walk through one by one
    last = 0
    for i in range(1, n):
        d = math.hypot(xy[i, 0] - xy[last, 0], xy[i, 1] - xy[last, 1])
        if d > limits.jitter_m and d / max(t[i] - t[last], 1.0) > limits.max_speed:
            keep[i] = False
        else:
            last = i
    return keep


def measure(
    rows: Sequence[Sequence[float]],
    target: BaseGeometry,
    limits: Limits = Limits(),
    checkpoints: Sequence[tuple[int, float, float, float]] = (),
    frame: Frame | None = None,
) -> Measure:
    """Measure a track against its target: a river section (a line) or a grid (a polygon). ``checkpoints`` are
    (id, lon, lat, radius m)."""
    pts = clean(rows)
    m = Measure(points=len(pts))
    frame = frame or frame_for(target)
    plane = frame.geometry(target)
    if len(pts) == 0:
        m.flags.append({"code": "sparse", "count": 0})
        return m
    xy = frame.xy(pts[:, 1], pts[:, 2])
    keep = believable(pts[:, 0], xy, limits)
    m.jumps = int((~keep).sum())
    xy, t = xy[keep], pts[keep, 0]
    m.kept = len(xy)
    if m.kept >= 2:
        m.distance_m = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    far = shapely.distance(shapely.points(xy), plane) > limits.outside_m
    m.outside = int(far.sum())
    track = LineString(xy) if m.kept >= 2 else Point(xy[0])
    # Simplifying by a fraction of the reach changes the covered area by less than that fraction and makes the
    # buffer of a 2,000-point track cheap.
    zone = track.simplify(limits.reach_m / 10).buffer(limits.reach_m, quad_segs=4)
    if plane.geom_type in ("LineString", "MultiLineString"):
        whole = plane.length
        m.coverage = plane.intersection(zone).length / whole if whole else 0.0
    else:
        whole = plane.area
        m.coverage = plane.intersection(zone).area / whole if whole else 0.0
    m.coverage = min(1.0, max(0.0, m.coverage))
    for cid, lon, lat, radius in checkpoints:
        c = frame.xy(np.array([lon]), np.array([lat]))[0]
        near = np.hypot(xy[:, 0] - c[0], xy[:, 1] - c[1]) <= radius
        if near.any():
            m.checkins.append((cid, float(t[int(np.argmax(near))])))
    if m.jumps:
        m.flags.append({"code": "jump", "count": m.jumps})
    if m.kept and m.outside / m.kept > limits.outside_share:
        m.flags.append({"code": "outside", "count": m.outside})
    if m.kept < limits.min_points:
        m.flags.append({"code": "sparse", "count": m.kept})
    return m


def line_length_m(geojson: dict[str, Any]) -> float:
    geom = shape(geojson)
    return float(frame_for(geom).geometry(geom).length)
