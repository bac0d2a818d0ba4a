"""The demo town's devices, simulated over the real transports: HJ 212-2017 over TCP for the environmental
stations (air, VOCs, water) and MQTT for the rest (fire panels, electrical fire monitors, hydrant pressure, site
dust, video analytics), with a script of incidents (a VOCs exceedance, a hydrant losing pressure, a fire alarm …)
so the command centre has something to handle.

Two halves. Pure functions: a device's values at a moment (``values``), the incident script (``Script``), the
packets and messages; deterministic for a seed, so tests and ``iot.demo.history`` use them too. And the I/O that
drives them (``Simulator``): one asyncio task and TCP connection per HJ 212 station, one paho client publishing for
all MQTT devices (a gateway's way, and one thread instead of a hundred).

Times are real: a packet's DataTime is the moment it is sent, since the receivers refuse data from the future.
``speed`` makes devices send more often and incidents come sooner; an incident's length stays in real minutes,
because the rules measure durations on the data's own times (a VOCs exceedance must last 10 minutes to alarm).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from . import hj212
from .choices import DeviceState, DeviceType
from .messages import local_tz
from .receivers import TOPIC_ROOT

log = logging.getLogger("jingwu.iot")

SEED = 212
D = DeviceType

HJ212_TYPES: frozenset[str] = frozenset({D.AIR, D.VOC, D.WATER})
# HJ 212-2017 Table 5 system codes: 22 ambient air, 31 air pollution source (a VOCs stack), 21 surface water.
ST: dict[str, str] = {D.AIR: "22", D.VOC: "31", D.WATER: "21"}
CODES: dict[str, tuple[str, ...]] = {
    D.AIR: ("a21026", "a21004", "a34002", "a34004", "a21005", "a05024"),
    D.VOC: ("a24088",),
    D.WATER: ("w01018", "w21003", "w01001"),
    D.DUST: ("a34002", "a34004", "LA"),
    D.ELECTRICAL: ("leakage", "temperature"),
    D.HYDRANT: ("pressure",),
    D.FIRE_PANEL: ("battery",),
    D.SMOKE: ("battery",),
    D.CAMERA: ("online",),
}
# Hundredths for temperature: a 0.1 °C rounding step between readings a second apart (--speed 60) would read
# as 6 °C/min to the 线缆温度骤升 rate rule.
DECIMALS = {"a21005": 2, "a24088": 2, "w21003": 3, "w01001": 2, "pressure": 3, "temperature": 2}
DECIMALS |= {"leakage": 0, "battery": 0, "online": 0}


def rounded(code: str, value: float) -> float:
    return round(value, DECIMALS.get(code, 1))


def _fmt(code: str, value: float) -> str:
    return f"{value:.{DECIMALS.get(code, 1)}f}"


# --- deterministic noise ---------------------------------------------------------------------------------------


def _unit(*key: object) -> float:
    """A number in [-1, 1) fixed by its key: the same device, factor and moment give the same value in any
    process (``hash()`` is salted per process, ``random.Random`` is slow to seed a hundred thousand times)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


@lru_cache(maxsize=65536)
def _knot(seed: int, name: str, code: str, slot: int) -> float:
    return _unit(seed, name, code, slot)


def _smooth(seed: int, name: str, code: str, t: float, period: float) -> float:
    """Slow noise in [-1, 1]: a value every ``period`` seconds, joined by a cosine ease (no jumps a rate rule
    would take for an incident)."""
    x = t / period
    slot = math.floor(x)
    w = (1 - math.cos(math.pi * (x - slot))) / 2
    a, b = _knot(seed, name, code, slot), _knot(seed, name, code, slot + 1)
    return a + (b - a) * w


def _wave(hour: float, peak: float, period: float = 24) -> float:
    return math.cos(2 * math.pi * (hour - peak) / period)


