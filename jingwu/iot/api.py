"""/api/iot/: devices, readings, alarms, AQI, and the batch endpoint gateways send to."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid, NotFound
from jingwu.org.auth import require_user

from . import access, alarms, messages, readings, services
from .choices import AlarmState, DeviceState, DeviceType, Verdict
from .ingest import Directory, store
from .models import Alarm, Device

router = Router(tags=["iot"])
_directory = Directory()


def _reader(request: HttpRequest) -> Any:
    user = require_user(request)
    if not access.sees_monitoring(user):
        raise Forbidden(gettext("无权查看监测数据"), code="forbidden_role")
    return user


def _device(user: Any, pk: int) -> Device:
    d = access.devices_for(Device.objects.select_related("grid", "region", "place"), user).filter(pk=pk).first()
    if d is None:
        raise NotFound(gettext("设备不存在"))
    return d


class DeviceIn(Schema):
    name: str = Field(max_length=100)
    type: str = Field(description="fire_panel, smoke, electrical, hydrant, air, voc, water, dust, camera")
    place: int | None = Field(None, description="the enterprise or place (safety registry) it belongs to")
    address: str = Field("", max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    mn: str = Field("", max_length=32, description="HJ 212 MN")
    client_id: str = Field("", max_length=64, description="MQTT client id")
    pw: str = Field("", max_length=32, description="HJ 212 access password (PW)")
    interval: int = Field(60, description="expected reporting interval, seconds")
    state: str = Field(DeviceState.OFFLINE, description="disabled stops its data being taken")


class DeviceUpdate(Schema):
    name: str | None = Field(None, max_length=100)
    type: str | None = None
    place: int | None = None
    address: str | None = Field(None, max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    mn: str | None = Field(None, max_length=32)
    client_id: str | None = Field(None, max_length=64)
    pw: str | None = Field(None, max_length=32)
    interval: int | None = None
    state: str | None = None


class DeviceOut(Schema):
    id: int
    name: str
    type: str
    type_label: str
    place: int | None
    place_name: str
    address: str
    lon: float | None
    lat: float | None
    grid: str | None
    region: str | None
    mn: str | None
    client_id: str | None
    interval: int
    state: str
    state_label: str
    last_seen: datetime | None
    latest: dict[str, Any]


class DeviceCreated(DeviceOut):
    token: str = Field(description="the device's HTTP token, shown only now")


def device_out(d: Device, latest: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": d.pk,
        "name": d.name,
        "type": d.type,
        "type_label": str(DeviceType(d.type).label),
        "place": d.place_id,
        "place_name": d.place.name if d.place_id and d.place else "",
        "address": d.address,
        "lon": d.lon,
        "lat": d.lat,
        "grid": d.grid.code if d.grid_id and d.grid else None,
        "region": d.region.name if d.region_id and d.region else None,
        "mn": d.mn,
        "client_id": d.client_id,
        "interval": d.interval,
        "state": d.state,
        "state_label": str(DeviceState(d.state).label),
        "last_seen": d.last_seen,
        "latest": (latest or {}).get(d.pk, {}),
    }


def latest_of(ids: list[int]) -> dict[int, dict[str, Any]]:
    from .models import Latest

    out: dict[int, dict[str, Any]] = {}
    for row in Latest.objects.filter(device_id__in=ids).values("device_id", "code", "value", "flag", "at"):
        out.setdefault(row["device_id"], {})[row["code"]] = {
            "value": row["value"],
            "flag": row["flag"],
            "at": row["at"],
        }
    return out


class DeviceFilters(Schema):
    type: str = ""
    state: str = ""
    place: int | None = None
    q: str = Field("", max_length=50)
    offset: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)


@router.get("/iot/devices", response=list[DeviceOut], summary="Devices, with their latest values")
def device_list(request: HttpRequest, params: Query[DeviceFilters]) -> list[dict[str, Any]]:
    user = _reader(request)
    qs = access.devices_for(Device.objects.select_related("grid", "region", "place"), user)
    if params.type:
        qs = qs.filter(type=params.type)
    if params.state:
        qs = qs.filter(state=params.state)
    if params.place is not None:
        qs = qs.filter(place_id=params.place)
    if params.q:
        qs = qs.filter(name__contains=params.q) | qs.filter(mn=params.q) | qs.filter(client_id=params.q)
    rows = list(qs.order_by("type", "name", "id")[params.offset : params.offset + params.limit])
    latest = latest_of([d.pk for d in rows])
    return [device_out(d, latest) for d in rows]


@router.get("/iot/devices/{pk}", response=DeviceOut, summary="One device")
def device_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    d = _device(_reader(request), pk)
    return device_out(d, latest_of([d.pk]))


@router.post("/iot/devices", response={201: DeviceCreated}, summary="Register a device (shift leads, admins)")
def device_create(request: HttpRequest, body: DeviceIn) -> Status:
    user = require_user(request, write=True)
    d, token = services.save_device(body.dict(), actor=user)
    d = Device.objects.select_related("grid", "region", "place").get(pk=d.pk)
    return Status(201, {**device_out(d), "token": token})


@router.patch("/iot/devices/{pk}", response=DeviceOut, summary="Change a device")
def device_update(request: HttpRequest, pk: int, body: DeviceUpdate) -> dict[str, Any]:
    user = require_user(request, write=True)
    d = _device(user, pk)
    changes = {k: v for k, v in body.dict(exclude_unset=True).items()}
    d, _ = services.save_device(changes, actor=user, device=d)
    return device_out(Device.objects.select_related("grid", "region", "place").get(pk=d.pk))


@router.delete("/iot/devices/{pk}", response={204: None}, summary="Delete a device that never reported")
def device_delete(request: HttpRequest, pk: int) -> Status:
    user = require_user(request, write=True)
    services.delete_device(_device(user, pk), actor=user)
    return Status(204, None)


@router.post("/iot/devices/{pk}/token", response={200: dict[str, str]}, summary="A new HTTP token for a device")
def device_token(request: HttpRequest, pk: int) -> dict[str, str]:
    user = require_user(request, write=True)
    return {"token": services.new_device_token(_device(user, pk), actor=user)}


# --- readings --------------------------------------------------------------------------------------------------


class ReadingFilters(Schema):
    code: str = Field(max_length=24, description="the factor, e.g. a34004 (PM2.5)")
    start: datetime | None = Field(None, alias="from", description="default: 24 hours ago")
    end: datetime | None = Field(None, alias="to", description="default: now")
    every: str = Field("", description="'' as stored, 'hour' or 'day' averages (avg, min, max)")


@router.get("/iot/devices/{pk}/readings", summary="A factor's readings over a period, as stored or averaged")
def reading_list(request: HttpRequest, pk: int, params: Query[ReadingFilters]) -> dict[str, Any]:
    d = _device(_reader(request), pk)
    end = params.end or clock.now()
    start = params.start or end - timedelta(hours=24)
    if params.every not in ("", "hour", "day"):
        raise Invalid(gettext("every 只能是 hour 或 day"), code="bad_every")
    if end <= start or end - start > timedelta(days=400):
        raise Invalid(gettext("时间范围应在 400 天以内且起点早于终点"), code="bad_period")
    return {
        "device": d.pk,
        "code": params.code,
        "from": start,
        "to": end,
        "every": params.every,
        "rows": readings.series(d, params.code, start, end, params.every),
    }


# --- alarms ----------------------------------------------------------------------------------------------------


class AlarmOut(Schema):
    id: int
    device: int
    device_name: str
    device_type: str
    place_name: str
    rule: str
    kind: str
    severity: str
    status: str
    status_label: str
    version: int
    raised_at: datetime
    last_at: datetime
    due_at: datetime | None
    count: int
    value: float | None
    peak: float | None
    detail: str
    verdict: str
    cleared_at: datetime | None
    case: str | None
    case_id: int | None
    case_status: str
    lon: float | None
    lat: float | None


def alarm_out(a: Alarm) -> dict[str, Any]:
    d = a.device
    return {
        "id": a.pk,
        "device": d.pk,
        "device_name": d.name,
        "device_type": d.type,
        "place_name": d.place.name if d.place_id and d.place else "",
        "rule": a.rule.name,
        "kind": a.rule.kind,
        "severity": a.rule.severity,
        "status": a.status,
        "status_label": str(AlarmState(a.status).label),
        "version": a.version,
        "raised_at": a.raised_at,
        "last_at": a.last_at,
        "due_at": a.due_at if a.status == AlarmState.RAISED else None,
        "count": a.count,
        "value": a.value,
        "peak": a.peak,
        "detail": a.detail,
        "verdict": a.verdict,
        "cleared_at": a.cleared_at,
        "case": a.case.number if a.case_id and a.case else None,
        "case_id": a.case_id,
        "case_status": a.case_status,
        "lon": d.lon if d.lon is not None else (d.place.lon if d.place_id and d.place else None),
        "lat": d.lat if d.lat is not None else (d.place.lat if d.place_id and d.place else None),
    }


class AlarmFilters(Schema):
    status: str = Field("open", description="open (raised or acknowledged), raised, acknowledged, cleared, all")
    device: int | None = None
    offset: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)


def alarm_rows(user: Any, status: str = "open") -> Any:
    qs = Alarm.objects.visible_to(user).select_related("device__place", "rule", "case")
    if status == "open":
        qs = qs.open()
    elif status in AlarmState.values:
        qs = qs.filter(status=status)
    elif status != "all":
        raise Invalid(gettext("未知的告警状态"), code="bad_status")
    # Unconfirmed first, the most severe of them first (a fire above a dozen offline loggers), then newest.
    waiting = Case(When(status=AlarmState.RAISED, then=Value(0)), default=Value(1))
    severity = Case(
        When(rule__severity="critical", then=Value(0)), When(rule__severity="major", then=Value(1)), default=Value(2)
    )
    return qs.order_by(waiting, severity, "-raised_at", "-id")


@router.get("/iot/alarms", response=list[AlarmOut], summary="Alarms (open ones by default), newest first")
def alarm_list(request: HttpRequest, params: Query[AlarmFilters]) -> list[dict[str, Any]]:
    user = _reader(request)
    qs = alarm_rows(user, params.status)
    if params.device is not None:
        qs = qs.filter(device_id=params.device)
    return [alarm_out(a) for a in qs[params.offset : params.offset + params.limit]]


def _alarm(user: Any, pk: int) -> Alarm:
    a = Alarm.objects.visible_to(user).select_related("device__place", "rule", "case").filter(pk=pk).first()
    if a is None:
        raise NotFound(gettext("告警不存在"))
    return a


@router.get("/iot/alarms/{pk}", response=AlarmOut, summary="One alarm")
def alarm_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    return alarm_out(_alarm(_reader(request), pk))


class AckIn(Schema):
    version: int
    verdict: str = Field(description="real, false (误报: its case is voided with that reason) or test")
    note: str = Field("", max_length=500)


@router.post("/iot/alarms/{pk}/acknowledge", response=AlarmOut, summary="确认: what the person who looked found")
def alarm_acknowledge(request: HttpRequest, pk: int, body: AckIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    _alarm(user, pk)
    if body.verdict not in Verdict.values:
        raise Invalid(gettext("核实结果只能是 real、false 或 test"), code="bad_verdict")
    alarms.acknowledge(pk, actor=user, version=body.version, verdict=body.verdict, note=body.note)
    return alarm_out(_alarm(user, pk))


class ClearIn(Schema):
    version: int
    reason: str = Field(min_length=1, max_length=200)


@router.post("/iot/alarms/{pk}/clear", response=AlarmOut, summary="解除 by hand (shift leads, dispatchers)")
def alarm_clear(request: HttpRequest, pk: int, body: ClearIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    a = _alarm(user, pk)
    if not body.reason.strip():
        raise Invalid(gettext("请填写解除原因"), code="reason_required")
    alarms.clear(a, reason="manual", note=body.reason.strip(), at=clock.now(), actor=user, version=body.version)
    return alarm_out(_alarm(user, pk))


# --- AQI -----------------------------------------------------------------------------------------------------------


class AqiOut(Schema):
    station: str
    date: date
    hour: int | None
    aqi: int
    level: int
    label: str
    name: str
    colour: str
    primary_pollutants: list[str]
    iaqi: dict[str, int]


@router.get("/iot/aqi", response=AqiOut, summary="HJ 633 AQI of a station for an hour (or for the day, without hour)")
def aqi_of(request: HttpRequest, station: str, date: date, hour: int | None = None) -> dict[str, Any]:
    user = _reader(request)
    d = access.devices_for(Device.objects.filter(type=DeviceType.AIR), user).filter(mn=station).first()
    if d is None:
        d = access.devices_for(Device.objects.filter(type=DeviceType.AIR), user).filter(client_id=station).first()
    if d is None:
        raise NotFound(gettext("空气站不存在"))
    if hour is not None and not 0 <= hour <= 23:
        raise Invalid(gettext("hour 应为 0–23"), code="bad_hour")
    if hour is None:
        result = readings.day_aqi(d.pk, date)
    else:
        start = datetime.combine(date, time(hour), tzinfo=timezone.get_current_timezone())
        result = readings.hour_aqi(d.pk, start)
    out = readings.aqi_json(result)
    if out is None:
        raise NotFound(gettext("该时段没有数据"), code="no_data")
    return {"station": station, "date": date, "hour": hour, **out}


# --- ingestion over HTTP -------------------------------------------------------------------------------------------


class IngestOut(Schema):
    readings: int
    repeated: int
    events: int


@router.post(
    "/iot/ingest",
    response=IngestOut,
    auth=None,
    summary="A gateway's batch for one device: header `Authorization: Device <token>` (the device's HTTP token)",
)
def ingest(request: HttpRequest) -> dict[str, Any]:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    known = _directory.by_token(raw.strip()) if scheme == "Device" else None
    if known is None or known.state == DeviceState.DISABLED:
        raise Forbidden(gettext("设备令牌无效或设备已停用"), code="bad_device_token")
    if len(request.body) > 2 * 1024 * 1024:
        raise Invalid(gettext("请求过大"), code="too_large")
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise messages.BadMessage("the body is a JSON object with data and events")
        samples = messages.data(known.id, body.get("data", [])) if body.get("data") else []
        signals = [messages.event(known.id, e) for e in body.get("events", []) or []]
        if len(signals) > messages.MAX_ITEMS:
            raise messages.BadMessage(f"at most {messages.MAX_ITEMS} events at once")
    except (ValueError, messages.BadMessage) as exc:
        raise Invalid(str(exc), code="bad_message") from exc
    result = store(samples, signals)
    return {"readings": result.readings, "repeated": result.repeated, "events": result.events}
