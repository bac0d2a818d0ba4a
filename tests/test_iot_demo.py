"""The demo town's monitoring: its devices registered once, two days of hourly history that give an AQI, the
simulator's values (deterministic, plausible, and its scripted incidents breaking the shipped rules) and one
round of the simulator against the real HJ 212 server and, where a broker runs, through MQTT."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from jingwu.cases.models import Category
from jingwu.iot import alarms, hj212, messages, readings, receivers, simulator
from jingwu.iot.choices import DeviceType, ReadingKind
from jingwu.iot.defaults import RULES, install
from jingwu.iot.demo import history, load_devices
from jingwu.iot.ingest import Sample, store
from jingwu.iot.models import Alarm, Device, Reading, Rule, Screen
from jingwu.safety import services as places

from .conftest import IN_A, IN_B

MQTT = os.environ.get("JINGWU_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
D = DeviceType


def rule_row(kind: str, device_type: str, code: str) -> dict[str, Any]:
    """The shipped rule, as defaults.RULES states it."""
    names = ("name", "kind", "device_type", "code", "event", "above", "below", "rate", "aqi_level", "duration")
    for row in RULES:
        found = dict(zip(names, row, strict=False))
        if (found["kind"], found["device_type"], found["code"]) == (kind, device_type, code):
            return found
    raise LookupError(code)


@pytest.fixture
def town(cast: Any) -> Any:
    """The cast's four grids with a few places of the kinds the devices follow: key fire units (one crowded),
    VOC enterprises and a building site."""
    for name, tags, where in [
        ("精武购物广场", ["fire_key", "crowded"], IN_A),
        ("付村物流仓储中心", ["fire_key"], IN_B),
        ("精武家具厂", ["voc"], IN_A),
        ("鑫源化工有限公司", ["voc", "hazchem"], IN_B),
        ("学府科创园二期建设工地", ["site"], IN_B),
    ]:
        places.save(
            {"name": name, "credit_code": "", "industry": "C", "lon": where[0], "lat": where[1], "tags": tags},
            actor=cast["leader"],
        )
    return cast


def test_the_demo_devices_are_registered_once_each_in_its_grid(town: Any) -> None:
    counts = load_devices(town["shiftlead"])
    types = {D.FIRE_PANEL, D.ELECTRICAL, D.HYDRANT, D.AIR, D.VOC, D.DUST, D.WATER, D.CAMERA}
    assert set(counts) == {*types, "screens"} and all(counts[t] >= 1 for t in types)
    assert counts[D.FIRE_PANEL] == 2 and counts[D.VOC] == 2
    assert counts[D.AIR] == 6 and counts[D.DUST] == 5 and counts[D.WATER] == 4 and counts[D.CAMERA] == 8
    assert Device.objects.count() == sum(v for k, v in counts.items() if k != "screens")
    assert not Device.objects.filter(grid=None).exists() and not Device.objects.filter(region=None).exists()
    panel = Device.objects.get(type=D.FIRE_PANEL, place__name="精武购物广场")
    assert panel.client_id == f"fire-{panel.place_id}" and panel.grid.code == "120111103201001"
    for d in Device.objects.filter(type__in=[D.AIR, D.VOC, D.WATER]):
        assert d.mn and len(d.mn) == 24 and d.pw.isdigit() and len(d.pw) == 6 and not d.client_id
    assert {d.mn[-4:] for d in Device.objects.filter(type=D.VOC)} == {"V001", "V002"}
    assert set(Device.objects.filter(type=D.WATER).values_list("interval", flat=True)) == {300}
    assert Device.objects.filter(type=D.WATER, name__startswith="陈台子排河").count() == 2
    assert Device.objects.get(client_id="dust-1").place.name == "学府科创园二期建设工地"
    # A screen per village with grids, each showing an air station; its address is a secret.
    screens = list(Screen.objects.prefetch_related("stations"))
    assert counts["screens"] == len(screens) == 2
    assert all(len(s.token) >= 32 and s.stations.exists() for s in screens)
    assert all(st.type == D.AIR for s in screens for st in s.stations.all())
    # Again: nothing new, the same counts.
    before = set(Device.objects.values_list("id", flat=True))
    assert load_devices(town["shiftlead"]) == counts
    assert set(Device.objects.values_list("id", flat=True)) == before and Screen.objects.count() == 2


def test_the_history_gives_every_station_its_hours_and_the_air_stations_an_aqi(town: Any) -> None:
    load_devices(town["shiftlead"])
    now = timezone.now()
    made = history(hours=6, now=now)
    per_hour = 6 * 6 + 2 * 1 + 4 * 3 + 5 * 3  # air, VOC, water, dust stations × their factors
    assert made == 6 * per_hour
    stored = set(Reading.objects.values_list("device_id", "code", "at", "value", "low", "high"))
    history(hours=6, now=now)  # again: the same rows with the same values
    assert set(Reading.objects.values_list("device_id", "code", "at", "value", "low", "high")) == stored
    last = timezone.localtime(now).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for station in Device.objects.filter(type=D.AIR):
        result = readings.hour_aqi(station.pk, last)
        assert result is not None and result.aqi is not None and 15 <= result.aqi <= 220, result
    assert readings.latest_hour() == last
    pm25 = Reading.objects.filter(code="a34004", kind=ReadingKind.HOUR, device__type=D.AIR)
    assert all(10 <= r.low <= r.value <= r.high <= 160 for r in pm25)
    assert all(v < 60 for v in Reading.objects.filter(code="a24088").values_list("value", flat=True))
    assert all(v < 40 for v in Reading.objects.filter(code="w01018").values_list("value", flat=True))
    # The latest values follow the hours, so the pages have something to show.
    assert Device.objects.get(type=D.VOC, mn__endswith="V001").latest.filter(code="a24088").exists()


# --- the simulator's values and script, without I/O ---------------------------------------------------------------

AIR = simulator.Station(1, "付村空气质量监测站", D.AIR, "12011110300000000000A001", "123456")
VOC = simulator.Station(2, "精武家具厂VOCs在线监测", D.VOC, "12011110300000000000V001", "654321")
WATER = simulator.Station(3, "陈台子排河西段水质站", D.WATER, "12011110300000000000W001", "111111", 300)
HYDRANT = simulator.Station(4, "物流中心消火栓水压监测", D.HYDRANT, "hyd-4")
ELEC = simulator.Station(5, "购物广场电气火灾监控", D.ELECTRICAL, "elec-5")
PANEL = simulator.Station(6, "购物广场用户信息传输装置", D.FIRE_PANEL, "fire-6")
CAMERA = simulator.Station(7, "购物广场消防通道视频分析", D.CAMERA, "cam-1")
DUST = simulator.Station(8, "工地扬尘噪声监测", D.DUST, "dust-1")
ALL = [AIR, VOC, WATER, HYDRANT, ELEC, PANEL, CAMERA, DUST]
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=messages.local_tz())


def test_values_are_the_same_for_the_same_seed_and_plausible_for_late_autumn() -> None:
    assert simulator.values(AIR, NOON) == simulator.values(AIR, NOON)
    assert simulator.values(AIR, NOON) != simulator.values(AIR, NOON, seed=7)
    assert set(simulator.values(AIR, NOON)) == set(readings.AQI_CODES)
    two_days = [NOON + timedelta(minutes=10 * i) for i in range(6 * 48)]
    pm25 = [simulator.values(AIR, t)["a34004"] for t in two_days]
    assert min(pm25) >= 20 and max(pm25) <= 150 and max(pm25) - min(pm25) > 30
    o3 = [simulator.values(AIR, t)["a05024"] for t in two_days]
    assert max(o3) < 160  # no summer ozone in November
    for station, code, limit in [(VOC, "a24088", 60), (WATER, "w01018", 40), (WATER, "w21003", 2.0)]:
        assert max(simulator.values(station, t)[code] for t in two_days) < limit
    assert max(simulator.values(DUST, t)["a34002"] for t in two_days) < 250
    assert min(simulator.values(HYDRANT, t)["pressure"] for t in two_days) > 0.2
    assert max(simulator.values(ELEC, t)["leakage"] for t in two_days) < 300
    # Cable temperature changes slowly: the 线缆温度骤升 rule (5 °C/min) stays quiet even a second apart.
    temps = [simulator.values(ELEC, NOON + timedelta(seconds=s))["temperature"] for s in range(0, 600)]
    assert max(abs(a - b) for a, b in itertools.pairwise(temps)) * 60 < 5


def test_the_script_stages_each_incident_at_its_rate_and_ends_it() -> None:
    script = simulator.Script(ALL, NOON, speed=1.0)
    day = script.plan(NOON + timedelta(hours=24))
    kinds = [e.kind for e in day]
    assert 11 <= kinds.count("fire") <= 13 and 23 <= kinds.count("voc") <= 25
    assert {"pressure", "leakage", "fault", "fire_lane", "silent"} <= set(kinds)
    assert all(e.station is PANEL for e in day if e.kind == "fire")
    assert all(e.station.transport == "mqtt" for e in day if e.kind == "fault")
    again = simulator.Script(ALL, NOON, speed=1.0).plan(NOON + timedelta(hours=24))
    assert [(e.kind, e.start, e.station.ident, e.key) for e in again] == [
        (e.kind, e.start, e.station.ident, e.key) for e in day
    ]
    fast = simulator.Script(ALL, NOON, speed=10.0).plan(NOON + timedelta(hours=24))
    assert [e.kind for e in fast].count("fire") >= 100
    # Events the devices report are staged faster too; what a rule must see last keeps its real length.
    assert all(e.end - e.start == timedelta(minutes=1) for e in fast if e.kind == "fire")
    assert all(e.end - e.start == timedelta(minutes=13) for e in fast if e.kind == "voc")
    # A device is not put in the same trouble again before the last one ended, while another is free.
    more = [simulator.Station(10 + n, f"VOC {n}", D.VOC, f"12011110300000000000V00{n}", "1") for n in range(2, 5)]
    vocs = [e for e in simulator.Script([VOC, *more], NOON, 10.0).plan(NOON + timedelta(hours=24)) if e.kind == "voc"]
    assert len(vocs) > 200 and len({e.station.ident for e in vocs}) == 4
    for station in [VOC, *more]:
        mine = [e for e in vocs if e.station == station]
        assert all(a.end <= b.start for a, b in itertools.pairwise(mine))
    fire = next(e for e in day if e.kind == "fire")
    begin = simulator.event_message(fire, False, fire.start)
    end = simulator.event_message(fire, True, fire.end)
    assert begin is not None and end is not None
    assert begin["type"] == "fire" and "感烟探测器" in begin["detail"] and end["type"] == "restore"
    assert begin["id"] != end["id"] and timedelta(minutes=3) <= fire.end - fire.start <= timedelta(minutes=15)
    assert messages.event(PANEL.id, begin).type == "fire" and messages.event(PANEL.id, end).type == "restore"
    assert "火警" in fire.line() and "FIRE" in fire.line()
    silent = next(e for e in day if e.kind == "silent")
    assert simulator.silent(silent.station, [silent], silent.start + timedelta(minutes=1))
    # Silent long enough for the offline rule (three intervals) to notice.
    assert (silent.end - silent.start).total_seconds() > 3 * silent.station.interval


def test_the_packets_are_what_the_receiver_takes() -> None:
    data = simulator.values(AIR, NOON)
    packet = hj212.decode(simulator.rtd_packet(AIR, NOON, data))
    assert (packet.cn, packet.st, packet.mn, packet.pw, packet.flag) == ("2011", "22", AIR.ident, "123456", 5)
    assert packet.wants_answer and packet.qn == "20261130120000000"
    assert {s.code: s.value for s in messages.hj212_samples(AIR.id, packet)} == data
    assert hj212.decode(hj212.answer(packet) or b"").cn == "9014"
    book = simulator.HourBook()
    assert book.add(NOON + timedelta(minutes=10), {"a34004": 40.0}) is None
    assert book.add(NOON + timedelta(minutes=40), {"a34004": 60.0}) is None
    hour, stats = book.add(NOON + timedelta(hours=1, minutes=1), {"a34004": 10.0}) or (None, {})
    assert hour == NOON and stats == {"a34004": (50.0, 40.0, 60.0)}
    hourly = hj212.decode(simulator.hour_packet(AIR, hour, stats, NOON + timedelta(hours=1)))
    [sample] = messages.hj212_samples(AIR.id, hourly)
    assert (sample.kind, sample.at, sample.value, sample.low, sample.high) == ("hour", NOON, 50.0, 40.0, 60.0)
    assert hj212.decode(simulator.rtd_packet(VOC, NOON, {"a24088": 5.5})).st == "31"
    # The simulator's air stations add their hour's figures to the first packet of the next hour.
    sim = simulator.Simulator([AIR, VOC], simulator.Options(mqtt=None), say=lambda line: None, now=lambda: NOON)
    assert [hj212.decode(p).cn for p in sim._hj212_packets(AIR, NOON + timedelta(minutes=59), [])] == ["2011"]
    sent = [hj212.decode(p) for p in sim._hj212_packets(AIR, NOON + timedelta(minutes=60), [])]
    assert [p.cn for p in sent] == ["2061", "2011"] and sent[0].data_time == "20261130120000"
    assert sent[0].qn != sent[1].qn
    assert [hj212.decode(p).cn for p in sim._hj212_packets(VOC, NOON + timedelta(hours=2), [])] == ["2011"]
    body = simulator.data_message(NOON, simulator.values(HYDRANT, NOON))
    assert messages.data(HYDRANT.id, json.loads(json.dumps(body)))[0].code == "pressure"


@pytest.fixture
def rules(cast: Any) -> None:
    install(Rule, Category)
    alarms.forget_rules()


def test_the_scripted_voc_exceedance_breaks_the_shipped_rule_and_raises_its_alarm(town: Any, rules: Any) -> None:
    load_devices(town["shiftlead"])
    rule = rule_row("threshold", D.VOC, "a24088")
    stations = simulator.load_stations()
    origin = timezone.now() - timedelta(hours=3)
    voc = next(e for e in simulator.Script(stations, origin).plan(origin + timedelta(hours=2)) if e.kind == "voc")
    assert (voc.end - voc.start).total_seconds() > rule["duration"] + 60
    minutes = [voc.start + timedelta(minutes=m) for m in range(-3, voc.minutes + 4)]
    sent = [(at, simulator.values(voc.station, at, episodes=[voc])["a24088"]) for at in minutes]
    assert all((v > rule["above"]) == (voc.start <= at < voc.end) for at, v in sent)
    store([Sample(voc.station.id, "a24088", ReadingKind.RTD, at, v) for at, v in sent])
    alarm = Alarm.objects.get(device_id=voc.station.id, rule__name=rule["name"])
    assert alarm.peak is not None and alarm.peak > rule["above"] and alarm.case is not None
    assert alarm.status == "cleared"  # back under the limit for longer than the rule's clear_after


# --- the simulator against the real receivers ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_round_of_the_simulator_through_the_real_hj212_server(town: Any) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the server's writer thread needs a database file or PostgreSQL, not SQLite in memory")
    load_devices(town["shiftlead"])
    alarms.forget_rules()  # rules another test cached may be gone with its flushed database
    bound = threading.Event()
    box: dict[str, Any] = {}

    def ready(port: int) -> None:
        box["port"], box["loop"], box["task"] = port, asyncio.get_running_loop(), asyncio.current_task()
        bound.set()

    def serve() -> None:
        try:
            box["counters"] = receivers.run_hj212("127.0.0.1", 0, ready)
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert bound.wait(10), "the HJ 212 server did not start"
        out = io.StringIO()
        in_thread(
            lambda: (
                call_command("simulate", "--once", "--no-mqtt", "--hj212", f"127.0.0.1:{box['port']}", stdout=out)
                or True
            )
        )
    finally:
        if "loop" in box:
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        thread.join(10)
    assert not thread.is_alive()
    stations = Device.objects.filter(type__in=[D.AIR, D.VOC, D.WATER])
    assert stations.count() == 6 + 2 + 4
    text = out.getvalue()
    assert "发送 sent 12 " in text and "应答 answered (9014) 12" in text, text
    for d in stations:
        codes = set(Reading.objects.filter(device=d, kind=ReadingKind.RTD).values_list("code", flat=True))
        assert codes == set(simulator.CODES[d.type]), d
    assert box["counters"].counts["readings"] == 6 * 6 + 2 + 4 * 3
    assert set(stations.values_list("state", flat=True)) == {"online"}


def in_thread(fn: Any) -> Any:
    """Run on a thread of its own: the browser tests leave Playwright's event loop on the main thread."""
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(60)
    assert out, "the simulator did not finish"
    return out[0]