# --- devices and their values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    """A device as the simulator drives it."""

    id: int
    name: str
    type: str
    ident: str  # the HJ 212 MN, or the MQTT client id
    pw: str = ""
    interval: int = 60

    @property
    def transport(self) -> str:
        return "hj212" if self.type in HJ212_TYPES and self.pw else "mqtt"

    @classmethod
    def of(cls, device: Any) -> Station | None:
        if device.type in HJ212_TYPES and device.mn and device.pw:
            return cls(device.pk, device.name, device.type, device.mn, device.pw, device.interval)
        if device.client_id:
            return cls(device.pk, device.name, device.type, device.client_id, "", device.interval)
        return None


def load_stations() -> list[Station]:
    """The registered devices, except those disabled."""
    from .models import Device

    out = []
    for device in Device.objects.exclude(state=DeviceState.DISABLED).order_by("id"):
        station = Station.of(device)
        if station is not None:
            out.append(station)
    return out


def values(station: Station, at: datetime, seed: int = SEED, episodes: Iterable[Episode] = ()) -> dict[str, float]:
    """What the device measures at ``at``: Tianjin in late autumn (PM2.5 30–120 µg/m³, highest at night and in the
    morning rush, ozone low with an afternoon peak), stacks busy in working hours, drainage rivers near class V
    but inside it; changed by the incidents in ``episodes`` that concern this device."""
    t = at.timestamp()
    local = at.astimezone(local_tz())
    h = local.hour + local.minute / 60 + local.second / 3600
    me = station.ident

    def slow(code: str, period: float) -> float:
        return _smooth(seed, me, code, t, period)

    def jitter(code: str) -> float:
        return _unit(seed, me, code, int(t))

    bias = _unit(seed, me, "bias")  # one station by a road, another upwind: each reads a little differently
    # Pollution is regional: one weather for the whole town, days of haze and days of north wind.
    weather = 0.75 * _smooth(seed, "town", "weather", t, 11 * 3600) + 0.25 * _smooth(seed, "town", "w2", t, 3 * 3600)
    kind = station.type
    out: dict[str, float]
    if kind == D.AIR:
        pm_day = 0.65 * _wave(h, 23) + 0.35 * _wave(h, 8, 12)
        pm25 = max(12.0, 68 + 24 * weather + 16 * pm_day + 6 * bias + 4 * slow("a34004", 1800) + 2 * jitter("a34004"))
        pm10 = pm25 * (1.55 + 0.1 * slow("a34002", 5400)) + 12 + 3 * jitter("a34002")
        no2 = max(8.0, 40 + 8 * weather + 13 * _wave(h, 8, 12) + 5 * bias + 3 * slow("a21004", 1800))
        no2 += 1.5 * jitter("a21004")
        so2 = max(3.0, 10 + 3 * weather + 3 * _wave(h, 10) + 1.5 * slow("a21026", 3600) + 0.5 * jitter("a21026"))
        co = 0.35 + 0.009 * pm25 + 0.05 * slow("a21005", 3600) + 0.02 * jitter("a21005")
        o3 = 36 - 10 * weather + 26 * _wave(h, 15) - 0.15 * (no2 - 40) + 3 * slow("a05024", 1800)
        o3 = max(4.0, o3 + 1.5 * jitter("a05024"))
        out = {"a21026": so2, "a21004": no2, "a34002": pm10, "a34004": pm25, "a21005": co, "a05024": o3}
    elif kind == D.VOC:
        if 8 <= h < 18:
            base = 4 + 3 * (bias + 1)  # 4–10 mg/m³ non-methane hydrocarbons while the line runs
            nmhc = base * (1 + 0.25 * slow("a24088", 1200)) + 0.3 * jitter("a24088")
        else:
            nmhc = 1.2 + 0.4 * slow("a24088", 1800) + 0.1 * jitter("a24088")
        out = {"a24088": nmhc}
    elif kind == D.WATER:
        cod = 24 + 6 * bias + 4 * slow("w01018", 6 * 3600) + 0.5 * jitter("w01018")
        nh3 = 1.0 + 0.25 * _unit(seed, me, "bias-n") + 0.3 * slow("w21003", 6 * 3600) + 0.03 * jitter("w21003")
        ph = 7.7 + 0.2 * slow("w01001", 8 * 3600) + 0.12 * _wave(h, 15) + 0.02 * jitter("w01001")
        out = {"w01018": cod, "w21003": nh3, "w01001": ph}
    elif kind == D.DUST:
        working = 7 <= h < 19
        pm10 = 85 + 25 * weather + (45 * (0.7 + 0.3 * slow("work", 1800)) if working else 0)
        pm10 += 10 * slow("a34002", 900) + 4 * jitter("a34002")
        pm25 = pm10 * (0.5 + 0.05 * slow("a34004", 3600))
        noise = (63 if working else 49) + 4 * slow("LA", 600) + 1.5 * jitter("LA")
        out = {"a34002": pm10, "a34004": pm25, "LA": noise}
    elif kind == D.ELECTRICAL:
        load = max(0.0, _wave(h, 13))  # shops and offices draw most around midday
        leakage = max(1.0, 30 + 15 * bias + 20 * load + 8 * slow("leakage", 1800) + 2 * jitter("leakage"))
        temperature = 22 + 3 * bias + 9 * load + 1.5 * slow("temperature", 3600)
        out = {"leakage": leakage, "temperature": temperature}
    elif kind == D.HYDRANT:
        out = {"pressure": 0.31 + 0.015 * bias + 0.01 * slow("pressure", 3600) + 0.002 * jitter("pressure")}
    elif kind in (D.FIRE_PANEL, D.SMOKE):
        out = {"battery": 100.0}
    else:
        out = {"online": 1.0}
    for ep in episodes:
        if ep.station.ident != me or not ep.start <= at < ep.end:
            continue
        if ep.kind == "voc":
            out["a24088"] = 78 + 8 * _smooth(seed, me, "episode", t, 240) + 3 * jitter("a24088")
        elif ep.kind == "pressure":
            out["pressure"] = 0.06 + 0.01 * jitter("pressure")
        elif ep.kind == "leakage":
            out["leakage"] = 460 + 40 * jitter("leakage")
    return {code: rounded(code, v) for code, v in out.items()}


