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
from shapely.geometry import shape
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


RELOCATE = 3  # fixes in a row that agree with one another but not with the track before them


def believable(t: np.ndarray, xy: np.ndarray, limits: Limits) -> tuple[np.ndarray, np.ndarray, int]:
    """Which points to believe, the piece of track each belongs to, and how many times the track jumped.

    Each point must be reachable from the last believed one at a car's speed. When ``RELOCATE`` rejected points
    in a row agree with one another, they are believed after all and start a new piece: either the person
    really moved (the phone lost its fix in a car) or what came before was wrong — a first fix far off, which
    a piece shorter than ``RELOCATE`` points is taken to be and dropped. Pieces are measured apart: no
    distance, coverage or check-in is counted across the gap between them."""
    n = len(t)
    keep = np.ones(n, dtype=bool)
    piece = np.zeros(n, dtype=np.int64)
    if n < 2:
        return keep, piece, 0
    step = np.hypot(*np.diff(xy, axis=0).T)
    dt = np.maximum(np.diff(t), 1.0)
    if not np.any((step > limits.jitter_m) & (step / dt > limits.max_speed)):
        return keep, piece, 0  # the usual case: nothing to walk through one by one

    def plausible(a: int, b: int) -> bool:
        d = math.hypot(xy[b, 0] - xy[a, 0], xy[b, 1] - xy[a, 1])
        return d <= limits.jitter_m or d / max(t[b] - t[a], 1.0) <= limits.max_speed

    last, current, started, jumps = 0, 0, 0, 0
    run: list[int] = []
    for i in range(1, n):
        if plausible(last, i):
            piece[i] = current
            last = i
            run = []
            continue
        keep[i] = False
        run = [*run, i] if run and plausible(run[-1], i) else [i]
        if len(run) >= RELOCATE:
            if keep[started : run[0]].sum() < RELOCATE:
                keep[started : run[0]] = False  # the few points before were the wrong ones
            jumps += 1
            current += 1
            started = run[0]
            keep[run] = True
            piece[run] = current
            last = run[-1]
            run = []
    return keep, piece, jumps


def _pieces(xy: np.ndarray, piece: np.ndarray) -> list[np.ndarray]:
    cut = np.flatnonzero(np.diff(piece)) + 1
    return [p for p in np.split(xy, cut) if len(p)]


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
    keep, piece, relocations = believable(pts[:, 0], xy, limits)
    m.jumps = int((~keep).sum()) + relocations
    xy, t, piece = xy[keep], pts[keep, 0], piece[keep]
    m.kept = len(xy)
    pieces = _pieces(xy, piece)
    m.distance_m = float(sum(np.hypot(*np.diff(p, axis=0).T).sum() for p in pieces if len(p) >= 2))
    if m.kept:
        zone = plane.buffer(limits.outside_m, quad_segs=4)
        shapely.prepare(zone)
        m.outside = int((~shapely.contains_xy(zone, xy[:, 0], xy[:, 1])).sum())
        if plane.geom_type in ("LineString", "MultiLineString"):
            m.coverage = line_coverage(pieces, plane, limits.reach_m)
        else:
            m.coverage = area_coverage(pieces, plane, limits.reach_m)
        m.coverage = min(1.0, max(0.0, m.coverage))
    for cid, lon, lat, radius in checkpoints:
        at = _first_pass(frame.xy(np.array([lon]), np.array([lat]))[0], xy, t, piece, radius)
        if at is not None:
            m.checkins.append((cid, at))
    if m.jumps:
        m.flags.append({"code": "jump", "count": m.jumps})
    if m.kept and m.outside / m.kept > limits.outside_share:
        m.flags.append({"code": "outside", "count": m.outside})
    if m.kept < limits.min_points:
        m.flags.append({"code": "sparse", "count": m.kept})
    return m


