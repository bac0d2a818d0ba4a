"""A city for the benchmarks: ``.venv/bin/python bench/city.py [--cases 10000000] [--grids 50000] [--years 5]``.

Builds the database ``jingwu_city`` on ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432): 16
districts (the codes of Tianjin's), their streets and communities, ``--grids`` irregular grids (Voronoi cells
of points drawn densely in the centre and sparsely at the edges), departments per district, a grid worker for
most grids, ``--cases`` cases over ``--years`` years to now with their steps (上报 … 结案, 回退, 返工, 延期),
photos as references (attachment rows whose files are not written), the audit rows of the last 90 days,
and ``--devices`` monitoring devices. Open cases are spread as in life: the pipeline of the last days, long
extensions, old 挂账.

Rows are generated with numpy, month by month, and loaded with ``COPY`` into tables whose secondary indexes
and foreign keys were dropped first (they are rebuilt at the end, as the migrations define them). Each month
is one transaction that also records itself in ``bench_city_stage``: run the command again after an
interruption and it goes on where it stopped. ``--fresh`` drops the database first.
"""

from __future__ import annotations

import argparse
import calendar
import functools
import hashlib
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from shapely.geometry import mapping

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_CITY_DB", "jingwu_city")
DB_URL = f"{PG}/{DB}"
SEED = 2026

DISTRICTS = [
    ("120101", "和平区"), ("120102", "河东区"), ("120103", "河西区"), ("120104", "南开区"),
    ("120105", "河北区"), ("120106", "红桥区"), ("120110", "东丽区"), ("120111", "西青区"),
    ("120112", "津南区"), ("120113", "北辰区"), ("120114", "武清区"), ("120115", "宝坻区"),
    ("120116", "滨海新区"), ("120117", "宁河区"), ("120118", "静海区"), ("120119", "蓟州区"),
]  # fmt: skip
DEPT_KINDS = [
    "城管委", "住建委", "市容园林", "交通运输", "水务局", "生态环境", "市场监管", "应急管理", "公安分局交警支队",
    "卫健委", "教育局", "民政局", "人社局", "规划资源", "房管局", "商务局", "农业农村", "文旅局", "消防救援支队",
    "街道综合执法", "供水公司", "供热公司", "燃气公司", "电力公司", "通信公司",
]  # fmt: skip
CENTRE = (117.20, 39.13)
KM_LON, KM_LAT = 1 / 86.0, 1 / 111.0
TABLES = ("cases_case", "cases_transition", "cases_attachment", "audit_auditevent", "iot_device")


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(),
    )  # fmt: skip


# --- the database and its stages -------------------------------------------------------------------


def ensure_db(fresh: bool) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            conn.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_city_stage (name text PRIMARY KEY, done_at timestamptz, info jsonb)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_city_ddl (name text PRIMARY KEY, tbl text, ddl text, pos serial)"
        )


def done(conn: psycopg.Connection[Any], stage: str) -> bool:
    return conn.execute("SELECT 1 FROM bench_city_stage WHERE name = %s", (stage,)).fetchone() is not None


def mark(conn: psycopg.Connection[Any], stage: str, info: str = "{}") -> None:
    conn.execute("INSERT INTO bench_city_stage VALUES (%s, now(), %s)", (stage, info))


def django_setup() -> None:
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    os.environ.setdefault("JINGWU_LOG_LEVEL", "ERROR")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- territory -------------------------------------------------------------------------------------


def boundary() -> Any:
    """An irregular city outline about 110 km across."""
    ang = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = 55 * (1 + 0.12 * np.sin(3 * ang + 0.4) + 0.07 * np.sin(7 * ang + 1.1) + 0.04 * np.cos(11 * ang))
    xs = CENTRE[0] + r * np.cos(ang) * KM_LON
    ys = CENTRE[1] + r * np.sin(ang) * KM_LAT
    return shapely.Polygon(np.column_stack([xs, ys]))


def seeds(n: int, rng: np.random.Generator, outline: Any) -> np.ndarray:
    """Grid seeds: dense in the centre (small grids), sparse at the edges (large ones)."""
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = n
        which = rng.random(m)
        sigma = np.where(which < 0.45, 7.0, np.where(which < 0.8, 18.0, 60.0))
        pts = rng.normal(0, 1, (m, 2)) * sigma[:, None]
        pts = np.column_stack([CENTRE[0] + pts[:, 0] * KM_LON, CENTRE[1] + pts[:, 1] * KM_LAT])
        inside = shapely.contains_xy(outline, pts[:, 0], pts[:, 1])
        out.append(pts[inside])
        have += int(inside.sum())
    pts = np.concatenate(out)[:n]
    return pts


def nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    best = np.zeros(len(points), dtype=np.int64)
    dist = np.full(len(points), np.inf)
    for j, c in enumerate(centres):
        d = ((points[:, 0] - c[0]) / KM_LON) ** 2 + ((points[:, 1] - c[1]) / KM_LAT) ** 2
        closer = d < dist
        best[closer], dist[closer] = j, d[closer]
    return best