# --- the incident script -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    kind: str
    types: frozenset[str]
    period: float  # seconds between two of them at speed 1
    offset: float  # the first one this long after the start, at speed 1
    # Real seconds, for incidents a rule must see last (a VOCs exceedance 10 minutes, silence three intervals);
    # 0: long enough for the device to be found offline. Events the devices report are shortened by the speed.
    duration: float
    started: str
    ended: str


ACTS: tuple[Act, ...] = (
    Act(
        "voc",
        frozenset({D.VOC}),
        3600,
        300,
        13 * 60,
        "VOCs排放超标 VOC exceedance: {name}，非甲烷总烃约 80 mg/m³，持续约 {minutes} 分钟 (~{minutes} min)",
        "VOCs排放恢复正常 VOC back to normal: {name}",
    ),
    Act(
        "fire",
        frozenset({D.FIRE_PANEL}),
        7200,
        600,
        8 * 60,
        "火警 FIRE: {name} {detail}",
        "火警复位 fire alarm reset: {name}",
    ),
    Act(
        "pressure",
        frozenset({D.HYDRANT}),
        3600,
        1200,
        8 * 60,
        "消火栓水压下降 hydrant pressure drop: {name}，约 0.06 MPa，持续约 {minutes} 分钟 (~{minutes} min)",
        "消火栓水压恢复 hydrant pressure restored: {name}",
    ),
    Act(
        "leakage",
        frozenset({D.ELECTRICAL}),
        3600,
        1800,
        3 * 60,
        "剩余电流突增 leakage spike: {name}，约 460 mA，持续约 {minutes} 分钟 (~{minutes} min)",
        "剩余电流恢复正常 leakage back to normal: {name}",
    ),
    Act(
        "fault",
        frozenset({D.FIRE_PANEL, D.ELECTRICAL, D.HYDRANT, D.DUST}),
        3600,
        2400,
        5 * 60,
        "设备故障 device fault: {name} {detail}",
        "故障恢复 fault restored: {name}",
    ),
    Act(
        "fire_lane",
        frozenset({D.CAMERA}),
        3600,
        3000,
        6 * 60,
        "占用消防通道 fire lane blocked: {name} {detail}",
        "消防通道已清理 fire lane cleared: {name}",
    ),
    Act(
        "silent",
        frozenset(D.values) - {D.CAMERA},
        3600,
        3300,
        0,
        "设备静默 device silent: {name}，约 {minutes} 分钟不上报 (no data for ~{minutes} min)",
        "设备恢复上报 device reporting again: {name}",
    ),
)
ACT = {a.kind: a for a in ACTS}
# Incidents the device itself reports, as MQTT events ending with a restore; the others change its values.
EVENT_KINDS = {"fire": "fire", "fault": "fault", "fire_lane": "fire_lane"}
FAULTS = ("主电故障", "备电故障", "探测器通信故障", "传感器故障")


