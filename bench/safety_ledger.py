"""The safety ledgers on PostgreSQL: ``.venv/bin/python bench/safety_ledger.py [--places N] [--hazards N] [--quick]``.

A town of ``--places`` enterprises (default 10,000) with a year of inspections (2.2 per place) and
``--hazards`` hazards (default 100,000; about 85 % closed, the rest open, some past their deadline) is
bulk-filled by COPY, the places' ledger figures are set by one ``UPDATE … FROM (… GROUP BY enterprise_id)``
(what ``inspections.recount`` does per place), and the tables are analysed. Then each ledger request is made
in process (Django test client, a leader's bearer token; the HTML pages with a session) ``--reps`` times after
3 warm-up calls, each call followed by the hand-written SQL for the same answer (``connection.cursor()``,
rows fetched), so that the machine's drift falls on both alike. Printed: p50/p95/p99 of each, the ratio, the
number of SQL statements per call and their time, and the goal: the ledger page's p95 ≤ 200 ms.

The database ``jingwu_bench_safety`` on ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432) is dropped
and created, and dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import PG, pct

DB = "jingwu_bench_safety"
GOAL_MS = 200.0
WARMUP = 3
OPEN_STATES = ("to_dispatch", "handling", "to_check", "to_close")
CLOSED_SQL = "('closed', 'voided', 'merged')"


def reset_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def django_setup() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ.setdefault("JINGWU_CONN_MAX_AGE", "600")  # one connection for the run, as a worker keeps it
    os.environ.setdefault("JINGWU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- fill ---------------------------------------------------------------------------------------------

# GB/T 4754 sections, weighted as a manufacturing town's registry: factories, shops, restaurants.
INDUSTRY_WEIGHTS = {"C": 30, "F": 22, "H": 16, "E": 5, "G": 4, "O": 4, "L": 3, "K": 2, "R": 2, "Q": 2, "P": 2}
RISK_WEIGHTS = {"blue": 60, "yellow": 25, "orange": 10, "red": 5}
TAGS = ["fire_key", "voc", "seven_small", "site", "hazchem", "gas", "crowded"]
HAZARD_TYPES = ["fire", "electric", "hazchem", "gas", "equipment", "workplace", "exit", "management", "environment"]
HAZARD_TYPE_WEIGHTS = [25, 20, 5, 8, 6, 12, 10, 10, 4]
OPEN_WEIGHTS = [15, 50, 20, 15]  # to_dispatch, handling, to_check, to_close


def fill(n_places: int, n_inspections: int, n_hazards: int, now: datetime) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from jingwu.geo.models import Grid
    from jingwu.geo.services import import_geojson
    from jingwu.lib import crypto
    from jingwu.org.choices import Role
    from jingwu.org.models import Person
    from jingwu.safety.models import Checklist, Enterprise, Hazard, Inspection
    from tests.conftest import territory

    rng = random.Random(20261130)
    import_geojson(territory())
    grid_ids = list(Grid.objects.values_list("id", flat=True))
    User = get_user_model()
    leader = User.objects.create_user("bench_leader")
    Person.objects.create(user=leader, name="领导", role=Role.LEADER)
    inspector = User.objects.create_user("bench_inspector")
    Person.objects.create(user=inspector, name="检查员", role=Role.INSPECTOR)
    checklist, _ = Checklist.objects.get_or_create(name="bench 通用检查表")

    # Places: three sealed contacts each (as the registry stores them), tags, risk levels; a few closed down.
    industries = list(INDUSTRY_WEIGHTS) + [c for c in "ABDIJMNST"]
    weights = list(INDUSTRY_WEIGHTS.values()) + [1] * 9
    sealed = [crypto.seal(f"张{i % 97}") for i in range(97)], [crypto.seal(f"1390000{i:04d}") for i in range(97)]
    place_rows = []
    for i in range(n_places):
        lon, lat = 117.10 + rng.random() * 0.02, 39.03 + rng.random() * 0.02
        tags = rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 1, 2]))
        place_rows.append(
            (
                f"精武镇第{i}号生产经营单位",
                rng.choices(industries, weights)[0],
                f"精武镇{i % 40}村{i}号",
                lon,
                lat,
                rng.choice(grid_ids) if grid_ids else None,
                sealed[0][i % 97],
                sealed[0][(i + 13) % 97],
                sealed[1][i % 97],
                rng.choices(list(RISK_WEIGHTS), list(RISK_WEIGHTS.values()))[0],
                json.dumps(tags),
                rng.random() > 0.03,
                now - timedelta(days=400),
                now - timedelta(days=400),
            )
        )
    e_table, i_table, h_table = Enterprise._meta.db_table, Inspection._meta.db_table, Hazard._meta.db_table
    with connection.cursor() as cur:
        with cur.copy(
            f"COPY {e_table} (name, industry, industry_class, address, lon, lat, grid_id, legal_rep, contact_name,"
            " contact_phone, risk, tags, active, version, created_at, updated_at, open_hazards, closed_hazards)"
            " FROM STDIN"
        ) as copy:
            for r in place_rows:
                copy.write_row((r[0], r[1], "", *r[2:12], 1, r[12], r[13], 0, 0))
        cur.execute(f"SELECT id, industry, grid_id FROM {e_table} ORDER BY id")
        places = cur.fetchall()
        where = {pk: (industry, grid_id) for pk, industry, grid_id in places}

        # Inspections over the year, uniformly; ordered by time so that recent ones can be picked.
        year = timedelta(days=365)
        ins = sorted((now - year * rng.random(), rng.randrange(len(places))) for _ in range(n_inspections))
        with cur.copy(
            f"COPY {i_table} (enterprise_id, checklist_id, inspector_id, inspector_name, at, received_at,"
            " signer_name, signature, note, passed, failed) FROM STDIN"
        ) as copy:
            for at, p in ins:
                copy.write_row(
                    (
                        places[p][0],
                        checklist.pk,
                        inspector.pk,
                        "检查员",
                        at,
                        at + timedelta(minutes=rng.randint(1, 90)),
                        "负责人",
                        f"safety/signatures/{at:%Y/%m}/bench.png",
                        "",
                        rng.randint(8, 30),
                        0,
                    )
                )
        cur.execute(f"SELECT id, enterprise_id, at FROM {i_table} ORDER BY at, id")
        inspections = cur.fetchall()

        # Hazards, each found at an inspection: 85 % closed (uniform over the year), the open ones mostly
        # recent (found at an inspection drawn from the newest, exponential with a 30-day mean), so that
        # some, not all, are past their deadline. Written in the order they were found, as a live table grows
        # (the found_at and closed_at ranges then sit in neighbouring pages, not all over the heap).
        n_ins = len(inspections)
        recent = max(1.0, n_ins * 30 / 365)
        hazards = []
        for _ in range(n_hazards):
            is_open = rng.random() >= 0.85
            back = min(n_ins - 1, int(rng.expovariate(1 / recent))) if is_open else rng.randrange(n_ins)
            ins_id, ent_id, at = inspections[n_ins - 1 - back]
            industry, grid_id = where[ent_id]
            major = rng.random() < 0.05
            days = rng.choice([3, 7]) if major else rng.choice([7, 15, 15, 30])
            found = min(at + timedelta(minutes=rng.randint(0, 60)), now)
            rectify_by = found + timedelta(days=days)
            if is_open:
                status, closed_at, rechecks = rng.choices(OPEN_STATES, OPEN_WEIGHTS)[0], None, 0
            else:
                closed_at = min(found + timedelta(days=days * rng.uniform(0.2, 1.4)), now)
                status, rechecks = "closed", rng.choice([1, 1, 1, 2])
            level, kind = "major" if major else "general", rng.choices(HAZARD_TYPES, HAZARD_TYPE_WEIGHTS)[0]
            hazards.append(
                (found, ins_id, ent_id, level, kind, industry, grid_id, rectify_by, status, rechecks, closed_at)
            )
        hazards.sort(key=lambda h: (h[0], h[1]))
        with cur.copy(
            f"COPY {h_table} (found_at, inspection_id, enterprise_id, level, hazard_type, industry, grid_id,"
            " rectify_by, status, rechecks, closed_at, description, basis, token) FROM STDIN"
        ) as copy:
            for k, h in enumerate(hazards):
                copy.write_row(
                    (*h, f"第{k}号隐患：灭火器过期、疏散通道堆放杂物", "", f"b{k:07d}{secrets.token_urlsafe(12)}")
                )
        # The ledger figures, for every place at once (``recount`` per place), and the inspections' counts.
        cur.execute(
            f"UPDATE {e_table} e SET open_hazards = h.open, closed_hazards = h.closed, next_due = h.due"
            f" FROM (SELECT enterprise_id, count(*) FILTER (WHERE status NOT IN {CLOSED_SQL}) AS open,"
            "        count(*) FILTER (WHERE status = 'closed') AS closed,"
            f"       min(rectify_by) FILTER (WHERE status NOT IN {CLOSED_SQL}) AS due"
            f"       FROM {h_table} GROUP BY enterprise_id) h WHERE e.id = h.enterprise_id"
        )
        cur.execute(
            f"UPDATE {e_table} e SET last_inspected_at = i.last"
            f" FROM (SELECT enterprise_id, max(at) AS last FROM {i_table} GROUP BY enterprise_id) i"
            " WHERE e.id = i.enterprise_id"
        )
        cur.execute(
            f"UPDATE {i_table} i SET failed = h.n FROM (SELECT inspection_id, count(*) AS n FROM {h_table}"
            " GROUP BY inspection_id) h WHERE i.id = h.inspection_id"
        )
        for table in (e_table, i_table, h_table):
            cur.execute(f"VACUUM ANALYZE {table}")  # autocommit: what autovacuum does soon after a load
        cur.execute(
            f"SELECT count(*) FILTER (WHERE status NOT IN {CLOSED_SQL}),"
            f" count(*) FILTER (WHERE status NOT IN {CLOSED_SQL} AND rectify_by < %s) FROM {h_table}",
            [now],
        )
        n_open, n_overdue = cur.fetchone()
        cur.execute(f"SELECT count(*) FILTER (WHERE next_due < %s), count(*) FROM {e_table}", [now])
        late_places, all_places = cur.fetchone()
    return {
        "leader": leader,
        "open": n_open,
        "overdue": n_overdue,
        "late_places": late_places,
        "places": all_places,
        "inspections": n_ins,
    }


# --- raw baselines -----------------------------------------------------------------------------------

PLACE_COLS = (
    "e.id, e.name, e.industry, e.risk, g.code, e.last_inspected_at, e.open_hazards, e.closed_hazards, e.next_due"
)
HAZARD_COLS = (
    "h.id, h.enterprise_id, e.name, h.level, h.hazard_type, h.industry, h.description, h.found_at, h.rectify_by,"
    " h.status, h.rechecks, h.closed_at, c.number, c.version"
)


def raw_places(cur: Any, now: datetime, where: str = "", params: tuple[Any, ...] = ()) -> None:
    """One page of the 动态监管台账, its count, and the page's overdue counts: the three statements it needs."""
    cur.execute(
        f"SELECT {PLACE_COLS} FROM safety_enterprise e LEFT JOIN geo_grid g ON g.id = e.grid_id"
        f" WHERE e.active {where} ORDER BY (e.next_due < %s) DESC NULLS LAST, e.next_due NULLS LAST,"
        " e.open_hazards DESC, e.last_inspected_at, e.id LIMIT 50",
        [*params, now],
    )
    ids = [r[0] for r in cur.fetchall()]
    cur.execute(f"SELECT count(*) FROM safety_enterprise e WHERE e.active {where}", list(params))
    cur.fetchone()
    cur.execute(
        f"SELECT enterprise_id, count(*) FROM safety_hazard WHERE status NOT IN {CLOSED_SQL}"
        " AND enterprise_id = ANY(%s) AND rectify_by < %s GROUP BY enterprise_id",
        [ids, now],
    )
    cur.fetchall()