def _first_pass(c: np.ndarray, xy: np.ndarray, t: np.ndarray, piece: np.ndarray, radius: float) -> float | None:
    """When the track first came within ``radius`` of point ``c``: between fixes too (a fix every few minutes
    can walk past a point without one near it), the time interpolated along the segment."""
    if not len(xy):
        return None
    if len(xy) == 1:
        return float(t[0]) if math.hypot(*(xy[0] - c)) <= radius else None
    a, b = xy[:-1], xy[1:]
    ab = b - a
    len2 = np.maximum((ab * ab).sum(axis=1), 1e-12)
    f = np.clip(((c - a) * ab).sum(axis=1) / len2, 0.0, 1.0)
    near = np.hypot(*(a + ab * f[:, None] - c).T) <= radius
    near &= piece[:-1] == piece[1:]  # not across a jump
    if near.any():
        k = int(np.argmax(near))
        return float(t[k] + (t[k + 1] - t[k]) * f[k])
    close = np.hypot(*(xy - c).T) <= radius  # a lone point of its own piece
    return float(t[int(np.argmax(close))]) if close.any() else None


def line_coverage(pieces: list[np.ndarray], line: BaseGeometry, reach: float, step: float = 1.0) -> float:
    """The share of a line (a river section) within ``reach`` of the track: the line cut into pieces of at most
    ``step`` metres, each counted when its midpoint is within reach of a segment of the track. Exact to ``step``
    per end of each covered stretch; a track that goes up and down the river many times costs no more, unlike a
    buffer of it (GEOS's buffer of a self-overlapping line grows with every overlap)."""
    length = line.length
    if not length:
        return 0.0
    # At most 100,000 samples: a section longer than 100 km is measured to within length/100,000.
    n = min(100_000, max(1, math.ceil(length / step)))
    samples = shapely.line_interpolate_point(line, (np.arange(n) + 0.5) / n, normalized=True)
    parts = [
        shapely.linestrings(np.stack((p[:-1], p[1:]), axis=1)) if len(p) >= 2 else shapely.points(p) for p in pieces
    ]
    hit = shapely.STRtree(np.concatenate(parts)).query(samples, predicate="dwithin", distance=reach)
    return float(np.unique(hit[0]).size / n)


def _rows(bounds: tuple[float, float, float, float], reach: float) -> tuple[float, np.ndarray]:
    """The horizontal lines an area is measured along: a twentieth of the reach apart (5 m for 100 m), through
    the middles of equal strips; fewer only for an area so tall that there would be more than 20,000."""
    _, miny, _, maxy = bounds
    c = reach / 20
    while (maxy - miny) / c > 20_000:
        c *= 2
    n = max(1, math.ceil((maxy - miny) / c))
    return c, miny + c / 2 + np.arange(n) * c


def _union(row: np.ndarray, a: np.ndarray, b: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Intervals [a, b] on the lines ``row``, merged into disjoint ones, as positions on one long line (each row
    shifted by ``shift``, more than any interval is long, so that rows never touch)."""
    a = a + row * shift
    b = b + row * shift
    order = np.argsort(a)
    a, b = a[order], b[order]
    reach = np.maximum.accumulate(b)
    new = np.ones(len(a), dtype=bool)
    new[1:] = a[1:] > reach[:-1]
    starts = a[new]
    ends = np.maximum.reduceat(b, np.flatnonzero(new)) if len(a) else b
    return starts, ends


def _inside(area: BaseGeometry, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each line crosses the inside of a polygon (holes and several parts included): (row, x0, x1)."""
    rings = []
    for poly in getattr(area, "geoms", [area]):
        rings.append(np.asarray(poly.exterior.coords)[:, :2])
        rings += [np.asarray(r.coords)[:, :2] for r in poly.interiors]
    edges = np.concatenate([np.column_stack((r[:-1], r[1:])) for r in rings])  # x0, y0, x1, y1
    y0, y1 = edges[:, 1][None, :], edges[:, 3][None, :]
    crosses = ((y0 <= ys[:, None]) & (ys[:, None] < y1)) | ((y1 <= ys[:, None]) & (ys[:, None] < y0))
    row, edge = np.nonzero(crosses)
    e = edges[edge]
    x = e[:, 0] + (ys[row] - e[:, 1]) * (e[:, 2] - e[:, 0]) / (e[:, 3] - e[:, 1])
    order = np.lexsort((x, row))
    row, x = row[order], x[order]
    # A line crosses the boundary an even number of times: inside between the 1st and 2nd, 3rd and 4th …
    return row[0::2], x[0::2], x[1::2]


def densify(xy: np.ndarray, step: float) -> np.ndarray:
    """The track with points added so that none is farther than ``step`` from the next."""
    if len(xy) < 2:
        return xy
    seg = np.diff(xy, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step).astype(np.int64))
    starts = np.repeat(xy[:-1], n, axis=0)
    frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
    return np.vstack((starts + np.repeat(seg, n, axis=0) * frac[:, None], xy[-1:]))