def split(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k compact groups of points (a few rounds of k-means from random members)."""
    k = max(1, min(k, len(points)))
    centres = points[rng.choice(len(points), k, replace=False)]
    for _ in range(4):
        label = nearest(points, centres)
        for j in range(k):
            members = points[label == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    return nearest(points, centres)


def geo_row(geom: Any) -> tuple[str, float, float, float, float, float, float]:
    import json

    geom = shapely.set_precision(geom, 1e-6)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    minx, miny, maxx, maxy = geom.bounds
    c = geom.representative_point()
    return json.dumps(mapping(geom)), minx, miny, maxx, maxy, c.x, c.y


def build_territory(conn: psycopg.Connection[Any], n_grids: int) -> None:
    rng = np.random.default_rng(SEED)
    outline = boundary()
    say(f"territory: {n_grids:,} grid seeds, Voronoi cells")
    pts = seeds(n_grids, rng, outline)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=outline, ordered=True)
    cells = shapely.intersection(np.array(cells.geoms), outline)
    # Districts: six small ones in the centre, ten large ones around them.
    ring = [
        (CENTRE[0] + r * math.cos(a) * KM_LON, CENTRE[1] + r * math.sin(a) * KM_LAT)
        for r, n in ((5.0, 6), (33.0, 10))
        for a in np.linspace(0, 2 * np.pi, n, endpoint=False) + r
    ]
    district = nearest(pts, np.array(ring))
    street = np.zeros(n_grids, dtype=np.int64)
    community = np.zeros(n_grids, dtype=np.int64)
    rows: list[tuple[Any, ...]] = []  # (id, code, name, level, parent_id, geom)
    grid_rows: list[tuple[Any, ...]] = []
    next_id = 1
    with progress() as bar:
        task = bar.add_task("districts, streets, communities", total=len(DISTRICTS))
        for d, (dcode, dname) in enumerate(DISTRICTS):
            in_d = np.flatnonzero(district == d)
            d_id, next_id = next_id, next_id + 1
            rows.append((d_id, dcode + "000000", dname, "district", None, shapely.union_all(cells[in_d])))
            s_label = split(pts[in_d], max(1, round(len(in_d) / 150)), rng)
            for s in range(s_label.max() + 1):
                in_s = in_d[s_label == s]
                if not len(in_s):
                    continue
                s_id, next_id = next_id, next_id + 1
                s_code = f"{dcode}{s + 1:03d}000"
                rows.append((s_id, s_code, f"{dname}第{s + 1}街道", "town", d_id, shapely.union_all(cells[in_s])))
                c_label = split(pts[in_s], max(1, round(len(in_s) / 7)), rng)
                for c in range(c_label.max() + 1):
                    in_c = in_s[c_label == c]
                    if not len(in_c):
                        continue
                    c_id, next_id = next_id, next_id + 1
                    c_code = f"{s_code[:9]}{c + 1:03d}"
                    rows.append(
                        (
                            c_id,
                            c_code,
                            f"{dname}{s + 1}街{c + 1}社区",
                            "community",
                            s_id,
                            shapely.union_all(cells[in_c]),
                        )
                    )
                    for g, i in enumerate(in_c):
                        street[i], community[i] = s_id, c_id
                        grid_rows.append((int(i) + 1, f"{c_code}{g + 1:03d}", f"第{g + 1}网格", c_id, cells[i]))
            bar.advance(task)
    say(f"territory: {len(rows):,} regions, {len(grid_rows):,} grids; writing")
    geo_cols = "geometry, min_lon, min_lat, max_lon, max_lat, center_lon, center_lat"
    with conn.cursor().copy(f"COPY geo_region (id, code, name, level, parent_id, {geo_cols}) FROM STDIN") as cp:
        for rid, code, name, level, parent, geom in rows:
            cp.write_row((rid, code, name, level, parent, *geo_row(geom)))
    with conn.cursor().copy(f"COPY geo_grid (id, code, name, region_id, {geo_cols}) FROM STDIN") as cp:
        for gid, code, name, region, geom in grid_rows:
            cp.write_row((gid, code, name, region, *geo_row(geom)))
    for table in ("geo_region", "geo_grid"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    np.save(STATE / "grid_seeds.npy", pts)
    mark(conn, "territory")


# --- people ----------------------------------------------------------------------------------------


def build_people() -> None:
    """Departments, staff and a grid worker for four grids in five (ORM bulk inserts: thousands, not millions)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from jingwu.cases.models import Category, RoutingRule
    from jingwu.geo.models import Grid, Region
    from jingwu.org.choices import DepartmentKind, Role
    from jingwu.org.models import Department, GridAssignment, Person

    User = get_user_model()
    password = make_password("jingwu-demo-2026")
    rng = np.random.default_rng(SEED + 1)
    with transaction.atomic():
        depts = [
            Department(code=f"D{d:02d}{k:02d}", name=f"{dname}{kind}", kind=DepartmentKind.choices[0][0])
            for d, (_, dname) in enumerate(DISTRICTS)
            for k, kind in enumerate(DEPT_KINDS)
        ]
        Department.objects.bulk_create(depts)
        districts = list(Region.objects.filter(level="district").order_by("code"))
        by_code = {d.code: d for d in Department.objects.all()}
        for d, region in enumerate(districts):
            RoutingRule.objects.create(
                priority=10_000 + d, region=region, department=by_code[f"D{d:02d}00"], note="未匹配时由区城管委兜底"
            )
        staff: list[tuple[str, str, str, str | None]] = [
            ("admin", "管理员", Role.ADMIN, None),
            ("leader", "市领导", Role.LEADER, None),
        ]
        staff += [(f"op{i:02d}", f"受理员{i}", Role.OPERATOR, None) for i in range(1, 21)]
        staff += [(f"sl{i:02d}", f"值班长{i}", Role.SHIFT_LEAD, None) for i in range(1, 9)]
        staff += [(f"dp{i:02d}", f"派遣员{i}", Role.DISPATCHER, None) for i in range(1, 21)]
        staff += [(f"h_{c.lower()}", f"{by_code[c].name}承办人", Role.HANDLER, c) for c in sorted(by_code)]
        grids = list(Grid.objects.order_by("id").values_list("id", flat=True))
        n_workers = len(grids) * 4 // 5
        staff += [(f"gw{i:05d}", f"网格员{i}", Role.GRID_WORKER, None) for i in range(1, n_workers + 1)]
        users = User.objects.bulk_create([User(username=u, password=password) for u, *_ in staff], batch_size=5000)
        people = Person.objects.bulk_create(
            [
                Person(
                    user=u,
                    name=name,
                    role=role,
                    department=by_code[dept] if dept else None,
                    phone=f"13{rng.integers(10**9):09d}",
                )
                for u, (_, name, role, dept) in zip(users, staff, strict=True)
            ],
            batch_size=5000,
        )
        workers = [p for p in people if p.role == Role.GRID_WORKER]
        extra = rng.integers(0, len(workers), len(grids) - len(workers))
        GridAssignment.objects.bulk_create(
            [
                GridAssignment(person=workers[i] if i < len(workers) else workers[extra[i - len(workers)]], grid_id=g)
                for i, g in enumerate(grids)
            ],
            batch_size=10000,
        )
        assert Category.objects.exists(), "the catalogue comes with the migrations"


# --- indexes off while loading -----------------------------------------------------------------------


def drop_indexes(conn: psycopg.Connection[Any]) -> None:
    """Keep the primary keys; remember and drop every other index and constraint of the big tables."""
    for table in TABLES:
        for name, ddl in conn.execute(
            "SELECT conname, format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', %s::text, conname, "
            "pg_get_constraintdef(oid)) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f')"
            "ORDER BY contype DESC",  # unique first: a foreign key may need the other table's unique index
            (table, table),
        ).fetchall():
            conn.execute(
                "INSERT INTO bench_city_ddl (name, tbl, ddl) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (name, table, ddl),
            )
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}" CASCADE')
        for name, ddl in conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (table,),
        ).fetchall():
            conn.execute(
                "INSERT INTO bench_city_ddl (name, tbl, ddl) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (name, table, ddl),
            )
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')
    # Other tables' foreign keys into the big ones (an alarm's case, a hazard's case…) are checked per row too.
    for table, name, ddl in conn.execute(
        "SELECT conrelid::regclass::text, conname, format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', "
        "conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE contype = 'f' "
        "AND confrelid = ANY(%s::regclass[]) AND NOT conrelid = ANY(%s::regclass[])",
        (list(TABLES), list(TABLES)),
    ).fetchall():
        conn.execute(
            "INSERT INTO bench_city_ddl (name, tbl, ddl) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (name, table, ddl)
        )
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')


