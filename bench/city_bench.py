"""The city's figures: ``.venv/bin/python bench/city_bench.py [--seconds 15] [--only NAME]`` on the database that
``bench/city.py`` generated (``jingwu_city``: 10,000,000 cases, 50,000 grids). Each figure is printed beside a
raw figure of the same run:

- ``intake``: ``POST /api/cases`` through gunicorn (``--workers`` sync workers), wrk ``-c --connections`` from
  loopback; every answered request checked to have made one case. Raw: single-row INSERT + commit.
- ``lists``: ``GET /api/cases`` with every filter (text search included) and the centre's list page, sequential
  requests; p50/p99. Raw: ``SELECT … ORDER BY id DESC LIMIT 50``.
- ``pages``: a 50-row page of ``/api/cases`` and of Open311 ``requests.json``, wrk, against a bare Django view
  (``bench/bare.py``, served by the same processes, same middleware) returning the same rows with ``values()``
  and Django's ``JsonResponse``.
- ``queues``: the centre's queue counts (``/centre/queues``, polled every 10 s by every dispatcher's page), p99.
  Raw: ``SELECT status, count(*) … GROUP BY status`` over the open cases.
- ``stats``: the leader overview and the big screen's data, in process; p95. Raw: a count of this month's cases.
- ``locate``: ``geo.services.locate`` one point at a time (the API's path) at points drawn where reports are
  (dense in the centre). Raw: shapely's ``STRtree.query`` of all the points in one batch.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import run  # noqa: E402
from city import DB_URL, STATE  # noqa: E402
from run import line, pct, run_wrk  # noqa: E402

PORT = run.PORT = int(os.environ.get("BENCH_PORT", "8767"))
GOALS = {"intake": "≥ 1,000/s, p99 ≤ 20 ms", "lists": "p99 ≤ 30 ms", "pages": "≥ 0.8× bare",
         "queues": "p99 ≤ 20 ms", "stats": "p95 ≤ 200 ms", "locate": "≥ 200,000 points/s"}  # fmt: skip


def django_setup() -> None:
    os.environ["DATABASE_URL"] = DB_URL
    # A city runs with Redis as the shared cache (docs/deployment.md); its database 9 is the benchmark's.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    os.environ.setdefault("JINGWU_LOG_LEVEL", "ERROR")
    import django

    django.setup()


def start_server(workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=DB_URL, REDIS_URL=os.environ["REDIS_URL"], JINGWU_CONN_MAX_AGE="600", JINGWU_LOG_LEVEL="ERROR",
               DJANGO_SETTINGS_MODULE="bare", PYTHONPATH=f"{ROOT / 'bench'}:{ROOT}")  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "jingwu.wsgi:application", "--bind", f"127.0.0.1:{PORT}", "--workers",
         str(workers), "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "error"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120  # each worker loads 50,000 grids on its first lookup, not at start
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/api/workflow")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def get(path: str, headers: dict[str, str], repeat: int) -> tuple[list[float], int, int]:
    out, status, size = [], 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    for _ in range(repeat):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        out.append((time.perf_counter() - t0) * 1000)
        status, size = r.status, len(body)
    conn.close()
    return out, status, size


def people() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from jingwu.ops.hotpaths import people as by_role

    users = by_role()
    users["operator"] = get_user_model().objects.get(username="op01")
    return users


def auth(users: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A bearer token per role, and a session cookie for the pages."""
    from django.conf import settings
    from django.test import Client

    from jingwu.org.services import issue_token

    out: dict[str, dict[str, str]] = {}
    for role, user in users.items():
        if role in ("leader", "operator", "grid_worker", "handler", "shift_lead"):
            out[role] = {"Authorization": f"Bearer {issue_token(user, name='bench')}"}
    c = Client()
    c.force_login(users["shift_lead"])
    out["shift_lead_page"] = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={c.cookies[settings.SESSION_COOKIE_NAME].value}"
    }
    return out