def area_coverage(pieces: list[np.ndarray], area: BaseGeometry, reach: float) -> float:
    """The share of an area (a grid) within ``reach`` of the track.

    Measured along horizontal lines a twentieth of the reach apart: on each line, the stretches inside the area
    and the stretches within reach of the track are intervals, exact in x; the area's share is the total length
    of their intersection over the total length inside (the midpoint rule in y, off by at most a line's strip
    along the covered part's upper and lower edges). The track's reach is the union of disks around the points
    of the track simplified to within reach/20 and densified to a fifth of the reach, which is its buffer to
    within about reach/20 (5 m at 100 m: a phone's GPS error).

    Not ``track.buffer(reach)``: a day's walk crosses itself hundreds of times, and GEOS's buffer of such a line
    takes about two seconds per track (bench/patrol_coverage.py)."""
    c, ys = _rows(area.bounds, reach)
    prow, p0, p1 = _inside(area, ys)
    inside = float((p1 - p0).sum())
    if not inside:
        return 0.0
    minx, miny, maxx, maxy = area.bounds
    shift = (maxx - minx) + 4 * reach + 1

    # The track simplified to a twentieth of the reach (Douglas–Peucker: every point stays within it), about the
    # GPS's own error, then densified so that disks around its points make its buffer.
    def prepared(xy: np.ndarray) -> np.ndarray:
        if len(xy) > 2:
            xy = np.asarray(shapely.simplify(shapely.linestrings(xy), reach / 20, preserve_topology=False).coords)
        return densify(xy, reach / 5)

    pts = np.concatenate([prepared(p) for p in pieces])
    # Points that cannot reach the area change nothing; points within a fiftieth of the reach of one another
    # (standing still, walking to and fro) count once.
    near = (
        (pts[:, 0] > minx - reach)
        & (pts[:, 0] < maxx + reach)
        & (pts[:, 1] > miny - reach)
        & (pts[:, 1] < maxy + reach)
    )
    pts = pts[near]
    q = np.round((pts - (minx - reach, miny - reach)) / (reach / 50)).astype(np.int64)
    _, first = np.unique(q[:, 0] * (1 << 32) + q[:, 1], return_index=True)
    pts = pts[first]
    if not len(pts):
        return 0.0
    j0 = np.clip(np.ceil((pts[:, 1] - reach - ys[0]) / c).astype(np.int64), 0, len(ys))
    j1 = np.clip(np.floor((pts[:, 1] + reach - ys[0]) / c).astype(np.int64), -1, len(ys) - 1)
    count = np.maximum(0, j1 - j0 + 1)
    which = np.repeat(np.arange(len(pts)), count)
    rows = np.repeat(j0, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    dy = ys[rows] - pts[which, 1]
    w = np.sqrt(np.maximum(reach * reach - dy * dy, 0.0))
    x = pts[which, 0] - minx + 2 * reach  # positive, so that a row's shift keeps it apart from the next
    u0, u1 = _union(rows, x - w, x + w, shift)
    # Covered length up to position t on the long line: whole intervals before it, and part of the one it is in.
    done = np.concatenate(([0.0], np.cumsum(u1 - u0)))

    def upto(t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(u0, t, side="right") - 1
        part = np.where(k >= 0, np.clip(t - u0[np.maximum(k, 0)], 0, (u1 - u0)[np.maximum(k, 0)]), 0.0)
        return done[np.maximum(k, 0)] * (k >= 0) + part

    base = prow * shift + 2 * reach - minx
    covered = float((upto(p1 + base) - upto(p0 + base)).sum())
    return min(1.0, covered / inside)


def line_length_m(geojson: dict[str, Any]) -> float:
    geom = shape(geojson)
    return float(frame_for(geom).geometry(geom).length)
