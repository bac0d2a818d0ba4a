"""One way in for every transport: HJ 212 over TCP, MQTT and HTTP all hand ``store()`` a batch of readings and
events, which it writes in a few statements whatever the batch's size, then gives to the rules.

Idempotent by construction: a reading's key is (device, factor, kind, time) and an event's is (device, message
id), both enforced by the database, so a message delivered twice (MQTT QoS 1, a device that resends after a lost
answer) is stored once and counts once.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from hashlib import sha256
from hmac import compare_digest
from typing import Any

from django.db import connection, transaction

from jingwu.lib import clock

from .choices import DeviceState, ReadingKind

log = logging.getLogger("jingwu.iot")

# How far a device's clock may run ahead of ours before its data is refused (a wrong clock would otherwise
# write readings into next year's partitions and hide the present).
MAX_AHEAD = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Sample:
    device_id: int
    code: str
    kind: str
    at: datetime
    value: float | None
    low: float | None = None
    high: float | None = None
    flag: str = "N"


@dataclass(frozen=True)
class Signal:
    device_id: int
    type: str
    at: datetime
    key: str
    detail: str = ""
    of: str = ""  # a restore: what it restores (fire, fault …); empty: the whole device was reset


@dataclass
class Stored:
    readings: int = 0  # rows written: new ones, and a device's hour/day figure replaced
    repeated: int = 0  # already stored (a resent message)
    events: int = 0
    skewed: int = 0  # refused: timed too far ahead
    alarms: list[int] = field(default_factory=list)  # alarms raised or repeated by this batch
    failed: int = 0  # rule steps that failed (logged); the batch is stored all the same


# --- devices as the receivers know them -------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    id: int
    type: str
    pw: str
    state: str
    interval: int


def hash_token(raw: str) -> str:
    return sha256(raw.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Directory:
    """MN, MQTT client id and HTTP token → device, held in memory by a receiver and refreshed every ``ttl``
    seconds, so a packet costs no query. An identifier not held is looked up alone (one indexed query: a device
    registered a moment ago is taken at once), and a miss is remembered for ``ttl`` (at most ``MISSES`` of them):
    a misconfigured station, or a stranger trying tokens, costs one small query per ``ttl``, never a reload."""

    MISSES = 10_000
    FIELDS = ("mn", "client_id", "token_hash")

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._loaded = 0.0
        self._by: dict[str, dict[str, Known]] = {name: {} for name in self.FIELDS}
        self._missed: OrderedDict[tuple[str, str], float] = OrderedDict()

    @staticmethod
    def _known(row: tuple[Any, ...]) -> Known:
        pk, kind, pw, state, interval = row[:5]
        return Known(pk, kind, pw, state, interval)

    def _rows(self, **where: str) -> Any:
        from .models import Device

        return Device.objects.filter(**where).values_list(
            "id", "type", "pw", "state", "interval", "mn", "client_id", "token_hash"
        )

    def _load(self) -> None:
        by: dict[str, dict[str, Known]] = {name: {} for name in self.FIELDS}
        for row in self._rows():
            known = self._known(row)
            for name, value in zip(self.FIELDS, row[5:], strict=True):
                if value:
                    by[name][value] = known
        self._by, self._loaded = by, time.monotonic()

    def get(self, field_name: str, value: str) -> Known | None:
        with self._lock:
            now = time.monotonic()
            if now - self._loaded > self.ttl:
                self._load()
            found = self._by[field_name].get(value)
            if found is not None:
                return found
            key = (field_name, value)
            if now - self._missed.get(key, -1e9) <= self.ttl:
                return None
            row = self._rows(**{field_name: value}).first()
            if row is None:
                self._missed[key] = now
                self._missed.move_to_end(key)
                while len(self._missed) > self.MISSES:
                    self._missed.popitem(last=False)
                return None
            found = self._by[field_name][value] = self._known(row)
            self._missed.pop(key, None)
            return found

    def by_mn(self, mn: str, pw: str) -> Known | bool | None:
        """The device, None for an unknown MN, False for a wrong PW."""
        known = self.get("mn", mn)
        if known is None:
            return None
        return known if compare_digest(known.pw.encode(), pw.encode()) else False

    def by_token(self, raw: str) -> Known | None:
        return self.get("token_hash", hash_token(raw)) if raw else None

    def by_client(self, client_id: str) -> Known | None:
        return self.get("client_id", client_id)


# --- the batch write ------------------------------------------------------------------------------------


def _dedupe(samples: Iterable[Sample]) -> list[Sample]:
    seen: dict[tuple[int, str, str, datetime], Sample] = {}
    for s in samples:
        seen[(s.device_id, s.code, s.kind, s.at)] = s  # the last copy wins, as an update would
    return list(seen.values())


# Device-reported hour and day figures replace ours (the rollup's, made from real-time data) and a corrected
# resend replaces the first; real-time and minute data are written once.
_FINAL_KINDS = (ReadingKind.HOUR, ReadingKind.DAY)


def _dt(value: datetime) -> Any:
    """A time as the backend stores it: raw SQL on SQLite gets no adaptation, and the ORM compares UTC text."""
    return value if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(value)


READING_COLUMNS = "device_id, code, kind, at, value, low, high, flag"
LATEST_COLUMNS = "device_id, code, at, value, flag"
_STAGES = {
    "iot_reading_stage": "device_id bigint, code varchar(24), kind varchar(8), at timestamptz, value float8, "
    "low float8, high float8, flag varchar(1)",
    "iot_latest_stage": "device_id bigint, code varchar(24), at timestamptz, value float8, flag varchar(1)",
}


def _stage(cur: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: rows into a temporary table by COPY, to be merged by one INSERT … ON CONFLICT. COPY is the
    database's fastest way in, and it spares Python the quoting of every value into the statement's text."""
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({_STAGES[table]}) ON COMMIT DELETE ROWS")
    cur.execute(f"TRUNCATE {table}")
    with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_new(cur: Any, part: Sequence[Sample]) -> bool:
    """The common case, nothing in the batch stored before: COPY straight into the table, at the database's own
    speed. A batch with a resent reading breaks the key; it is rolled back to the savepoint and merged instead."""
    import psycopg

    try:
        with transaction.atomic(), cur.cursor.copy(f"COPY iot_reading ({READING_COLUMNS}) FROM STDIN") as copy:
            for r in part:
                copy.write_row((r.device_id, r.code, r.kind, r.at, r.value, r.low, r.high, r.flag))
    except psycopg.errors.UniqueViolation:
        return False
    return True