# --- intake ----------------------------------------------------------------------------------------------


def bench_intake(headers: dict[str, str], seconds: int, conns: int) -> None:
    from run import LUA_PRELUDE

    pts = np.load(STATE / "grid_seeds.npy")
    rng = np.random.default_rng(7)
    sample = pts[rng.integers(0, len(pts), 2000)] + rng.normal(0, 0.0004, (2000, 2))
    lua_points = "{" + ",".join(f"{{{x:.6f},{y:.6f}}}" for x, y in sample) + "}"
    token = headers["Authorization"].split()[1]
    script = (
        LUA_PRELUDE
        + """
  local body = string.format(
    '{"lon": %.6f, "lat": %.6f, "description": "路边暴露垃圾未及时清运 %d", "category": "matter:06010", "client_key": "%s-%d-%d"}',
    p[1], p[2], counter, RUN, tid, counter)
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer TOKEN"}, body)
end
"""
    )

    def lua(run: str) -> str:
        return script.replace("{POINTS}", lua_points).replace("TOKEN", token).replace("RUN", f'"{run}"')

    one, many = raw_insert(3.0, conns)
    line(f"raw single-row INSERT + commit, 1 / {conns} connections", f"{one:,.0f} / {many:,.0f} rows/s")
    run_wrk(lua(f"w{time.time_ns()}"), 3, conns)
    before = _max_id()
    s = run_wrk(lua(f"r{time.time_ns()}"), seconds, conns)
    made = _count_since(before)
    line("POST /api/cases", f"{s.get('rps', 0):,.0f} reports/s",
         f"p50 {s.get('p50', 0):.1f} ms, p99 {s.get('p99', 0):.1f} ms; ×{s.get('rps', 0) / many:.2f} raw({conns}); "
         f"non-2xx {s['errors']:.0f}; {made} cases for {s.get('requests', 0):.0f} answered; goal {GOALS['intake']}")  # fmt: skip


def _max_id() -> int:
    with psycopg.connect(DB_URL) as conn:
        return int(conn.execute("SELECT max(id) FROM cases_case").fetchone()[0])  # type: ignore[index]


def _count_since(first: int) -> int:
    with psycopg.connect(DB_URL) as conn:
        return int(conn.execute("SELECT count(*) FROM cases_case WHERE id > %s", (first,)).fetchone()[0])  # type: ignore[index]


