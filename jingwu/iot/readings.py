"""Reading the readings: series by period with aggregation, the hourly and daily rollups, AQI per station and
for the town, and the monthly partitions on PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Max, Min
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from jingwu.lib import clock

from . import aqi
from .choices import DeviceType, ReadingKind
from .models import Device, Reading

# Data flags of valid measurements: N normal, T over the limit (still measured). F, M, S, D, C, B are not.
VALID_FLAGS = ("N", "T")
# HJ 212 codes of the six AQI pollutants, and back.
AQI_CODES = aqi.HJ212_CODES
CODE_OF = {name: code for code, name in AQI_CODES.items()}
# CO is reported in mg/m³ and the others in µg/m³, as HJ 633's tables take them.


def series(device: Device, code: str, start: datetime, end: datetime, every: str = "") -> list[dict[str, Any]]:
    """A factor's values over [start, end): as stored (real-time first, else minute), or averaged by ``hour`` or
    ``day`` (a device's own hour/day figures where it sent them, else ours from its real-time data)."""
    qs = Reading.objects.filter(device=device, code=code, at__gte=start, at__lt=end)
    if every in ("hour", "day"):
        own = list(qs.filter(kind=every).order_by("at").values("at", "value", "low", "high"))
        if own:
            return [{"at": r["at"], "avg": r["value"], "min": r["low"], "max": r["high"]} for r in own]
        trunc = TruncHour("at") if every == "hour" else TruncDay("at")
        slots = (
            qs.filter(kind__in=[ReadingKind.RTD, ReadingKind.MINUTE])
            .annotate(slot=trunc)
            .values("slot")
            .annotate(avg=Avg("value"), min=Min("value"), max=Max("value"), n=Count("value"))
            .order_by("slot")
        )
        return [{"at": r["slot"], "avg": r["avg"], "min": r["min"], "max": r["max"], "count": r["n"]} for r in slots]
    for kind in (ReadingKind.RTD, ReadingKind.MINUTE, ReadingKind.HOUR, ReadingKind.DAY):
        # The newest 5,000 (a device sending every few seconds has more in a day), in time order.
        rows = list(qs.filter(kind=kind).order_by("-at").values("at", "value", "flag")[:5000])[::-1]
        if rows:
            return [{"at": r["at"], "value": r["value"], "flag": r["flag"], "kind": kind} for r in rows]
    return []


# --- rollups -------------------------------------------------------------------------------------------------


def rollup(kind: str, start: datetime, devices: Iterable[int] | None = None) -> int:
    """Our hour (or day) figures for [start, start + 1 hour/day) from the devices' real-time and minute data (a day
    from hours), where a device did not send its own; a device's own figure arriving later replaces ours."""
    span = timedelta(hours=1) if kind == ReadingKind.HOUR else timedelta(days=1)
    source = [ReadingKind.RTD, ReadingKind.MINUTE] if kind == ReadingKind.HOUR else [ReadingKind.HOUR]
    qs = Reading.objects.filter(kind__in=source, at__gte=start, at__lt=start + span, flag__in=VALID_FLAGS)
    if devices is not None:
        qs = qs.filter(device_id__in=list(devices))
    groups = qs.values("device_id", "code", "kind").annotate(
        avg=Avg("value"), low=Min("value"), high=Max("value"), n=Count("value")
    )
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for r in groups:
        if r["avg"] is None:
            continue
        # A day needs 20 valid hours (GB 3095 / HJ 633), so a day figure we store is always a valid daily mean.
        if kind == ReadingKind.DAY and r["n"] < 20:
            continue
        key = (r["device_id"], r["code"])
        # Minute means when a device sends them, else its real-time values: not both at once (double weight).
        if key not in best or r["kind"] == ReadingKind.MINUTE:
            best[key] = dict(r)
    made = [
        Reading(device_id=d, code=c, kind=kind, at=start, value=r["avg"], low=r["low"], high=r["high"])
        for (d, c), r in best.items()
    ]
    with transaction.atomic():
        Reading.objects.bulk_create(made, ignore_conflicts=True, batch_size=2000)
    return len(made)


def rollup_hour(now: datetime | None = None) -> dict[str, int]:
    """The job: the hour just past (and the day just past, after midnight), then AQI rules on the new hours."""
    from . import alarms

    now = now or clock.now()
    local = timezone.localtime(now)
    hour = local.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    made = rollup(ReadingKind.HOUR, hour)
    out = {"hours": made}
    if local.hour == 0:
        day = datetime.combine(hour.date(), time.min, tzinfo=local.tzinfo)
        out["days"] = rollup(ReadingKind.DAY, day)
    air = Device.objects.filter(type=DeviceType.AIR).values_list("id", flat=True)
    out["alarms"] = len(alarms.evaluate_aqi([(d, hour) for d in air], now))
    return out


# --- AQI -------------------------------------------------------------------------------------------------------


def _hour_values(device_ids: list[int], hour: datetime) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = defaultdict(dict)
    rows = Reading.objects.filter(
        device_id__in=device_ids, kind=ReadingKind.HOUR, at=hour, code__in=list(AQI_CODES)
    ).values_list("device_id", "code", "value", "flag")
    for device_id, code, value, flag in rows:
        if value is not None and flag in VALID_FLAGS:
            out[device_id][AQI_CODES[code]] = value
    return out


def hour_aqi(device_id: int, hour: datetime) -> aqi.Result | None:
    values = _hour_values([device_id], hour).get(device_id)
    return aqi.hourly(values) if values else None


def day_aqi(device_id: int, day: date) -> aqi.Result | None:
    """The daily AQI: 24-hour means of the station's hours (or its own day figures), O3 as the day's largest
    hourly value and largest 8-hour moving mean."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    rows = Reading.objects.filter(
        device_id=device_id,
        kind=ReadingKind.HOUR,
        at__gte=start,
        at__lt=start + timedelta(days=1),
        code__in=list(AQI_CODES),
        flag__in=VALID_FLAGS,
    ).values_list("code", "at", "value")
    hours: dict[str, dict[int, float]] = defaultdict(dict)
    for code, at, value in rows:
        if value is not None:
            hours[AQI_CODES[code]][timezone.localtime(at, tz).hour] = value
    own = dict(
        Reading.objects.filter(
            device_id=device_id, kind=ReadingKind.DAY, at=start, code__in=list(AQI_CODES), flag__in=VALID_FLAGS
        ).values_list("code", "value")
    )
    means: dict[str, float | None] = {}
    for name in aqi.POLLUTANTS:
        if name == "O3":
            continue
        code = CODE_OF[name]
        if own.get(code) is not None:
            means[name] = own[code]
        elif len(hours.get(name, {})) >= 20:  # HJ 633 / GB 3095: a daily mean needs at least 20 hours
            means[name] = sum(hours[name].values()) / len(hours[name])
    o3 = hours.get("O3", {})
    o3_8h = aqi.o3_8h_max([o3.get(h) for h in range(24)]) if o3 else None
    means["O3"] = max(o3.values()) if o3 else None
    if not any(v is not None for v in means.values()) and o3_8h is None:
        return None
    return aqi.daily(means, o3_8h=o3_8h)


def town_hour(hour: datetime) -> tuple[aqi.Result | None, int]:
    """The town's figure for an hour (HJ 633: the mean over its stations of each pollutant, then the AQI), and
    how many stations reported."""
    stations = list(Device.objects.filter(type=DeviceType.AIR).values_list("id", flat=True))
    per = _hour_values(stations, hour)
    if not per:
        return None, 0
    sums: dict[str, list[float]] = defaultdict(list)
    for values in per.values():
        for name, v in values.items():
            sums[name].append(v)
    return aqi.hourly({name: sum(vs) / len(vs) for name, vs in sums.items()}), len(per)


def latest_hour(devices: list[int] | None = None) -> datetime | None:
    qs = Reading.objects.filter(kind=ReadingKind.HOUR, code__in=list(AQI_CODES))
    qs = qs.filter(device_id__in=devices) if devices is not None else qs.filter(device__type=DeviceType.AIR)
    now = clock.now()
    return qs.filter(at__lte=now, at__gte=now - timedelta(days=2)).aggregate(m=Max("at"))["m"]


# HJ 633's level words, for the reader's language (aqi.py keeps the standard's Chinese).
LEVEL_WORDS = (
    gettext_noop("优"),
    gettext_noop("良"),
    gettext_noop("轻度污染"),
    gettext_noop("中度污染"),
    gettext_noop("重度污染"),
    gettext_noop("严重污染"),
    gettext_noop("一级"),
    gettext_noop("二级"),
    gettext_noop("三级"),
    gettext_noop("四级"),
    gettext_noop("五级"),
    gettext_noop("六级"),
)


def aqi_json(result: aqi.Result | None) -> dict[str, Any] | None:
    if result is None or result.aqi is None or result.level is None:
        return None
    lv = result.level
    return {
        "aqi": result.aqi,
        "level": lv.number,
        "label": gettext(lv.label),
        "name": gettext(lv.name),
        "colour": lv.colour,
        "primary_pollutants": list(result.primary),
        "iaqi": dict(result.iaqi),
    }


# --- partitions ---------------------------------------------------------------------------------------------------


def ensure_partitions(months_ahead: int = 3, today: date | None = None) -> list[str]:
    """PostgreSQL: the monthly partitions of ``iot_reading`` from this month to ``months_ahead`` ahead (older
    data falls into the default partition, which a DBA may split). Nothing to do on SQLite."""
    from jingwu.lib.partitions import ensure_monthly

    return ensure_monthly("iot_reading", months_ahead, today)