@dataclass(frozen=True)
class Episode:
    kind: str
    station: Station
    start: datetime
    end: datetime
    detail: str
    key: str  # the event's message id; the restore's is derived from it

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)

    def line(self, ending: bool = False) -> str:
        act = ACT[self.kind]
        text = act.ended if ending else act.started
        return text.format(name=self.station.name, detail=self.detail, minutes=self.minutes).strip()


class Script:
    """The incidents from ``origin`` on: each act about once per period at speed 1 (more often when faster), at a
    device chosen by the seed. Planned as time goes on and forgotten a day after they end."""

    def __init__(self, stations: Sequence[Station], origin: datetime, speed: float = 1.0, seed: int = SEED) -> None:
        self.origin = origin
        self.speed = speed
        self.seed = seed
        self.pool: dict[str, list[Station]] = {}
        for act in ACTS:
            pool = [s for s in stations if s.type in act.types]
            if act.kind in EVENT_KINDS:
                pool = [s for s in pool if s.transport == "mqtt"]  # HJ 212 carries data, not device events
            if act.kind == "silent":
                pool = [s for s in pool if s.interval <= 300]  # back within the demo's patience
            self.pool[act.kind] = pool
        self.count = {act.kind: 0 for act in ACTS}
        self.planned: list[Episode] = []

    def _start(self, act: Act, n: int) -> datetime:
        seconds = (act.offset + n * act.period + 0.05 * act.period * _unit(self.seed, act.kind, n)) / self.speed
        return self.origin + timedelta(seconds=seconds)

    def _episode(self, act: Act, n: int, start: datetime) -> Episode:
        pool = self.pool[act.kind]
        first = int((_unit(self.seed, act.kind, n, "who") + 1) / 2 * len(pool)) % len(pool)
        busy = {e.station.ident for e in self.planned if e.kind == act.kind and e.end > start}
        # Not the device already in this trouble (a fire panel still in alarm): the next one that is free.
        turn = [pool[(first + k) % len(pool)] for k in range(len(pool))]
        station = next((s for s in turn if s.ident not in busy), pool[first])
        if act.kind in EVENT_KINDS:
            # An event alarms at once, whatever its length: it is staged as fast as the rest.
            duration = max(60.0, act.duration / self.speed)
        else:
            duration = act.duration or max(600, 4 * station.interval) + 60
        pick = (_unit(self.seed, act.kind, n, "detail") + 1) / 2
        detail = ""
        if act.kind == "fire":
            detail = f"{1 + int(pick * 6)}号楼{1 + int(pick * 97) % 6}层 感烟探测器"
        elif act.kind == "fault":
            detail = FAULTS[int(pick * len(FAULTS)) % len(FAULTS)]
        elif act.kind == "fire_lane":
            detail = "消防通道被车辆占用"
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"jingwu-simulator:{self.seed}:{act.kind}:{n}:{start.isoformat()}")
        return Episode(act.kind, station, start, start + timedelta(seconds=duration), detail, str(key))

    def plan(self, until: datetime) -> list[Episode]:
        """Every incident that starts before ``until`` and ended less than a day before it."""
        for act in ACTS:
            if not self.pool[act.kind]:
                continue
            while (start := self._start(act, self.count[act.kind])) < until:
                self.planned.append(self._episode(act, self.count[act.kind], start))
                self.count[act.kind] += 1
        keep = until - timedelta(days=1)
        self.planned = sorted((e for e in self.planned if e.end > keep), key=lambda e: (e.start, e.kind))
        return self.planned

    def starting(self, since: datetime, until: datetime) -> list[Episode]:
        return [e for e in self.plan(until) if since <= e.start < until]

    def ending(self, since: datetime, until: datetime) -> list[Episode]:
        return sorted((e for e in self.plan(until) if since <= e.end < until), key=lambda e: e.end)

    def active(self, at: datetime) -> list[Episode]:
        return [e for e in self.plan(at + timedelta(microseconds=1)) if e.start <= at < e.end]


