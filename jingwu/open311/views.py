"""GeoReport v2 over the case engine. Cases enter and move only through ``jingwu.cases.services``."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from jingwu.cases import services
from jingwu.cases.choices import AttachmentKind, State
from jingwu.cases.models import Attachment, Case, Category, Transition
from jingwu.cases.notes import public_text
from jingwu.cases.refs import refs
from jingwu.cases.serializers import public_point
from jingwu.geo.services import place_from_text
from jingwu.lib import clock, coords, text
from jingwu.lib.errors import ServiceError
from jingwu.org import actors

from . import render
from .mapping import STATUS, extended_status
from .media import fetch_media
from .models import ApiKey, Datatype, ServiceAttribute, ServiceRequest

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def endpoint(methods: tuple[str, ...]) -> Callable[..., Any]:
    """Format check, one error shape, and method dispatch for every resource."""

    def wrap(fn: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        def view(request: HttpRequest, fmt: str, **kw: Any) -> HttpResponseBase:
            if fmt not in render.CONTENT_TYPES:
                return render.error("json", 404, f"unknown format .{fmt}; use .xml or .json")
            if request.method not in methods:
                return render.error(fmt, 405, f"method {request.method} not allowed")
            try:
                return fn(request, fmt, **kw)
            except Open311Error as exc:
                return render.error(fmt, exc.status, exc.description)
            except ServiceError as exc:
                return render.error(fmt, 403 if exc.status == 403 else 400, exc.message)

        view.__name__ = fn.__name__
        return view

    return wrap


def param(request: HttpRequest, name: str) -> str:
    """A parameter from the query string or the form body; an empty value means absent."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value in (None, ""):
        value = request.GET.get(name, "")
    value = (value or "").strip()
    if text.ILLEGAL.search(value):
        raise bad(f"{name} contains control characters")
    return value


def parse_dt(name: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace(" ", "+") if value.count(" ") == 1 and "T" in value else value)
    except ValueError as exc:
        raise bad(f"{name} is not an ISO-8601 datetime: {value!r}") from exc
    if dt.tzinfo is None:
        raise bad(f"{name} needs a time zone (e.g. 2026-11-27T09:00:00+08:00)")
    if not 1970 <= dt.year <= 2999:
        raise bad(f"{name} must fall between the years 1970 and 2999")
    return dt


def service_code(category: Category) -> str:
    return f"{category.kind}-{category.code}"


def public_categories() -> list[Category]:
    return list(Category.objects.filter(is_public=True, active=True).order_by("kind", "code"))


def category_for(code: str) -> Category | None:
    kind, _, number = code.partition("-")
    return Category.objects.filter(kind=kind, code=number, is_public=True, active=True).first()


def authenticate(request: HttpRequest) -> ApiKey:
    key = param(request, "api_key")
    if not key:
        raise Open311Error(403, "api_key is required")
    found = ApiKey.objects.filter(digest=hashlib.sha256(key.encode()).hexdigest(), active=True).first()
    if found is None:
        raise Open311Error(403, "api_key is not valid or has been revoked")
    now = clock.now()
    # Recorded at most once a minute: a write per request would cost more than the request itself.
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
    return found


# --- discovery and services -------------------------------------------------------------------------


def _changeset() -> datetime:
    latest = ServiceAttribute.objects.aggregate(m=Max("updated_at"))["m"]
    return latest or datetime.fromisoformat("2026-01-01T00:00:00+08:00")


