"""Monitoring pages: the command centre's monitoring page (device map, open alarms, AQI, live readings), a
device, an alarm with its timeline, and each community's LED screen (no login: a secret address per screen)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jingwu.cases.choices import OPEN_STATES
from jingwu.cases.models import Case, ObjectTransition
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.org.choices import SEE_ALL, Role
from jingwu.org.services import roles_of
from jingwu.web.common import roles_required
from jingwu.web.views import tile_settings

from . import access, alarms, readings
from .api import alarm_out, alarm_rows, latest_of
from .choices import FIRE_TYPES, AlarmState, DeviceState, DeviceType, Verdict
from .factors import FACTORS, UNITS, factor
from .models import Alarm, Device, Reading, Screen

VIEWERS = tuple(SEE_ALL | {Role.GRID_WORKER, Role.HANDLER})


def _stations(user: Any) -> list[dict[str, Any]]:
    """Each air station's latest hour, with its AQI."""
    rows = []
    stations = list(access.devices_for(Device.objects.filter(type=DeviceType.AIR), user).select_related("region"))
    hour = readings.latest_hour([d.pk for d in stations]) if stations else None
    for d in stations:
        result = readings.aqi_json(readings.hour_aqi(d.pk, hour)) if hour else None
        rows.append({"device": d, "aqi": result})
    return rows


