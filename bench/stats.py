"""Statistics at a million cases on PostgreSQL: ``.venv/bin/python bench/stats.py [--cases N] [--keep] [--reuse]``.

``--cases`` cases (default 1,000,000) over four years to now, in a town of 125 grids and 20 departments, with
their steps (上报, 立案, 派遣, 反馈, 核查, 结案: about 5.7 per case) written by SQL; about 1 % are open. The last
400 days are rolled up by the task worker's own function (``stats.rollup.rollup_day``), as the nightly job keeps
them. Then, ``--repeat`` times each (default 30, after 3 warm-ups), interleaved with the raw baseline:

- the leader overview (``stats.figures.overview``: today, this month, this year, by village and unit, twelve
  months) and the big screen's data (``stats.figures.screen``);
- every indicator for a month and for a year, live from the cases (``stats.indicators.count``);
- baseline: ``SELECT count(*) FROM cases_case WHERE reported_at >= <year start>`` by a cursor.

Last, the case list's export of every case (CSV, and Excel with ``--xlsx``) in a child process: time and peak
memory (the child's ru_maxrss). Goal: overview and screen p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import PG, pct

DB = "jingwu_bench_stats"
GOAL_MS = 200.0

FILL = """
CREATE TEMP TABLE g AS SELECT row_number() OVER (ORDER BY id) AS n, id, region_id, center_lon, center_lat FROM geo_grid;
CREATE TEMP TABLE cat AS SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, f.id AS cond
  FROM cases_category c JOIN cases_filingcondition f ON f.category_id = c.id AND f.is_default WHERE c.kind = 'matter';
CREATE TEMP TABLE dep AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM org_department;
INSERT INTO cases_case (id, number, kind, category_id, condition_id, source, source_detail, lon, lat, address, grid_id,
  region_id, description, reporter_name, reporter_phone, tracking_code, status, department_id, reported_at,
  updated_at, due_at, handling_deadline, dispatched_at, feedback_at, closed_at, handled_on_time, extension_count,
  rework_count, return_count, escalation_count, satisfaction, satisfaction_note, version, origin_kind, origin_id)
SELECT s, 'B' || lpad(s::text, 12, '0'), 'event', cat.id, cat.cond,
  (ARRAY['grid_worker','grid_worker','grid_worker','public','hotline','iot'])[1 + s % 6], '',
  g.center_lon, g.center_lat, '', g.id, g.region_id, '案件 #' || s, '', '', md5(s::text)::varchar(8),
  st.status, dep.id, t.at, t.at, CASE WHEN st.status = 'handling' THEN t.at + interval '1 day' END,
  t.at + interval '1 day', t.at + interval '40 minutes',
  CASE WHEN st.status = 'closed' THEN t.at + interval '20 hours' END,
  CASE WHEN st.status = 'closed' THEN t.at + interval '22 hours' END,
  CASE WHEN st.status = 'closed' THEN s % 17 <> 0 END, 0, 0, 0, 0, '', '', 1, '', ''
FROM generate_series(1::bigint, {n}) s
JOIN g ON g.n = 1 + (s * 7919) % (SELECT count(*) FROM g)
JOIN cat ON cat.n = 1 + (s * 104729) % (SELECT count(*) FROM cat)
JOIN dep ON dep.n = 1 + (s * 31) % (SELECT count(*) FROM dep)
CROSS JOIN LATERAL (SELECT now() - interval '4 years' + (s::float / {n}) * interval '4 years' - interval '1 day' AS at) t
CROSS JOIN LATERAL (SELECT CASE WHEN s > {n} - {n} / 100 THEN 'handling'
  WHEN s % 97 = 0 THEN 'suspended' ELSE 'closed' END AS status) st;
INSERT INTO cases_transition (case_id, seq, action, outcome, actor_name, role, at, note, reason, public_note,
  deadline_before, deadline_after, on_time, data, from_state, to_state, department_id)
SELECT c.id, x.seq, x.action, x.outcome, '', x.role, c.reported_at + x.after, '', '', '', NULL, NULL, x.on_time, '{{}}',
  x.from_state, x.to_state, CASE WHEN x.action IN ('dispatch', 'feedback') THEN c.department_id END