def rebuild_indexes() -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        todo = conn.execute(
            "SELECT name, tbl, ddl FROM bench_city_ddl ORDER BY ddl LIKE '%%FOREIGN KEY%%', pos"
        ).fetchall()
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        with progress() as bar:
            task = bar.add_task("indexes and constraints", total=len(todo))
            for name, table, ddl in todo:
                bar.update(task, description=f"{table}.{name}"[:60])
                partitioned = conn.execute(
                    "SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", (table,)
                ).fetchone()[0]  # type: ignore[index]
                if "FOREIGN KEY" in ddl and not partitioned:  # NOT VALID then VALIDATE: no lock that blocks readers
                    conn.execute(ddl + " NOT VALID")
                    conn.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
                else:
                    conn.execute(ddl)
                conn.execute("DELETE FROM bench_city_ddl WHERE name = %s", (name,))
                bar.advance(task)


# --- cases, month by month ---------------------------------------------------------------------------

STATES = ["reported", "verifying", "to_file", "to_dispatch", "handling", "returned", "to_check", "to_close",
          "suspended", "closed", "voided", "merged"]  # fmt: skip
S = {s: i for i, s in enumerate(STATES)}
SOURCES = np.array(["grid_worker", "public", "hotline", "open311", "iot", "inspection", "superior", "media"])
SOURCE_P = np.array([0.55, 0.12, 0.20, 0.03, 0.05, 0.03, 0.01, 0.01])
HOURS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 9, 11, 14, 14, 13, 11, 8, 6, 4, 3, 2, 1], dtype=float)
NULL = "\\N"
EPOCH0 = np.datetime64("1970-01-01T00:00:00", "s")


def ts(values: np.ndarray) -> list[str]:
    """Epoch seconds → COPY text (UTC); 0 → NULL."""
    text = np.datetime_as_string(EPOCH0 + values.astype("timedelta64[s]"), unit="s")
    return [f"{t}+00" if v else "\\N" for t, v in zip(text.tolist(), values.tolist(), strict=True)]


