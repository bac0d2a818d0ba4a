"""Patrol coverage for a whole day: ``.venv/bin/python bench/patrol_coverage.py [--workers 100] [--points 2000]``.

The demo town's 125 grids (``jingwu.geo.town.build``, no database); each of ``--workers`` grid workers walks
one day's track of ``--points`` points (one every 5 s, a walker's pace, wandering through their grid with GPS
noise and, for one worker in ten, one GPS jump). Measured, best of ``--repeat`` runs:

1. ``patrols.geometry.measure`` — what ending a patrol runs: repeats removed, the implausible-jump check, the
   local projection, length, points outside, coverage of the grid within 100 m of the track, check-ins at three
   required points per grid;
2. raw baseline: shapely alone on the first ``--raw-tracks`` tracks, already projected — ``LineString(xy).buffer(100)``
   intersected with the projected grid, area ratio; no cleaning, no checks. A day's walk crosses itself hundreds of
   times and GEOS's buffer of such a line takes seconds, so it is timed once, per track.

Goal (issue 13): the whole day (100 × 2,000 points) under 1 s on this machine.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, Point, shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jingwu.geo import town  # noqa: E402
from jingwu.patrols import geometry  # noqa: E402


def tracks(grids: list, workers: int, points: int, seed: int = 13) -> list[tuple[list[list[float]], object, list]]:
    rng = random.Random(seed)
    out = []
    t0 = 1_772_413_200.0
    for w in range(workers):
        poly = grids[w % len(grids)]
        frame = geometry.frame_for(poly)
        minx, miny, maxx, maxy = poly.bounds
        x, y = poly.representative_point().coords[0]
        heading = rng.uniform(0, 2 * math.pi)
        rows = []
        for i in range(points):
            # 1.3 m/s for 5 s, turning now and then, turning back at the grid's edge
            heading += rng.gauss(0, 0.25)
            nx = x + math.cos(heading) * 6.5 / frame.kx
            ny = y + math.sin(heading) * 6.5 / frame.ky
            if not poly.contains(Point(nx, ny)):
                heading += math.pi
                nx, ny = x, y
            x, y = nx, ny
            rows.append([t0 + 5 * i, x + rng.gauss(0, 3) / frame.kx, y + rng.gauss(0, 3) / frame.ky, 8.0])
        if w % 10 == 0:
            j = points // 2
            rows[j] = [rows[j][0], rows[j][1] + 0.05, rows[j][2], 8.0]  # ~4 km away for one fix
        cps = [
            (k, *poly.representative_point().coords[0], 50.0)
            if k == 0
            else (k, rng.uniform(minx, maxx), rng.uniform(miny, maxy), 50.0)
            for k in range(3)
        ]
        out.append((rows, poly, cps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=100)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--raw-tracks", type=int, default=5, help="tracks the raw baseline is measured on (seconds each)")
    args = ap.parse_args()
    features = town.build("120111", "103", grids=125, seed=2019)
    grids = [shape(f["geometry"]) for f in features if f["properties"].get("type") == "grid"]
    day = tracks(grids, args.workers, args.points)
    limits = geometry.Limits(reach_m=100)
    n = sum(len(rows) for rows, _, _ in day)

    def ours() -> list[float]:
        return [geometry.measure(rows, poly, limits, cps).coverage for rows, poly, cps in day]

    projected = []
    for rows, poly, _ in day:
        frame = geometry.frame_for(poly)
        a = np.asarray(rows)
        projected.append((frame.xy(a[:, 1], a[:, 2]), frame.geometry(poly)))

    sample = projected[: args.raw_tracks]

    def raw() -> list[float]:
        return [plane.intersection(LineString(xy).buffer(100)).area / plane.area for xy, plane in sample]

    def best(fn) -> tuple[float, list[float]]:
        times, result = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return min(times), result

    start = time.perf_counter()
    cov_raw = raw()
    t_raw = (time.perf_counter() - start) / len(sample)  # per track; it takes seconds each, so once
    t_ours, cov_ours = best(ours)
    diff = max(abs(a - b) for a, b in zip(cov_ours, cov_raw, strict=False))
    per = t_ours / args.workers
    print(f"patrol coverage: {args.workers} tracks × {args.points} points = {n:,} points, best of {args.repeat}")
    print(f"  raw: LineString(track).buffer(100) ∩ grid, per track ({len(sample)} tracks): {t_raw * 1000:9.1f} ms")
    print(f"  patrols.geometry.measure, per track:                      {per * 1000:9.2f} ms ({per / t_raw:.4f}× raw)")
    print(f"  patrols.geometry.measure, the whole day:                  {t_ours * 1000:9.1f} ms")
    print(f"  mean coverage {np.mean(cov_ours):.3f}; largest difference from raw {diff:.4f} (raw keeps the jumps)")
    print(f"  goal: the whole day under 1 s: {'met' if t_ours < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