def silent(station: Station, episodes: Iterable[Episode], at: datetime) -> bool:
    return any(e.kind == "silent" and e.station.ident == station.ident and e.start <= at < e.end for e in episodes)


# --- packets and messages ------------------------------------------------------------------------------------------


def qn(at: datetime) -> str:
    """HJ 212 QN: the request's local time to the millisecond."""
    local = at.astimezone(local_tz())
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}"


def _packet(station: Station, cn: str, data_at: datetime, cp: str, sent_at: datetime) -> bytes:
    # Flag=5: HJ 212-2017 (V=1) and an answer wanted (A=1); the 9014 tells the station its data is stored.
    when = data_at.astimezone(local_tz())
    return hj212.frame(
        f"QN={qn(sent_at)};ST={ST[station.type]};CN={cn};PW={station.pw};MN={station.ident};Flag=5;"
        f"CP=&&DataTime={when:%Y%m%d%H%M%S};{cp}&&"
    )


def rtd_packet(station: Station, at: datetime, data: dict[str, float], sent_at: datetime | None = None) -> bytes:
    """CN 2011 实时数据."""
    cp = ";".join(f"{code}-Rtd={_fmt(code, v)},{code}-Flag=N" for code, v in data.items())
    return _packet(station, "2011", at, cp, sent_at or at)


def hour_packet(
    station: Station, hour: datetime, stats: dict[str, tuple[float, float, float]], sent_at: datetime
) -> bytes:
    """CN 2061 小时数据: the hour's average, minimum and maximum of each factor, DataTime the hour's start."""
    cp = ";".join(
        f"{code}-Avg={_fmt(code, avg)},{code}-Min={_fmt(code, low)},{code}-Max={_fmt(code, high)},{code}-Flag=N"
        for code, (avg, low, high) in stats.items()
    )
    return _packet(station, "2061", hour, cp, sent_at)


class HourBook:
    """What an air station sent in the current hour, for its CN 2061 when the next hour begins."""

    def __init__(self) -> None:
        self.hour: datetime | None = None
        self.sent: dict[str, list[float]] = {}

    def add(
        self, at: datetime, data: dict[str, float]
    ) -> tuple[datetime, dict[str, tuple[float, float, float]]] | None:
        """Note ``data``; the hour just ended and its figures, when ``at`` is in a new hour."""
        hour = at.astimezone(local_tz()).replace(minute=0, second=0, microsecond=0)
        done = None
        if self.hour is not None and hour != self.hour and self.sent:
            done = (self.hour, {c: (sum(vs) / len(vs), min(vs), max(vs)) for c, vs in self.sent.items()})
            self.sent = {}
        self.hour = hour
        for code, v in data.items():
            self.sent.setdefault(code, []).append(v)
        return done


def data_message(at: datetime, data: dict[str, float]) -> dict[str, Any]:
    return {"ts": at.astimezone(local_tz()).isoformat(timespec="seconds"), "values": data}


