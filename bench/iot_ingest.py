"""Monitoring ingestion on PostgreSQL: ``.venv/bin/python bench/iot_ingest.py [--seconds N] [--quick]``.

1. Raw baseline: ``COPY`` of readings into the same (partitioned) ``iot_reading`` table, rows/s.
2. HJ 212: ``jingwu hj212`` as its own process; a load process keeps ``--connections`` stations connected, each
   sending CN 2011 packets of 10 factors with Flag 5 and reading the 9014 answers (a window of 16 unanswered
   packets per station, as a logger catching up after an outage). Sustained readings/s = rows that reached the
   table during the measured window / its length; answers/s beside it.
3. MQTT: two ``jingwu mqtt`` bridges sharing one MQTT 5 subscription on Mosquitto; a load process publishes
   QoS 1 JSON messages of 10 values. Sustained readings/s as above.
4. Alarm latency: with the HJ 212 load still running, one reading above a threshold (a rule with no minimum
   duration) is sent over MQTT, and the dispatcher's API (``GET /api/cases``, in process, bearer token) is
   polled every 5 ms until the alarm's case is listed: p50/p99 over ``--alarms`` readings.

Goals (issue 12): ≥ 20,000 readings/s through each receiver; p99 ≤ 1 s from a reading to its case in the API.
The database ``jingwu_bench_iot`` on ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432) is dropped and
created, and dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import PG, pct  # noqa: E402

DB = "jingwu_bench_iot"
FACTORS = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002", "a01007", "a01008"]
HJ_PORT = int(os.environ.get("BENCH_HJ212_PORT", "16000"))
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
GOAL_RATE = 20_000
WINDOW = 16  # unanswered packets a loaded station may have (a logger catching up after an outage)
GOAL_P99 = 1.0


def reset_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_db() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "JINGWU_CONN_MAX_AGE": "600",
        "JINGWU_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "jingwu.settings",
    }


def django_setup() -> None:
    os.environ.update(env())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<46} {value:>20}  {note}")


def count_rows() -> int:
    with psycopg.connect(f"{PG}/{DB}") as conn:
        row = conn.execute("SELECT count(*) FROM iot_reading").fetchone()
        return int(row[0]) if row else 0


# --- setup ---------------------------------------------------------------------------------------------


def make_devices(stations: int, clients: int) -> None:
    """The stations and clients, bulk-made (their registration is not what is measured), in one grid of a
    one-village territory, so that an alarm's case has a place."""
    from jingwu.geo.models import Grid
    from jingwu.geo.services import import_geojson
    from jingwu.iot.choices import DeviceState, DeviceType
    from jingwu.iot.models import Device

    square = {
        "type": "Polygon",
        "coordinates": [[[117.1, 39.0], [117.2, 39.0], [117.2, 39.1], [117.1, 39.1], [117.1, 39.0]]],
    }
    import_geojson(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": square, "properties": {"type": "region", "code": "120111103000", "name": "镇", "level": "town"}},
                {"type": "Feature", "geometry": square, "properties": {"type": "region", "code": "120111103201", "name": "村", "level": "village", "parent": "120111103000"}},
                {"type": "Feature", "geometry": square, "properties": {"type": "grid", "code": "120111103201001", "name": "001", "region": "120111103201"}},
            ],
        }
    )  # fmt: skip
    grid = Grid.objects.get()
    where = {"lon": 117.15, "lat": 39.05, "grid": grid, "region_id": grid.region_id}
    Device.objects.bulk_create(
        [
            Device(
                name=f"站{i}", type=DeviceType.AIR, mn=f"BENCH{i:019d}", pw="123456", state=DeviceState.ONLINE, **where
            )
            for i in range(stations)
        ]
        + [
            Device(name=f"终端{i}", type=DeviceType.DUST, client_id=f"bench-{i}", state=DeviceState.ONLINE, **where)
            for i in range(clients)
        ]
        + [
            Device(
                name=f"告警{i}", type=DeviceType.ELECTRICAL, client_id=f"alarm-{i}", state=DeviceState.ONLINE, **where
            )
            for i in range(200)
        ]
    )


# --- 1. raw COPY ---------------------------------------------------------------------------------------------


