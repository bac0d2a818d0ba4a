"""The citizen's pages: report, receipt, tracking, and the public map. No staff names, no personal data."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.audit.middleware import client_ip
from jingwu.cases import services
from jingwu.cases.choices import Action, AttachmentKind, Satisfaction, State
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


# An icon (Tabler's icon font) for each public category: by a word in its name, else by its 大类.
ICON_WORDS = (
    ("井盖", "circle-dashed"),
    ("垃圾", "trash"),
    ("广告", "ad-2"),
    ("路灯", "bulb"),
    ("信号灯", "traffic-lights"),
    ("标志", "sign-right"),
    ("护栏", "fence"),
    ("树", "tree"),
    ("绿", "tree"),
    ("水", "droplet"),
    ("河", "droplet"),
    ("油烟", "flame"),
    ("消防", "flame"),
    ("噪", "volume"),
    ("扬尘", "barrier-block"),
    ("建设", "home-x"),
    ("私搭", "home-x"),
    ("占道", "building-store"),
    ("停放", "car"),
    ("道路", "road"),
    ("厕所", "wash-dry"),
    ("公交", "bike"),
    ("监控", "camera"),
    ("健身", "bike"),
    ("隐患", "alert-triangle"),
    ("告警", "alert-triangle"),
)
ICON_MAJORS = (
    ("交通", "traffic-lights"),
    ("园林", "tree"),
    ("市容", "trash"),
    ("市政", "tool"),
    ("施工", "barrier-block"),
)


def icon_for(category: Category) -> str:
    for word, icon in ICON_WORDS:
        if word in category.name:
            return icon
    for word, icon in ICON_MAJORS:
        if word in category.major_name:
            return icon
    return "dots"


def public_categories() -> list[Category]:
    found = list(Category.objects.filter(is_public=True, active=True).order_by("kind", "code"))
    for c in found:
        c.icon = icon_for(c)  # type: ignore[attr-defined]
    return found


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
            "photo_settings": photo_settings(),
        },
    )


def photo_settings() -> dict[str, int]:
    return {"long_side": settings.JINGWU_PHOTO_LONG_SIDE, "quality": settings.JINGWU_PHOTO_QUALITY}


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
            description = post.get("description", "").strip()
            if not description and post.get("category"):
                # Three taps are enough: a report without words says what its category says.
                chosen = refs().find_category(post["category"])
                description = chosen.name if chosen is not None else ""
            result = services.report_case(
                actor=actor or AnonymousUser(),
                lon=lon,
                lat=lat,
                description=description,
                category=post.get("category") or None,
                address=post.get("address", "")[:200],
                reporter_name=post.get("name", "")[:64],
                reporter_phone=post.get("phone", "")[:32],
                client_key=post.get("client_key") or None,
                photos=_photos(request),
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
        "photo_settings": photo_settings(),
    }
    return render(request, "web/public.html", context, status=400)


def _case_for(number: str, code: str) -> Case | None:
    case = Case.objects.filter(number=number.strip()).first()
    if case is None or not code or not secrets.compare_digest(case.tracking_code, code.strip()):
        return None
    return case


# Wrong tracking codes allowed per client address and per case number before lookups are refused.
TRACK_FAILURES, TRACK_WINDOW = 20, 15 * 60


class Throttled(Exception):
    pass


def checked(request: HttpRequest, number: str, code: str) -> Case | None:
    """The case a number and tracking code name, with every wrong code counted against the client's address
    and the number: the same limit on every page that takes a code (track, receipt, rating, photos, status)."""
    number = number.strip()[:32]
    keys = [f"track-ip:{client_ip(request)}", f"track-number:{number}"]
    if any(throttle.blocked(k, TRACK_FAILURES) for k in keys):
        raise Throttled
    case = _case_for(number, code[:32])
    if case is None:
        for k in keys:
            throttle.fail(k, TRACK_WINDOW)
    return case


def _too_many(request: HttpRequest, number: str = "") -> HttpResponse:
    return render(request, "web/track.html", {"error": _("查询过于频繁，请稍后再试"), "number": number}, status=429)


def public_timeline(case: Case) -> list[dict[str, Any]]:
    return [
        {"at": t.at, "text": public_text(t.public_note), "action": Action(t.action).label}
        for t in case.transitions.exclude(public_note="").order_by("seq")
    ]


def _photos(request: HttpRequest) -> list[Any]:
    from jingwu.cases.api import attach_photo_meta

    photos = request.FILES.getlist("photos")[:3]
    attach_photo_meta(photos, request.POST.get("photo_meta", ""))
    return photos


def tracking_url(request: HttpRequest, case: Case) -> str:
    return request.build_absolute_uri(
        f"{reverse('web:track')}?{urlencode({'number': case.number, 'code': case.tracking_code})}"
    )


def receipt(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = checked(request, number, request.GET.get("code", ""))
    except Throttled:
        return _too_many(request, number)
    if case is None:
        return render(request, "web/track.html", {"error": _("编号或查询码不正确")}, status=404)
    url = tracking_url(request, case)
    r = refs()
    cat = r.categories.get(case.category_id) if case.category_id else None
    context = {
        "case": case,
        "url": url,
        "qr": segno.make(url, error="m").svg_inline(scale=4, dark="#1f2933"),
        "category": cat[2] if cat else "",
    }
    return render(request, "web/receipt.html", context)


def track(request: HttpRequest) -> HttpResponse:
    number, code = request.GET.get("number", "")[:32], request.GET.get("code", "")[:32]
    if not number:
        return render(request, "web/track.html", {})
    try:
        case = checked(request, number, code)
    except Throttled:
        return _too_many(request, number)
    if case is None:
        return render(request, "web/track.html", {"error": _("编号或查询码不正确"), "number": number}, status=404)
    return render(request, "web/track.html", track_context(case, code))


def track_context(case: Case, code: str, **extra: Any) -> dict[str, Any]:
    r = refs()
    cat = r.categories.get(case.category_id) if case.category_id else None
    merged = case.merged_into.number if case.merged_into_id and case.merged_into else None
    closed = case.status == State.CLOSED
    return {
        "case": case,
        "number": case.number,
        "code": code,
        "status": _(PUBLIC_STATUS[State(case.status)]),
        "category": cat[2] if cat else "",
        "timeline": public_timeline(case),
        "merged": merged,
        "result": handling_result(case) if closed else "",
        "after": after_photos(case) if closed else [],
        "may_rate": closed and case.rated_at is None and case.source in services.RATED_SOURCES,
        "ratings": Satisfaction.choices,
        **extra,
    }


# What the public may see of how a case was handled, once it is closed: the department's photos of the result.
AFTER_PHOTOS = (AttachmentKind.FEEDBACK, AttachmentKind.AFTER)


def after_photos(case: Case) -> list[Any]:
    """The photos of the last round of handling (a case reworked or reopened had earlier ones)."""
    last = (
        case.transitions.filter(action__in=[Action.FEEDBACK, Action.SELF_RESOLVE], attachments__kind__in=AFTER_PHOTOS)
        .order_by("-seq")
        .first()
    )
    return list(last.attachments.filter(kind__in=AFTER_PHOTOS).order_by("id")[:6]) if last else []


def handling_result(case: Case) -> str:
    """The handling result in words: what the department wrote for the public at feedback (or the standard
    note), else how the case was closed."""
    step = case.transitions.filter(action__in=[Action.FEEDBACK, Action.SELF_RESOLVE]).exclude(public_note="")
    last = step.order_by("-seq").first()
    return public_text(last.public_note) if last else _("已办结")


def rate(request: HttpRequest) -> HttpResponse:
    """The reporter's rating after closure, with the tracking code as proof that it is theirs."""
    if request.method != "POST":
        return redirect("web:track")
    number, code = request.POST.get("number", "")[:32], request.POST.get("code", "")[:32]
    try:
        case = checked(request, number, code)
    except Throttled:
        return _too_many(request, number)
    if case is None:
        return render(request, "web/track.html", {"error": _("编号或查询码不正确"), "number": number}, status=404)
    actor = request.user if request.user.is_authenticated and role_of(request.user) == Role.PUBLIC else None
    try:
        services.rate_case(
            case.pk, rating=request.POST.get("rating", ""), note=request.POST.get("note", ""), actor=actor
        )
    except ServiceError as exc:
        return render(request, "web/track.html", track_context(case, code, rate_error=exc.message), status=exc.status)
    return redirect(f"{reverse('web:track')}?{urlencode({'number': number, 'code': code, 'rated': 1})}")


