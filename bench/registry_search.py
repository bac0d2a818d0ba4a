"""Registry search among a million residents on PostgreSQL: ``.venv/bin/python bench/registry_search.py [--rows N]``.

A registry of ``--rows`` residents (default 1,000,000) in households at standard addresses over a town of
``rows / 1,250`` grids is generated and written by COPY: names, ID numbers and phones sealed with
``lib/crypto.seal`` and their keyed digests computed by the registry's own functions, in ``--workers``
processes (default 2), each sealing and COPYing its share over its own connection; about 11 % of the people
carry a care tag (低保, 残疾人 … 重点人员) and a visit date. Names follow a skewed distribution (王, 李, 张 …
and common given names), so that a common name matches hundreds of people, as in a real town.

Then ``registry.services.search(user, q, **filters)`` is measured as the people page uses it: the search, its
``select_related``, the first page (51 rows, ``order_by("id")``), each row's name and ID number opened (the page
masks them) — for a steward (every grid), a grid worker (one grid) and a leader (every grid, restricted groups
excluded), by name, ID number, phone, name within a care group, and the first page of a group, of the visits
due, of a worker's grid. Each query is a random resident's value (a hit), a fresh user object per call (its
scope is looked up as in a request), ``--queries`` times (default 300) after 5 warm-up calls; each call is
followed by the raw baseline, the same equality look-up on the digest column through a cursor
(``SELECT … WHERE name_key = %s AND "left" = '' ORDER BY id LIMIT 51``, rows fetched, nothing opened), so that
the machine's drift falls on both alike. Printed: p50/p95/p99 of each, the ratio, the statements per call, and
the goal: a search by name, ID number or phone p95 ≤ 100 ms.

The database ``jingwu_bench_registry`` on ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432) is dropped
and created, and dropped at the end unless ``--keep``; ``--reuse`` measures a kept database again without
generating (when it holds ``--rows`` residents). The load disables triggers for its session
(``session_replication_role = replica``, as ``pg_restore --disable-triggers`` does, so foreign keys are not
checked row by row) and writes explicit ids; the indexes are those of the migrations, built as rows arrive.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import PG, pct

DB = "jingwu_bench_registry"
GOAL_MS = 100.0
WARMUP = 5
SLOW_REPS = 30
PEOPLE_PER_GRID = 1250
CHUNK = 25_000
# Care groups (code, share of people); the rest of the migration's groups are as the demo has them.
TAGS = [
    ("alone_elderly", 0.02),
    ("dibao", 0.015),
    ("tekun", 0.002),
    ("low_income", 0.01),
    ("disabled", 0.05),
    ("left_behind", 0.01),
    ("veteran", 0.015),
    ("key_person", 0.002),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌宇浩凯鹏飞丹宁雪梅海波辉玲燕俊峰琳晶欣亮宏云鑫志"
    "佳慧婷帆子涵轩梓睿博雨泽一诺思然怡晨萱铭瑞哲梦琪瑶诚昊天昱彤可馨语桐楠若熙彬永庆淑珍德福长春秋菊凤金"
)
PREFIXES = ["120111", "120104", "120110", "120112", "120113", "120114", "130423", "131121", "370883", "410523"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reset_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def db_exists() -> bool:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone() is not None


def django_setup() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ.setdefault("JINGWU_CONN_MAX_AGE", "600")  # one connection for the run, as a worker keeps it
    os.environ.setdefault("JINGWU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- generation ---------------------------------------------------------------------------------------

# Filled by ``plan`` in the parent and inherited by the workers (fork).
PLAN: dict[str, Any] = {}


def zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def plan(rows: int, grids: list[tuple[int, int]], rng: np.random.Generator, today: date) -> dict[str, int]:
    """Who lives where: households of 1-5 people at addresses (1-2 households each) spread over the grids;
    the tagged people and their groups. Arrays indexed by person, household, address."""
    sizes = rng.choice([1, 2, 3, 4, 5], size=rows // 2 + 10, p=[0.2, 0.3, 0.28, 0.15, 0.07])
    ends = np.cumsum(sizes)
    n_hh = int(np.searchsorted(ends, rows)) + 1
    hh_of = np.repeat(np.arange(n_hh), sizes[:n_hh])[:rows]
    starts = np.concatenate([[0], ends[: n_hh - 1]])
    position = np.arange(rows) - starts[hh_of]
    n_addr = max(1, int(n_hh / 1.4))
    addr_of_hh = np.sort(rng.integers(0, n_addr, n_hh))
    grid_of_addr = np.sort(rng.integers(0, len(grids), n_addr))
    grid_ids = np.array([g for g, _r in grids])
    region_ids = np.array([r for _g, r in grids])
    kind = rng.choice(3, size=n_hh, p=[0.85, 0.1495, 0.0005])  # registered, floating, overseas (by household)
    # Ages: a town's pyramid, roughly; the head of a household an adult.
    age = np.clip(rng.gamma(4.0, 10.5, rows), 0, 95).astype(int)
    age[position == 0] = np.maximum(age[position == 0], 20)
    tagged = np.zeros(rows, dtype=np.int8)  # 0 none, else 1 + index in TAGS
    order = rng.permutation(rows)
    k = 0
    for i, (_code, share) in enumerate(TAGS):
        n = int(rows * share)
        tagged[order[k : k + n]] = i + 1
        k += n
    PLAN.update(
        hh_of=hh_of,
        position=position,
        addr_of_hh=addr_of_hh,
        grid_of_addr=grid_of_addr,
        grid_ids=grid_ids,
        region_ids=region_ids,
        kind=kind,
        age=age,
        tagged=tagged,
        today=today,
    )
    return {"households": n_hh, "addresses": n_addr}


def _name(rng: random.Random, surnames: list[str], sw: list[float], given: list[str], gw: list[float]) -> str:
    """A name as common as names are: 王, 李, 张 about 6 % each, one given character in ten names."""
    surname = rng.choices(surnames, cum_weights=sw)[0]
    if rng.random() < 0.1:
        return surname + rng.choices(given, cum_weights=gw)[0]
    return surname + "".join(rng.choices(given, cum_weights=gw, k=2))


def write_people(chunk: int, chunks: int, start: int, stop: int) -> tuple[int, float, float]:
    """Residents ``start``..``stop``: sealed, keyed and COPYed over this process's own connection; returns
    (rows, CPU seconds making them, seconds COPYing them). Each chunk draws its ID numbers' (place, sequence)
    pairs from its own share of them, so that no two chunks make the same number."""
    from jingwu.lib import crypto, idcard
    from jingwu.registry import services

    cpu0 = time.process_time()
    rng = random.Random(chunk)
    p = PLAN
    surnames, given = list(SURNAMES), list(GIVEN)
    sw, gw = list(np.cumsum(zipf(len(surnames), 0.62))), list(np.cumsum(zipf(len(given), 0.5)))
    # (place, sequence) pairs, 10 places × 1,000: a chunk takes every ``chunks``-th pair of neighbours, the odd
    # sequence number for a man, the even one for a woman.
    pairs = range(chunk % 5000, 5000, max(1, min(chunks, 5000)))
    by_sex = {"M": [2 * q + 1 for q in pairs], "F": [2 * q for q in pairs]}
    made: set[str] = set()
    today: date = p["today"]
    relations = ["head", "spouse", "child", "child", "parent"]
    kinds = ["registered", "floating", "overseas"]
    now = datetime.now().astimezone()
    out = []
    for i in range(start, stop):
        hh = int(p["hh_of"][i])
        addr = int(p["addr_of_hh"][hh])
        g = int(p["grid_of_addr"][addr])
        kind = kinds[int(p["kind"][hh])]
        age = int(p["age"][i])
        sex = "M" if rng.random() < 0.51 else "F"
        name = _name(rng, surnames, sw, given, gw)
        number = ""
        if kind != "overseas":
            while True:
                born = today - timedelta(days=int(age * 365.25) + rng.randrange(1, 365))
                slot = rng.choice(by_sex[sex])  # odd sequence numbers for men, even for women
                body = f"{PREFIXES[slot // 1000]}{born:%Y%m%d}{slot % 1000:03d}"
                number = body + idcard.check_character(body)
                if number not in made:
                    made.add(number)
                    break
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if age >= 16 and rng.random() < 0.93 else ""
        keys = services._derived({"name": name, "id_number": number, "phone": phone})
        tag = int(p["tagged"][i])
        due = today + timedelta(days=rng.randint(-20, 60)) if tag else None
        out.append(
            (
                i + 1,
                crypto.seal(name),
                crypto.seal(number),
                crypto.seal(phone),
                keys["name_key"],
                keys["id_key"],
                keys["phone_key"],
                keys.get("sex", ""),
                keys.get("birth_year"),
                kind,
                hh + 1,
                relations[min(int(p["position"][i]), 4)],
                addr + 1,
                int(p["grid_ids"][g]),
                int(p["region_ids"][g]),
                "",
                due,
                1,
                now,
                now,
            )
        )
    t1, cpu = time.perf_counter(), time.process_time() - cpu0
    with psycopg.connect(f"{PG}/{DB}") as conn:
        conn.execute("SET session_replication_role = replica")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY registry_resident (id, name, id_number, phone, name_key, id_key, phone_key, sex, birth_year, kind,"
                ' household_id, relation, address_id, grid_id, region_id, "left", visit_due, version, created_at,'
                " updated_at) FROM STDIN"
            ) as copy,
        ):
            for row in out:
                copy.write_row(row)
    return stop - start, cpu, time.perf_counter() - t1


def seal_us(n: int = 20_000) -> float:
    """What sealing a person's three values and computing their keys costs, alone (µs)."""
    from jingwu.lib import crypto
    from jingwu.registry import services

    t0 = time.perf_counter()
    for i in range(n):
        name, number, phone = f"王{i}", f"12011119800101{i % 10000:04d}", f"139{i:08d}"
        crypto.seal(name), crypto.seal(number), crypto.seal(phone)
        services.name_key(name), services.id_key(number), services.phone_key(phone)
    return (time.perf_counter() - t0) / n * 1e6