def bench_copy(rows: int) -> float:
    with psycopg.connect(f"{PG}/{DB}") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM iot_device WHERE mn IS NOT NULL ORDER BY id")]
        base = datetime.now().astimezone() - timedelta(days=3)
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY iot_reading (device_id, code, kind, at, value, flag) FROM STDIN") as cp,
        ):
            n = 0
            t = 0
            while n < rows:
                at = base + timedelta(seconds=t)
                for d in ids:
                    for code in FACTORS:
                        cp.write_row((d, code, "rtd", at, 12.5, "N"))
                        n += 1
                t += 1
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("TRUNCATE iot_reading")
        conn.commit()
    return n / elapsed


# --- 2. HJ 212 load ------------------------------------------------------------------------------------------


def hj212_load(port: int, stations: int, seconds: float, start_offset: int, out: Any, idle: int = 0) -> None:
    """A separate process: ``stations`` connections, each with up to 8 unanswered packets, and ``idle`` more
    connected stations that send nothing (a town's loggers between their packets)."""
    sys.path.insert(0, str(ROOT))
    from jingwu.iot import hj212

    base = datetime.now() - timedelta(days=1) + timedelta(seconds=start_offset)
    answered = 0

    async def station(i: int, stop: float) -> None:
        nonlocal answered
        mn = f"BENCH{i:019d}"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        stream = hj212.Reader()
        t, inflight = 0, 0
        while time.monotonic() < stop:
            while inflight < WINDOW:
                when = (base + timedelta(seconds=t)).strftime("%Y%m%d%H%M%S")
                cp = ";".join(f"{c}-Rtd={10 + (t % 50)}.5,{c}-Flag=N" for c in FACTORS)
                seg = f"QN={when}000;ST=22;CN=2011;PW=123456;MN={mn};Flag=5;CP=&&DataTime={when};{cp}&&"
                writer.write(hj212.frame(seg))
                t += 1
                inflight += 1
            await writer.drain()
            data = await reader.read(65536)
            if not data:
                break
            got = sum(1 for p in stream.feed(data) if isinstance(p, hj212.Packet))
            inflight -= got
            answered += got
        writer.close()

    async def main() -> None:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(idle)]
        stop = time.monotonic() + seconds
        await asyncio.gather(*(station(i, stop) for i in range(stations)), return_exceptions=True)
        for _, w in held:
            w.close()

    asyncio.run(main())
    out.put(answered)


def wait_port(port: int, seconds: float = 30) -> None:
    import socket

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port}")


def measured(seconds: float, warmup: float) -> tuple[int, float]:
    """Rows that reached the table in ``seconds`` after ``warmup``."""
    time.sleep(warmup)
    before, t0 = count_rows(), time.perf_counter()
    time.sleep(seconds)
    return count_rows() - before, time.perf_counter() - t0


def bench_hj212(stations: int, seconds: float, idle: int) -> tuple[float, float, subprocess.Popen[bytes]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "jingwu.cli", "hj212", "--bind", f"127.0.0.1:{HJ_PORT}"],
        env=env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(HJ_PORT)
    ctx = mp.get_context("spawn")
    q: Any = ctx.Queue()
    load = ctx.Process(target=hj212_load, args=(HJ_PORT, stations, seconds + 4, 0, q, idle))
    load.start()
    rows, elapsed = measured(seconds, 3 + idle / 500)
    answered = q.get(timeout=120)
    load.join()
    return rows / elapsed, answered / (seconds + 4), server


# --- 3. MQTT load --------------------------------------------------------------------------------------------


def mqtt_load(url: str, clients: int, seconds: float, out: Any) -> None:
    from urllib.parse import urlsplit

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    u = urlsplit(url)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(5000)
    c.connect(u.hostname or "127.0.0.1", u.port or 1883)
    c.loop_start()
    base = datetime.now().astimezone() - timedelta(days=2)
    stop = time.monotonic() + seconds
    sent, t = 0, 0
    while time.monotonic() < stop:
        at = (base + timedelta(seconds=t)).isoformat()
        for i in range(clients):
            body = json.dumps({"ts": at, "values": dict.fromkeys(FACTORS, 20.5)})
            info = c.publish(f"jingwu/v1/bench-{i}/data", body, qos=1)
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                time.sleep(0.005)
                continue
            sent += 1
        t += 1
    c.loop_stop()
    out.put(sent)