def event_message(episode: Episode, ending: bool, at: datetime) -> dict[str, Any] | None:
    """The MQTT event a device sends when an incident of its own begins (fire, fault, fire lane) or ends
    (restore); None for incidents that only change values."""
    kind = EVENT_KINDS.get(episode.kind)
    if kind is None:
        return None
    return {
        "id": f"{episode.key}-restore" if ending else episode.key,
        "ts": at.astimezone(local_tz()).isoformat(timespec="seconds"),
        "type": "restore" if ending else kind,
        "detail": "复位" if ending else episode.detail,
    }


def topic(root: str, station: Station, what: str) -> str:
    return f"{root}/{station.ident}/{what}"


# --- the I/O ----------------------------------------------------------------------------------------------------


@dataclass
class Options:
    hj212: tuple[str, int] | None = ("127.0.0.1", 6000)  # None: no HJ 212 stations
    mqtt: str | None = "mqtt://127.0.0.1:1883"  # None: no MQTT devices
    speed: float = 1.0
    seed: int = SEED
    root: str = TOPIC_ROOT
    timeout: float = 15.0  # --once: how long to wait for connections and answers


class _Mqtt:
    """One paho client (MQTT 5) publishing for every MQTT device, QoS 1; paho reconnects by itself."""

    def __init__(self, url: str, counts: Counter[str], say: Callable[[str], None]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.url = url
        self.counts = counts
        self.say = say
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.closing = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"jingwu-simulator-{os.getpid()}", protocol=mqtt.MQTTv5
        )
        self.client.max_queued_messages_set(10000)  # events wait for a broker that is down, within bounds
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.say(f"MQTT 连接被拒绝 connection refused: {reason}")
            return
        self.connected.set()
        self.say(f"MQTT 已连接 connected to {self.url}")

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self.connected.is_set() and not self.closing:
            self.say(f"MQTT 连接断开，自动重连 disconnected ({reason}), reconnecting")
        self.connected.clear()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        with self.lock:
            self.counts["mqtt_acked"] += 1

    def start(self) -> None:
        u = urlsplit(self.url)
        if u.username:
            self.client.username_pw_set(u.username, u.password)
        if u.scheme == "mqtts":
            self.client.tls_set()
        self.client.connect_async(u.hostname or "127.0.0.1", u.port or (8883 if u.scheme == "mqtts" else 1883), 30)
        self.client.loop_start()

    def publish(self, where: str, body: dict[str, Any]) -> Any:
        with self.lock:
            self.counts["mqtt_sent"] += 1
        return self.client.publish(where, json.dumps(body, ensure_ascii=False), qos=1)

    def stop(self) -> None:
        self.closing = True
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