@endpoint(("GET",))
def discovery(request: HttpRequest, fmt: str) -> HttpResponseBase:
    base = request.build_absolute_uri("/open311/v2/")
    changeset = _changeset()
    payload = {
        "changeset": changeset,
        "contact": getattr(settings, "JINGWU_OPEN311_CONTACT", gettext("网格化管理中心")),
        "key_service": "API keys are issued by the platform administrator (admin → Open311 API 密钥).",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(fmt, "discovery", None, payload)


@endpoint(("GET",))
def service_list(request: HttpRequest, fmt: str) -> HttpResponseBase:
    with_attributes = set(ServiceAttribute.objects.values_list("category_id", flat=True))
    rows = [
        {
            "service_code": service_code(c),
            "service_name": c.name,
            "description": f"{c.name} / {c.name_en}" if c.name_en else c.name,
            "metadata": c.pk in with_attributes,
            "type": "realtime",
            "keywords": c.keywords,
            "group": c.major_name,
        }
        for c in public_categories()
    ]
    return render.respond(fmt, "services", "service", rows)


def attribute_dict(a: ServiceAttribute) -> dict[str, Any]:
    return {
        "variable": a.variable,
        "code": a.code,
        "datatype": a.datatype,
        "required": a.required,
        "datatype_description": a.datatype_description,
        "order": a.order,
        "description": a.description,
        "values": [
            {"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))}
            for v in a.values
            if isinstance(v, dict)
        ],
    }


@endpoint(("GET",))
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponseBase:
    category = category_for(code)
    if category is None:
        raise Open311Error(404, f"no service with code {code}")
    attrs = [attribute_dict(a) for a in ServiceAttribute.objects.filter(category=category).order_by("order", "id")]
    return render.respond(fmt, "service_definition", None, {"service_code": code, "attributes": attrs})


# --- requests ---------------------------------------------------------------------------------------


def _attributes(request: HttpRequest, category: Category) -> dict[str, Any]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v`` validated against the service definition."""
    source = request.POST if request.method == "POST" else request.GET
    given: dict[str, list[str]] = {}
    for key in source:
        if key.startswith("attribute[") and key.endswith("]"):
            code = key[len("attribute[") :].split("]", 1)[0]
            values = [v for v in source.getlist(key) if v != ""]
            if values:
                given.setdefault(code, []).extend(values)
    defined = {a.code: a for a in ServiceAttribute.objects.filter(category=category)}
    unknown = sorted(set(given) - set(defined))
    if unknown:
        raise bad(f"unknown attribute {', '.join(unknown)} for service {service_code(category)}")
    answers: dict[str, Any] = {}
    for code, attr in defined.items():
        values = given.get(code, [])
        if not values:
            if attr.required and attr.variable:
                raise bad(f"attribute {code} is required")
            continue
        if attr.datatype == Datatype.MULTI:
            bad_values = [v for v in values if v not in attr.value_keys()]
            if bad_values:
                raise bad(f"attribute {code}: unknown value {', '.join(bad_values)}")
            answers[code] = values
            continue
        if len(values) > 1:
            raise bad(f"attribute {code} takes one value")
        value = values[0]
        if attr.datatype == Datatype.SINGLE and value not in attr.value_keys():
            raise bad(f"attribute {code}: unknown value {value}")
        if attr.datatype == Datatype.NUMBER:
            try:
                float(value)
            except ValueError as exc:
                raise bad(f"attribute {code} must be a number") from exc
        if attr.datatype == Datatype.DATETIME:
            parse_dt(f"attribute {code}", value)
        answers[code] = value
    return answers


def _location(request: HttpRequest) -> tuple[float, float, str]:
    lat, lon = param(request, "lat"), param(request, "long")
    address = param(request, "address_string")
    address_id = param(request, "address_id")
    if lat or lon:
        try:
            flat, flon = float(lat), float(lon)
        except ValueError as exc:
            raise bad("lat and long must both be numbers") from exc
        if not (-90 <= flat <= 90 and -180 <= flon <= 180):
            raise bad("lat or long out of range")
        return flon, flat, address
    if address or address_id:
        place = place_from_text(address or address_id)
        if place is not None:
            return place[0], place[1], address
        raise bad("address_string names no village or community of this jurisdiction; send lat and long")
    raise bad("a location is required: lat and long, address_string or address_id")


def create_request(request: HttpRequest, fmt: str) -> HttpResponseBase:
    key = authenticate(request)
    code = param(request, "service_code")
    if not code:
        raise bad("service_code is required")
    category = category_for(code)
    if category is None:
        raise bad(f"unknown service_code {code}")
    description = param(request, "description")
    if len(description) > 4000:
        raise bad("description is longer than 4000 characters")
    lon, lat, address = _location(request)
    answers = _attributes(request, category)
    photos: list[Any] = list(request.FILES.getlist("media"))
    media_url = param(request, "media_url")
    if media_url and (urlsplit(media_url).scheme not in ("http", "https") or len(media_url) > 1000):
        raise bad("media_url must be an http(s) URL of at most 1000 characters")
    name = " ".join(p for p in (param(request, "first_name"), param(request, "last_name")) if p)
    idem = param(request, "idempotency_key") or request.headers.get("Idempotency-Key", "")
    client_key = f"o311:{key.pk}:{hashlib.sha256(idem.encode()).hexdigest()[:40]}" if idem else None
    with transaction.atomic():
        result = services.report_case(
            actor=actors.OPEN311,
            lon=lon,
            lat=lat,
            crs=coords.CRS.WGS84,
            category=category,
            description=description or category.name,
            source="open311",
            source_detail=key.name,
            address=address,
            reporter_name=name,
            reporter_phone=param(request, "phone"),
            client_key=client_key,
            photos=photos,
        )
        details = {
            "api_key": key,
            "token": secrets.token_hex(8),
            "attributes": answers,
            "email": param(request, "email")[:254],
            "device_id": param(request, "device_id")[:128],
            "account_id": param(request, "account_id")[:128],
            "media_url": media_url[:1000],
        }
        if result.created:
            info = ServiceRequest.objects.create(case=result.case, **details)
            if media_url and not photos:
                # Fetched later by the task worker, under limits (open311/media.py); never during the request.
                case_id = result.case.pk
                transaction.on_commit(lambda: fetch_media.enqueue(case_id, media_url))
        else:
            info, _ = ServiceRequest.objects.get_or_create(case=result.case, defaults=details)
    row = {
        "service_request_id": result.case.number,
        "token": info.token,
        "service_notice": "",
        "account_id": info.account_id or None,
    }
    return render.respond(fmt, "service_requests", "request", [row], status=201 if result.created else 200)


@dataclass
class Step:
    at: datetime
    public_note: str
    to_state: str
    reason: str


def public_history(case_ids: list[int]) -> tuple[dict[int, list[Step]], dict[int, int]]:
    """Public steps and the first report photo of many cases, in two flat queries (no model objects)."""
    steps: dict[int, list[Step]] = {}
    rows = (
        Transition.objects.filter(case_id__in=case_ids)
        .exclude(public_note="")
        .order_by("case_id", "seq")
        .values_list("case_id", "at", "public_note", "to_state", "reason")
    )
    for case_id, at, note, to_state, reason in rows:
        steps.setdefault(case_id, []).append(Step(at, note, to_state, reason))
    photos: dict[int, int] = {}
    for case_id, att_id in (
        Attachment.objects.filter(case_id__in=case_ids, kind=AttachmentKind.REPORT)
        .order_by("id")
        .values_list("case_id", "id")
    ):
        photos.setdefault(case_id, att_id)
    return steps, photos


ROW_FIELDS = ("id", "number", "status", "department_id", "category_id", "description", "reported_at", "updated_at",
              "handling_deadline", "address", "lon", "lat")


def request_row(case: Any, public: list[Step], photo_id: int | None, extensions: bool, base: str) -> dict[str, Any]:
    """One service request from a mapping of ``ROW_FIELDS``."""
    r = refs()
    tz = _tz()
    dept_id, cat_id, deadline = case["department_id"], case["category_id"], case["handling_deadline"]
    dept = r.departments.get(dept_id) if dept_id else None
    cat = r.categories.get(cat_id) if cat_id else None
    lon, lat = public_point(case["lon"], case["lat"])
    row: dict[str, Any] = {
        "service_request_id": case["number"],
        "status": STATUS[case["status"]],
        "status_notes": public_text(public[-1].public_note) if public else None,
        "service_name": cat[2] if cat else None,
        "service_code": f"{cat[0]}-{cat[1]}" if cat else None,
        "description": case["description"],
        "agency_responsible": dept[1] if dept else None,
        "service_notice": None,
        "requested_datetime": case["reported_at"].astimezone(tz),
        "updated_datetime": case["updated_at"].astimezone(tz),
        "expected_datetime": deadline.astimezone(tz) if deadline else None,
        "address": case["address"] or None,
        "address_id": None,
        "zipcode": None,
        # The same rounding as every public output (serializers.public_point).
        "lat": lat,
        "long": lon,
        "media_url": f"{base}media/{photo_id}" if photo_id else None,
    }
    if extensions:
        row["extended_status"] = extended_status(case["status"], public[-1].reason if public else "")
        row["notes"] = [
            {
                "datetime": t.at.astimezone(tz),
                "description": public_text(t.public_note),
                "type": extended_status(t.to_state, t.reason),
            }
            for t in public
        ]
    return row


def with_summary(qs: Any) -> Any:
    """A list without ``extensions`` needs of each case's history only its latest public note and its first
    report photo: two correlated look-ups in the list's own statement (each a few index entries of that case)
    instead of two more queries that read every public step of the page."""
    notes = Transition.objects.filter(case=OuterRef("pk")).exclude(public_note="").order_by("-seq")
    photos = Attachment.objects.filter(case=OuterRef("pk"), kind=AttachmentKind.REPORT).order_by("id")
    return qs.annotate(
        last_note=Subquery(notes.values("public_note")[:1]), first_photo=Subquery(photos.values("id")[:1])
    )


def rows_for(cases: list[dict[str, Any]], extensions: bool, base: str) -> list[dict[str, Any]]:
    if cases and not extensions and "last_note" in cases[0]:
        return [
            request_row(c, [Step(c["reported_at"], c["last_note"], "", "")] if c["last_note"] else [],
                        c["first_photo"], False, base)
            for c in cases
        ]  # fmt: skip
    steps, photos = public_history([c["id"] for c in cases]) if cases else ({}, {})
    return [request_row(c, steps.get(c["id"], []), photos.get(c["id"]), extensions, base) for c in cases]


def _tz() -> Any:
    from jingwu.workcal.services import get_calendar

    return get_calendar().tz


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponseBase:
    qs = Case.objects.visible_to(AnonymousUser())
    ids = [i for i in param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        qs = qs.filter(number__in=[i.strip() for i in ids])
    else:
        codes = [c.strip() for c in param(request, "service_code").split(",") if c.strip()]
        if codes:
            cond = Q()
            for code in codes:
                kind, _, number = code.partition("-")
                cond |= Q(category__kind=kind, category__code=number)
            qs = qs.filter(cond)
        start, end = (
            parse_dt("start_date", param(request, "start_date")),
            parse_dt("end_date", param(request, "end_date")),
        )
        if start and end and end - start > MAX_SPAN:
            raise bad("start_date and end_date may be at most 90 days apart")
        if start and end and end < start:
            raise bad("end_date is before start_date")
        if not start and not end:
            end = clock.now()
        start = start or (end - MAX_SPAN if end else None)
        end = end or (start + MAX_SPAN if start else None)
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        statuses = [s.strip() for s in param(request, "status").split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            raise bad("status must be open or closed")
        if statuses == ["open"]:
            qs = qs.exclude(status__in=[State.CLOSED, State.MERGED])
        elif statuses == ["closed"]:
            qs = qs.filter(status__in=[State.CLOSED, State.MERGED])
        after, before = (
            parse_dt("updated_after", param(request, "updated_after")),
            parse_dt("updated_before", param(request, "updated_before")),
        )
        if after:
            qs = qs.filter(updated_at__gt=after)
        if before:
            qs = qs.filter(updated_at__lt=before)
        qs = _geo_filters(request, qs)
    page, page_size = _int(request, "page", 1, 1, 100_000), _int(request, "page_size", MAX_RESULTS, 1, MAX_RESULTS)
    extensions = param(request, "extensions").lower() == "true"
    qs = qs.order_by("-reported_at", "-id")
    fields = ROW_FIELDS if extensions else (*ROW_FIELDS, "last_note", "first_photo")
    rows = list((qs if extensions else with_summary(qs)).values(*fields)[(page - 1) * page_size : page * page_size])
    base = request.build_absolute_uri("/open311/v2/")
    return render.respond(fmt, "service_requests", "request", rows_for(rows, extensions, base), stream=True)


def _int(request: HttpRequest, name: str, default: int, lo: int, hi: int) -> int:
    raw = param(request, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad(f"{name} must be a whole number") from exc
    if not lo <= value <= hi:
        raise bad(f"{name} must be between {lo} and {hi}")
    return value


def _geo_filters(request: HttpRequest, qs: Any) -> Any:
    bbox = param(request, "bbox")
    if bbox:
        try:
            lon1, lat1, lon2, lat2 = (float(x) for x in bbox.split(","))
        except ValueError as exc:
            raise bad("bbox must be lon1,lat1,lon2,lat2") from exc
        if not all(math.isfinite(v) for v in (lon1, lat1, lon2, lat2)):
            raise bad("bbox must be four finite numbers")
        qs = qs.filter(lon__range=(min(lon1, lon2), max(lon1, lon2)), lat__range=(min(lat1, lat2), max(lat1, lat2)))
    lat, lon, radius = param(request, "lat"), param(request, "long"), param(request, "radius")
    if lat or lon or radius:
        try:
            flat, flon = float(lat), float(lon)
            metres = float(radius or 1000)
        except ValueError as exc:
            raise bad("lat, long and radius must be numbers") from exc
        if not (-90 <= flat <= 90 and -180 <= flon <= 180):
            raise bad("lat or long out of range")
        if not 0 < metres <= 50_000:
            raise bad("radius must be between 0 and 50000 metres")
        dlon, dlat = coords.degrees_around(metres, flat)
        near = qs.filter(lat__range=(flat - dlat, flat + dlat), lon__range=(flon - dlon, flon + dlon))
        keep = [c.pk for c in near.only("id", "lon", "lat") if coords.distance_m(flon, flat, c.lon, c.lat) <= metres]
        qs = qs.filter(pk__in=keep)
    return qs


@endpoint(("GET", "POST"))
def requests_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if request.method == "POST":
        return create_request(request, fmt)
    return _list_requests(request, fmt)


@endpoint(("GET",))
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponseBase:
    case = Case.objects.visible_to(AnonymousUser()).filter(number=request_id).values(*ROW_FIELDS).first()
    if case is None:
        raise Open311Error(404, f"no service request {request_id}")
    extensions = param(request, "extensions").lower() == "true"
    base = request.build_absolute_uri("/open311/v2/")
    return render.respond(fmt, "service_requests", "request", rows_for([case], extensions, base))


@endpoint(("GET",))
def token_view(request: HttpRequest, fmt: str, token: str) -> HttpResponseBase:
    info = ServiceRequest.objects.select_related("case").filter(token=token).first()
    if info is None:
        raise Open311Error(404, f"no token {token}")
    return render.respond(
        fmt, "service_requests", "request", [{"service_request_id": info.case.number, "token": info.token}]
    )


def media(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The photo a reporter sent with a public request (never handlers' or inspectors' photos)."""
    att = Attachment.objects.filter(
        pk=attachment_id,
        kind=AttachmentKind.REPORT,
        case__in=Case.objects.visible_to(AnonymousUser()),
    ).first()
    if att is None:
        return render.error("json", 404, "no such media")
    return FileResponse(att.file.open("rb"), content_type=att.content_type)


# --- mySociety's servicerequestupdates extension -----------------------------------------------------


def update_row(t: Transition) -> dict[str, Any]:
    return {
        "update_id": str(t.pk),
        "service_request_id": t.case.number,
        "status": extended_status(t.to_state, t.reason),
        "updated_datetime": t.at.astimezone(_tz()),
        "description": t.public_note,
        "media_url": None,
    }


@endpoint(("GET", "POST"))
def updates_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if request.method == "POST":
        key = authenticate(request)
        number = param(request, "service_request_id")
        description = param(request, "description")
        if not number:
            raise bad("service_request_id is required")
        if not description:
            raise bad("description is required")
        if len(description) > 2000:
            raise bad("description is longer than 2000 characters")
        case = Case.objects.visible_to(AnonymousUser()).filter(number=number).first()
        if case is None:
            raise Open311Error(404, f"no service request {number}")
        status = param(request, "status").lower()
        if status and status not in (
            "open",
            "closed",
            "investigating",
            "in_progress",
            "action_scheduled",
            "fixed",
            "duplicate",
            "reopen",
            "no_further_action",
            "not_councils_responsibility",
            "internal_referral",
        ):
            raise bad(f"unknown status {status}")
        client_update = param(request, "update_id")
        client_key = (
            f"o311u:{key.pk}:{hashlib.sha256(client_update.encode()).hexdigest()[:40]}" if client_update else None
        )
        who = " ".join(p for p in (param(request, "first_name"), param(request, "last_name")) if p)
        t = services.add_note(
            case.pk,
            actor=actors.OPEN311,
            text=f"[{key.name}] {description}",
            public=True,
            client_key=client_key,
            data={"open311": {"status": status, "by": who, "client": key.name, "email": param(request, "email")[:254]}},
        )
        t.case = case
        return render.respond(fmt, "service_request_updates", "request_update", [update_row(t)], status=201)
    start, end = parse_dt("start_date", param(request, "start_date")), parse_dt("end_date", param(request, "end_date"))
    end = end or clock.now()
    start = start or end - timedelta(days=1)
    if end - start > MAX_SPAN:
        raise bad("start_date and end_date may be at most 90 days apart")
    qs = (
        Transition.objects.exclude(public_note="")
        .filter(at__gte=start, at__lte=end, case__in=Case.objects.visible_to(AnonymousUser()))
        .select_related("case")
        .order_by("at", "id")
    )
    ids = [i.strip() for i in param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        qs = qs.filter(case__number__in=ids)
    rows = [update_row(t) for t in qs[:MAX_RESULTS]]
    return render.respond(fmt, "service_request_updates", "request_update", rows)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    fmt = "xml" if rest.endswith(".xml") else "json"
    return render.error(fmt, 404, "no such Open311 resource")
