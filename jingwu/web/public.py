"""The citizen's pages: report, receipt, tracking, and the public map. No staff names, no personal data."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.audit.middleware import client_ip
from jingwu.cases import services
from jingwu.cases.choices import Action, State
from jingwu.cases.models import Case, Category
from jingwu.cases.notes import public_text
from jingwu.cases.refs import refs
from jingwu.cases.serializers import public_point
from jingwu.geo.services import place_from_text
from jingwu.lib import clock, throttle
from jingwu.lib.errors import ServiceError
from jingwu.org.choices import Role
from jingwu.org.services import role_of

from .views import tile_settings

PUBLIC_STATUS = {
    State.REPORTED: gettext_noop("已收到"),
    State.VERIFYING: gettext_noop("核实中"),
    State.TO_FILE: gettext_noop("核实中"),
    State.TO_DISPATCH: gettext_noop("已受理"),
    State.HANDLING: gettext_noop("处理中"),
    State.RETURNED: gettext_noop("处理中"),
    State.TO_CHECK: gettext_noop("处理中"),
    State.TO_CLOSE: gettext_noop("处理中"),
    State.SUSPENDED: gettext_noop("列入长期整治"),
    State.CLOSED: gettext_noop("已办结"),
    State.VOIDED: gettext_noop("不予受理"),
    State.MERGED: gettext_noop("已合并办理"),
}


def public_categories() -> list[Category]:
    return list(Category.objects.filter(is_public=True, active=True).order_by("kind", "code"))


def public(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/public.html",
        {
            "categories": public_categories(),
            "client_key": secrets.token_hex(16),
            "tiles": tile_settings(),
            "form": {},
            "error": None,
        },
    )


def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("web:public")
    post = request.POST
    actor = request.user if request.user.is_authenticated else None
    if actor is not None and role_of(actor) not in (Role.PUBLIC,):
        actor = None  # staff use their own pages; here they report as a member of the public
    error = None
    lon = lat = None
    try:
        if post.get("lon") and post.get("lat"):
            lon, lat = float(post["lon"]), float(post["lat"])
        else:
            place = place_from_text(post.get("address", ""))
            if place is None:
                raise ValueError
            lon, lat = place
    except ValueError:
        error = _("请在地图上点选位置，或在地址中写明所在村/社区")
    if error is None:
        assert lon is not None and lat is not None
        try:
            result = services.report_case(
                actor=actor or AnonymousUser(),
                lon=lon,
                lat=lat,
                description=post.get("description", ""),
                category=post.get("category") or None,
                address=post.get("address", "")[:200],
                reporter_name=post.get("name", "")[:64],
                reporter_phone=post.get("phone", "")[:32],
                client_key=post.get("client_key") or None,
                photos=request.FILES.getlist("photos")[:3],
                source="public",
            )
            url = reverse("web:receipt", args=[result.case.number])
            return redirect(f"{url}?code={result.case.tracking_code}")
        except ServiceError as exc:
            error = exc.message
    context = {
        "categories": public_categories(),
        "client_key": post.get("client_key") or secrets.token_hex(16),
        "tiles": tile_settings(),
        "form": post,
        "error": error,
    }
    return render(request, "web/public.html", context, status=400)


def _case_for(number: str, code: str) -> Case | None:
    case = Case.objects.filter(number=number.strip()).first()
    if case is None or not code or not secrets.compare_digest(case.tracking_code, code.strip()):
        return None
    return case


def public_timeline(case: Case) -> list[dict[str, Any]]:
    return [
        {"at": t.at, "text": public_text(t.public_note), "action": Action(t.action).label}
        for t in case.transitions.exclude(public_note="").order_by("seq")
    ]


def receipt(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for(number, request.GET.get("code", ""))
    if case is None:
        return render(request, "web/track.html", {"error": _("编号或查询码不正确")}, status=404)
    return render(request, "web/receipt.html", {"case": case})


# Wrong tracking codes allowed per client address and per case number before lookups are refused.
TRACK_FAILURES, TRACK_WINDOW = 20, 15 * 60


def track(request: HttpRequest) -> HttpResponse:
    number, code = request.GET.get("number", "")[:32], request.GET.get("code", "")[:32]
    if not number:
        return render(request, "web/track.html", {})
    keys = [f"track-ip:{client_ip(request)}", f"track-number:{number}"]
    if any(throttle.blocked(k, TRACK_FAILURES) for k in keys):
        error = _("查询过于频繁，请稍后再试")
        return render(request, "web/track.html", {"error": error, "number": number}, status=429)
    case = _case_for(number, code)
    if case is None:
        for k in keys:
            throttle.fail(k, TRACK_WINDOW)
        return render(request, "web/track.html", {"error": _("编号或查询码不正确"), "number": number}, status=404)
    r = refs()
    cat = r.categories.get(case.category_id) if case.category_id else None
    merged = case.merged_into.number if case.merged_into_id and case.merged_into else None
    return render(
        request,
        "web/track.html",
        {
            "case": case,
            "number": number,
            "code": code,
            "status": _(PUBLIC_STATUS[State(case.status)]),
            "category": cat[2] if cat else "",
            "timeline": public_timeline(case),
            "merged": merged,
        },
    )


def public_map(request: HttpRequest) -> HttpResponse:
    return render(request, "web/public_map.html", {"tiles": tile_settings()})


def public_map_data(request: HttpRequest) -> JsonResponse:
    since = clock.now() - timedelta(days=90)
    r = refs()
    rows = (
        Case.objects.visible_to(AnonymousUser())
        .filter(reported_at__gte=since, lon__isnull=False)
        .order_by("-id")
        .values_list("number", "category_id", "status", "lon", "lat", "reported_at")[:3000]
    )
    cases = [
        {
            "n": n,
            "c": r.categories[c][2] if c else "",
            "s": _(PUBLIC_STATUS[State(s)]),
            "closed": s in (State.CLOSED, State.MERGED),
            "lon": public_point(lon, lat)[0],
            "lat": public_point(lon, lat)[1],
            "at": at.isoformat(),
        }
        for n, c, s, lon, lat, at in rows
    ]
    return JsonResponse({"cases": cases})