def bench_mqtt(clients: int, seconds: float) -> tuple[float, int, list[subprocess.Popen[bytes]]]:
    bridges = [
        subprocess.Popen(
            [sys.executable, "-m", "jingwu.cli", "mqtt", "--url", MQTT_URL],
            env=env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    time.sleep(3)
    ctx = mp.get_context("spawn")
    q: Any = ctx.Queue()
    load = ctx.Process(target=mqtt_load, args=(MQTT_URL, clients, seconds + 4, q))
    load.start()
    rows, elapsed = measured(seconds, 3)
    sent = q.get(timeout=120)
    load.join()
    return rows / elapsed, sent, bridges


# --- 4. alarm latency ------------------------------------------------------------------------------------------


def bench_latency(n: int) -> list[float]:
    from urllib.parse import urlsplit

    import paho.mqtt.client as mqtt
    from django.contrib.auth import get_user_model
    from django.test import Client
    from paho.mqtt.enums import CallbackAPIVersion

    from jingwu.cases.models import Category
    from jingwu.iot.models import Rule
    from jingwu.org.choices import Role
    from jingwu.org.models import Person
    from jingwu.org.services import issue_token

    Rule.objects.create(
        name="bench", kind="threshold", device_type="electrical", code="leakage", above=300, duration=0,
        category=Category.objects.get(kind="matter", code="90002"), deadline_minutes=30,
    )  # fmt: skip
    user = get_user_model().objects.create_user("bench_dispatcher")
    Person.objects.create(user=user, name="派遣员", role=Role.DISPATCHER)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}
    client = Client()
    u = urlsplit(MQTT_URL)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect(u.hostname or "127.0.0.1", u.port or 1883)
    pub.loop_start()
    time.sleep(31)  # the bridges read rules every 30 s
    out = []
    for i in range(n):
        marker = f"alarm-{i}"
        before = time.perf_counter()
        body = json.dumps({"ts": datetime.now().astimezone().isoformat(), "values": {"leakage": 900}})
        pub.publish(f"jingwu/v1/{marker}/data", body, qos=1).wait_for_publish()
        while True:
            r = client.get("/api/cases", {"status": "to_dispatch", "q": f"告警{i}"}, **headers)
            if any(f"告警{i}：" in c.get("description", "") for c in r.json()["items"]):
                break
            if time.perf_counter() - before > 10:
                raise RuntimeError(f"no case for {marker} after 10 s")
            time.sleep(0.005)
        out.append(time.perf_counter() - before)
    pub.loop_stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--stations", type=int, default=200)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--alarms", type=int, default=50)
    ap.add_argument("--idle", type=int, default=2000, help="more HJ 212 stations connected and silent")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.seconds, a.stations, a.clients, a.alarms, a.idle = 8, 50, 50, 10, 200
    reset_db()
    django_setup()
    from django.db import connections

    make_devices(a.stations, a.clients)
    connections.close_all()
    print(f"\n[iot] ingestion into PostgreSQL ({PG}/{DB}), {a.seconds:.0f} s windows")
    raw = bench_copy(400_000 if not a.quick else 100_000)
    line("raw COPY into iot_reading", f"{raw:,.0f} rows/s", "baseline")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        rate, answers, server = bench_hj212(a.stations, a.seconds, a.idle)
        procs.append(server)
        line(
            f"HJ 212, {a.stations} stations sending, {a.idle:,} idle",
            f"{rate:,.0f} readings/s",
            f"{rate / raw:.2f}× COPY",
        )
        line("  9014 answers", f"{answers:,.0f} packets/s", f"goal ≥ {GOAL_RATE:,} readings/s")
        rate, sent, bridges = bench_mqtt(a.clients, a.seconds)
        procs += bridges
        line(f"MQTT, 2 bridges (shared), {a.clients} clients", f"{rate:,.0f} readings/s", f"{rate / raw:.2f}× COPY")
        line("  published (QoS 1, 10 values each)", f"{sent / (a.seconds + 4):,.0f} messages/s", "")
        # Latency with the HJ 212 load running beside it.
        ctx = mp.get_context("spawn")
        q: Any = ctx.Queue()
        load = ctx.Process(target=hj212_load, args=(HJ_PORT, a.stations // 2, 60 + a.alarms, 7200, q))
        load.start()
        lat = bench_latency(a.alarms)
        load.terminate()
        line(
            f"reading → case in the API ({len(lat)} alarms)",
            f"p50 {pct(lat, 50) * 1000:.0f} ms",
            f"p99 {pct(lat, 99) * 1000:.0f} ms (goal ≤ {GOAL_P99 * 1000:.0f} ms), under HJ 212 load",
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        connections.close_all()
        if not a.keep:
            drop_db()


if __name__ == "__main__":
    main()