def raw_hazard_list(cur: Any, now: datetime, lo: datetime, hi: datetime) -> None:
    """隐患清单: one GROUP BY with the filtered counts."""
    cur.execute(
        "SELECT industry, hazard_type, count(*), count(*) FILTER (WHERE level = 'major'),"
        f" count(*) FILTER (WHERE status NOT IN {CLOSED_SQL}),"
        f" count(*) FILTER (WHERE status NOT IN {CLOSED_SQL} AND rectify_by < %s),"
        " count(*) FILTER (WHERE status = 'closed'),"
        " count(*) FILTER (WHERE status = 'closed' AND closed_at > rectify_by)"
        " FROM safety_hazard WHERE found_at >= %s AND found_at < %s GROUP BY 1, 2 ORDER BY 1, 2",
        [now, lo, hi],
    )
    cur.fetchall()


def raw_figures(cur: Any, now: datetime, lo: datetime, hi: datetime) -> None:
    """The report's figures in one statement of scalar sub-selects."""
    cur.execute(
        "SELECT (SELECT count(*) FROM safety_inspection WHERE at >= %(lo)s AND at < %(hi)s),"
        " (SELECT count(DISTINCT enterprise_id) FROM safety_inspection WHERE at >= %(lo)s AND at < %(hi)s),"
        " (SELECT count(*) FROM safety_hazard WHERE found_at >= %(lo)s AND found_at < %(hi)s),"
        " (SELECT count(*) FROM safety_hazard WHERE found_at >= %(lo)s AND found_at < %(hi)s AND level = 'major'),"
        " (SELECT count(*) FROM safety_hazard WHERE closed_at >= %(lo)s AND closed_at < %(hi)s"
        "  AND status = 'closed'),"
        f" (SELECT count(*) FROM safety_hazard WHERE status NOT IN {CLOSED_SQL}),"
        f" (SELECT count(*) FROM safety_hazard WHERE status NOT IN {CLOSED_SQL} AND rectify_by < %(now)s)",
        {"lo": lo, "hi": hi, "now": now},
    )
    cur.fetchone()