def _write_readings(rows: Sequence[Sample]) -> int:
    if not rows:
        return 0
    plain = [r for r in rows if r.kind not in _FINAL_KINDS]
    final = [r for r in rows if r.kind in _FINAL_KINDS]
    new = 0
    with connection.cursor() as cur:
        for part, update in ((plain, False), (final, True)):
            if not part:
                continue
            on_conflict = (
                "DO UPDATE SET value = EXCLUDED.value, low = EXCLUDED.low, high = EXCLUDED.high, flag = EXCLUDED.flag"
                if update
                else "DO NOTHING"
            )
            if connection.vendor == "postgresql" and not update and _copy_new(cur, part):
                new += len(part)
            elif connection.vendor == "postgresql":
                _stage(cur, "iot_reading_stage", READING_COLUMNS, [
                    (r.device_id, r.code, r.kind, r.at, r.value, r.low, r.high, r.flag) for r in part
                ])  # fmt: skip
                cur.execute(
                    f"INSERT INTO iot_reading ({READING_COLUMNS}) SELECT {READING_COLUMNS} FROM iot_reading_stage "
                    f"ON CONFLICT (device_id, code, kind, at) {on_conflict}"
                )
                new += cur.rowcount
            else:
                before = connection.connection.total_changes
                cur.executemany(
                    "INSERT INTO iot_reading (device_id, code, kind, at, value, low, high, flag) "
                    f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (device_id, code, kind, at) {on_conflict}",
                    [(r.device_id, r.code, r.kind, _dt(r.at), r.value, r.low, r.high, r.flag) for r in part],
                )
                new += connection.connection.total_changes - before
    return new