class World:
    """What every month needs: grids with their workers and districts, categories, departments, staff."""

    def __init__(self, conn: psycopg.Connection[Any], now: int) -> None:
        self.now = now
        g = conn.execute(
            "SELECT g.id, g.region_id, s.parent_id, r.parent_id, g.code FROM geo_grid g "
            "JOIN geo_region s ON s.id = g.region_id JOIN geo_region r ON r.id = s.parent_id ORDER BY g.id"
        ).fetchall()
        self.grid_ids = np.array([r[0] for r in g])
        self.grid_region = np.array([r[1] for r in g])
        district_ids = sorted({r[3] for r in g})
        self.grid_district = np.array([district_ids.index(r[3]) for r in g])
        pts = np.load(STATE / "grid_seeds.npy")
        self.grid_lon, self.grid_lat = pts[:, 0], pts[:, 1]
        rng = np.random.default_rng(SEED + 2)
        act = rng.lognormal(0, 0.9, len(g))
        self.grid_p = act / act.sum()
        worker = dict(
            conn.execute(
                "SELECT DISTINCT ON (a.grid_id) a.grid_id, p.user_id FROM org_gridassignment a "
                "JOIN org_person p ON p.id = a.person_id ORDER BY a.grid_id, a.id"
            ).fetchall()
        )
        self.grid_worker = np.array([worker.get(int(i), 0) for i in self.grid_ids])
        cats = conn.execute(
            "SELECT c.id, f.id, f.limit_value, f.limit_unit, c.case_kind FROM cases_category c "
            "JOIN cases_filingcondition f ON f.category_id = c.id AND f.is_default "
            "WHERE c.case_kind IN ('event', 'component') AND c.active ORDER BY c.id"
        ).fetchall()
        self.cat_ids = np.array([c[0] for c in cats])
        self.cat_cond = np.array([c[1] for c in cats])
        self.cat_kind = np.array([c[4] for c in cats])
        hours = {"work_hours": 1.4, "work_days": 24.0 * 1.4, "continuous_hours": 1.0}
        self.cat_limit = np.array([c[2] * hours.get(c[3], 1.0) * 3600 for c in cats])
        zipf = 1 / np.arange(1, len(cats) + 1) ** 1.1
        self.cat_p = rng.permutation(zipf / zipf.sum())
        depts = dict(conn.execute("SELECT code, id FROM org_department").fetchall())
        self.dept = np.array([[depts[f"D{d:02d}{k:02d}"] for k in range(len(DEPT_KINDS))] for d in range(16)])
        users = dict(conn.execute("SELECT username, id FROM auth_user").fetchall())
        self.handler = np.array([[users[f"h_d{d:02d}{k:02d}"] for k in range(len(DEPT_KINDS))] for d in range(16)])
        self.shift = np.array([users[f"sl{i:02d}"] for i in range(1, 9)])
        self.disp = np.array([users[f"dp{i:02d}"] for i in range(1, 21)])
        self.ops = np.array([users[f"op{i:02d}"] for i in range(1, 21)])