class Simulator:
    """Drives ``stations`` over the transports in ``options``; ``run()`` until ``stop()``, or one round."""

    def __init__(
        self,
        stations: Sequence[Station],
        options: Options,
        say: Callable[[str], None] = print,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        from jingwu.lib import clock

        self.options = options
        self.say = say
        self.now = now or clock.now
        self.hj = [s for s in stations if s.transport == "hj212"] if options.hj212 else []
        self.mq = [s for s in stations if s.transport == "mqtt"] if options.mqtt else []
        self.script = Script([*self.hj, *self.mq], self.now(), options.speed, options.seed)
        self.books: dict[int, HourBook] = {s.id: HourBook() for s in self.hj if s.type == D.AIR}
        self.counts: Counter[str] = Counter()
        self.connections = 0
        self._warned = False
        self.stopping: asyncio.Event | None = None
        self.mqtt: _Mqtt | None = None

    def stop(self) -> None:
        if self.stopping is not None:
            self.stopping.set()

    def summary(self) -> str:
        c = self.counts
        return (
            f"HJ 212 {len(self.hj)} 站 stations: 发送 sent {c['hj212_sent']} (小时数据 hourly {c['hj212_hour_sent']}), "
            f"应答 answered (9014) {c['hj212_answered']}, 重连 reconnects {c['hj212_reconnects']}; "
            f"MQTT {len(self.mq)} 台 devices: 发送 sent {c['mqtt_sent']}, 确认 acked {c['mqtt_acked']}; "
            f"事件 incidents {c['incidents']}"
        )

    async def _sleep(self, seconds: float) -> bool:
        """Wait, or less if stopping; True when stopping."""
        assert self.stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), max(0.0, seconds))
        return self.stopping.is_set()

    async def run(self, once: bool = False) -> Counter[str]:
        self.stopping = asyncio.Event()
        if self.mq and self.options.mqtt:
            self.mqtt = _Mqtt(self.options.mqtt, self.counts, self.say)
            self.mqtt.start()
        try:
            if once:
                at = self.now()
                active = self.script.active(at)
                await asyncio.gather(*(self._once_hj212(s, at, active) for s in self.hj), self._once_mqtt(at, active))
            else:
                tasks = [asyncio.create_task(self._hj212(s)) for s in self.hj]
                tasks += [asyncio.create_task(c) for c in (self._mqtt_devices(), self._incidents(), self._report())]
                await self.stopping.wait()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if self.mqtt is not None:
                self.mqtt.stop()
        return self.counts

    # HJ 212 ---------------------------------------------------------------------------------------------------

    def _hj212_packets(self, station: Station, at: datetime, active: list[Episode]) -> list[bytes]:
        data = values(station, at, self.options.seed, active)
        out = []
        book = self.books.get(station.id)
        done = book.add(at, data) if book is not None else None
        if done is not None:
            out.append(hour_packet(station, done[0], done[1], at))
            self.counts["hj212_hour_sent"] += 1
        # The 2011 a millisecond later, so the two QNs (which the 9014s echo) differ.
        out.append(rtd_packet(station, at, data, at + timedelta(milliseconds=1)))
        self.counts["hj212_sent"] += len(out)
        return out

    async def _answers(self, reader: asyncio.StreamReader, expect: int | None = None) -> None:
        """Count the platform's 9014s until the connection closes (or ``expect`` of them arrived)."""
        stream = hj212.Reader()
        got = 0
        while True:
            try:
                data = await reader.read(4096)
            except (ConnectionError, OSError):
                return
            if not data:
                return
            for item in stream.feed(data):
                if isinstance(item, hj212.Packet) and item.cn == "9014":
                    self.counts["hj212_answered"] += 1
                    got += 1
            if expect is not None and got >= expect:
                return

    async def _connect(self, station: Station) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self.options.hj212 is not None
        host, port = self.options.hj212
        return await asyncio.wait_for(asyncio.open_connection(host, port), 10)

    async def _hj212(self, station: Station) -> None:
        """One station: a connection kept open, a 2011 every interval, reconnection with backoff."""
        assert self.stopping is not None
        period = station.interval / self.options.speed
        # Real stations are not in step: each starts somewhere in its first interval.
        if await self._sleep(period * (_unit(self.options.seed, station.ident, "phase") + 1) / 2):
            return
        backoff = 1.0
        first = True
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            try:
                reader, writer = await self._connect(station)
            except (OSError, TimeoutError) as exc:
                self.counts["hj212_connect_failed"] += 1
                if not self._warned:
                    self._warned = True
                    self.say(f"HJ 212 接收端未就绪，稍后重试 receiver not up yet ({exc}), retrying")
                # Spread out, so a receiver that comes back is not met by every station in the same second.
                if await self._sleep(backoff * (1.2 + 0.3 * _unit(station.ident, backoff))):
                    return
                backoff = min(backoff * 2, 60.0)
                continue
            if not first:
                self.counts["hj212_reconnects"] += 1
            first = False
            self.connections += 1
            answers = asyncio.create_task(self._answers(reader))
            try:
                due = loop.time()
                while not answers.done():
                    at = self.now()
                    active = self.script.active(at)
                    if silent(station, active, at):
                        self.counts["silent_skipped"] += 1
                    else:
                        writer.writelines(self._hj212_packets(station, at, active))
                        await writer.drain()
                    backoff = 1.0
                    due += period
                    if await self._sleep(due - loop.time()):
                        return
            except (ConnectionError, OSError) as exc:
                log.info("simulator: %s: connection lost (%s)", station.ident, exc)
            finally:
                self.connections -= 1
                answers.cancel()
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            if await self._sleep(backoff):  # the receiver closed the connection: not straight back in
                return
            backoff = min(backoff * 2, 60.0)

    async def _once_hj212(self, station: Station, at: datetime, active: list[Episode]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.timeout
        backoff = 0.2
        while True:
            try:
                reader, writer = await self._connect(station)
                break
            except (OSError, TimeoutError):
                if loop.time() + backoff > deadline:
                    self.counts["hj212_connect_failed"] += 1
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
        try:
            writer.writelines(self._hj212_packets(station, at, active))
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answers(reader, expect=1), max(0.1, deadline - loop.time()))
        except (ConnectionError, OSError) as exc:
            log.info("simulator: %s: %s", station.ident, exc)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    # MQTT -------------------------------------------------------------------------------------------------------

    def _publish_data(self, station: Station, at: datetime, active: list[Episode]) -> Any:
        assert self.mqtt is not None
        body = data_message(at, values(station, at, self.options.seed, active))
        return self.mqtt.publish(topic(self.options.root, station, "data"), body)

    async def _mqtt_devices(self) -> None:
        if not self.mq or self.mqtt is None:
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        seed = self.options.seed
        due = {s.id: start + s.interval / self.options.speed * (_unit(seed, s.ident, "phase") + 1) / 2 for s in self.mq}
        while True:
            now = loop.time()
            ready = [s for s in self.mq if due[s.id] <= now]
            if ready:
                at = self.now()
                active = self.script.active(at)
                for s in ready:
                    due[s.id] += s.interval / self.options.speed
                    if silent(s, active, at):
                        self.counts["silent_skipped"] += 1
                    elif not self.mqtt.connected.is_set():
                        self.counts["mqtt_not_connected"] += 1  # a device without its network keeps no backlog
                    else:
                        self._publish_data(s, at, active)
            if await self._sleep(min(due.values()) - loop.time()):
                return

    async def _once_mqtt(self, at: datetime, active: list[Episode]) -> None:
        if not self.mq or self.mqtt is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.timeout
        while not self.mqtt.connected.is_set():
            if loop.time() > deadline:
                self.say(f"MQTT 无法连接 cannot connect to {self.options.mqtt}")
                return
            await asyncio.sleep(0.05)
        sent = [self._publish_data(s, at, active) for s in self.mq]
        while not all(info.is_published() for info in sent) and loop.time() < deadline:
            await asyncio.sleep(0.05)

    # incidents and reports ----------------------------------------------------------------------------------------

    def _tell(self, at: datetime, text: str) -> None:
        self.say(f"{at.astimezone(local_tz()):%H:%M:%S} {text}")

    async def _incidents(self) -> None:
        """Say each incident as it begins and ends, and send the events of those the devices report."""
        last = self.script.origin
        while not await self._sleep(1.0):
            now = self.now()
            moments = [(e.start, False, e) for e in self.script.starting(last, now)]
            moments += [(e.end, True, e) for e in self.script.ending(last, now)]
            for when, ending, ep in sorted(moments, key=lambda m: (m[0], m[1])):
                if not ending:
                    self.counts["incidents"] += 1
                self._tell(when, ep.line(ending))
                body = event_message(ep, ending, when)
                if body is not None and self.mqtt is not None:
                    self.mqtt.publish(topic(self.options.root, ep.station, "event"), body)
            last = now

    async def _report(self, every: float = 300.0) -> None:
        while not await self._sleep(every):
            self._tell(self.now(), f"状态 status: {self.summary()}")