def _write_latest(rows: Sequence[Sample]) -> None:
    newest: dict[tuple[int, str], Sample] = {}
    for r in rows:
        if r.kind == ReadingKind.DAY:
            continue  # a day's mean is not the device's present value
        key = (r.device_id, r.code)
        if key not in newest or newest[key].at < r.at:
            newest[key] = r
    if not newest:
        return
    items = sorted(newest.values(), key=lambda r: (r.device_id, r.code))  # one lock order for every process
    sql_tail = (
        "ON CONFLICT (device_id, code) DO UPDATE SET at = EXCLUDED.at, value = EXCLUDED.value, flag = EXCLUDED.flag "
        "WHERE iot_latest.at < EXCLUDED.at"
    )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            _stage(
                cur, "iot_latest_stage", LATEST_COLUMNS, [(r.device_id, r.code, r.at, r.value, r.flag) for r in items]
            )
            cur.execute(
                f"INSERT INTO iot_latest ({LATEST_COLUMNS}) SELECT {LATEST_COLUMNS} FROM iot_latest_stage "
                f"ORDER BY device_id, code {sql_tail}"
            )
        else:
            cur.executemany(
                f"INSERT INTO iot_latest (device_id, code, at, value, flag) VALUES (%s, %s, %s, %s, %s) {sql_tail}",
                [(r.device_id, r.code, _dt(r.at), r.value, r.flag) for r in items],
            )


def _seen(ids: set[int], now: datetime) -> list[int]:
    """Devices heard from now (by arrival, not by the data's own time: a station sending last night's backlog is
    online): those that were offline come back online, and are returned so their offline alarms clear."""
    if not ids:
        return []
    ordered = sorted(ids)
    placeholders = ", ".join(["%s"] * len(ordered))
    with connection.cursor() as cur:
        cur.execute(f"UPDATE iot_device SET last_seen = %s WHERE id IN ({placeholders})", [_dt(now), *ordered])
        cur.execute(
            f"UPDATE iot_device SET state = %s, state_since = %s WHERE id IN ({placeholders}) AND state = %s "
            "RETURNING id",
            [DeviceState.ONLINE, _dt(now), *ordered, DeviceState.OFFLINE],
        )
        return [row[0] for row in cur.fetchall()]


def _write_events(signals: Sequence[Signal], now: datetime) -> list[Signal]:
    """The events not stored before, in time order."""
    from .models import Event

    if not signals:
        return []
    unique = {(s.device_id, s.key): s for s in signals}
    before = set(
        Event.objects.filter(device_id__in={d for d, _ in unique}, key__in={k for _, k in unique}).values_list(
            "device_id", "key"
        )
    )
    fresh = [s for k, s in unique.items() if k not in before]
    Event.objects.bulk_create(
        [
            Event(device_id=s.device_id, type=s.type, at=s.at, received_at=now, detail=s.detail, key=s.key)
            for s in fresh
        ],
        ignore_conflicts=True,
    )
    return sorted(fresh, key=lambda s: s.at)


def store(
    samples: Iterable[Sample], signals: Iterable[Signal] = (), *, rules: bool = True, live: bool = True
) -> Stored:
    """Write a batch in one transaction, then run the rules on it: what a receiver acknowledges is stored, and a
    rule that fails (a case that cannot be raised) loses no reading and blocks no other device's alarm — each
    alarm is raised in its own savepoint and a failure is logged.

    Readings timed more than ``MAX_AHEAD`` in the future are refused and counted (``skewed``); an event from a
    device whose clock is that far off (or a day behind) takes the time it arrived: a fire is now.
    ``live`` False: history loaded by hand (an import, the demo's back-fill) says nothing of whether the devices
    are online now."""
    from . import alarms

    now = clock.now()
    ahead = now + MAX_AHEAD
    samples = list(samples)
    rows = _dedupe(s for s in samples if s.at <= ahead)
    events = [e if now - timedelta(days=1) <= e.at <= ahead else replace(e, at=now) for e in signals]
    out = Stored(skewed=len(samples) - sum(1 for s in samples if s.at <= ahead))
    if out.skewed:
        log.warning("%s readings timed more than %s ahead refused", out.skewed, MAX_AHEAD)
    heard = {s.device_id for s in samples} | {e.device_id for e in events}
    previous = alarms.rate_snapshot(rows) if rules else {}
    with transaction.atomic():
        out.readings = _write_readings(rows)
        out.repeated = len(rows) - out.readings
        _write_latest(rows)
        back = _seen(heard, now) if live else []
        fresh = _write_events(events, now)
        out.events = len(fresh)
    if rules:
        out.alarms, out.failed = alarms.evaluate(rows, fresh, back, now, previous)
    return out