def raw_hazards(cur: Any, now: datetime, where: str, params: list[Any], limit: int) -> None:
    """A page of hazards, newest first, with their place's name and their case's number."""
    cur.execute(
        f"SELECT {HAZARD_COLS} FROM safety_hazard h JOIN safety_enterprise e ON e.id = h.enterprise_id"
        f" LEFT JOIN cases_case c ON c.id = h.case_id WHERE true {where}"
        " ORDER BY h.found_at DESC, h.id DESC LIMIT %s",
        [*params, limit],
    )
    cur.fetchall()


# --- timing ------------------------------------------------------------------------------------------


class Row:
    def __init__(self, name: str, call: Callable[[], Any], raw: Callable[[], None], ledger: bool) -> None:
        self.name, self.call, self.raw, self.ledger = name, call, raw, ledger
        self.ms: list[float] = []
        self.raw_ms: list[float] = []
        self.queries: list[tuple[float, str, Any]] = []
        self.skipped = ""


def measure(row: Row, reps: int) -> None:
    from django.db import connection

    for _ in range(WARMUP):
        r = row.call()
        if r.status_code != 200:
            row.skipped = f"HTTP {r.status_code}"
            return
        row.raw()

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            row.queries.append(((time.perf_counter() - t0) * 1000, sql, params))

    with connection.execute_wrapper(record):  # once, apart from the timed calls: what SQL it makes
        row.call()
    for _ in range(reps):
        t0 = time.perf_counter()
        row.call()
        t1 = time.perf_counter()
        row.raw()
        t2 = time.perf_counter()
        row.ms.append((t1 - t0) * 1000)
        row.raw_ms.append((t2 - t1) * 1000)


