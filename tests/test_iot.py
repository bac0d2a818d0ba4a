"""Monitoring end to end: HJ 212 packets through the real TCP server, MQTT through the real broker, the HTTP
batch endpoint, rules making exactly one alarm and one case, offline detection, acknowledgment and clearing,
AQI by the API, and a fire alarm's case in front of the command centre."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections

from jingwu.cases.choices import State
from jingwu.cases.models import Case, Category, RoutingRule, Transition
from jingwu.iot import alarms, hj212, ingest, receivers
from jingwu.iot.choices import AlarmState, DeviceState
from jingwu.iot.defaults import install
from jingwu.iot.models import Alarm, Device, Event, Latest, Reading, Rule
from jingwu.iot.services import save_device
from jingwu.notify.models import Notification
from jingwu.org.models import Department

from .conftest import IN_A, IN_B
from .test_api import Api, err

MQTT = os.environ.get("JINGWU_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture
def rules(cast: Any) -> None:
    """The shipped rules (a transactional test's flush removes what migration 0002 installed)."""
    install(Rule, Category)
    alarms.forget_rules()


def device(cast: Any, **kw: Any) -> Device:
    data = {"name": "设备", "type": "air", "lon": IN_A[0], "lat": IN_A[1], "interval": 60, **kw}
    d, _ = save_device(data, actor=cast["shiftlead"])
    return d


def packet(mn: str, pw: str, values: str, *, cn: str = "2011", flag: int = 5, qn: str = "", when: str = "") -> bytes:
    qn = qn or datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]
    when = when or datetime.now().strftime("%Y%m%d%H%M%S")
    return hj212.frame(f"QN={qn};ST=22;CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&DataTime={when};{values}&&")