FROM cases_case c
CROSS JOIN LATERAL (VALUES
  (1, 'report', '', 'grid_worker', interval '0', NULL::boolean, '', 'to_file'),
  (2, 'file', '', 'shift_lead', interval '20 minutes', true, 'to_file', 'to_dispatch'),
  (3, 'dispatch', '', 'dispatcher', interval '40 minutes', true, 'to_dispatch', 'handling'),
  (4, 'feedback', '', 'handler', interval '20 hours', c.handled_on_time, 'handling', 'to_check'),
  (5, 'check', 'pass', 'grid_worker', interval '21 hours', true, 'to_check', 'to_close'),
  (6, 'close', '', 'shift_lead', interval '22 hours', true, 'to_close', 'closed')
) AS x(seq, action, outcome, role, after, on_time, from_state, to_state)
WHERE x.seq <= CASE c.status WHEN 'closed' THEN 6 ELSE 3 END;
SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case));
"""


def reset_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def django_setup() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ.setdefault("JINGWU_CONN_MAX_AGE", "600")
    os.environ.setdefault("JINGWU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int) -> dict[str, float]:
    from jingwu.cases.demo import _user
    from jingwu.geo import town
    from jingwu.geo.services import import_geojson
    from jingwu.org.choices import DepartmentKind, Role
    from jingwu.org.models import Department

    t0 = time.perf_counter()
    import_geojson({"type": "FeatureCollection", "features": town.build("120111", "103", grids=125, seed=7)})
    for i in range(20):
        Department.objects.create(code=f"D{i:02d}", name=f"部门{i:02d}", kind=DepartmentKind.OFFICE)
    _user("bench_leader", "领导", Role.LEADER)
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute(FILL.format(n=n))
        # What autovacuum does to a loaded table in production: statistics and the visibility map (index-only
        # scans), so the figures are not those of a table no one has vacuumed.
        conn.execute("VACUUM ANALYZE")
    t_fill = time.perf_counter() - t0
    from jingwu.lib import clock
    from jingwu.stats.rollup import rollup_day
    from jingwu.workcal.services import get_calendar

    today = clock.now().astimezone(get_calendar().tz).date()
    t1 = time.perf_counter()
    days = 400
    for back in range(days, 0, -1):
        rollup_day(today - timedelta(days=back))
    t_roll = time.perf_counter() - t1
    return {"fill": t_fill, "rollup": t_roll, "rollup_per_day_ms": 1000 * t_roll / days}


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def export_child(fmt: str, out: Any) -> None:
    """In a child process: the whole case list as the leader exports it; reports seconds, rows and peak RSS."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    connections.close_all()
    from jingwu.web import lists
    from jingwu.web.export import write_csv, write_xlsx

    user = get_user_model().objects.get(username="bench_leader")
    listing = lists.case_list_for(user, {})
    header = [str(c) for c in lists.COLUMNS]
    t0 = time.perf_counter()
    count = [0]

    def rows() -> Any:
        for row in lists.export_rows(listing, lists.XLSX_LIMIT if fmt == "xlsx" else None):
            count[0] += 1
            yield row

    with tempfile.TemporaryFile() as f:
        (write_xlsx(f, "cases", header, rows()) if fmt == "xlsx" else write_csv(f, header, rows()))
        size = f.tell()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put({"seconds": time.perf_counter() - t0, "rows": count[0], "peak_mb": peak, "mb": size / 1e6})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--xlsx", action="store_true", help="also the Excel export (minutes at 10^6 rows)")
    args = ap.parse_args()
    if not args.reuse:
        reset_db()
    t0 = time.perf_counter()
    django_setup()
    print(f"migrate {time.perf_counter() - t0:.1f} s")
    from jingwu.cases.models import Case

    if not args.reuse:
        f = fill(args.cases)
        print(
            f"generation: {args.cases:,} cases and their steps {f['fill']:.1f} s; "
            f"rollup of 400 days {f['rollup']:.1f} s ({f['rollup_per_day_ms']:.0f} ms a day)"
        )
    total = Case.objects.count()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from jingwu.lib import clock
    from jingwu.stats import figures
    from jingwu.stats import indicators as ind

    leader = get_user_model().objects.get(username="bench_leader")
    # "Now" is the last evening of the last whole month, so that "this month" is a whole month of cases (a run on
    # the 1st would otherwise measure a month of a few hours).
    from jingwu.workcal.services import get_calendar

    tz = get_calendar().tz
    first = clock.now().astimezone(tz).date().replace(day=1)
    now = datetime.combine(first - timedelta(days=1), datetime.min.time(), tz) + timedelta(hours=22)
    frozen = clock.frozen_at(now)
    frozen.__enter__()
    periods = {k: since for k, _l, since in figures.periods(now)}
    month_p = ind.Period(periods["month"], now, now)
    year_p = ind.Period(periods["year"], now, now)
    year_cases = Case.objects.filter(reported_at__gte=periods["year"], reported_at__lt=now).count()

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM cases_case WHERE reported_at >= %s", [periods["year"]])
            cur.fetchone()

    work = {
        "overview (today, month, year)": lambda: figures.overview(now),
        "big screen data": lambda: figures.screen(leader, now),
        "every indicator, this month (live)": lambda: ind.count(Case.objects.visible_to(leader), month_p),
        "every indicator, this year (live)": lambda: ind.count(Case.objects.visible_to(leader), year_p),
        "every indicator by village, this month": lambda: ind.count(Case.objects.visible_to(leader), month_p, "region"),
    }
    times: dict[str, list[float]] = {k: [] for k in work}
    base: list[float] = []
    for _w in range(3):
        for fn in work.values():
            fn()
        raw()
    for _r in range(args.repeat):
        for k, fn in work.items():
            times[k].append(timed(fn))
            base.append(timed(raw))
    month_cases = Case.objects.filter(reported_at__gte=periods["month"], reported_at__lt=now).count()
    print(
        f"\n{total:,} cases ({year_cases:,} this year, {month_cases:,} this month, to {now:%Y-%m-%d %H:%M}), "
        f"{args.repeat} runs each, PostgreSQL"
    )
    print(f"{'figure':44} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  vs raw p50")
    b50 = pct(base, 50)
    for k, v in times.items():
        goal = "  (goal p95 ≤ 200 ms)" if k.startswith(("overview", "big")) else ""
        print(f"{k:44} {pct(v, 50):8.1f} {pct(v, 95):8.1f} {pct(v, 99):8.1f}  ×{pct(v, 50) / b50:.1f}{goal}")
    print(f"{'raw count(*) of this year':44} {b50:8.1f} {pct(base, 95):8.1f} {pct(base, 99):8.1f}")
    connection.close()
    for fmt in ("csv", "xlsx") if args.xlsx else ("csv",):
        q: Any = mp.get_context("fork").Queue()
        p = mp.get_context("fork").Process(target=export_child, args=(fmt, q))
        p.start()
        r = q.get()
        p.join()
        print(
            f"export {fmt}: {r['rows']:,} rows in {r['seconds']:.1f} s ({r['rows'] / r['seconds']:,.0f} rows/s), "
            f"{r['mb']:.0f} MB file, peak memory {r['peak_mb']:.0f} MB"
        )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    t = datetime.now()
    main()
    print(f"({(datetime.now() - t).total_seconds():.0f} s in all)")