def raw_insert(seconds: float, threads: int) -> tuple[float, float]:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial primary key, body text, at timestamptz)")

    def worker(out: list[int], stop: float) -> None:
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            n = 0
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_raw (body, at) VALUES (%s, now())", ("x" * 200,))
                n += 1
            out.append(n)

    rates = []
    for k in (1, threads):
        counts: list[int] = []
        stop = time.perf_counter() + seconds
        ts = [threading.Thread(target=worker, args=(counts, stop)) for _ in range(k)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        rates.append(sum(counts) / seconds)
    return rates[0], rates[1]


# --- lists -----------------------------------------------------------------------------------------------


def bench_lists(tokens: dict[str, dict[str, str]], repeat: int) -> None:
    from jingwu.ops.hotpaths import PATHS, params

    values = params()
    with psycopg.connect(DB_URL) as conn:
        raw = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            conn.execute("SELECT * FROM cases_case ORDER BY id DESC LIMIT 50").fetchall()
            raw.append((time.perf_counter() - t0) * 1000)
    line("raw SELECT * … ORDER BY id DESC LIMIT 50", f"p50 {pct(raw, 50):.2f} ms", f"p99 {pct(raw, 99):.2f} ms")
    chosen = [
        p
        for p in PATHS
        if p.method == "GET" and (p.path.startswith(("/api/cases", "/centre/list"))) and "{case}" not in p.path
    ]
    worst = 0.0
    for hp in chosen:
        headers = tokens.get(hp.role, {}) if hp.api else tokens["shift_lead_page"]
        url = hp.path.format(**values)
        get(url, headers, 5)
        lat, status, size = get(url, headers, repeat)
        p99 = pct(lat, 99)
        worst = max(worst, p99)
        line(hp.name[:44], f"p50 {pct(lat, 50):6.1f} ms",
             f"p99 {p99:6.1f} ms  HTTP {status} {size:,} B{'  (over 30 ms)' if p99 > 30 else ''}")  # fmt: skip
    line("worst p99 of every list", f"{worst:.1f} ms", f"goal {GOALS['lists']}")


# --- 50-row pages against a bare view ----------------------------------------------------------------------


def bench_pages(tokens: dict[str, dict[str, str]], seconds: int, conns: int) -> None:
    token = tokens["leader"]["Authorization"]
    header_lua = f'wrk.headers["Authorization"] = "{token}"\n'
    pairs = [
        ("GET /api/cases (50 rows, leader)", "/api/cases?limit=50", "/bench/bare/cases?limit=50", header_lua),
        ("GET /open311/v2/requests.json?page_size=50", "/open311/v2/requests.json?page_size=50",
         "/bench/bare/requests?limit=50", ""),
        ("GET /open311/v2/requests.xml?page_size=50", "/open311/v2/requests.xml?page_size=50",
         "/bench/bare/requests?limit=50", ""),
    ]  # fmt: skip
    for name, ours, bare, lua in pairs:
        run_wrk(lua, 2, conns, ours)
        run_wrk(lua, 2, conns, bare)
        a = run_wrk(lua, seconds, conns, ours)
        b = run_wrk(lua, seconds, conns, bare)
        ratio = a.get("rps", 0) / max(b.get("rps", 1), 1)
        line(name, f"{a.get('rps', 0):,.0f} req/s",
             f"p50 {a.get('p50', 0):.1f} ms; bare view {b.get('rps', 0):,.0f} req/s (p50 {b.get('p50', 0):.1f} ms): "
             f"×{ratio:.2f}; non-2xx {a['errors']:.0f}/{b['errors']:.0f}; goal {GOALS['pages']}")  # fmt: skip


# --- queue counts --------------------------------------------------------------------------------------------


def bench_queues(tokens: dict[str, dict[str, str]], repeat: int) -> None:
    from jingwu.cases.choices import OPEN_STATES

    states = sorted(OPEN_STATES)
    with psycopg.connect(DB_URL) as conn:
        raw = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            conn.execute(
                "SELECT status, count(*) FROM cases_case WHERE status = ANY(%s) GROUP BY status", (states,)
            ).fetchall()
            raw.append((time.perf_counter() - t0) * 1000)
        n_open = conn.execute("SELECT count(*) FROM cases_case WHERE status = ANY(%s)", (states,)).fetchone()[0]  # type: ignore[index]
    line(
        f"raw count by status of the {n_open:,} open cases", f"p50 {pct(raw, 50):.2f} ms", f"p99 {pct(raw, 99):.2f} ms"
    )
    for name, headers in (("/centre/queues (shift lead's page)", tokens["shift_lead_page"]),):
        get("/centre/queues", headers, 5)
        lat, status, _ = get("/centre/queues", headers, repeat)
        line(name, f"p50 {pct(lat, 50):.1f} ms", f"p99 {pct(lat, 99):.1f} ms HTTP {status}; goal {GOALS['queues']}")
    from jingwu.web.views import queue_counts

    users = people()
    for role in ("shift_lead", "dispatcher", "leader"):
        if role not in users:
            continue
        queue_counts(users[role])
        lat = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            queue_counts(users[role])
            lat.append((time.perf_counter() - t0) * 1000)
        line(f"queue_counts() in process, {role}", f"p50 {pct(lat, 50):.1f} ms", f"p99 {pct(lat, 99):.1f} ms")


# --- statistics ------------------------------------------------------------------------------------------------


def bench_stats(repeat: int) -> None:
    from jingwu.lib import clock
    from jingwu.stats import figures

    users = people()
    now = clock.now()
    from jingwu.workcal.services import get_calendar

    month_start = now.astimezone(get_calendar().tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def raw() -> None:
        with psycopg.connect(DB_URL) as conn:
            conn.execute("SELECT count(*) FROM cases_case WHERE reported_at >= %s", (month_start,)).fetchone()

    for name, fn in (("leader overview (today, month, year…), computed", lambda: figures.overview(now)),
                     ("big screen data, computed", lambda: figures.screen(users["leader"], now)),
                     ("leader overview as served (shared cache, 30 s)", figures.overview_shared),
                     ("big screen data as served (shared cache, 30 s)", lambda: figures.screen_shared(users["leader"]))):  # fmt: skip
        for _ in range(2):
            fn()
        lat, base = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            lat.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            raw()
            base.append((time.perf_counter() - t0) * 1000)
        line(name, f"p95 {pct(lat, 95):.1f} ms",
             f"p50 {pct(lat, 50):.1f} ms; raw count of this month's cases p50 {pct(base, 50):.1f} ms; goal {GOALS['stats']}")  # fmt: skip


# --- grid lookup ----------------------------------------------------------------------------------------------


def bench_locate(n: int) -> None:
    import shapely

    from jingwu.geo import services

    t0 = time.perf_counter()
    index = services.index_cache.get()
    build = time.perf_counter() - t0
    pts = np.load(STATE / "grid_seeds.npy")
    rng = np.random.default_rng(11)
    sample = pts[rng.integers(0, len(pts), n)] + rng.normal(0, 0.002, (n, 2))
    lons, lats = sample[:, 0].tolist(), sample[:, 1].tolist()
    locate = services.locate
    for x, y in zip(lons[:5000], lats[:5000], strict=True):
        locate(x, y)
    t0 = time.perf_counter()
    found = sum(1 for x, y in zip(lons, lats, strict=True) if locate(x, y) is not None)
    ours = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    index.tree.query(shapely.points(sample[:, 0], sample[:, 1]), predicate="intersects")
    raw = n / (time.perf_counter() - t0)
    line(f"locate() one point at a time ({len(index):,} grids)", f"{ours:,.0f} points/s",
         f"raw STRtree batch {raw:,.0f}/s (×{ours / raw:.2f}); {found:,} of {n:,} inside; index built in {build:.1f} s; "
         f"goal {GOALS['locate']}")  # fmt: skip


def generation() -> None:
    with psycopg.connect(DB_URL) as conn:
        rows = conn.execute("SELECT name, done_at FROM bench_city_stage ORDER BY done_at").fetchall()
        counts = {
            t: conn.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{t}'").fetchone()[0]  # type: ignore[index]
            for t in ("cases_case", "cases_transition", "cases_attachment", "audit_auditevent", "iot_device")
        }
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
    if rows:
        line("generation (first stage to last)", f"{(rows[-1][1] - rows[0][1]).total_seconds() / 60:.1f} min",
             ", ".join(f"{t} ≈{n:,}" for t, n in counts.items()) + f"; {size}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--connections", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--points", type=int, default=300_000)
    ap.add_argument("--only", action="append", choices=list(GOALS))
    args = ap.parse_args()
    only = set(args.only or GOALS)
    django_setup()
    print(f"Jingwu city benchmark — {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}, {DB_URL}")
    generation()
    from django.db import transaction

    if "locate" in only:
        bench_locate(args.points)
    if "stats" in only:
        bench_stats(max(20, args.repeat // 10))
    if not only & {"intake", "lists", "pages", "queues"}:
        return
    with transaction.atomic():
        tokens = auth(people())
    server = start_server(args.workers)
    try:
        if "queues" in only:
            bench_queues(tokens, args.repeat)
        if "lists" in only:
            bench_lists(tokens, args.repeat)
        if "pages" in only:
            bench_pages(tokens, args.seconds, args.connections)
        if "intake" in only:
            bench_intake(tokens["operator"], args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
