"""Patrol pages: the patroller's phone page (start, track, findings, stop — offline-safe), and the staff's
patrol register with the figures for any period, a patrol's track on the map, and the review of flagged ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jingwu.cases.models import Category
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.org.choices import Role
from jingwu.org.services import person_of
from jingwu.web.common import roles_required
from jingwu.web.views import tile_settings
from jingwu.workcal.services import get_calendar

from . import services, stats
from .choices import PatrolKind, Review
from .models import Patrol, Section

STAFF = (Role.SHIFT_LEAD, Role.LEADER, Role.DISPATCHER, Role.OPERATOR, Role.SUPERVISOR)


@never_cache
@roles_required(Role.GRID_WORKER, Role.RIVER_CHIEF)
def phone(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    targets: list[dict[str, Any]] = [
        {"kind": "river", "ref": s.code, "label": str(s), "geometry": s.geometry, "length_m": s.length_m}
        for s in services.sections_of(person)
    ]
    targets += [
        {"kind": "grid", "ref": g.code, "label": f"{g.name} {g.code}", "geometry": g.geometry}
        for g in services.grids_of(person).order_by("code")
    ]
    recent = list(Patrol.objects.filter(person=person).select_related("section__river", "grid")[:20])
    context = {
        "targets": targets,
        "recent": recent,
        "categories": [
            {"value": f"{c.kind}:{c.code}", "label": f"{c.code} {c.name}"}
            for c in Category.objects.filter(active=True).order_by("kind", "code")
        ],
        "tiles": tile_settings(),
        "patrol_text": {
            "waiting": _("等待发送"),
            "failed": _("被退回"),
            "saved": _("已保存，有信号后自动发送"),
            "discard": _("删除"),
            "confirm_discard": _("删除后这条内容不会再发送，确定删除吗？"),
            "confirm_end": _("结束本次巡查？"),
            "full": _("待发送的内容已达上限（%(mb)s MB），请到有信号的地方先发送") % {"mb": settings.JINGWU_OUTBOX_MB},
            "relogin": _("登录已过期：重新登录后自动发送"),
            "later": _("服务器暂时不可用，稍后自动重发"),
            "start": _("开始巡查"),
            "track": _("轨迹"),
            "end": _("结束巡查"),
            "finding": _("巡查发现"),
            "found": _("已上报"),
            "ended": _("巡查已结束"),
            "ending": _("巡查已结束，正在发送"),
            "describe": _("请描述发现的问题"),
            "no_gps": _("未获得定位：请打开手机定位"),
            "waiting_gps": _("正在定位…"),
            "gps_ok": _("定位正常"),
        },
        "photo_settings": {
            "long_side": settings.JINGWU_PHOTO_LONG_SIDE,
            "quality": settings.JINGWU_PHOTO_QUALITY,
            "outbox_bytes": settings.JINGWU_OUTBOX_MB * 1024 * 1024,
        },
    }
    return render(request, "patrols/phone.html", context)


SHELL = [
    "/patrols/m/",
    "/static/weui/style/weui.min.css",
    "/static/web/mobile.css",
    "/static/web/outbox.js",
    "/static/web/photo.js",
    "/static/web/map.js",
    "/static/web/map.css",
    "/static/patrols/patrol.js",
    "/static/htmx/htmx.min.js",
    "/static/leaflet/leaflet.js",
    "/static/leaflet/leaflet.css",
]


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The patrol page opens on a river bank without signal: the last copy of the page and its assets."""
    from jingwu.web.phone import service_worker_script

    response = HttpResponse(
        service_worker_script("jingwu-patrol-v2", "/patrols/m/", SHELL), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/patrols/m/"
    return response


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


@roles_required(*STAFF)
def register(request: HttpRequest) -> HttpResponse:
    """Every patrol of a period, with the figures by river, person, grid or month; flagged tracks first to review."""
    tz = get_calendar().tz
    today = clock.now().astimezone(tz).date()
    start = _day(request.GET.get("from"), today.replace(month=1, day=1))
    end = _day(request.GET.get("to"), today)
    kind = request.GET.get("kind") or ""
    by = request.GET.get("by") or ("river" if kind == PatrolKind.RIVER else "person")
    if by not in stats.SLICES:
        by = "person"
    qs = stats.period(
        services.visible_patrols(request.user),
        datetime.combine(start, time.min, tz),
        datetime.combine(end + timedelta(days=1), time.min, tz),
    )
    if kind in PatrolKind.values:
        qs = qs.filter(kind=kind)
    flagged = list(qs.filter(review=Review.PENDING).order_by("-started_at")[:50])
    page = Paginator(qs.order_by("-started_at", "-id"), 50).get_page(request.GET.get("page"))
    context = {
        "rows": stats.figures(qs, by),
        "total": next(iter(stats.figures(qs, "total")), None),
        "page": page,
        "flagged": flagged,
        "by": by,
        "slices": [
            ("person", _("人员")),
            ("river", _("河道")),
            ("section", _("河段")),
            ("grid", _("网格")),
            ("region", _("村/社区")),
            ("month", _("月份")),
        ],
        "kind": kind,
        "kinds": PatrolKind.choices,
        "start": start,
        "end": end,
        "sections": Section.objects.count(),
        "nav": "patrols",
    }
    return render(request, "patrols/register.html", context)


@roles_required(*STAFF, Role.GRID_WORKER, Role.RIVER_CHIEF)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = services.visible_patrols(request.user).filter(pk=pk).first()
    if p is None:
        raise Http404
    rows = sorted(services.track(p), key=lambda r: r[0])
    target = p.target
    context = {
        "p": p,
        "flags": p.flags,
        "may_review": bool(p.flags) and any(r in services.REVIEWERS for r in services.resolve(request.user).roles),
        "checkins": p.checkins.select_related("checkpoint").order_by("at"),
        "findings": p.findings.select_related("case", "case__category"),
        "map": {
            "target": target.geometry if target is not None else None,
            "kind": p.kind,
            "track": [[r[1], r[2]] for r in rows],
            "findings": [
                {"lon": f.case.lon, "lat": f.case.lat, "number": f.case.number}
                for f in p.findings.select_related("case")
                if f.case.lon is not None
            ],
        },
        "tiles": tile_settings(),
        "nav": "patrols",
    }
    return render(request, "patrols/detail.html", context)


@require_POST
@roles_required(Role.SHIFT_LEAD, Role.LEADER)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    p = services.visible_patrols(request.user).filter(pk=pk).first()
    if p is None:
        raise Http404
    try:
        services.review(
            actor=request.user, patrol=p, accept=request.POST.get("accept") == "1", note=request.POST.get("note", "")
        )
        messages.success(request, _("审核意见已保存"))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("patrols:detail", pk=p.pk)