def summary(user: Any) -> dict[str, Any]:
    devices = access.devices_for(Device.objects.all(), user)
    by_state = dict(devices.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    open_alarms = Alarm.objects.visible_to(user).open()
    hour = readings.latest_hour()
    town, reporting = readings.town_hour(hour) if hour else (None, 0)
    return {
        "devices": sum(by_state.values()),
        "online": by_state.get(DeviceState.ONLINE, 0),
        "offline": by_state.get(DeviceState.OFFLINE, 0),
        "fault": by_state.get(DeviceState.FAULT, 0),
        "alarms": open_alarms.count(),
        "fire": open_alarms.filter(rule__event="fire").count(),
        "unacknowledged": open_alarms.filter(status=AlarmState.RAISED).count(),
        "town": readings.aqi_json(town),
        "hour": hour,
        "reporting": reporting,
    }


@roles_required(*VIEWERS)
@never_cache
def monitor(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = access.devices_for(Device.objects.select_related("place", "grid"), user)
    kind = request.GET.get("type", "")[:16]
    state = request.GET.get("state", "")[:16]
    if kind in DeviceType.values:
        qs = qs.filter(type=kind)
    if state in DeviceState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs.order_by("type", "name", "id"), 30).get_page(request.GET.get("page"))
    latest = latest_of([d.pk for d in page.object_list])
    ctx = {
        "nav": "iot",
        "summary": summary(user),
        "alarms": [alarm_out(a) for a in alarm_rows(user)[:50]],
        # The fragment that refreshes every 10 s shows no station list: not computed for it.
        "stations": [] if request.headers.get("HX-Request") else _stations(user),
        "page": page,
        "rows": [{"d": d, "latest": [(factor(c), v) for c, v in sorted(latest.get(d.pk, {}).items())]} for d in page],
        "types": DeviceType.choices,
        "states": DeviceState.choices,
        "params": {"type": kind, "state": state},
        "verdicts": Verdict.choices,
        "may_ack": bool(set(roles_of(user)) & access.ACKNOWLEDGERS),
        "may_clear": bool(set(roles_of(user)) & access.CLEARERS),
        "tiles": tile_settings(),
        "now": clock.now(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "iot/_live.html", ctx)
    return render(request, "iot/monitor.html", ctx)


@roles_required(*VIEWERS)
@never_cache
def map_data(request: HttpRequest) -> JsonResponse:
    """Devices for the map: position, state, and whether an alarm is open on it."""
    qs = access.devices_for(Device.objects.select_related("place"), request.user)
    alarmed = set(Alarm.objects.visible_to(request.user).open().values_list("device_id", flat=True))
    out = []
    for d in qs:
        lon = d.lon if d.lon is not None else (d.place.lon if d.place else None)
        lat = d.lat if d.lat is not None else (d.place.lat if d.place else None)
        if lon is None or lat is None:
            continue
        out.append({"id": d.pk, "n": d.name, "t": d.type, "s": d.state, "a": d.pk in alarmed, "lon": lon, "lat": lat})
    return JsonResponse({"devices": out})


@roles_required(*VIEWERS)
def device(request: HttpRequest, pk: int) -> HttpResponse:
    d = access.devices_for(Device.objects.select_related("place", "grid", "region"), request.user).filter(pk=pk).first()
    if d is None:
        raise Http404
    latest = latest_of([d.pk]).get(d.pk, {})
    codes = sorted(latest)
    code = request.GET.get("code", "")
    if code not in codes:
        code = codes[0] if codes else ""
    now = clock.now()
    series = readings.series(d, code, now - timedelta(hours=24), now) if code else []
    hourly = readings.series(d, code, now - timedelta(days=7), now, "hour") if code else []
    ctx = {
        "nav": "iot",
        "d": d,
        "latest": [(factor(c), latest[c]) for c in codes],
        "code": factor(code) if code else None,
        "chart": {
            "name": str(FACTORS.get(code, code)),
            "unit": UNITS.get(code, ""),
            "points": [[r["at"].isoformat(), r.get("value")] for r in series if r.get("kind") != "hour"],
            "hours": [[r["at"].isoformat(), r.get("avg")] for r in hourly],
            "day_hours": [[r["at"].isoformat(), r.get("avg")] for r in hourly if r["at"] >= now - timedelta(hours=24)],
            "labels": {"rtd": _("实时"), "hour": _("小时均值")},
        },
        "alarms": [
            alarm_out(a)
            for a in Alarm.objects.visible_to(request.user)
            .filter(device=d)
            .select_related("device__place", "rule", "case")[:30]
        ],
        "aqi": readings.aqi_json(readings.hour_aqi(d.pk, readings.latest_hour([d.pk]) or now))
        if d.type == DeviceType.AIR
        else None,
    }
    return render(request, "iot/device.html", ctx)


@roles_required(*VIEWERS)
def alarm(request: HttpRequest, pk: int) -> HttpResponse:
    a = Alarm.objects.visible_to(request.user).select_related("device__place", "rule", "case").filter(pk=pk).first()
    if a is None:
        raise Http404
    if request.method == "POST":
        return _act(request, a)
    roles = set(roles_of(request.user))
    ctx = {
        "nav": "iot",
        "a": alarm_out(a),
        "obj": a,
        "timeline": ObjectTransition.objects.filter(workflow="alarm", object_id=str(a.pk)).order_by("seq"),
        "verdicts": Verdict.choices,
        "may_ack": bool(roles & access.ACKNOWLEDGERS) and not a.verdict,
        "may_clear": bool(roles & access.CLEARERS) and a.status != AlarmState.CLEARED,
        "case": Case.objects.filter(pk=a.case_id).first() if a.case_id else None,
    }
    return render(request, "iot/alarm.html", ctx)


def _act(request: HttpRequest, a: Alarm) -> HttpResponse:
    """确认 or 解除 from a page (post, then redirect back, with the result as a message)."""
    action = request.POST.get("action", "")
    try:
        version = int(request.POST.get("version", "0"))
        if action == "acknowledge":
            verdict = request.POST.get("verdict", "")
            if verdict not in Verdict.values:
                raise ValueError
            alarms.acknowledge(
                a.pk, actor=request.user, version=version, verdict=verdict, note=request.POST.get("note", "")[:500]
            )
            messages.success(request, _("已确认告警：%(v)s") % {"v": Verdict(verdict).label})
        elif action == "clear":
            reason = request.POST.get("reason", "").strip()[:200]
            if not reason:
                messages.error(request, _("请填写解除原因"))
            else:
                alarms.clear(a, reason="manual", note=reason, at=clock.now(), actor=request.user, version=version)
                messages.success(request, _("告警已解除"))
        else:
            raise ValueError
    except ValueError:
        messages.error(request, _("请求无效，请刷新后重试"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/iot/") else f"/iot/alarms/{a.pk}/")


# --- the LED screen -------------------------------------------------------------------------------------------------


def screen_data(s: Screen) -> dict[str, Any]:
    stations = list(s.stations.all()) or list(Device.objects.filter(type=DeviceType.AIR, region=s.region))
    hour = readings.latest_hour([d.pk for d in stations]) if stations else None
    air = []
    for d in stations:
        result = readings.aqi_json(readings.hour_aqi(d.pk, hour)) if hour else None
        pm = (
            Reading.objects.filter(device=d, kind="hour", at=hour, code="a34004")
            .values_list("value", flat=True)
            .first()
            if hour
            else None
        )
        air.append({"name": d.name, "aqi": result, "pm25": pm})
    fire = Device.objects.filter(region=s.region, type__in=FIRE_TYPES)
    units = fire.exclude(place=None).values("place").distinct().count()
    ours = Alarm.objects.filter(device__region=s.region, device__type__in=FIRE_TYPES)
    open_alarms = ours.open()
    # A fire is being dealt with while its case is open, even after the panel was reset.
    fires = (
        ours.filter(rule__event="fire")
        .filter(Q(status__in=[AlarmState.RAISED, AlarmState.ACKNOWLEDGED]) | Q(case_status__in=list(OPEN_STATES)))
        .exclude(verdict__in=["false", "test"])
    )
    return {
        "screen": s,
        "air": air,
        "hour": hour,
        "units": units,
        "fire_devices": fire.count(),
        "fire_online": fire.filter(state=DeviceState.ONLINE).count(),
        "fire_alarms": fires.count(),
        "other_alarms": open_alarms.exclude(rule__event="fire").count(),
        "now": clock.now(),
    }


@never_cache
def led(request: HttpRequest, token: str) -> HttpResponse:
    s = Screen.objects.select_related("region").filter(token=token, active=True).first()
    if s is None:
        raise Http404
    return render(request, "iot/led.html", screen_data(s))