def public_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of the result of a closed case, for whoever holds its tracking code; 320 px, no EXIF."""
    from django.core.files.storage import default_storage
    from django.http import Http404

    from jingwu.cases.models import Attachment
    from jingwu.cases.photos import thumbnail

    att = Attachment.objects.filter(pk=pk, kind__in=AFTER_PHOTOS).select_related("case").first()
    try:
        case = checked(request, request.GET.get("number", ""), request.GET.get("code", ""))
    except Throttled:
        raise Http404(_("未找到")) from None
    if att is None or case is None or case.pk != att.case_id or case.status != State.CLOSED:
        raise Http404(_("未找到"))
    if att.pk not in {p.pk for p in after_photos(case)}:
        raise Http404(_("未找到"))
    response = FileResponse(default_storage.open(thumbnail(att), "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def mine(request: HttpRequest) -> HttpResponse:
    """我的反映: the reports made on this device, kept in the browser (no account), with their state."""
    return render(request, "web/public_mine.html", {})


def status_json(request: HttpRequest) -> JsonResponse:
    """The state of the reports this device remembers: ``?q=number:code,number:code`` (at most 20)."""
    out = []
    for pair in request.GET.get("q", "").split(",")[:20]:
        number, _sep, code = pair.partition(":")
        try:
            case = checked(request, number, code)
        except Throttled:
            return JsonResponse({"error": {"code": "throttled", "message": _("查询过于频繁，请稍后再试")}}, status=429)
        if case is not None:
            out.append(
                {
                    "number": case.number,
                    "status": _(PUBLIC_STATUS[State(case.status)]),
                    "closed": case.status == State.CLOSED,
                    "rated": case.rated_at is not None,
                }
            )
    return JsonResponse({"cases": out})


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
