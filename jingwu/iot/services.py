"""Devices: registration and change, each audited; the grid and village follow from the location (the place's
when the device has none of its own)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.geo.services import locate
from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid
from jingwu.org.actors import resolve

from .access import MANAGERS
from .choices import DeviceState, DeviceType
from .ingest import hash_token, new_token
from .models import Device

FIELDS = ("name", "type", "place", "address", "lon", "lat", "mn", "client_id", "pw", "interval", "state")


def _may_manage(actor: Any) -> Any:
    acting = resolve(actor)
    if acting.role_for(MANAGERS) is None:
        raise Forbidden(gettext("无权管理监测设备"), code="forbidden_role")
    return acting


def _place(device: Device) -> None:
    lon, lat = device.lon, device.lat
    place = device.place if device.place_id is not None else None
    if (lon is None or lat is None) and place is not None:
        lon, lat = place.lon, place.lat
        device.address = device.address or place.address
    # An alarm's case needs a place in the territory: a device without one could raise nothing.
    if lon is None or lat is None:
        raise Invalid(gettext("请填写设备位置，或选择有位置的所属单位"), code="location_required")
    found = locate(lon, lat)
    if found is None:
        raise Invalid(gettext("设备位置不在辖区内"), code="outside_territory")
    device.grid_id = found.grid_id
    device.region_id = found.region_id


def check(device: Device) -> None:
    """Everything a device must be before it is saved; its grid and village are derived on the way."""
    if device.type not in DeviceType.values:
        raise Invalid(gettext("未知的设备类型"), code="unknown_type")
    if not device.name.strip():
        raise Invalid(gettext("请填写设备名称"), code="name_required")
    if len(device.name) > 100 or len(device.address) > 200:
        raise Invalid(gettext("名称最长100字，安装位置最长200字"), code="too_long")
    if not device.mn and not device.client_id:
        raise Invalid(gettext("设备至少需要 HJ 212 设备编码(MN)或 MQTT 客户端标识之一"), code="ident_required")
    if device.mn and not device.pw:
        raise Invalid(gettext("HJ 212 设备需要访问密码(PW)"), code="pw_required")
    for name, value in (("mn", device.mn), ("pw", device.pw), ("client_id", device.client_id)):
        if value and (any(c in value for c in ";=,&\r\n") or not value.isprintable()):
            raise Invalid(gettext("%(name)s 含有不允许的字符") % {"name": name}, code="bad_ident")
    if (device.lon is None) != (device.lat is None):
        raise Invalid(gettext("经纬度需同时填写"), code="bad_location")
    if device.interval < 1 or device.interval > 86400:
        raise Invalid(gettext("上报间隔应在 1 秒到 1 天之间"), code="bad_interval")
    if device.state not in DeviceState.values:
        raise Invalid(gettext("未知的设备状态"), code="bad_state")
    for name in ("mn", "client_id"):
        value = getattr(device, name)
        if value and Device.objects.filter(**{name: value}).exclude(pk=device.pk).exists():
            raise Invalid(gettext("%(name)s 已被其他设备使用") % {"name": name}, code="duplicate_ident")
    _place(device)


def save_device(data: dict[str, Any], *, actor: Any, device: Device | None = None) -> tuple[Device, str | None]:
    """Register (``device`` None) or change a device. Returns it and, for a new one, its HTTP token, shown once."""
    acting = _may_manage(actor)
    creating = device is None
    target = device or Device(state=DeviceState.OFFLINE)
    before = {f: getattr(target, f if f != "place" else "place_id") for f in FIELDS} if not creating else {}
    for key, value in data.items():
        if key not in FIELDS:
            continue
        if key in ("mn", "client_id"):
            value = (value or "").strip() or None
        if key == "place":
            target.place_id = value.pk if hasattr(value, "pk") else value
            continue
        setattr(target, key, value)
    check(target)
    raw: str | None = None
    with transaction.atomic():
        if "state" in data and (creating or before.get("state") != target.state):
            target.state_since = clock.now()
        if creating:
            raw = new_token()
            target.token_hash = hash_token(raw)
        target.save()
        after = {f: getattr(target, f if f != "place" else "place_id") for f in FIELDS}
        changed = {k: v for k, v in after.items() if before.get(k) != v and k != "pw"}
        audit.record(
            "iot.device_create" if creating else "iot.device_change",
            "device",
            target.pk,
            actor=acting.user,
            role=acting.role,
            data={"fields": sorted(changed)},
        )
    return target, raw


def new_device_token(device: Device, *, actor: Any) -> str:
    """A new HTTP token (the old one stops working); shown once."""
    acting = _may_manage(actor)
    raw = new_token()
    Device.objects.filter(pk=device.pk).update(token_hash=hash_token(raw))
    audit.record("iot.device_token", "device", device.pk, actor=acting.user, role=acting.role, data={})
    return raw


def delete_device(device: Device, *, actor: Any) -> None:
    """Only a device that never reported may be deleted; one with history is disabled instead."""
    acting = _may_manage(actor)
    if device.last_seen is not None or device.alarms.exists():
        raise Invalid(gettext("设备已有数据，只能停用"), code="has_history")
    audit.record("iot.device_delete", "device", device.pk, actor=acting.user, role=acting.role, data={})
    device.delete()