# --- HJ 212 over a real TCP connection ------------------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.server: receivers.Hj212Server | None = None

    def run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = receivers.Hj212Server(flush=0.05)

        def bound(port: int) -> None:
            self.port = port
            self.ready.set()

        self.task = self.loop.create_task(self.server.serve("127.0.0.1", 0, bound))
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            connections.close_all()

    def __enter__(self) -> Server:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)

    def connect(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return s


def answers(sock: socket.socket, n: int) -> list[hj212.Packet]:
    """Read until ``n`` frames have come back (each answer follows its batch's commit)."""
    reader, out = hj212.Reader(), []
    while len(out) < n:
        data = sock.recv(4096)
        assert data, "connection closed"
        out += [p for p in reader.feed(data) if isinstance(p, hj212.Packet)]
    return out


@pytest.mark.django_db(transaction=True)
def test_hj212_server_parses_checks_answers_and_stores(cast: Any, rules: Any) -> None:
    station = device(cast, mn="A1234567890ABCDEF0000001", pw="123456")
    with Server() as srv:
        s = srv.connect()
        good = packet(
            station.mn,
            "123456",
            "a34004-Rtd=46,a34004-Flag=N;a21005-Rtd=0.8,a21005-Flag=N",
            qn="20261130100000001",
            when="20261130100000",
        )
        # Valid: stored and answered with 9014 echoing the QN.
        s.sendall(good)
        (a,) = answers(s, 1)
        assert (a.cn, a.qn, a.st, a.flag, a.mn) == ("9014", "20261130100000001", "91", 4, station.mn)
        assert Reading.objects.filter(device=station, kind="rtd").count() == 2
        # Bad CRC, then a truncated frame, then wrong PW, unknown MN: no answer; the next valid one is answered.
        bad_crc = good[:-6] + b"0000\r\n"
        truncated = packet(station.mn, "123456", "a34004-Rtd=1", qn="20261130100000002")[:30]
        wrong_pw = packet(station.mn, "654321", "a34004-Rtd=999", qn="20261130100000003")
        unknown = packet("FFFFFFFFFFFFFFFFFFFFFFFF", "123456", "a34004-Rtd=999", qn="20261130100000004")
        after = packet(
            station.mn,
            "123456",
            "a34004-Rtd=47,a34004-Foo=3;xx=1;a99999-Rtd=2",
            qn="20261130100000005",
            when="20261130100100",
        )
        s.sendall(bad_crc + truncated + wrong_pw + unknown + after)
        (a,) = answers(s, 1)
        assert a.qn == "20261130100000005"
        # Split over two reads, and two in one read.
        split = packet(station.mn, "123456", "a34004-Rtd=48", qn="20261130100000006", when="20261130100200")
        s.sendall(split[:17])
        time.sleep(0.01)  # two TCP segments, not a timing assertion
        s.sendall(split[17:])
        assert answers(s, 1)[0].qn == "20261130100000006"
        two = packet(station.mn, "123456", "a34004-Rtd=49", qn="20261130100000007", when="20261130100300")
        two += packet(station.mn, "123456", "a34004-Rtd=50", qn="20261130100000008", when="20261130100400")
        s.sendall(two)
        assert [p.qn for p in answers(s, 2)] == ["20261130100000007", "20261130100000008"]
        # The same packet again (a station that missed our answer): answered, stored once.
        s.sendall(good)
        assert answers(s, 1)[0].qn == "20261130100000001"
        # Another station's connection is untouched by all that, and Flag 4 (no answer wanted) is stored quietly.
        s2 = srv.connect()
        s2.sendall(packet(station.mn, "123456", "a34004-Rtd=51", flag=4, when="20261130100500"))
        s2.sendall(packet(station.mn, "123456", "a34004-Rtd=52", qn="20261130100000009", when="20261130100600"))
        assert answers(s2, 1)[0].qn == "20261130100000009"
        s.close()
        s2.close()
        assert srv.server is not None
        counts = srv.server.counters.counts
    values = list(Reading.objects.filter(device=station, code="a34004").order_by("at").values_list("value", flat=True))
    assert values == [46, 47, 48, 49, 50, 51, 52]
    assert Reading.objects.filter(device=station, code="a99999").count() == 1  # an unknown factor is kept
    assert counts["refused_bad_crc"] == 1 and counts["refused_bad_pw"] == 1 and counts["refused_unknown_mn"] == 1
    assert counts["refused_bad_frame"] == 1  # the truncated one, cut short by the next frame
    assert counts["repeated"] == 2 and counts["answered"] == 7
    assert Latest.objects.get(device=station, code="a34004").value == 52
    station.refresh_from_db()
    assert station.state == DeviceState.ONLINE and station.last_seen is not None


@pytest.mark.django_db
def test_hourly_packets_are_stored_as_hours_and_give_the_aqi(cast: Any, rules: Any) -> None:
    station = device(cast, mn="AQ1", pw="123456")
    # One hour: PM2.5 76 → (150-100)/(115-75)×(76-75)+100 = 101.25 → 102; PM10 120 → (100-50)/(150-50)×(120-50)+50
    # = 85; NO2 1-hour 150 → (100-50)/(200-100)×(150-100)+50 = 75; CO 1-hour 1.2 mg/m³ → 50/5×1.2 = 12;
    # SO2 20 → 50/150×20 = 6.67 → 7; O3 1-hour 180 → (100-50)/(200-160)×(180-160)+50 = 75. AQI 102, PM2.5 primary.
    p = hj212.decode(
        packet(
            "AQ1",
            "123456",
            "a34004-Avg=76,a34004-Min=60,a34004-Max=90,a34004-Flag=N;a34002-Avg=120,a34002-Flag=N;"
            "a21004-Avg=150,a21004-Flag=N;a21005-Avg=1.2,a21005-Flag=N;a21026-Avg=20,a21026-Flag=N;"
            "a05024-Avg=180,a05024-Flag=N",
            cn="2061",
            when="20260302080000",
        )
    )
    from jingwu.iot.messages import hj212_samples

    ingest.store(hj212_samples(station.pk, p))
    row = Reading.objects.get(device=station, code="a34004", kind="hour")
    assert (row.value, row.low, row.high) == (76, 60, 90)
    api = Api(cast["dispatcher"])
    body = api.get("/iot/aqi", station="AQ1", date="2026-03-02", hour=8).json()
    assert body["aqi"] == 102 and body["primary_pollutants"] == ["PM2.5"] and body["level"] == 3
    assert body["iaqi"] == {"SO2": 7, "NO2": 75, "PM10": 85, "PM2.5": 102, "CO": 12, "O3": 75}
    assert body["name"] == "轻度污染" and body["colour"].upper() == "#FF7E00"
    err(api.get("/iot/aqi", station="AQ1", date="2026-03-02", hour=9), 404, "no_data")
    err(Api(cast["citizen"]).get("/iot/aqi", station="AQ1", date="2026-03-02"), 403)


# --- rules, alarms, cases ---------------------------------------------------------------------------------------------


def voc_reading(d: Device, at: datetime, value: float) -> None:
    ingest.store([ingest.Sample(d.pk, "a24088", "rtd", at, value)])


@pytest.mark.django_db
def test_one_exceedance_makes_one_alarm_and_one_case_and_clearing_is_noted(
    cast: Any, rules: Any, at: Any, django_capture_on_commit_callbacks: Any
) -> None:
    voc = device(cast, type="voc", mn="VOC1", pw="123456")
    t0 = at.now
    with django_capture_on_commit_callbacks(execute=True):
        # The VOC rule wants 600 s above 60 mg/m³: nine minutes above raise nothing.
        for i in range(10):
            voc_reading(voc, t0 + timedelta(minutes=i), 80)
        assert not Alarm.objects.exists()
        # Ten minutes above: one alarm and one case, whatever more readings say.
        for i in range(10, 20):
            at.move(t0 + timedelta(minutes=i))
            voc_reading(voc, t0 + timedelta(minutes=i), 80 + i)
    alarm = Alarm.objects.get()
    case = Case.objects.get()
    assert (
        alarm.case == case and alarm.count == 1 and alarm.peak == 99 and alarm.raised_at == t0 + timedelta(minutes=10)
    )
    assert case.status == State.TO_DISPATCH and case.category.code == "90003" and case.origin_kind == "iot.alarm"
    assert case.grid_id == voc.grid_id and "VOCs" in case.description
    # Normal for less than clear_after (60 s): still open; then cleared, and the clear is on the case.
    at.move(t0 + timedelta(minutes=21))
    voc_reading(voc, t0 + timedelta(minutes=21), 20)
    assert Alarm.objects.get().status == AlarmState.RAISED
    at.move(t0 + timedelta(minutes=22))
    voc_reading(voc, t0 + timedelta(minutes=22), 20)
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.CLEARED and alarm.cleared_at is not None
    assert Transition.objects.filter(case=case, action="note", note__contains="告警已解除").count() == 1
    # Back above within the rule's rearm time (flapping): the same alarm reopens with its count, no new case.
    for i in range(23, 34):
        at.move(t0 + timedelta(minutes=i))
        voc_reading(voc, t0 + timedelta(minutes=i), 90)
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.RAISED and alarm.count == 2
    assert Alarm.objects.count() == 1 and Case.objects.count() == 1
    # A reading sent twice changes nothing.
    voc_reading(voc, t0 + timedelta(minutes=33), 90)
    assert Alarm.objects.get().count == 2


@pytest.mark.django_db
def test_a_device_that_falls_silent_goes_offline_and_comes_back(cast: Any, rules: Any, at: Any) -> None:
    d = device(cast, type="dust", client_id="dust-1", interval=60)
    never = device(cast, type="dust", client_id="dust-2", interval=60)
    ingest.store([ingest.Sample(d.pk, "a34002", "rtd", at.now, 80)])
    assert alarms.check_offline(at.now + timedelta(seconds=170)) == 0  # within 3 × 60 s
    assert alarms.check_offline(at.now + timedelta(seconds=181)) == 1
    d.refresh_from_db()
    never.refresh_from_db()
    assert d.state == DeviceState.OFFLINE and never.state == DeviceState.OFFLINE and never.last_seen is None
    alarm = Alarm.objects.get(device=d)
    assert alarm.rule.kind == "offline" and alarm.case is None and "未上报" in alarm.detail
    assert alarms.check_offline(at.now + timedelta(seconds=400)) == 0  # once
    at.move(at.now + timedelta(minutes=10))
    ingest.store([ingest.Sample(d.pk, "a34002", "rtd", at.now, 80)])
    d.refresh_from_db()
    alarm.refresh_from_db()
    assert d.state == DeviceState.ONLINE and alarm.status == AlarmState.CLEARED


@pytest.fixture
def fire_station(cast: Any) -> Department:
    dept = Department.objects.create(code="W06", name="消防救援站", kind="external")
    RoutingRule.objects.create(priority=1, category=Category.objects.get(kind="matter", code="90002"), department=dept)
    return dept


@pytest.mark.django_db
def test_a_fire_alarm_goes_to_the_fire_station_at_once_and_the_centre_sees_it(
    cast: Any, rules: Any, at: Any, fire_station: Department, django_capture_on_commit_callbacks: Any
) -> None:
    from jingwu.safety.models import Enterprise

    unit = Enterprise.objects.create(
        name="精武商厦", industry="F", lon=IN_B[0], lat=IN_B[1], created_at=at.now, updated_at=at.now
    )
    panel = device(cast, type="fire_panel", client_id="fire-1", place=unit.pk, lon=None, lat=None)
    assert panel.grid_id is not None and panel.lon is None  # located by its place
    with django_capture_on_commit_callbacks(execute=True):
        ingest.store([], [ingest.Signal(panel.pk, "fire", at.now, "evt-1", "3号楼2层 感烟探测器")])
        ingest.store([], [ingest.Signal(panel.pk, "fire", at.now, "evt-1", "3号楼2层 感烟探测器")])  # resent
    alarm = Alarm.objects.get()
    case = Case.objects.get()
    assert Event.objects.count() == 1 and alarm.count == 1
    assert case.status == State.HANDLING and case.department == fire_station
    assert case.handling_deadline == alarm.raised_at + timedelta(minutes=30)  # minutes, continuous time
    assert case.grid_id == panel.grid_id and "精武商厦" in case.description
    # The command centre's list shows it; the leaders are told at once; the public never sees it.
    listed = Api(cast["dispatcher"]).get("/cases", status="handling").json()
    assert case.number in [c["number"] for c in listed["items"]]
    assert Notification.objects.filter(user=cast["leader"], event="for_leaders").exists()
    assert Api(cast["citizen"]).get(f"/cases/{case.number}").status_code == 404
    # The alarm's page data and its link from the case.
    body = Api(cast["dispatcher"]).get(f"/iot/alarms/{alarm.pk}").json()
    assert body["case"] == case.number and body["severity"] == "critical" and body["place_name"] == "精武商厦"
    # 误报, confirmed by the shift lead who called the unit: the case is voided with that reason.
    r = Api(cast["shiftlead"]).post(
        f"/iot/alarms/{alarm.pk}/acknowledge",
        {"version": alarm.version, "verdict": "false", "note": "电话核实，厨房油烟"},
    )
    assert r.status_code == 200 and r.json()["verdict"] == "false" and r.json()["status"] == "acknowledged"
    case.refresh_from_db()
    void = Transition.objects.get(case=case, action="void")
    assert case.status == State.VOIDED and void.reason == "false_alarm" and "厨房油烟" in void.note
    # A stale version is a conflict; a grid worker may not acknowledge.
    err(Api(cast["shiftlead"]).post(f"/iot/alarms/{alarm.pk}/clear", {"version": 1, "reason": "x"}), 409)
    err(Api(cast["gw_b"]).post(f"/iot/alarms/{alarm.pk}/acknowledge", {"version": 2, "verdict": "real"}), 403)
    # The unit's restore clears it.
    ingest.store([], [ingest.Signal(panel.pk, "restore", at.now + timedelta(minutes=5), "evt-2", "复位")])
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.CLEARED


@pytest.mark.django_db
def test_a_real_alarm_is_noted_and_a_fault_puts_the_device_in_fault(cast: Any, rules: Any, at: Any) -> None:
    cam = device(cast, type="camera", client_id="cam-1")
    ingest.store([], [ingest.Signal(cam.pk, "fire_lane", at.now, "e1", "东门消防通道被车辆占用")])
    alarm = Alarm.objects.get()
    assert alarm.case is not None and alarm.case.category.code == "09012" and alarm.case.status == State.TO_DISPATCH
    alarms.acknowledge(alarm.pk, actor=cast["operator"], version=alarm.version, verdict="real", note="视频确认")
    assert Transition.objects.filter(case=alarm.case, action="note", note__contains="属实").exists()
    ingest.store([], [ingest.Signal(cam.pk, "fault", at.now, "e2", "镜头遮挡")])
    cam.refresh_from_db()
    assert cam.state == DeviceState.FAULT and Alarm.objects.filter(rule__event="fault", case=None).count() == 1
    ingest.store([], [ingest.Signal(cam.pk, "restore", at.now + timedelta(minutes=1), "e3", "")])
    cam.refresh_from_db()
    assert cam.state == DeviceState.ONLINE and not Alarm.objects.open().filter(rule__event="fault").exists()


# --- HTTP, API and who sees what -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_http_batches_are_authenticated_per_device_and_idempotent(cast: Any, rules: Any, at: Any) -> None:
    d, token = save_device(
        {"name": "水压", "type": "hydrant", "client_id": "hyd-1", "lon": IN_A[0], "lat": IN_A[1]},
        actor=cast["shiftlead"],
    )
    assert token
    client = Api().client
    body = {
        "data": [{"ts": at.now.isoformat(), "values": {"pressure": 0.31, "temperature": {"value": 12.5, "flag": "N"}}}],
        "events": [{"id": "x1", "ts": int(at.now.timestamp() * 1000), "type": "supervisory", "detail": "阀门关闭"}],
    }

    def post(payload: Any, auth: str = f"Device {token}") -> Any:
        return client.post(
            "/api/iot/ingest", json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth
        )

    assert post(body).json() == {"readings": 2, "repeated": 0, "events": 1}
    assert post(body).json() == {"readings": 0, "repeated": 2, "events": 0}
    err(post(body, "Device nope"), 403, "bad_device_token")
    err(post(body, ""), 403, "bad_device_token")
    assert "ts" in err(post({"data": [{"values": {"p": 1}}]}), 400, "bad_message")["message"]
    err(post({"data": [{"ts": at.now.isoformat(), "values": {"p": "high"}}]}), 400, "bad_message")
    err(post({"events": [{"id": "y", "ts": at.now.isoformat(), "type": "explosion"}]}), 400, "bad_message")
    assert Reading.objects.filter(device=d).count() == 2 and Event.objects.filter(device=d).count() == 1
    assert Alarm.objects.filter(device=d, rule__event="supervisory").count() == 1
    d.state = DeviceState.DISABLED
    d.save()
    import jingwu.iot.api as iot_api

    iot_api._directory = ingest.Directory()
    err(post(body), 403, "bad_device_token")


@pytest.mark.django_db
def test_devices_api_and_who_sees_what(cast: Any, rules: Any) -> None:
    lead = Api(cast["shiftlead"])
    r = lead.post(
        "/iot/devices",
        {"name": "甲村空气站", "type": "air", "mn": "MNA", "pw": "123456", "lon": IN_A[0], "lat": IN_A[1]},
    )
    assert r.status_code == 201 and r.json()["token"] and r.json()["grid"] == "120111103201001"
    err(lead.post("/iot/devices", {"name": "x", "type": "air", "mn": "MNA", "pw": "1"}), 400, "duplicate_ident")
    err(lead.post("/iot/devices", {"name": "x", "type": "air", "mn": "M;N", "pw": "1"}), 400, "bad_ident")
    err(lead.post("/iot/devices", {"name": "x", "type": "rocket", "client_id": "r"}), 400, "unknown_type")
    # An alarm's case needs a place in the territory: a device with none is refused, not stored to fail later.
    err(lead.post("/iot/devices", {"name": "x", "type": "voc", "client_id": "v"}), 400, "location_required")
    far = {"name": "x", "type": "voc", "client_id": "v", "lon": 118.5, "lat": 40.5}
    err(lead.post("/iot/devices", far), 400, "outside_territory")
    err(Api(cast["gw_a"]).post("/iot/devices", {"name": "x", "type": "air", "client_id": "c"}), 403)
    b = lead.post(
        "/iot/devices", {"name": "乙村扬尘", "type": "dust", "client_id": "d-b", "lon": IN_B[0], "lat": IN_B[1]}
    )
    pk = r.json()["id"]
    assert lead.post(f"/iot/devices/{pk}", {}).status_code in (405, 404)
    changed = lead.client.patch(
        f"/api/iot/devices/{pk}", json.dumps({"interval": 30}), content_type="application/json", **lead.headers
    )
    assert changed.status_code == 200 and changed.json()["interval"] == 30
    # A grid worker sees the devices in their grids only; a citizen nothing.
    names = [d["name"] for d in Api(cast["gw_a"]).get("/iot/devices").json()]
    assert names == ["甲村空气站"]
    assert Api(cast["gw_a"]).get(f"/iot/devices/{b.json()['id']}").status_code == 404
    err(Api(cast["citizen"]).get("/iot/devices"), 403)
    # Readings by period, as stored and averaged by hour.
    base = datetime(2026, 3, 2, 8, 0, tzinfo=datetime.now().astimezone().tzinfo)
    ingest.store([ingest.Sample(pk, "a34004", "rtd", base + timedelta(minutes=m), float(m)) for m in range(0, 120, 10)])
    rows = lead.get(
        f"/iot/devices/{pk}/readings",
        code="a34004",
        **{"from": base.isoformat(), "to": (base + timedelta(hours=2)).isoformat()},
    ).json()["rows"]
    assert [r["value"] for r in rows] == [float(m) for m in range(0, 120, 10)]
    hours = lead.get(
        f"/iot/devices/{pk}/readings",
        code="a34004",
        every="hour",
        **{"from": base.isoformat(), "to": (base + timedelta(hours=2)).isoformat()},
    ).json()["rows"]
    assert [(h["avg"], h["min"], h["max"]) for h in hours] == [(25.0, 0.0, 50.0), (85.0, 60.0, 110.0)]
    err(lead.get(f"/iot/devices/{pk}/readings", code="a34004", every="week"), 400, "bad_every")
    # A device with history is disabled, not deleted.
    err(lead.client.delete(f"/api/iot/devices/{pk}", **lead.headers), 400, "has_history")


# --- MQTT through the real broker -------------------------------------------------------------------------------------


def broker_up() -> bool:
    from urllib.parse import urlsplit

    u = urlsplit(MQTT)
    try:
        socket.create_connection((u.hostname or "127.0.0.1", u.port or 1883), timeout=1).close()
        return True
    except OSError:
        if os.environ.get("JINGWU_REQUIRE_SERVICES") == "1":
            raise
        return False


@pytest.fixture
def bridges() -> Iterator[Any]:
    if not broker_up():
        pytest.skip(f"no MQTT broker at {MQTT} (set JINGWU_TEST_MQTT_URL; CI requires one)")
    root = f"jingwu-test-{uuid.uuid4().hex[:8]}/v1"
    made: list[receivers.MqttBridge] = []
    threads: list[threading.Thread] = []

    def start(n: int = 1) -> list[receivers.MqttBridge]:
        for _ in range(n):
            b = receivers.MqttBridge(MQTT, root=root, group=root.split("/")[0], flush=0.05)

            def run(bridge: receivers.MqttBridge = b) -> None:
                try:
                    bridge.run()
                finally:
                    connections.close_all()

            t = threading.Thread(target=run, daemon=True)
            t.start()
            assert b.subscribed.wait(10), "the bridge did not subscribe"
            made.append(b)
            threads.append(t)
        return made

    start.root = root  # type: ignore[attr-defined]
    yield start
    for b in made:
        b.stopping.set()
    for t in threads:
        t.join(10)


def publisher() -> Any:
    from urllib.parse import urlsplit

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    u = urlsplit(MQTT)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.connect(u.hostname or "127.0.0.1", u.port or 1883)
    c.loop_start()
    return c


def until(check: Any, seconds: float = 15) -> None:
    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_mqtt_end_to_end_through_the_broker_with_bridges_sharing_the_load(cast: Any, rules: Any, bridges: Any) -> None:
    d = device(cast, type="electrical", client_id="elec-1")
    two = bridges(2)
    root = bridges.root
    pub = publisher()
    now = datetime.now().astimezone()
    for i in range(200):
        at = (now - timedelta(seconds=200 - i)).isoformat()
        pub.publish(
            f"{root}/elec-1/data", json.dumps({"ts": at, "values": {"leakage": 20 + i % 5}}), qos=1
        ).wait_for_publish()
    pub.publish(f"{root}/elec-1/data", b"{not json", qos=1).wait_for_publish()
    pub.publish(
        f"{root}/nobody/data", json.dumps({"ts": now.isoformat(), "values": {"x": 1}}), qos=1
    ).wait_for_publish()
    event = json.dumps({"id": "e-1", "ts": now.isoformat(), "type": "fire", "detail": "配电室"})
    pub.publish(f"{root}/elec-1/event", event, qos=1).wait_for_publish()
    pub.publish(f"{root}/elec-1/event", event, qos=1).wait_for_publish()  # QoS 1 may deliver twice: once is kept
    until(lambda: Reading.objects.filter(device=d).count() == 200 and Event.objects.filter(device=d).exists())
    until(lambda: sum(b.counters.counts["messages"] for b in two) == 204)
    pub.loop_stop()
    assert (
        Event.objects.filter(device=d).count() == 1 and Alarm.objects.filter(device=d, rule__event="fire").count() == 1
    )
    # Both bridges took part (MQTT 5 shared subscription: the broker spreads the messages).
    assert all(b.counters.counts["messages"] > 0 for b in two), [b.counters.counts for b in two]
    refused = sum(b.counters.counts["refused_bad_message"] + b.counters.counts["refused_unknown_client"] for b in two)
    assert refused == 2


# --- pages -----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_monitoring_pages_and_a_community_led_screen(
    cast: Any, rules: Any, at: Any, fire_station: Department, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    from jingwu.geo.models import Region
    from jingwu.iot.models import Screen

    station = device(cast, name="甲村空气站", mn="AQ9", pw="123456")
    panel = device(cast, name="商厦消防主机", type="fire_panel", client_id="fire-9")
    hour = at.now.replace(minute=0, second=0, microsecond=0)
    ingest.store(
        [ingest.Sample(station.pk, code, "hour", hour, v) for code, v in (("a34004", 130.0), ("a34002", 90.0))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest.store([], [ingest.Signal(panel.pk, "fire", at.now, "f1", "2层 感烟")])
    alarm = Alarm.objects.get(rule__event="fire")
    c = Client()
    c.force_login(cast["shiftlead"])
    page = c.get("/iot/").content.decode()
    # PM2.5 130 → (200-150)/(150-115)×(130-115)+150 = 171.4 → 172, 四级 中度污染, which the AQI rule raises too.
    assert "甲村空气站" in page and 'jw-aqi jw-aqi-4">172<' in page and "中度污染" in page
    assert f'href="/iot/alarms/{alarm.pk}/"' in page and "table-danger" in page and "火警 1" in page
    live = c.get("/iot/", HTTP_HX_REQUEST="true").content.decode()
    assert live.startswith('<div id="live"') and "商厦消防主机" in live
    points = c.get("/iot/map.json").json()["devices"]
    assert {(p["n"], p["a"]) for p in points} == {("甲村空气站", True), ("商厦消防主机", True)}
    assert "PM2.5" in c.get(f"/iot/devices/{station.pk}/").content.decode()
    # Acknowledge as real from the alarm's page: the case is noted, the alarm acknowledged.
    detail = c.get(f"/iot/alarms/{alarm.pk}/").content.decode()
    assert 'id="ack-form"' in detail and alarm.case.number in detail
    r = c.post(
        f"/iot/alarms/{alarm.pk}/",
        {"action": "acknowledge", "version": alarm.version, "verdict": "real", "note": "单位确认"},
    )
    assert r.status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.ACKNOWLEDGED and alarm.verdict == "real"
    # A stale form is refused with a message, not a crash.
    r = c.post(f"/iot/alarms/{alarm.pk}/", {"action": "clear", "version": 1, "reason": "x"}, follow=True)
    assert "已被他人处理" in r.content.decode()
    # The grid worker of another grid sees neither the alarm nor the device.
    gw = Client()
    gw.force_login(cast["gw_b"])
    assert gw.get(f"/iot/alarms/{alarm.pk}/").status_code == 404
    assert "商厦消防主机" not in gw.get("/iot/").content.decode()
    # The LED screen: no login, the community's AQI and its fire status in words.
    screen = Screen.objects.create(name="甲村LED", region=Region.objects.get(code="120111103201"), token="t" * 32)
    screen.stations.add(station)
    led = Client().get("/led/" + "t" * 32 + "/").content.decode()
    assert 'class="aqi aqi-4"' in led and ">172<" in led and "火警处置中 1 起" in led
    assert 'http-equiv="refresh"' in led and "<form" not in led
    screen.active = False
    screen.save()
    assert Client().get("/led/" + "t" * 32 + "/").status_code == 404


@pytest.mark.django_db
def test_the_hourly_rollup_makes_hours_from_real_time_data_and_runs_the_aqi_rule(
    cast: Any, rules: Any, at: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from jingwu.iot import readings

    station = device(cast, mn="AQR", pw="123456")
    hour = at.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    # Twelve 5-minute PM2.5 values 100…210 (mean 155) and one flagged D (a fault: left out of the mean).
    samples = [
        ingest.Sample(station.pk, "a34004", "rtd", hour + timedelta(minutes=5 * i), 100.0 + 10 * i) for i in range(12)
    ]
    samples.append(ingest.Sample(station.pk, "a34004", "rtd", hour + timedelta(minutes=58), 900.0, flag="D"))
    ingest.store(samples)
    with django_capture_on_commit_callbacks(execute=True):
        out = readings.rollup_hour(at.now)
    row = Reading.objects.get(device=station, kind="hour", code="a34004")
    assert (row.at, row.value, row.low, row.high) == (hour, 155.0, 100.0, 210.0)
    # PM2.5 155 → (300-200)/(250-150)×(155-150)+200 = 205: 五级 重度污染, above the rule's level 4.
    assert readings.hour_aqi(station.pk, hour).aqi == 205
    assert out["alarms"] == 1
    alarm = Alarm.objects.get(rule__kind="aqi")
    assert alarm.value == 205 and alarm.case is not None and alarm.case.category.code == "90003"
    # The station's own hourly figure, arriving late, replaces ours; rolling up again changes nothing.
    ingest.store([ingest.Sample(station.pk, "a34004", "hour", hour, 60.0)])
    readings.rollup_hour(at.now)
    assert Reading.objects.get(device=station, kind="hour", code="a34004").value == 60.0


@pytest.mark.django_db
def test_the_daily_aqi_and_the_town_figure(cast: Any, rules: Any, at: Any) -> None:
    from jingwu.iot import readings

    a = device(cast, mn="DA", pw="1")
    b = device(cast, mn="DB", pw="1", lon=IN_B[0], lat=IN_B[1])
    day = (at.now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for h in range(24):
        t = day + timedelta(hours=h)
        rows += [ingest.Sample(a.pk, "a34004", "hour", t, 40.0), ingest.Sample(b.pk, "a34004", "hour", t, 80.0)]
        # O3 at A: 100 for eight hours from 10:00, 60 otherwise; the largest hour 180 at 14:00.
        rows.append(ingest.Sample(a.pk, "a05024", "hour", t, 180.0 if h == 14 else (100.0 if 10 <= h < 18 else 60.0)))
    ingest.store(rows, live=False)
    # A's day: PM2.5's 24-hour mean 40 → (100-50)/(75-35)×(40-35)+50 = 56.25 → 57. O3: the largest 8-hour mean is
    # (7×100+180)/8 = 110 → (100-50)/(160-100)×(110-100)+50 = 58.3 → 59 on the 8-hour table; the largest hour, 180,
    # → (100-50)/(200-160)×(180-160)+50 = 75 on the 1-hour table; O3 takes the larger: AQI 75, O3 primary, 良.
    body = Api(cast["leader"]).get("/iot/aqi", station="DA", date=day.date().isoformat()).json()
    assert body["hour"] is None and body["iaqi"] == {"PM2.5": 57, "O3": 75}
    assert body["aqi"] == 75 and body["primary_pollutants"] == ["O3"] and body["name"] == "良"
    # The town at 03:00: the mean of the stations' PM2.5, 60 → (100-50)/(75-35)×(60-35)+50 = 81.25 → 82.
    town, n = readings.town_hour(day + timedelta(hours=3))
    assert n == 2 and town is not None and town.aqi == 82


@pytest.mark.django_db
@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="partitions are PostgreSQL's")
def test_readings_are_partitioned_by_month_on_postgresql(cast: Any) -> None:
    from datetime import date

    from django.db import connection

    from jingwu.iot import readings

    with connection.cursor() as cur:
        cur.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'iot_reading'::regclass")
        assert cur.fetchone() == ("r",)
        cur.execute("SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE relname = 'iot_reading_at'")
        assert cur.fetchone() == ("brin",)
    d = device(cast, mn="PART", pw="1")
    # A reading of a month older than the partitions lands in the default one; making its partition moves it.
    far = datetime(2019, 5, 17, 8, 0, tzinfo=datetime.now().astimezone().tzinfo)
    ingest.store([ingest.Sample(d.pk, "a34004", "hour", far, 33.0)], live=False)
    made = readings.ensure_partitions(months_ahead=0, today=date(2019, 5, 1))
    assert made == ["iot_reading_201905"]
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text, value FROM iot_reading WHERE device_id = %s", [d.pk])
        assert cur.fetchall() == [("iot_reading_201905", 33.0)]
    assert readings.ensure_partitions(months_ahead=0, today=date(2019, 5, 1)) == []


@pytest.mark.django_db
def test_a_failing_rule_loses_no_reading_and_no_other_alarm(cast: Any, rules: Any, at: Any, monkeypatch: Any) -> None:
    cam = device(cast, type="camera", client_id="cam-x")
    panel = device(cast, type="fire_panel", client_id="fire-x")
    dust = device(cast, type="dust", client_id="dust-x")
    real = alarms._raise_case

    def broken(alarm: Alarm) -> None:
        if alarm.device_id == cam.pk:
            raise RuntimeError("the case could not be raised")
        real(alarm)

    monkeypatch.setattr(alarms, "_raise_case", broken)
    out = ingest.store(
        [ingest.Sample(dust.pk, "a34002", "rtd", at.now, 80.0)],
        [
            ingest.Signal(cam.pk, "fire_lane", at.now, "c1", "东门"),
            ingest.Signal(panel.pk, "fire", at.now, "p1", "2层"),
        ],
    )
    assert out.failed == 1 and out.readings == 1 and out.events == 2
    assert Reading.objects.filter(device=dust).exists() and Event.objects.count() == 2
    assert not Alarm.objects.filter(device=cam).exists()  # rolled back to its savepoint, logged
    assert Alarm.objects.get(device=panel).case is not None


@pytest.mark.django_db
def test_resent_data_after_a_clear_reopens_nothing_and_restores_name_what_they_restore(
    cast: Any, rules: Any, at: Any
) -> None:
    hyd = device(cast, type="hydrant", client_id="hyd-x")
    t0 = at.now
    low = [ingest.Sample(hyd.pk, "pressure", "rtd", t0 + timedelta(minutes=m), 0.05) for m in range(0, 6)]
    ingest.store(low)  # below 0.10 MPa for 5 minutes: an alarm
    alarm = Alarm.objects.get(device=hyd)
    normal = [ingest.Sample(hyd.pk, "pressure", "rtd", t0 + timedelta(minutes=m), 0.3) for m in range(6, 9)]
    ingest.store(normal)
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.CLEARED
    ingest.store(low)  # the same low readings again (a gateway that resent its backlog)
    alarm.refresh_from_db()
    assert alarm.status == AlarmState.CLEARED and alarm.count == 1 and Alarm.objects.count() == 1
    # A panel's fault restored clears its fault alarm, not its fire alarm.
    panel = device(cast, type="fire_panel", client_id="fire-y")
    ingest.store(
        [],
        [ingest.Signal(panel.pk, "fire", t0, "f1", "3层"), ingest.Signal(panel.pk, "fault", t0, "f2", "备电故障")],
    )
    ingest.store([], [ingest.Signal(panel.pk, "restore", t0 + timedelta(minutes=1), "f3", "备电恢复", of="fault")])
    assert set(Alarm.objects.open().filter(device=panel).values_list("rule__event", flat=True)) == {"fire"}


@pytest.mark.django_db
def test_an_operator_cannot_void_a_dispatched_case_by_calling_its_alarm_false(
    cast: Any, rules: Any, at: Any, fire_station: Department
) -> None:
    panel = device(cast, type="fire_panel", client_id="fire-z")
    ingest.store([], [ingest.Signal(panel.pk, "fire", at.now, "z1", "1层")])
    alarm = Alarm.objects.get()
    assert alarm.case is not None and alarm.case.status == State.HANDLING
    alarms.acknowledge(alarm.pk, actor=cast["operator"], version=alarm.version, verdict="false", note="电话核实")
    case = Case.objects.get(pk=alarm.case_id)
    assert case.status == State.HANDLING
    assert Transition.objects.filter(case=case, action="note", note__contains="请值班长或派遣员核定").exists()
