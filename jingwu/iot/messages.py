"""The JSON that MQTT and HTTP gateways send, and HJ 212 packets, turned into samples and signals.

MQTT topics (docs/iot.md): ``jingwu/v1/<client id>/data`` and ``jingwu/v1/<client id>/event``.

A data message: ``{"ts": "2026-11-30T10:15:00+08:00", "kind": "rtd", "values": {"pressure": 0.32}}`` (``ts`` also
as epoch seconds or milliseconds; ``kind`` rtd by default; a value may be ``{"value": 1, "flag": "N"}``), or a list
of them. An event: ``{"id": "evt-1", "ts": …, "type": "fire", "detail": "3号楼2层"}``; ``id`` makes a resend harmless.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from . import hj212
from .choices import RESTORABLE, EventType, ReadingKind
from .ingest import Sample, Signal

MAX_ITEMS = 5000
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,24}$")
FLAGS = frozenset("NFMSDCTB")


class BadMessage(ValueError):
    pass


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_time(raw: Any) -> datetime:
    if isinstance(raw, bool):
        raise BadMessage("ts must be a time")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise BadMessage("ts must be a time")
        seconds = raw / 1000 if raw > 10**11 else raw  # epoch milliseconds or seconds
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise BadMessage("ts out of range") from exc
    if isinstance(raw, str):
        try:
            t = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise BadMessage(f"ts is not ISO 8601: {raw[:40]!r}") from exc
        return t if t.tzinfo else t.replace(tzinfo=local_tz())
    raise BadMessage("ts is required")


def _number(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise BadMessage(f"{where} must be a finite number or null")
    return float(raw)


def data(device_id: int, body: Any) -> list[Sample]:
    items = body if isinstance(body, list) else [body]
    if len(items) > MAX_ITEMS:
        raise BadMessage(f"at most {MAX_ITEMS} messages at once")
    out: list[Sample] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadMessage("a data message is a JSON object")
        at = parse_time(item.get("ts"))
        kind = item.get("kind", ReadingKind.RTD)
        if kind not in ReadingKind.values:
            raise BadMessage(f"kind must be one of {', '.join(ReadingKind.values)}")
        values = item.get("values")
        if not isinstance(values, dict) or not values:
            raise BadMessage("values must be a non-empty object")
        for code, raw in values.items():
            if not CODE.match(code):
                raise BadMessage(f"bad factor code {code[:30]!r}")
            flag = "N"
            low = high = None
            if isinstance(raw, dict):
                flag = str(raw.get("flag", "N"))
                if flag not in FLAGS:
                    raise BadMessage(f"{code}: flag must be one of {''.join(sorted(FLAGS))}")
                low = _number(raw.get("min"), f"{code}.min")
                high = _number(raw.get("max"), f"{code}.max")
                raw = raw.get("value")
            out.append(Sample(device_id, code, kind, at, _number(raw, code), low, high, flag))
        if len(out) > MAX_ITEMS:
            raise BadMessage(f"at most {MAX_ITEMS} values at once")
    return out


def event(device_id: int, body: Any) -> Signal:
    if not isinstance(body, dict):
        raise BadMessage("an event is a JSON object")
    kind = body.get("type")
    if kind not in EventType.values:
        raise BadMessage(f"type must be one of {', '.join(EventType.values)}")
    key = body.get("id")
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip() or len(str(key)) > 64:
        raise BadMessage("id (the message's own id, up to 64 characters) is required")
    detail = body.get("detail", "")
    if not isinstance(detail, str) or len(detail) > 200 or "\x00" in detail:
        raise BadMessage("detail must be text of at most 200 characters")
    of = body.get("of", "")
    if kind != EventType.RESTORE and of:
        raise BadMessage("of is for a restore: what it restores")
    if of and of not in RESTORABLE:
        raise BadMessage(f"of must be one of {', '.join(sorted(RESTORABLE))}")
    return Signal(device_id, kind, parse_time(body.get("ts")), str(key).strip(), detail, of)


# --- HJ 212 -------------------------------------------------------------------------------------------------------

_SUFFIX = {ReadingKind.RTD: "Rtd", ReadingKind.MINUTE: "Avg", ReadingKind.HOUR: "Avg", ReadingKind.DAY: "Avg"}


def hj212_time(raw: str) -> datetime:
    """DataTime ``YYYYMMDDhhmmss`` (some devices add milliseconds) in the station's local time."""
    return _hj212_time(raw[:14])


@functools.lru_cache(maxsize=4096)
def _hj212_time(digits: str) -> datetime:
    # Stations report on the same whole minutes and seconds: most packets of a batch share their DataTime.
    if len(digits) != 14 or not digits.isdigit():
        raise BadMessage(f"DataTime is not YYYYMMDDhhmmss: {digits!r}")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=local_tz())
    except ValueError as exc:
        raise BadMessage(f"DataTime is not a date: {digits!r}") from exc


def hj212_samples(device_id: int, packet: hj212.Packet) -> list[Sample]:
    kind = hj212.DATA_KINDS.get(packet.cn)
    if kind is None:
        return []
    at = hj212_time(packet.data_time)
    out = []
    for code, group in packet.factors.items():
        raw = group.get(_SUFFIX[ReadingKind(kind)])
        if raw is None or not CODE.match(code):
            continue
        flag = group.get("Flag", "N")[:1] or "N"
        out.append(
            Sample(
                device_id,
                code,
                kind,
                at,
                _float(raw),
                _float(group.get("Min")),
                _float(group.get("Max")),
                flag if flag in FLAGS else "N",
            )
        )
    return out


def _float(raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