def broker_up() -> bool:
    u = urlsplit(MQTT)
    try:
        socket.create_connection((u.hostname or "127.0.0.1", u.port or 1883), timeout=1).close()
        return True
    except OSError:
        if os.environ.get("JINGWU_REQUIRE_SERVICES") == "1":
            raise
        return False


@pytest.fixture
def subscriber() -> Iterator[tuple[str, list[Any]]]:
    if not broker_up():
        pytest.skip(f"no MQTT broker at {MQTT} (set JINGWU_TEST_MQTT_URL; JINGWU_REQUIRE_SERVICES=1 requires one)")
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    root = f"jingwu-sim-{uuid.uuid4().hex[:8]}/v1"
    got: list[Any] = []
    subscribed = threading.Event()
    u = urlsplit(MQTT)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda c, userdata, msg: got.append(msg)
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe([(f"{root}/+/data", 1), (f"{root}/+/event", 1)])
    client.connect(u.hostname or "127.0.0.1", u.port or 1883)
    client.loop_start()
    assert subscribed.wait(10), "could not subscribe"
    yield root, got
    client.disconnect()
    client.loop_stop()


def test_one_round_of_the_mqtt_devices_through_the_broker(subscriber: tuple[str, list[Any]]) -> None:
    root, got = subscriber
    devices = [HYDRANT, ELEC, PANEL, CAMERA, DUST]
    sim = simulator.Simulator(
        [*devices, AIR], simulator.Options(hj212=None, mqtt=MQTT, root=root, timeout=10), say=lambda line: None
    )
    assert sim.hj == [] and sim.mq == devices
    counts = in_thread(lambda: asyncio.run(sim.run(once=True)))
    assert counts["mqtt_sent"] == counts["mqtt_acked"] == len(devices)
    deadline = datetime.now() + timedelta(seconds=10)
    while len(got) < len(devices) and datetime.now() < deadline:
        threading.Event().wait(0.05)
    by_topic = {m.topic: json.loads(m.payload) for m in got}
    assert set(by_topic) == {f"{root}/{d.ident}/data" for d in devices}
    for d in devices:
        [first, *_] = messages.data(d.id, by_topic[f"{root}/{d.ident}/data"])
        assert first.kind == "rtd"
    assert by_topic[f"{root}/hyd-4/data"]["values"]["pressure"] > 0.2
    assert set(by_topic[f"{root}/dust-1/data"]["values"]) == {"a34002", "a34004", "LA"}