def report(rows: list[Row]) -> None:
    head = f"  {'request':<52} {'p50':>7} {'p95':>7} {'p99':>7} │ {'raw p50':>7} {'p95':>7} {'p99':>7} │ {'×p50':>5} {'×p95':>5} │ {'SQL':>3} {'SQL ms':>7}"
    print(head)
    print("  " + "─" * (len(head) - 2))
    for r in rows:
        if r.skipped:
            print(f"  {r.name:<52} skipped: {r.skipped}")
            continue
        e = [pct(r.ms, p) for p in (50, 95, 99)]
        b = [pct(r.raw_ms, p) for p in (50, 95, 99)]
        sql_ms = sum(q[0] for q in r.queries)
        print(
            f"  {r.name:<52} {e[0]:7.1f} {e[1]:7.1f} {e[2]:7.1f} │ {b[0]:7.2f} {b[1]:7.2f} {b[2]:7.2f} │"
            f" {e[0] / b[0]:5.1f} {e[1] / b[1]:5.1f} │ {len(r.queries):>3} {sql_ms:7.1f}"
        )


def explain(sql: str, params: Any) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        for (text,) in cur.fetchall():
            print(f"    {text}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--places", type=int, default=10_000)
    ap.add_argument("--hazards", type=int, default=100_000)
    ap.add_argument("--inspections", type=int, default=None, help="default 2.2 per place")
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="1,000 places, 10,000 hazards, 10 reps")
    ap.add_argument("--keep", action="store_true", help="keep the database jingwu_bench_safety")
    ap.add_argument("--sql", action="store_true", help="list each request's SQL statements with their times")
    ap.add_argument("--no-explain", action="store_true", help="skip EXPLAIN of the slowest statement")
    args = ap.parse_args()
    if args.quick:
        args.places, args.hazards, args.reps = 1_000, 10_000, 10
    n_inspections = args.inspections if args.inspections is not None else round(args.places * 2.2)

    reset_db()
    try:
        run(args, n_inspections)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_db()
        else:
            print(f"\n  kept database {DB} ({PG}/{DB})")