def month_sizes(total: int, years: int, now: datetime) -> list[tuple[int, int, int, int]]:
    """(year, month, first case id, count) for every month from ``years`` back to now; growth year on year."""
    start = datetime(now.year - years, now.month, 1, tzinfo=UTC)
    months = []
    y, m = start.year, start.month
    while (y, m) <= (now.year, now.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    weight = np.array([1.0 + 0.08 * i / 12 for i in range(len(months))])
    weight *= np.array([1.15 if mm in (6, 7, 8) else 0.85 if mm in (1, 2) else 1.0 for _, mm in months])
    days = np.array([calendar.monthrange(yy, mm)[1] for yy, mm in months], dtype=float)
    days[-1] = now.day - 1 + now.hour / 24
    days[0] -= 0  # the first month is whole
    weight *= days
    counts = np.floor(weight / weight.sum() * total).astype(int)
    counts[-1] += total - counts.sum()
    out, first = [], 1
    for (yy, mm), n in zip(months, counts.tolist(), strict=True):
        out.append((yy, mm, first, n))
        first += n
    return out


def gen_month(world: World, y: int, m: int, first: int, n: int) -> dict[str, Any]:
    """Columns of the month's cases and of their steps, as numpy arrays."""
    rng = np.random.default_rng([SEED, y, m])
    start = int(datetime(y, m, 1, tzinfo=UTC).timestamp()) - 8 * 3600  # the town's midnight (UTC+8)
    ndays = calendar.monthrange(y, m)[1]
    day = rng.integers(0, ndays, n)
    hour = rng.choice(24, n, p=HOURS / HOURS.sum())
    rep = start + day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    rep = np.minimum(np.sort(rep), world.now - 60)
    grid = rng.choice(len(world.grid_ids), n, p=world.grid_p)
    cat = rng.choice(len(world.cat_ids), n, p=world.cat_p)
    src = rng.choice(len(SOURCES), n, p=SOURCE_P)
    district = world.grid_district[grid]
    dept_k = (world.cat_ids[cat] * 7 + rng.integers(0, 3, n)) % len(DEPT_KINDS)
    c = {
        "id": np.arange(first, first + n),
        "rep": rep,
        "grid": grid,
        "cat": cat,
        "src": src,
        "dk": dept_k,
        "district": district,
    }
    worker_src = SOURCES[src] == "grid_worker"
    # The pipeline: a citizen's report is accepted (or verified) first; a worker's own is 待立案 at once.
    accept = np.where(worker_src, 0, rep + rng.lognormal(np.log(900), 0.6, n).astype(int))
    verify = (~worker_src) & (rng.random(n) < 0.15)
    filed = np.where(worker_src, rep, accept) + rng.lognormal(np.log(1500), 0.7, n).astype(int)
    disp = filed + rng.lognormal(np.log(1200), 0.7, n).astype(int)
    limit = world.cat_limit[cat]
    returned = rng.random(n) < 0.03
    redisp = np.where(returned, disp + rng.lognormal(np.log(7200), 0.8, n).astype(int), disp)
    extension = rng.random(n) < np.where(rng.random(n) < 0.1, 0.5, 0.04)
    ext_count = np.where(extension, rng.integers(1, 4, n), 0)
    deadline = redisp + limit.astype(int) + ext_count * (limit.astype(int) * rng.integers(1, 8, n))
    long_ext = extension & (rng.random(n) < 0.05)  # 延期 of months (works, demolitions)
    deadline = np.where(long_ext, deadline + rng.integers(30, 240, n) * 86400, deadline)
    work = rng.lognormal(np.log(np.maximum(limit * 0.45, 1800)), 0.9)
    work = np.where(long_ext, work + (deadline - redisp) * rng.uniform(0.3, 1.1, n), work)
    fb = redisp + work.astype(int)
    rework = rng.random(n) < 0.02
    chk = fb + rng.lognormal(np.log(5400), 0.8, n).astype(int)
    fb2 = np.where(rework, chk + rng.lognormal(np.log(36000), 0.8, n).astype(int), fb)
    chk2 = np.where(rework, fb2 + rng.lognormal(np.log(5400), 0.8, n).astype(int), chk)
    close = chk2 + rng.lognormal(np.log(1800), 0.7, n).astype(int)
    voided = rng.random(n) < 0.03
    void_at = np.where(worker_src, rep, accept) + rng.integers(300, 7200, n)
    suspended = (~voided) & (rng.random(n) < 0.002)  # 挂账: stays open for years
    susp_at = redisp + rng.integers(86400, 30 * 86400, n)
    now = world.now
    status = np.select(
        [
            voided & (void_at <= now),
            voided,
            suspended & (susp_at <= now),
            (~worker_src) & (accept > now) & verify,
            (~worker_src) & (accept > now),
            filed > now,
            disp > now,
            returned & (redisp > now),
            fb2 > now,
            chk2 > now,
            close > now,
        ],
        [
            S["voided"],
            S["reported"],
            S["suspended"],
            S["verifying"],
            S["reported"],
            S["to_file"],
            S["to_dispatch"],
            S["returned"],
            S["handling"],
            S["to_check"],
            S["to_close"],
        ],
        S["closed"],
    )
    c.update(
        status=status,
        accept=accept,
        verify=verify,
        filed=filed,
        disp=disp,
        returned=returned,
        redisp=redisp,
        deadline=deadline,
        ext=ext_count,
        fb=fb,
        rework=rework,
        chk=chk,
        fb2=fb2,
        chk2=chk2,
        close=close,
        void_at=void_at,
        susp_at=susp_at,
        voided=voided,
        worker_src=worker_src,
    )
    return c


def case_lines(world: World, c: dict[str, Any], y: int) -> Iterator[str]:
    n = len(c["id"])
    st = c["status"]
    stage = lambda at, cond: np.where(cond, at, 0)  # noqa: E731
    reached = lambda state_list: np.isin(st, [S[s] for s in state_list])  # noqa: E731
    past_dispatch = reached(["handling", "returned", "to_check", "to_close", "closed", "suspended"])
    past_fb = reached(["to_check", "to_close", "closed"])
    closed = st == S["closed"]
    dispatched = stage(c["disp"], past_dispatch)
    deadline = stage(c["deadline"], past_dispatch & (st != S["returned"]))
    fb_at = stage(c["fb2"], past_fb)
    closed_at = stage(c["close"], closed)
    on_time = np.where(past_fb, np.where(c["fb2"] <= c["deadline"], "t", "f"), "\\N")
    due = np.select(
        [
            st == S["handling"],
            st == S["reported"],
            st == S["verifying"],
            st == S["to_file"],
            st == S["to_dispatch"],
            st == S["returned"],
            st == S["to_check"],
            st == S["to_close"],
        ],
        [
            c["deadline"],
            c["rep"] + 3600,
            c["accept"] + 4 * 3600,
            c["rep"] + 7200,
            c["filed"] + 3600,
            c["disp"] + 7200,
            c["fb2"] + 4 * 3600,
            c["chk2"] + 3600,
        ],
        0,
    )
    updated = np.select(
        [closed, st == S["voided"], st == S["suspended"], past_fb, past_dispatch],
        [c["close"], c["void_at"], c["susp_at"], c["fb2"], c["redisp"]],
        c["rep"],
    )
    satisfaction = np.where(
        closed & ~c["worker_src"],
        np.random.default_rng(int(c["id"][0])).choice(
            ["satisfied", "satisfied", "satisfied", "basic", "unsatisfied"], n
        ),
        "",
    )
    # 回访: a dissatisfied reporter is called back within days; the last days' are still waiting.
    revisit_at = c["close"] + 86400 + (c["id"] % 172800)
    revisited = ts(np.where((satisfaction == "unsatisfied") & (revisit_at <= world.now), revisit_at, 0))
    dept = np.where(past_dispatch | (st == S["returned"]), world.dept[c["district"], c["dk"]], 0)
    cols = {
        "rep": ts(c["rep"]),
        "upd": ts(np.maximum(updated, c["rep"])),
        "due": ts(due),
        "dl": ts(deadline),
        "disp": ts(dispatched),
        "fb": ts(fb_at),
        "cl": ts(closed_at),
    }
    grid = c["grid"]
    jitter = np.random.default_rng(int(c["id"][0]) + 1).normal(0, 0.0006, (n, 2))
    lon = world.grid_lon[grid] + jitter[:, 0]
    lat = world.grid_lat[grid] + jitter[:, 1]
    prefix = "JW" + str(y)
    rng = np.random.default_rng(int(c["id"][0]) + 3)
    road = rng.integers(0, len(ROADS), n)
    phrase = rng.choice(len(PHRASES), n, p=PHRASE_P)
    house = rng.integers(1, 300, n)
    text = [
        _texts(int(r), int(p), int(h), DISTRICTS[int(d)][1])
        for r, p, h, d in zip(road.tolist(), phrase.tolist(), house.tolist(), c["district"].tolist(), strict=True)
    ]
    for i, cid in enumerate(c["id"].tolist()):
        g = int(grid[i])
        cat = int(c["cat"][i])
        d = int(dept[i])
        yield (
            f"{cid}\t{prefix}{cid:08d}\t{world.cat_kind[cat]}\t{world.cat_ids[cat]}\t{world.cat_cond[cat]}\t"
            f"{SOURCES[c['src'][i]]}\t\t{lon[i]:.6f}\t{lat[i]:.6f}\t{text[i][1]}\t{world.grid_ids[g]}\t"
            f"{world.grid_region[g]}\t{text[i][0]}\t\t\t{cid * 2654435761 % 4294967296:08x}\t"
            f"{STATES[st[i]]}\t{d or NULL}\t{cols['rep'][i]}\t{cols['upd'][i]}\t{cols['due'][i]}\t{cols['dl'][i]}\t"
            f"{cols['disp'][i]}\t{cols['fb'][i]}\t{cols['cl'][i]}\t{on_time[i]}\t{c['ext'][i]}\t{int(c['rework'][i] and past_fb[i])}\t"
            f"{int(c['returned'][i] and past_dispatch[i])}\t0\t{satisfaction[i]}\t\t1\t\t\t{text[i][2]}\t{revisited[i]}\n"
        )


CASE_COLS = (
    "id, number, kind, category_id, condition_id, source, source_detail, lon, lat, address, grid_id, region_id, description, "
    "reporter_name, reporter_phone, tracking_code, status, department_id, reported_at, updated_at, due_at, "
    "handling_deadline, dispatched_at, feedback_at, closed_at, handled_on_time, extension_count, rework_count, "
    "return_count, escalation_count, satisfaction, satisfaction_note, version, origin_kind, origin_id, search, revisited_at"
)
PHRASES = [
    "路边暴露垃圾未及时清运", "商户占道经营", "机动车乱停放堵塞消防通道", "墙面张贴小广告", "井盖破损存在安全隐患",
    "工地扬尘未覆盖", "垃圾桶满溢", "路灯不亮", "道路坑洼积水", "绿地被毁种菜", "私搭乱建", "噪音扰民",
    "污水冒溢", "共享单车乱停放", "树木倒伏", "违规户外广告牌", "油烟扰民", "废弃车辆占用车位", "雨水井盖缺失",
    "人行道砖松动", "护栏损坏", "交通标志被遮挡", "施工围挡破损", "渣土车遗撒", "餐厨垃圾混投", "违规焚烧树叶",
    "楼道堆放杂物", "电动车楼道充电", "消火栓被圈占", "河道漂浮物", "排水口异味", "公厕设施损坏", "健身器材损坏",
    "流浪犬伤人隐患", "无证摊贩", "店外经营", "乱贴乱画", "空调外机滴水", "建筑垃圾乱倒", "供热管道漏水",
    "燃气管线裸露", "信号灯故障", "公交站牌损坏", "盲道被占", "广告灯箱破损", "下水道堵塞", "化粪池满溢",
    "违法占用绿地停车", "沿街晾晒", "夜间施工扰民",
]  # fmt: skip
PHRASE_P = (lambda w: w / w.sum())(1 / np.arange(1, len(PHRASES) + 1) ** 0.9)
ROADS = [a + b for a in ("幸福", "和平", "建设", "解放", "胜利", "人民", "友谊", "光明", "长江", "黄河", "南京", "北京",
                         "卫津", "复康", "红旗", "迎水", "津塘", "先锋", "育才", "东风", "海河", "金钟", "昆明", "成都")
         for b in ("路", "道", "大街", "东路", "西路", "南路", "北路", "里")]  # fmt: skip


@functools.cache
def _words(text: str) -> tuple[str, ...]:
    from jingwu.lib import textsearch

    return tuple(textsearch.words(text))


def _texts(road: int, phrase: int, house: int, district: str) -> tuple[str, str, str]:
    """(description, address, search words) as ``Case.save`` would keep them; the words cut once per part."""
    description = f"{ROADS[road]}{PHRASES[phrase]}"
    address = f"{district}{ROADS[road]}{house}号"
    words = dict.fromkeys((*_words(description), *_words(district), *_words(ROADS[road]), str(house), "号"))
    return description, address, " ".join(words)


STEP_COLS = (
    "case_id, seq, action, outcome, actor_id, actor_name, role, at, note, reason, public_note, "
    "deadline_before, deadline_after, on_time, client_key, data, from_state, to_state, department_id"
)


def step_arrays(world: World, c: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every step of the month's cases, ordered by time as they were written."""
    st = c["status"]
    now = world.now
    parts: list[tuple[np.ndarray, ...]] = []
    seq = np.zeros(len(st), dtype=np.int64)
    rng = np.random.default_rng(int(c["id"][0]) + 2)

    def add(
        mask: np.ndarray,
        at: np.ndarray,
        action: str,
        frm: Any,
        to: Any,
        actor: np.ndarray,
        role: str,
        on_time: np.ndarray | None = None,
        outcome: str = "",
        dept: np.ndarray | None = None,
    ) -> None:
        mask = mask & (at <= now) & (at > 0)
        idx = np.flatnonzero(mask)
        seq[idx] += 1
        to_arr = np.full(len(idx), to) if isinstance(to, str) else to[idx]
        frm_arr = np.full(len(idx), frm) if isinstance(frm, str) else frm[idx]
        ot = np.full(len(idx), -1) if on_time is None else on_time[idx].astype(int)
        dp = np.zeros(len(idx), dtype=np.int64) if dept is None else dept[idx]
        parts.append(
            (
                c["id"][idx],
                seq[idx].copy(),
                np.full(len(idx), action),
                np.full(len(idx), outcome),
                actor[idx],
                np.full(len(idx), role),
                at[idx],
                frm_arr,
                to_arr,
                ot,
                dp,
            )
        )

    n = len(st)
    all_ = np.ones(n, dtype=bool)
    ws = c["worker_src"]
    worker = world.grid_worker[c["grid"]]
    pick = lambda pool: pool[rng.integers(0, len(pool), n)]  # noqa: E731
    shift, disp, ops = pick(world.shift), pick(world.disp), pick(world.ops)
    handler = world.handler[c["district"], c["dk"]]
    dept = world.dept[c["district"], c["dk"]]
    first = np.where(ws, "to_file", "reported")
    add(all_, c["rep"], "report", "", first, np.where(ws, worker, 0), "grid_worker")
    v = ~ws & c["verify"]
    add(v, c["accept"], "send_to_verify", "reported", "verifying", ops, "operator")
    add(
        v,
        c["accept"] + 1800,
        "verify",
        "verifying",
        "to_file",
        worker,
        "grid_worker",
        on_time=np.ones(n, dtype=bool),
        outcome="confirmed",
    )
    add(~ws & ~v & ~c["voided"], c["accept"], "accept", "reported", "to_file", ops, "operator")
    add(c["voided"], c["void_at"], "void", np.where(ws, "to_file", "reported"), "voided", shift, "shift_lead")
    live = ~c["voided"]
    add(live, c["filed"], "file", "to_file", "to_dispatch", shift, "shift_lead")
    add(live, c["disp"], "dispatch", "to_dispatch", "handling", disp, "dispatcher", dept=dept)
    r = live & c["returned"]
    add(r, c["disp"] + (c["redisp"] - c["disp"]) // 2, "return", "handling", "returned", handler, "handler", dept=dept)
    add(r, c["redisp"], "dispatch", "returned", "handling", disp, "dispatcher", dept=dept)
    e = live & (c["ext"] > 0)
    add(
        e,
        c["redisp"] + (c["fb"] - c["redisp"]) // 3,
        "request_extension",
        "handling",
        "handling",
        handler,
        "handler",
        dept=dept,
    )
    add(e, c["redisp"] + (c["fb"] - c["redisp"]) // 2, "approve_extension", "handling", "handling", shift, "shift_lead")
    s = live & (st == S["suspended"])
    add(s, c["susp_at"], "suspend", "handling", "suspended", shift, "shift_lead")
    going = live & (st != S["suspended"])
    add(
        going,
        c["fb"],
        "feedback",
        "handling",
        "to_check",
        handler,
        "handler",
        on_time=c["fb"] <= c["deadline"],
        dept=dept,
    )
    rw = going & c["rework"]
    add(rw, c["chk"], "check", "to_check", "handling", worker, "grid_worker", on_time=np.ones(n, bool), outcome="fail")
    add(
        rw,
        c["fb2"],
        "feedback",
        "handling",
        "to_check",
        handler,
        "handler",
        on_time=c["fb2"] <= c["deadline"],
        dept=dept,
    )
    add(
        going,
        c["chk2"],
        "check",
        "to_check",
        "to_close",
        worker,
        "grid_worker",
        on_time=(c["chk2"] - c["fb2"]) <= 4 * 3600,
        outcome="pass",
    )
    add(going, c["close"], "close", "to_close", "closed", shift, "shift_lead", on_time=(c["close"] - c["chk2"]) <= 3600)
    cols = [np.concatenate([p[k] for p in parts]) for k in range(11)]
    order = np.argsort(cols[6], kind="stable")
    return dict(
        zip(
            ("case", "seq", "action", "outcome", "actor", "role", "at", "frm", "to", "on_time", "dept"),
            (col[order] for col in cols),
            strict=True,
        )
    )


def step_lines(s: dict[str, np.ndarray]) -> Iterator[str]:
    at = ts(s["at"])
    ot = {-1: "\\N", 0: "f", 1: "t"}
    for case, seq, action, outcome, actor, role, t, frm, to, on_time, dept in zip(
        s["case"].tolist(),
        s["seq"].tolist(),
        s["action"].tolist(),
        s["outcome"].tolist(),
        s["actor"].tolist(),
        s["role"].tolist(),
        at,
        s["frm"].tolist(),
        s["to"].tolist(),
        s["on_time"].tolist(),
        s["dept"].tolist(),
        strict=True,
    ):
        yield (
            f"{case}\t{seq}\t{action}\t{outcome}\t{actor or NULL}\t\t{role}\t{t}\t\t\t\t\\N\t\\N\t{ot[on_time]}\t"
            f"\\N\t{{}}\t{frm}\t{to}\t{dept or NULL}\n"
        )


def photo_lines(c: dict[str, Any], s: dict[str, np.ndarray], y: int, m: int) -> Iterator[str]:
    """A reference per photo (the report's, the feedback's): rows only, as a city restored without its files."""
    want = (s["action"] == "report") & np.isin(s["role"], ["grid_worker"]) | (s["action"] == "feedback")
    idx = np.flatnonzero(want)
    at = ts(s["at"][idx])
    for k, i in enumerate(idx.tolist()):
        case = int(s["case"][i])
        kind = "report" if s["action"][i] == "report" else "feedback"
        digest = hashlib.sha256(f"{case}-{i}".encode()).hexdigest()
        yield (
            f"{case}\t\\N\t{kind}\tcases/{y}/{m:02d}/{digest[:32]}.jpg\timage/jpeg\t{180_000 + case % 90_000}\t"
            f"1600\t1200\t{digest}\t{s['actor'][i] or NULL}\t{at[k]}\t\\N\t\\N\t\\N\n"
        )


PHOTO_COLS = "case_id, transition_id, kind, file, content_type, size, width, height, sha256, uploaded_by_id, at, taken_at, taken_lon, taken_lat"


def audit_lines(s: dict[str, np.ndarray], y: int) -> Iterator[str]:
    at = ts(s["at"])
    for case, action, actor, role, t in zip(
        s["case"].tolist(), s["action"].tolist(), s["actor"].tolist(), s["role"].tolist(), at, strict=True
    ):
        yield f"{t}\t{actor or NULL}\t\t{role}\tcase.{action}\tcase\tJW{y}{case:08d}\t\\N\t{{}}\n"


AUDIT_COLS = "at, actor_id, actor_name, role, action, object_type, object_id, ip, data"


def copy_lines(conn: psycopg.Connection[Any], table: str, cols: str, lines: Iterable[str]) -> int:
    n = 0
    buf: list[str] = []
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
        for text in lines:
            buf.append(text)
            n += 1
            if len(buf) >= 20_000:
                cp.write("".join(buf))
                buf.clear()
        if buf:
            cp.write("".join(buf))
    return n


def load_cases(total: int, years: int) -> None:
    now_dt = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(DB_URL) as conn:
        conn.execute("SET synchronous_commit = off")
        row = conn.execute("SELECT info->>'now' FROM bench_city_stage WHERE name = 'clock'").fetchone()
        if row is None:
            mark(conn, "clock", f'{{"now": {int(now_dt.timestamp())}}}')
            conn.commit()
        else:  # a resumed run keeps the first run's "now", so months already loaded and the rest agree
            now_dt = datetime.fromtimestamp(int(row[0]), UTC)
        world = World(conn, int(now_dt.timestamp()))
        months = month_sizes(total, years, now_dt)
        audit_from = int(now_dt.timestamp()) - 90 * 86400
        todo = [mo for mo in months if not done(conn, f"cases {mo[0]}-{mo[1]:02d}")]
        with progress() as bar:
            task = bar.add_task("cases", total=total, completed=total - sum(mo[3] for mo in todo))
            for y, m, first, n in todo:
                bar.update(task, description=f"cases {y}-{m:02d}")
                c = gen_month(world, y, m, first, n)
                steps = step_arrays(world, c)
                copy_lines(conn, "cases_case", CASE_COLS, case_lines(world, c, y))
                copy_lines(conn, "cases_transition", STEP_COLS, step_lines(steps))
                copy_lines(conn, "cases_attachment", PHOTO_COLS, photo_lines(c, steps, y, m))
                recent = steps["at"] >= audit_from
                if recent.any():
                    copy_lines(
                        conn, "audit_auditevent", AUDIT_COLS, audit_lines({k: v[recent] for k, v in steps.items()}, y)
                    )
                mark(conn, f"cases {y}-{m:02d}", f'{{"cases": {n}, "steps": {len(steps["at"])}}}')
                conn.commit()
                bar.advance(task, n)


def load_devices(conn: psycopg.Connection[Any], n: int) -> None:
    """Monitoring devices spread over the grids, as the 物联感知 of a city: smoke, gas, water, air."""
    rng = np.random.default_rng(SEED + 5)
    grids = conn.execute("SELECT id, region_id, center_lon, center_lat FROM geo_grid ORDER BY id").fetchall()
    types = _device_types()
    pick = rng.integers(0, len(grids), n)
    kind = rng.choice(len(types), n)

    def lines() -> Iterator[str]:
        for i in range(n):
            gid, region, lon, lat = grids[pick[i]]
            t = types[kind[i]]
            yield (
                f"{t}传感器{i + 1:06d}\t{t}\t\\N\t\t{lon:.6f}\t{lat:.6f}\t{gid}\t{region}\tCITY{i + 1:010d}\t"
                f"city-dev-{i + 1}\t\t\t60\toffline\t\\N\t\\N\t2024-01-01 00:00:00+00\n"
            )

    copy_lines(
        conn,
        "iot_device",
        "name, type, place_id, address, lon, lat, grid_id, region_id, mn, client_id, pw, "
        "token_hash, interval, state, state_since, last_seen, created_at",
        lines(),
    )


def _device_types() -> list[str]:
    from jingwu.iot.models import DeviceType

    return [str(v) for v in DeviceType.values]


STATE = ROOT / "var" / "bench-city" / DB  # per database: the grid seeds the benchmark draws points from


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000_000)
    ap.add_argument("--grids", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--devices", type=int, default=100_000)
    ap.add_argument("--fresh", action="store_true", help="drop the database first")
    args = ap.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ensure_db(args.fresh)
    django_setup()
    timings: dict[str, float] = {}
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        if not done(conn, "schema"):
            t = time.perf_counter()
            migrate()
            mark(conn, "schema")
            timings["schema (migrations)"] = time.perf_counter() - t
        if not done(conn, "territory"):
            t = time.perf_counter()
            with conn.transaction():
                build_territory(conn, args.grids)
            timings["territory"] = time.perf_counter() - t
        if not done(conn, "people"):
            t = time.perf_counter()
            build_people()
            mark(conn, "people")
            timings["people"] = time.perf_counter() - t
        if not done(conn, "indexes dropped"):
            with conn.transaction():
                drop_indexes(conn)
                mark(conn, "indexes dropped")
        if not done(conn, "devices"):
            t = time.perf_counter()
            with conn.transaction():
                load_devices(conn, args.devices)
                mark(conn, "devices")
            timings["devices"] = time.perf_counter() - t
    t = time.perf_counter()
    load_cases(args.cases, args.years)
    timings["cases, steps, photos, audit (COPY)"] = time.perf_counter() - t
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        if not done(conn, "indexes"):
            t = time.perf_counter()
            for table in TABLES:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            rebuild_indexes()
            mark(conn, "indexes")
            timings["indexes and constraints"] = time.perf_counter() - t
        if not done(conn, "analyze"):
            t = time.perf_counter()
            conn.execute("VACUUM (ANALYZE)")
            mark(conn, "analyze")
            timings["vacuum analyze"] = time.perf_counter() - t
        if not done(conn, "rollup"):
            t = time.perf_counter()
            from jingwu.stats import rollup

            while rollup.rollup_pending():  # the nightly job catches up a bounded number of days per run
                pass
            mark(conn, "rollup")
            timings["statistics rollup"] = time.perf_counter() - t
        counts = {tb: conn.execute(f"SELECT count(*) FROM {tb}").fetchone()[0] for tb in TABLES}  # type: ignore[index]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
    for name, sec in timings.items():
        print(f"  {name:<40} {sec:8.1f} s")
    print(f"  {'this run, in all':<40} {time.perf_counter() - t0:8.1f} s")
    print("  rows: " + ", ".join(f"{tb} {n:,}" for tb, n in counts.items()) + f"; database {size}")


if __name__ == "__main__":
    main()