def fill(rows: int, workers: int) -> dict[str, Any]:
    from django.db import connection, connections

    from jingwu.cases.demo import _user
    from jingwu.geo import town
    from jingwu.geo.models import Grid
    from jingwu.geo.services import import_geojson
    from jingwu.lib import clock
    from jingwu.org.choices import DepartmentKind, Role
    from jingwu.org.models import Department, GridAssignment
    from jingwu.registry.models import CareGroup, Steward

    t0 = time.perf_counter()
    n_grids = max(125, rows // PEOPLE_PER_GRID)
    import_geojson({"type": "FeatureCollection", "features": town.build("120111", "103", grids=n_grids, seed=7)})
    grids = list(Grid.objects.order_by("id").values_list("id", "region_id"))
    office = Department.objects.create(code="B06", name="社会事务办公室", kind=DepartmentKind.OFFICE)
    Steward.objects.create(department=office)
    _user("bench_steward", "社会事务办", Role.HANDLER, office)
    worker = _user("bench_worker", "网格员", Role.GRID_WORKER)
    GridAssignment.objects.create(person=worker.person, grid_id=grids[len(grids) // 2][0])
    _user("bench_leader", "领导", Role.LEADER)
    today = clock.now().date()
    nprng = np.random.default_rng(20261130)
    shape_ = plan(rows, grids, nprng, today)
    t_plan = time.perf_counter() - t0

    # Addresses and households: no personal values, written by the parent.
    t0 = time.perf_counter()
    p = PLAN
    now = datetime.now().astimezone()
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT id, name FROM geo_region")
        region_names = dict(cur.fetchall())
        cur.execute("SELECT id, center_lon, center_lat FROM geo_grid")
        centers = {gid: (lon, lat) for gid, lon, lat in cur.fetchall()}
        with cur.copy(
            "COPY registry_address (id, region_id, road, number, building, unit, room, label, lon, lat, grid_id,"
            " use, ownership, rented, area, created_at, updated_at) FROM STDIN"
        ) as copy:
            for a in range(shape_["addresses"]):
                g = int(p["grid_of_addr"][a])
                gid, rid = int(p["grid_ids"][g]), int(p["region_ids"][g])
                lon, lat = centers[gid]
                road, number, building = f"{g % 40 + 1}号路", str(a // 200 + 1), str(a % 200 // 20 + 1)
                unit, room = str(a % 20 // 10 + 1), f"{a % 10 + 1}01"
                label = f"{region_names[rid]}{road}{number}号{building}号楼{unit}单元{room}室"
                copy.write_row(
                    (
                        a + 1,
                        rid,
                        road,
                        number,
                        building,
                        unit,
                        room,
                        label,
                        lon,
                        lat,
                        gid,
                        "home",
                        "private",
                        a % 8 == 0,
                        80.0,
                        now,
                        now,
                    )
                )
        with cur.copy("COPY registry_household (id, number, address_id, created_at) FROM STDIN") as copy:
            for h in range(shape_["households"]):
                copy.write_row((h + 1, f"B{h + 1:09d}", int(p["addr_of_hh"][h]) + 1, now))
    t_addresses = time.perf_counter() - t0

    # People: sealed and keyed in ``workers`` processes, each COPYing its chunks.
    connections.close_all()  # no connection crosses the fork
    t0 = time.perf_counter()
    starts = range(0, rows, CHUNK)
    chunks = [(c, len(starts), s, min(rows, s + CHUNK)) for c, s in enumerate(starts)]
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        done = pool.starmap(write_people, chunks)
    t_people = time.perf_counter() - t0
    seal_cpu = sum(d[1] for d in done)
    copy_s = sum(d[2] for d in done)

    # Care tags, the sequences after explicit ids, statistics.
    t0 = time.perf_counter()
    groups = dict(CareGroup.objects.values_list("code", "pk"))
    tagged = np.flatnonzero(PLAN["tagged"])
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        with cur.copy(
            "COPY registry_caretag (resident_id, group_id, since, until, disability, grade, evidence, created_at)"
            " FROM STDIN"
        ) as copy:
            for i in tagged:
                code = TAGS[int(PLAN["tagged"][i]) - 1][0]
                disabled = code == "disabled"
                copy.write_row(
                    (
                        int(i) + 1,
                        groups[code],
                        today - timedelta(days=int(i) % 2000),
                        None,
                        "limb" if disabled else "",
                        (int(i) % 4) + 1 if disabled else None,
                        "",
                        now,
                    )
                )
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("registry_address", "registry_household", "registry_resident"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        for table in ("registry_address", "registry_household", "registry_resident", "registry_caretag"):
            conn.execute(f"VACUUM ANALYZE {table}")
    t_after = time.perf_counter() - t0
    return {
        "grids": len(grids),
        "addresses": shape_["addresses"],
        "households": shape_["households"],
        "tags": len(tagged),
        "t_plan": t_plan,
        "t_addresses": t_addresses,
        "t_people": t_people,
        "seal_cpu": seal_cpu,
        "copy_s": copy_s,
        "t_after": t_after,
    }


# --- timing ------------------------------------------------------------------------------------------


class Row:
    def __init__(self, name: str, call: Callable[[Any], int], raw: Callable[[Any], int], goal: bool) -> None:
        self.name, self.call, self.raw, self.goal = name, call, raw, goal
        self.ms: list[float] = []
        self.raw_ms: list[float] = []
        self.found: list[int] = []
        self.statements = 0
        self.seconds = 0.0


def measure(row: Row, values: list[Any], reps: int, fresh_user: Callable[[], Any]) -> None:
    from django.db import connection

    t0 = time.perf_counter()
    for v in values[:WARMUP]:
        row.call((fresh_user(), v))
        row.raw(v)
    if (time.perf_counter() - t0) / WARMUP > 0.2:  # a slow page: fewer calls tell as much
        reps = min(reps, SLOW_REPS)
    count = [0]

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    user = fresh_user()
    with connection.execute_wrapper(counting):  # once, apart from the timed calls
        row.call((user, values[0]))
    row.statements = count[0]
    for k in range(reps):
        v = values[k % len(values)]
        user = fresh_user()
        t0 = time.perf_counter()
        n = row.call((user, v))
        t1 = time.perf_counter()
        row.raw(v)
        t2 = time.perf_counter()
        row.ms.append((t1 - t0) * 1000)
        row.raw_ms.append((t2 - t1) * 1000)
        row.found.append(n)


def report(rows: list[Row]) -> None:
    head = (
        f"  {'search (first page of 50, names and ID numbers opened)':<50} {'p50':>6} {'p95':>6} {'p99':>6} │"
        f" {'raw p50':>7} {'p95':>6} {'p99':>6} │ {'×p95':>5} │ {'SQL':>3} {'rows':>5}"
    )
    print(head)
    print("  " + "─" * (len(head) - 2))
    for r in rows:
        e = [pct(r.ms, q) for q in (50, 95, 99)]
        b = [pct(r.raw_ms, q) for q in (50, 95, 99)]
        print(
            f"  {r.name:<50} {e[0]:6.1f} {e[1]:6.1f} {e[2]:6.1f} │ {b[0]:7.2f} {b[1]:6.2f} {b[2]:6.2f} │"
            f" {e[1] / b[1]:5.1f} │ {r.statements:>3} {sum(r.found) / len(r.found):5.1f}"
        )


def explain(sql: str, params: Any) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        for (text,) in cur.fetchall():
            print(f"    {text}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="residents (default 1,000,000)")
    ap.add_argument("--queries", type=int, default=300, help="timed searches per row of the table (default 300)")
    ap.add_argument("--workers", type=int, default=2, help="processes sealing and COPYing people (default 2)")
    ap.add_argument("--quick", action="store_true", help="50,000 residents, 100 queries")
    ap.add_argument("--keep", action="store_true", help=f"keep the database {DB}")
    ap.add_argument("--reuse", action="store_true", help=f"measure a kept {DB} again without generating")
    ap.add_argument("--no-explain", action="store_true", help="skip EXPLAIN of the name and ID look-ups")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.queries = 50_000, 100
    reuse = args.reuse and db_exists()
    if not reuse:
        reset_db()
    try:
        run(args, reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_db()
        else:
            print(f"\n  kept database {DB} ({PG}/{DB}); measure it again with --reuse")


def run(args: argparse.Namespace, reuse: bool) -> None:
    t0 = time.perf_counter()
    django_setup()
    t_migrate = time.perf_counter() - t0

    from django.contrib.auth import get_user_model
    from django.db import connection

    from jingwu.registry import services
    from jingwu.registry.models import Resident

    if reuse:
        have = Resident.objects.count()
        if have != args.rows:
            sys.exit(f"{DB} holds {have:,} residents, not {args.rows:,}: run without --reuse to generate")
        print(f"\n[registry search] reusing {DB}: {have:,} residents")
    else:
        t0 = time.perf_counter()
        f = fill(args.rows, args.workers)
        t_fill = time.perf_counter() - t0
        print(
            f"\n[registry search] {args.rows:,} residents in {f['households']:,} households at {f['addresses']:,}"
            f" addresses over {f['grids']:,} grids; {f['tags']:,} care tags"
        )
        print(
            f"  generation {t_fill:.1f} s (migrate {t_migrate:.1f} s before it): territory and plan {f['t_plan']:.1f} s,"
            f" addresses and households (COPY) {f['t_addresses']:.1f} s, people {f['t_people']:.1f} s"
            f" ({args.rows / f['t_people']:,.0f} rows/s with {args.workers} processes; making the rows"
            f" {f['seal_cpu']:.1f} s CPU = {f['seal_cpu'] / args.rows * 1e6:.0f} µs a person, of which sealing three"
            f" values and their keys {seal_us():.0f} µs; COPY {f['copy_s']:.1f} s), tags + VACUUM ANALYZE"
            f" {f['t_after']:.1f} s"
        )

    User = get_user_model()
    ids = {u.username: u.pk for u in User.objects.filter(username__startswith="bench_")}

    def user_factory(username: str) -> Callable[[], Any]:
        # A fresh user each call, as a request has: its roles and scope are looked up again.
        return lambda: User.objects.select_related("person").get(pk=ids[username])

    t_sample = time.perf_counter()
    # What people search for: the values of random residents (hits), read back and opened.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM registry_resident TABLESAMPLE BERNOULLI (%s) REPEATABLE (7)",
            [min(100.0, 400_000 / args.rows)],
        )
        sample_ids = [r[0] for r in cur.fetchall()]
    sample = list(Resident.objects.filter(pk__in=sample_ids).only("name", "id_number", "phone", "grid_id"))
    random.Random(11).shuffle(sample)
    worker_user = user_factory("bench_worker")()
    worker_grids = list(worker_user.person.grids.values_list("pk", flat=True))
    own = list(Resident.objects.filter(grid_id__in=worker_grids).only("name", "id_number", "phone"))
    random.Random(12).shuffle(own)
    disabled = list(Resident.objects.filter(tags__group__code="disabled", pk__in=sample_ids).only("name")) or sample[:1]
    names = [r.name for r in sample]
    numbers = [r.id_number for r in sample if r.id_number]
    phones = [r.phone for r in sample if r.phone]
    with connection.cursor() as cur:
        cur.execute("SELECT name_key, count(*) FROM registry_resident GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
        common_key, most = cur.fetchone()
    common = Resident.objects.filter(name_key=common_key).only("name").first()
    print(
        f"  {len(sample):,} residents sampled for the queries; the commonest name, {common.name if common else '?'}, is shared by {most:,} people;"
        f" the worker's grid holds {len(own):,}"
    )
    print(f"  {args.queries} searches per row after {WARMUP} warm-up calls, a fresh user object each; times in ms\n")

    cols = "r.id, r.name, r.id_number, r.phone, r.kind, r.address_id, r.grid_id, r.household_id, r.visit_due"
    today = services.today()

    def raw(where: str, key: Callable[[Any], list[Any]]) -> Callable[[Any], int]:
        def go(v: Any) -> int:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {cols} FROM registry_resident r WHERE r.\"left\" = '' {where} ORDER BY r.id LIMIT 51",
                    key(v),
                )
                return len(cur.fetchall())

        return go

    def page(q_of: Callable[[Any], str], **filters: Any) -> Callable[[Any], int]:
        def go(arg: Any) -> int:
            user, v = arg
            qs = services.search(user, q_of(v), **filters).select_related("address", "grid", "household")
            rows = list(qs.order_by("id")[:51])
            for r in rows[:50]:
                r.name, r.id_number  # noqa: B018 — the page opens both to mask them
            return min(len(rows), 50)

        return go

    # The group by its id, as the search resolves it first (the (group, resident) index walks it in id order).
    in_group = (
        " AND EXISTS (SELECT 1 FROM registry_caretag t WHERE t.resident_id = r.id"
        " AND t.group_id = (SELECT id FROM registry_caregroup WHERE code = 'disabled') AND t.until IS NULL)"
    )
    restricted = (
        " AND r.id NOT IN (SELECT t.resident_id FROM registry_caretag t JOIN registry_caregroup g"
        " ON g.id = t.group_id WHERE g.restricted AND t.until IS NULL)"
    )
    grids = worker_grids

    def name_key(v: Any) -> list[Any]:
        return [services.name_key(v)]

    steward, worker, leader = user_factory("bench_steward"), user_factory("bench_worker"), user_factory("bench_leader")
    plan_rows: list[tuple[Row, list[Any], Callable[[], Any]]] = [
        (Row("steward: by name", page(str), raw(" AND r.name_key = %s", name_key), True), names, steward),
        (
            Row("steward: by ID number", page(str), raw(" AND r.id_key = %s", lambda v: [services.id_key(v)]), True),
            numbers,
            steward,
        ),
        (
            Row("steward: by phone", page(str), raw(" AND r.phone_key = %s", lambda v: [services.phone_key(v)]), True),
            phones,
            steward,
        ),
        (
            Row(
                "steward: by name within 残疾人",
                page(str, group="disabled"),
                raw(" AND r.name_key = %s" + in_group, name_key),
                True,
            ),
            [r.name for r in disabled],
            steward,
        ),
        (
            Row(
                "steward: 残疾人, first page", page(lambda v: "", group="disabled"), raw(in_group, lambda v: []), False
            ),
            [None],
            steward,
        ),
        (
            Row(
                "steward: visits due, first page",
                page(lambda v: "", due=True),
                raw(" AND r.visit_due < %s", lambda v: [today]),
                False,
            ),
            [None],
            steward,
        ),
        (
            Row(
                "grid worker: by name (own grid's people)",
                page(str),
                raw(" AND r.grid_id = ANY(%s) AND r.name_key = %s", lambda v: [grids, services.name_key(v)]),
                True,
            ),
            [r.name for r in own],
            worker,
        ),
        (
            Row(
                "grid worker: by ID number",
                page(str),
                raw(" AND r.grid_id = ANY(%s) AND r.id_key = %s", lambda v: [grids, services.id_key(v)]),
                True,
            ),
            [r.id_number for r in own if r.id_number],
            worker,
        ),
        (
            Row(
                "grid worker: by phone",
                page(str),
                raw(" AND r.grid_id = ANY(%s) AND r.phone_key = %s", lambda v: [grids, services.phone_key(v)]),
                True,
            ),
            [r.phone for r in own if r.phone],
            worker,
        ),
        (
            Row(
                "grid worker: a name from elsewhere (not found)",
                page(str),
                raw(" AND r.grid_id = ANY(%s) AND r.name_key = %s", lambda v: [grids, services.name_key(v)]),
                True,
            ),
            names,
            worker,
        ),
        (
            Row(
                "grid worker: own grid, first page",
                page(lambda v: ""),
                raw(" AND r.grid_id = ANY(%s)", lambda v: [grids]),
                False,
            ),
            [None],
            worker,
        ),
        (
            Row(
                "leader: by name (restricted groups left out)",
                page(str),
                raw(" AND r.name_key = %s" + restricted, name_key),
                True,
            ),
            names,
            leader,
        ),
    ]
    rows = []
    t_measure = time.perf_counter()
    for row, values, who in plan_rows:
        t0 = time.perf_counter()
        measure(row, values, args.queries, who)
        row.seconds = time.perf_counter() - t0
        rows.append(row)
    report(rows)
    print(
        f"\n  sampling {t_measure - t_sample:.1f} s, measuring {time.perf_counter() - t_measure:.1f} s"
        f" (slowest row {max(r.seconds for r in rows):.1f} s)"
    )
    goal = [r for r in rows if r.goal]
    worst = max(goal, key=lambda r: pct(r.ms, 95))
    p95 = pct(worst.ms, 95)
    print(
        f"\n  search by name, ID number or phone: worst p95 {p95:.1f} ms ≤ {GOAL_MS:.0f} ms:"
        f" {'ok' if p95 <= GOAL_MS else 'NOT MET'}  (worst: {worst.name})"
    )
    if not args.no_explain:
        for label, sql, params in (
            (
                f"by the commonest name ({most:,} people; steward)",
                f"SELECT {cols} FROM registry_resident r WHERE r.\"left\" = '' AND r.name_key = %s"
                " ORDER BY r.id LIMIT 51",
                [common_key],
            ),
            (
                "by ID number (steward)",
                f"SELECT {cols} FROM registry_resident r WHERE r.\"left\" = '' AND r.id_key = %s"
                " ORDER BY r.id LIMIT 51",
                [services.id_key(numbers[0])],
            ),
        ):
            print(f"\n  EXPLAIN {label}:")
            explain(sql, params)


if __name__ == "__main__":
    main()