def run(args: argparse.Namespace, n_inspections: int) -> None:
    t0 = time.perf_counter()
    django_setup()
    t_migrate = time.perf_counter() - t0

    from django.db import connection
    from django.test import Client

    from jingwu.lib import clock
    from jingwu.org.services import issue_token
    from jingwu.safety.ledgers import Period
    from jingwu.workcal.services import get_calendar

    now = clock.now()
    t0 = time.perf_counter()
    town = fill(args.places, n_inspections, args.hazards, now)
    t_fill = time.perf_counter() - t0
    print(
        f"\n[safety ledgers] {town['places']:,} places, {town['inspections']:,} inspections, {args.hazards:,} hazards"
        f" ({town['open']:,} open, {town['overdue']:,} overdue; {town['late_places']:,} places with overdue ones)"
    )
    print(
        f"  migrate {t_migrate:.1f} s, fill (COPY + ledger UPDATE + VACUUM ANALYZE) {t_fill:.1f} s;"
        f" {args.reps} reps after {WARMUP} warm-up calls, times in ms\n"
    )

    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(town['leader'], 'bench')}"}
    page = Client()
    page.force_login(town["leader"])

    today = now.astimezone(get_calendar().tz).date()
    year_start, year_end = today - timedelta(days=364), today
    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    year_lo, year_hi = Period(year_start, year_end).bounds()
    month_lo, month_hi = Period(month_start, month_end).bounds()

    def get(path: str, **params: Any) -> Callable[[], Any]:
        return lambda: api.get(f"/api{path}", params, **auth)

    def html(path: str) -> Callable[[], Any]:
        return lambda: page.get(path)

    def raw(fn: Callable[..., None], *a: Any) -> Callable[[], None]:
        def go() -> None:
            with connection.cursor() as cur:
                fn(cur, clock.now(), *a)

        return go

    def iso(d: date) -> str:
        return d.isoformat()

    open_where = f"AND h.status NOT IN {CLOSED_SQL} AND h.rectify_by < %s"

    def raw_overdue(cur: Any, at: datetime) -> None:
        raw_hazards(cur, at, open_where, [at], 100)

    def raw_hazards_page(cur: Any, at: datetime) -> None:
        """The HTML 隐患清单 with its default period: the summary, the figures, a page of 50 and its count."""
        lo, hi = Period(date(today.year, 1, 1), today).bounds()
        assert lo is not None and hi is not None
        raw_hazard_list(cur, at, lo, hi)
        raw_figures(cur, at, lo, hi)
        raw_hazards(cur, at, "AND h.found_at >= %s AND h.found_at < %s", [lo, hi], 50)
        cur.execute("SELECT count(*) FROM safety_hazard WHERE found_at >= %s AND found_at < %s", [lo, hi])
        cur.fetchone()

    y, m = {"start": iso(year_start), "end": iso(year_end)}, {"start": iso(month_start), "end": iso(month_end)}
    rows = [
        Row("/api/safety/ledgers/places (first page)", get("/safety/ledgers/places"), raw(raw_places), True),
        Row(
            "/api/safety/ledgers/places?only=overdue",
            get("/safety/ledgers/places", only="overdue"),
            raw(lambda cur, at: raw_places(cur, at, "AND e.next_due < %s", (at,))),
            True,
        ),
        Row(
            "/api/safety/ledgers/places?industry=C",
            get("/safety/ledgers/places", industry="C"),
            raw(raw_places, "AND e.industry = %s", ("C",)),
            True,
        ),
        Row(
            "/api/safety/ledgers/places?tag=hazchem",
            get("/safety/ledgers/places", tag="hazchem"),
            raw(raw_places, "AND e.tags @> %s::jsonb", ('["hazchem"]',)),
            True,
        ),
        Row(
            f"/api/safety/ledgers/hazards (year {year_start:%m-%d}…{year_end:%m-%d})",
            get("/safety/ledgers/hazards", **y),
            raw(raw_hazard_list, year_lo, year_hi),
            True,
        ),
        Row(
            f"/api/safety/ledgers/hazards (month {month_start:%Y-%m})",
            get("/safety/ledgers/hazards", **m),
            raw(raw_hazard_list, month_lo, month_hi),
            True,
        ),
        Row(
            f"/api/safety/figures (month {month_start:%Y-%m})",
            get("/safety/figures", **m),
            raw(raw_figures, month_lo, month_hi),
            True,
        ),
        Row(
            "/api/safety/hazards?state=overdue (100)", get("/safety/hazards", state="overdue"), raw(raw_overdue), False
        ),
        Row("/safety/ledger/ (HTML)", html("/safety/ledger/"), raw(raw_places), True),
        Row("/safety/hazards/ (HTML)", html("/safety/hazards/"), raw(raw_hazards_page), True),
    ]
    for r in rows:
        measure(r, args.reps)
    report(rows)

    timed = [r for r in rows if not r.skipped]
    ledger = [r for r in timed if r.ledger]
    if ledger:
        worst = max(ledger, key=lambda r: pct(r.ms, 95))
        p95 = pct(worst.ms, 95)
        verdict = "ok" if p95 <= GOAL_MS else "NOT MET"
        print(f"\n  ledger page p95 {p95:.1f} ms ≤ {GOAL_MS:.0f} ms: {verdict}  (worst: {worst.name})")
        for r in ledger:
            if r is not worst and pct(r.ms, 95) > GOAL_MS:
                print(f"  also over the goal: {r.name} p95 {pct(r.ms, 95):.1f} ms")
    if args.sql:
        for r in timed:
            print(f"\n  {r.name}:")
            for ms, sql, _ in r.queries:
                print(f"    {ms:7.2f} ms  {' '.join(sql.split())[:150]}")
    if not args.no_explain and timed:
        slow = max(timed, key=lambda r: pct(r.ms, 50))
        if slow.queries:
            ms, sql, params = max(slow.queries, key=lambda q: q[0])
            print(f"\n  slowest request {slow.name}: its slowest statement ({ms:.1f} ms of {len(slow.queries)}):")
            print(f"    {sql[:600]}{' …' if len(sql) > 600 else ''}")
            explain(sql, params)


if __name__ == "__main__":
    main()
