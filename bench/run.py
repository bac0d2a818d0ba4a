"""Jingwu benchmarks, one command: ``./dev bench`` (or ``.venv/bin/python bench/run.py``).

Measures, each next to a raw baseline taken in the same run on the same machine:

1. ``locate()`` over a 50,000-grid city: points/s, against the bare STRtree query it wraps.
2. Report intake over HTTP: gunicorn (sync workers) + PostgreSQL, loaded by wrk from loopback:
   reports/s and p99, against the raw single-row INSERT rate of the same database.
3. The filtered case list with 1,000,000 cases in PostgreSQL: p50/p99 per filter over HTTP, against a
   raw ``SELECT … ORDER BY id DESC LIMIT 50``.

It creates (and drops first) the database ``jingwu_bench`` on ``BENCH_PG`` (default
postgres://postgres@127.0.0.1:5432). Use ``--quick`` for a small run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "jingwu_bench"
DB_URL = f"{PG}/{DB}"
PORT = int(os.environ.get("BENCH_PORT", "8765"))


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<44} {value:>18}  {note}")


# --- 1. locate ------------------------------------------------------------------------------------


def bench_locate(n_grids: int, n_points: int) -> None:
    import shapely
    from shapely.geometry import mapping

    from jingwu.geo.services import GridIndex

    print(f"\n[1] locate() over {n_grids:,} grids, {n_points:,} points")
    rng = np.random.default_rng(1)
    box = (116.0, 39.5, 117.0, 40.3)
    cols = int(np.sqrt(n_grids * (box[2] - box[0]) / (box[3] - box[1])))
    rows = int(np.ceil(n_grids / cols))
    xs = (np.arange(cols) + 0.5) / cols * (box[2] - box[0]) + box[0]
    ys = (np.arange(rows) + 0.5) / rows * (box[3] - box[1]) + box[1]
    gx, gy = np.meshgrid(xs, ys)
    jitter = 0.35 / cols * (box[2] - box[0])
    pts = np.column_stack([gx.ravel(), gy.ravel()])[:n_grids] + rng.uniform(-jitter, jitter, (n_grids, 2))
    t0 = time.perf_counter()
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), ordered=True)
    cells = shapely.intersection(np.array(cells.geoms), shapely.box(*box))
    index = GridIndex([(i, f"{i:015d}", 1, mapping(c)) for i, c in enumerate(cells)])
    line("build index", f"{time.perf_counter() - t0:.1f} s")
    lons = rng.uniform(box[0], box[2], n_points)
    lats = rng.uniform(box[1], box[3], n_points)
    index.locate_many(lons[:1000], lats[:1000])
    t0 = time.perf_counter()
    hits = index.locate_many(lons, lats)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.tree.query(shapely.points(lons, lats), predicate="intersects")
    t_raw = time.perf_counter() - t0
    assert (hits >= 0).mean() > 0.99
    line("locate_many (batch)", f"{n_points / t_ours:,.0f} pts/s", "goal ≥ 500,000")
    line("raw STRtree.query baseline", f"{n_points / t_raw:,.0f} pts/s", f"ours/raw = {t_raw / t_ours:.2f}")
    k = 20_000
    t0 = time.perf_counter()
    for i in range(k):
        index.locate(float(lons[i]), float(lats[i]))
    line("locate() one point at a time", f"{k / (time.perf_counter() - t0):,.0f} pts/s", "(API path)")


# --- PostgreSQL set-up ----------------------------------------------------------------------------


def reset_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def django_setup(migrate: bool) -> None:
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def bench_raw_insert(seconds: float, threads: int) -> tuple[float, float]:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial primary key, body text, at timestamptz)")

    def worker(out: list[int], stop: float) -> None:
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            n = 0
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_raw (body, at) VALUES (%s, now())", ("x" * 200,))
                n += 1
            out.append(n)

    results: dict[int, float] = {}
    for n_threads in (1, threads):
        counts: list[int] = []
        stop = time.perf_counter() + seconds
        ts = [threading.Thread(target=worker, args=(counts, stop)) for _ in range(n_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        results[n_threads] = sum(counts) / seconds
    return results[1], results[threads]


def start_server(workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=DB_URL, JINGWU_CONN_MAX_AGE="600", JINGWU_LOG_LEVEL="ERROR")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jingwu.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "-",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/api/workflow")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


# Each wrk thread numbers its requests; with a per-run id that makes every idempotency key unique.
LUA_PRELUDE = """
counter = 0
tid = 0
local points = {POINTS}
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function request()
  counter = counter + 1
  local p = points[(counter % #points) + 1]
"""

WRK_LUA = LUA_PRELUDE + """
  local body = string.format(
    '{"lon": %.6f, "lat": %.6f, "description": "bench report %d", "category": "matter:06010", "client_key": "%s-%d-%d"}',
    p[1], p[2], counter, RUN, tid, counter)
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer TOKEN"}, body)
end
"""


def bench_intake(token: str, points: list[tuple[float, float]], seconds: int, conns: int) -> dict[str, float]:
    if shutil.which("wrk") is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    lua = (WRK_LUA.replace("{POINTS}", "{" + ",".join(f"{{{x:.6f},{y:.6f}}}" for x, y in points) + "}")
           .replace("TOKEN", token).replace("RUN", f'"{time.time_ns()}"'))
    return run_wrk(lua, seconds, conns)


def run_wrk(script: str, seconds: int, conns: int, path: str = "") -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run([wrk, "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", fh.name,
                          f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    stats: dict[str, float] = {"errors": 0}
    for row in out.splitlines():
        parts = row.split()
        if row.startswith("Requests/sec:"):
            stats["rps"] = float(parts[1])
        elif row.strip().startswith(("50%", "75%", "90%", "99%")):
            stats["p" + parts[0].rstrip("%")] = _ms(parts[1])
        elif "Non-2xx" in row:
            stats["errors"] = float(parts[-1])
        elif "requests in" in row:
            stats["requests"] = float(parts[0])
    return stats


O311_POST_LUA = LUA_PRELUDE + """
  local body = string.format(
    "api_key=KEY&service_code=matter-06010&lat=%.6f&long=%.6f&description=bench+%d&idempotency_key=%s-%d-%d",
    p[2], p[1], counter, RUN, tid, counter)
  return wrk.format("POST", "/open311/v2/requests.json",
                    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def bench_open311(points: list[tuple[float, float]], seconds: int, conns: int) -> None:
    import hashlib

    from jingwu.cases.models import Case
    from jingwu.open311.models import ApiKey

    raw_key = "o311_bench_key"
    ApiKey.objects.get_or_create(name="bench", defaults={"digest": hashlib.sha256(raw_key.encode()).hexdigest(),
                                                         "prefix": raw_key[:8]})
    pts = "{" + ",".join(f"{{{x:.6f},{y:.6f}}}" for x, y in points) + "}"

    def script(run: str) -> str:  # a fresh run id each time: every request is a new report
        return O311_POST_LUA.replace("{POINTS}", pts).replace("KEY", raw_key).replace("RUN", f'"{run}"')

    run_wrk(script(f"warm{time.time_ns()}"), 2, conns)
    before = Case.objects.count()
    s = run_wrk(script(f"run{time.time_ns()}"), seconds, conns)
    line("POST /open311/v2/requests.json", f"{s.get('rps', 0):,.0f} req/s",
         f"p50 {s.get('p50', 0):.1f} ms, p99 {s.get('p99', 0):.1f} ms, non-2xx {s['errors']:.0f}, "
         f"{Case.objects.count() - before} cases for {s.get('requests', 0):.0f} answered")
    for label, path in (("GET requests.json?page_size=50", "/open311/v2/requests.json?page_size=50"),
                        ("GET requests.json (default: up to 1000)", "/open311/v2/requests.json"),
                        ("GET requests.xml?page_size=50&extensions=true",
                         "/open311/v2/requests.xml?page_size=50&extensions=true")):
        run_wrk("", 2, conns, path)
        s = run_wrk("", seconds, conns, path)
        line(label, f"{s.get('rps', 0):,.0f} req/s", f"p50 {s.get('p50', 0):.1f} ms, p99 {s.get('p99', 0):.1f} ms, non-2xx {s['errors']:.0f}")


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


# --- 3. list with a million cases -----------------------------------------------------------------

FILL_SQL = """
CREATE TEMP TABLE g AS SELECT row_number() OVER (ORDER BY id) AS n, id, region_id, center_lon, center_lat
  FROM geo_grid;
CREATE TEMP TABLE cat AS SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, f.id AS cond
  FROM cases_category c JOIN cases_filingcondition f ON f.category_id = c.id AND f.is_default;
CREATE TEMP TABLE dep AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM org_department;
INSERT INTO cases_case (number, kind, category_id, condition_id, source, source_detail, lon, lat, address, grid_id,
  region_id, description, reporter_name, reporter_phone, tracking_code, status, department_id, reported_at,
  updated_at, due_at, handling_deadline, extension_count, rework_count, return_count, version)
SELECT 'B' || lpad(s::text, 12, '0'), 'event', cat.id, cat.cond,
  (ARRAY['grid_worker','grid_worker','grid_worker','public','hotline','iot'])[1 + s % 6], '',
  g.center_lon + (random() - 0.5) * 0.004, g.center_lat + (random() - 0.5) * 0.004, '', g.id, g.region_id,
  (ARRAY['路边暴露垃圾','占道经营','车辆乱停放','小广告','井盖破损','工地扬尘','垃圾满溢'])[1 + s % 7] || ' #' || s,
  '', '', md5(s::text)::varchar(8),
  st.status, CASE WHEN st.status IN ('handling','to_check','to_close','closed') THEN dep.id END,
  now() - ((%(n)s - s) * interval '1 minute') * (3 * 365 * 24 * 60.0 / %(n)s),
  now(), CASE WHEN st.status NOT IN ('closed','voided','merged','suspended')
              THEN now() + (random() - 0.3) * interval '3 days' END,
  NULL, 0, 0, 0, 1
FROM generate_series(1::bigint, %(n)s) s
JOIN g ON g.n = 1 + (s * 7919) %% (SELECT count(*) FROM g)
JOIN cat ON cat.n = 1 + (s * 104729) %% (SELECT count(*) FROM cat)
JOIN dep ON dep.n = 1 + (s * 31) %% (SELECT count(*) FROM dep)
CROSS JOIN LATERAL (SELECT CASE
   WHEN s > %(n)s - 2000 THEN (ARRAY['reported','verifying','to_file','to_dispatch','handling','handling',
        'returned','to_check','to_close'])[1 + s %% 9]
   WHEN s %% 50 = 0 THEN 'voided' WHEN s %% 97 = 0 THEN 'suspended' ELSE 'closed' END AS status) st;
ANALYZE cases_case;
"""


def fill_cases(n: int) -> float:
    t0 = time.perf_counter()
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        existing = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]  # type: ignore[index]
        conn.execute(FILL_SQL.replace("%(n)s", str(n)).replace("%%", "%"))
        conn.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
        total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]  # type: ignore[index]
    assert total >= n + existing - 1
    return time.perf_counter() - t0


def get_latencies(path: str, token: str, repeat: int) -> tuple[list[float], int]:
    out, status = [], 0
    for _ in range(repeat):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        t0 = time.perf_counter()
        c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse()
        r.read()
        out.append((time.perf_counter() - t0) * 1000)
        status = r.status
        c.close()
    return out, status


def bench_list(tokens: dict[str, str], repeat: int) -> None:
    from jingwu.geo.models import Grid, Region
    from jingwu.org.models import Department

    region = Region.objects.filter(level="village").order_by("code").first()
    grid = Grid.objects.order_by("code")[10]
    dept = Department.objects.get(code="W07")
    since = time.strftime("%Y-%m-%dT00:00:00%%2B08:00", time.localtime(time.time() - 30 * 86400))
    bbox = f"{grid.min_lon},{grid.min_lat},{grid.max_lon},{grid.max_lat}"
    with psycopg.connect(DB_URL) as conn:
        raw = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            conn.execute("SELECT * FROM cases_case ORDER BY id DESC LIMIT 50").fetchall()
            raw.append((time.perf_counter() - t0) * 1000)
        cursor_id = conn.execute("SELECT id FROM cases_case ORDER BY id DESC OFFSET 5000 LIMIT 1").fetchone()[0]  # type: ignore[index]
    import base64

    cursor = base64.urlsafe_b64encode(str(cursor_id).encode()).decode().rstrip("=")
    line("raw SQL: ORDER BY id DESC LIMIT 50", f"p50 {pct(raw, 50):.2f} ms", f"p99 {pct(raw, 99):.2f} ms")
    queries = [
        ("leader", "newest 50, no filter", "/api/cases"),
        ("leader", "status=handling", "/api/cases?status=handling"),
        ("leader", "overdue=true", "/api/cases?overdue=true"),
        ("leader", f"region={region.code if region else ''}", f"/api/cases?region={region.code if region else ''}"),
        ("leader", "grid=…", f"/api/cases?grid={grid.code}"),
        ("leader", "department + status", f"/api/cases?department={dept.code}&status=handling"),
        ("leader", "category=matter:06010", "/api/cases?category=matter:06010"),
        ("leader", "reported in the last 30 days", f"/api/cases?reported_after={since}"),
        ("leader", "bbox of one grid", f"/api/cases?bbox={bbox}"),
        ("leader", "page 100 by cursor", f"/api/cases?cursor={cursor}"),
        (
            "leader",
            "status=closed&category&region",
            f"/api/cases?status=closed&category=matter:06010&region={region.code if region else ''}",
        ),
        ("gridworker", "grid worker's own view", "/api/cases"),
        ("handler", "department's own view", "/api/cases"),
        ("leader", "text q=井盖 (substring)", "/api/cases?q=%E4%BA%95%E7%9B%96"),
    ]
    for who, _, path in queries:  # warm-up: each worker builds its caches before we time anything
        get_latencies(path, tokens[who], 6)
    worst = 0.0
    for who, name, path in queries:
        lat, status = get_latencies(path, tokens[who], repeat)
        p99 = pct(lat, 99)
        worst = max(worst, p99) if "q=" not in path else worst
        flag = "" if p99 <= 30 else "  (over 30 ms)"
        line(
            name,
            f"p50 {pct(lat, 50):6.1f} ms",
            f"p99 {p99:6.1f} ms  HTTP {status}  ×{pct(lat, 50) / pct(raw, 50):.0f} raw{flag}",
        )
    line("worst p99 of the structured filters", f"{worst:.1f} ms", "goal ≤ 30 ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, a few seconds each")
    ap.add_argument("--grids", type=int, default=50_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=15)
    # One sync worker per core measured best here for CPU-bound intake (2 workers: ~400 reports/s; 5: ~300).
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--connections", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", choices=["locate", "intake", "list", "open311"], action="append")
    args = ap.parse_args()
    if args.quick:
        args.grids, args.points, args.cases, args.seconds = 5_000, 100_000, 50_000, 5
    only = set(args.only or ["locate", "intake", "list", "open311"])
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    print(
        f"Jingwu benchmarks — {os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    needs_db = bool(only & {"intake", "list", "open311"})
    if needs_db:
        reset_db()
    django_setup(migrate=needs_db)
    if "locate" in only:
        bench_locate(args.grids, args.points)
    if not needs_db:
        return
    from jingwu.cases import demo
    from jingwu.geo.models import Grid
    from jingwu.org.services import issue_token

    t0 = time.perf_counter()
    town = demo.build_town()
    print(f"\n(set-up: demo town with 125 grids in {time.perf_counter() - t0:.1f} s)")
    tokens = {
        "leader": issue_token(town.users["leader"]),
        "operator": issue_token(town.users["operator"]),
        "gridworker": issue_token(town.users["gridworker"]),
        "handler": issue_token(town.handlers["W07"]),
    }
    rnd = random.Random(3)
    sim = demo.Simulator(town, rnd)
    grids = list(Grid.objects.all())
    points = [sim.point_in(rnd.choice(grids)) for _ in range(500)]
    server = start_server(args.workers)
    try:
        if "intake" in only:
            print(
                f"\n[2] report intake over HTTP: gunicorn {args.workers} sync workers, PostgreSQL, wrk -c{args.connections}"
            )
            seq, conc = bench_raw_insert(3.0, args.connections)
            line("raw single-row INSERT, 1 connection", f"{seq:,.0f} rows/s")
            line(f"raw single-row INSERT, {args.connections} connections", f"{conc:,.0f} rows/s")
            from jingwu.cases.models import Case

            bench_intake(tokens["operator"], points, 2, args.connections)  # warm-up: every worker loads its caches
            before = Case.objects.count()
            s = bench_intake(tokens["operator"], points, args.seconds, args.connections)
            made = Case.objects.count() - before
            line(
                "POST /api/cases",
                f"{s.get('rps', 0):,.0f} reports/s",
                f"goal ≥ 1,000; ours/raw(1 conn) = {s.get('rps', 0) / seq:.2f}, ours/raw({args.connections}) = {s.get('rps', 0) / conc:.2f}",
            )
            line(
                "latency p50 / p90 / p99",
                f"{s.get('p50', 0):.1f} / {s.get('p90', 0):.1f} / {s.get('p99', 0):.1f} ms",
                "goal p99 ≤ 20 ms",
            )
            line(
                "non-2xx responses; cases created vs requests",
                f"{s['errors']:.0f}",
                f"{made} created of {s.get('requests', 0):.0f} answered",
            )
        if "list" in only:
            print(f"\n[3] case list with {args.cases:,} cases in PostgreSQL (sequential requests over HTTP)")
            line("bulk fill (SQL)", f"{fill_cases(args.cases):.0f} s")
            bench_list(tokens, 60 if args.quick else 200)
        if "open311" in only:
            from jingwu.cases.models import Case

            if Case.objects.count() < 10_000:
                fill_cases(20_000)
            print(f"\n[4] Open311 over HTTP ({Case.objects.count():,} cases; wrk -c{args.connections})")
            bench_open311(points, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
