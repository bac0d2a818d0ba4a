"""Case endpoints: report, list, detail with timeline, one endpoint per workflow action, my tasks."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from typing import Any, Literal

from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel, Field, ValidationError, field_validator

from jingwu.lib import clock, coords, jsonutil
from jingwu.lib.errors import Invalid
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org.auth import current_user, require_user
from jingwu.org.choices import Role
from jingwu.org.services import role_of, roles_of

from . import engine, selectors, serializers, services, workflow
from .choices import OPEN_STATES, Action, Source, State
from .models import Attachment, Case, Category
from .notes import public_text
from .photos import content_types as photo_types

router = Router(tags=["cases"])

MAX_PAGE = 200


# --- input ----------------------------------------------------------------------------------------


class ReportIn(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: coords.CRS = coords.CRS.WGS84
    description: str = Field(min_length=1, max_length=4000)
    category: str | None = Field(None, description="category id, code, or kind:code (e.g. matter:06010)")
    source: Source | None = None
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=64)
    reporter_phone: str = Field("", max_length=32)
    client_key: str | None = Field(None, max_length=64, description="client-generated idempotency key")


class ExtensionIn(BaseModel):
    value: int = Field(gt=0, le=720)
    unit: LimitUnit = LimitUnit.WORK_DAYS


class ActionIn(BaseModel):
    version: int = Field(description="the case version you saw; a stale one is refused with 409")
    outcome: str = ""
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=32)
    public_note: str = Field("", max_length=500)
    department: str | None = None
    category: str | None = None
    condition: int | None = None
    extension: ExtensionIn | None = None
    merge_into: str | None = None
    supporting: list[str] = Field(
        default_factory=list, max_length=10, description="dispatch: codes of supporting departments (协办)"
    )
    handler: int | None = Field(None, description="assign: the person (id) in the lead department who carries it")
    client_key: str | None = Field(None, max_length=64)

    @field_validator("supporting", mode="before")
    @classmethod
    def _supporting_from_form(cls, v: Any) -> Any:
        return [part.strip() for part in v.split(",") if part.strip()] if isinstance(v, str) else v

    @field_validator("extension", mode="before")
    @classmethod
    def _extension_from_form(cls, v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) and v.strip().startswith("{") else v


def _parse_body(request: HttpRequest, model: type[BaseModel]) -> tuple[Any, list[Any]]:
    """JSON or form (multipart with photos) — phones send FormData, integrations JSON."""
    content_type = request.content_type or ""
    if content_type.startswith("application/json"):
        try:
            raw = json.loads(request.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise Invalid(gettext("请求体不是有效的JSON"), code="invalid_json") from exc
        if not isinstance(raw, dict):
            raise Invalid(gettext("请求体必须是JSON对象"), code="invalid_json")
        files: list[Any] = []
    else:
        raw = {k: v for k, v in request.POST.items() if v != ""}
        files = request.FILES.getlist("photos") + request.FILES.getlist("photo")
        attach_photo_meta(files, raw.pop("photo_meta", ""))
    try:
        return model.model_validate(raw), files
    except ValidationError as exc:
        fields = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        raise Invalid(gettext("请求参数无效"), details={"fields": fields}) from exc


def attach_photo_meta(files: list[Any], text: str) -> None:
    """``photo_meta``: a JSON list, one object per photo in order ({taken_at, lon, lat}), that a phone sends
    beside photos it re-encoded without EXIF. Malformed meta is ignored: it never costs the report."""
    try:
        meta = json.loads(text) if text else []
    except (json.JSONDecodeError, RecursionError):
        return
    if isinstance(meta, list):
        for upload, m in zip(files, meta, strict=False):
            upload.jingwu_meta = m


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local $refs replaced by their definitions (the document has no $defs)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema = _inline_refs(schema, schema.pop("$defs", {}))
    form = {
        **schema,
        "properties": {
            **schema.get("properties", {}),
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, "multipart/form-data": {"schema": form}},
        }
    }


# --- output ---------------------------------------------------------------------------------------


class CategoryRef(Schema):
    kind: str
    code: str
    name: str


class CaseOut(Schema):
    number: str
    status: str
    status_label: str
    kind: str
    category: CategoryRef | None
    source: str
    lon: float | None
    lat: float | None
    address: str
    grid: str | None
    region: str | None
    region_name: str | None
    description: str
    department: str | None
    department_name: str | None
    reported_at: datetime
    updated_at: datetime
    due_at: datetime | None
    handling_deadline: datetime | None
    overdue: bool
    version: int


class StaffCaseOut(CaseOut):
    reporter_name: str
    reporter_phone: str
    condition: str | None
    extension_count: int
    pending_extension: dict[str, Any] | None
    rework_count: int
    return_count: int
    merged_into: str | None


class TimelineOut(Schema):
    seq: int
    action: str
    action_label: str
    outcome: str
    from_state: str
    to_state: str
    at: datetime
    actor_name: str | None
    role: str | None
    department: str | None
    note: str | None
    public_note: str
    on_time: bool | None
    attachments: list[int]


class AttachmentOut(Schema):
    id: int
    kind: str
    url: str
    width: int
    height: int


class ActionOption(Schema):
    action: str
    outcome: str
    label: str
    needs_reason: bool
    needs_photo: bool


class SupportOut(Schema):
    department: str
    department_name: str
    replied_at: datetime | None


class CaseDetailOut(StaffCaseOut):
    handler_name: str | None
    supporting: list[SupportOut]
    timeline: list[TimelineOut]
    attachments: list[AttachmentOut]
    duplicates: list[str]
    suggested_department: str | None
    actions: list[ActionOption]


class CasePageOut(Schema):
    items: list[StaffCaseOut]
    next_cursor: str | None


class ReportOut(Schema):
    case: StaffCaseOut
    created: bool
    tracking_code: str
    duplicates: list[str]


def _is_staff(user: Any) -> bool:
    # The security administrator manages accounts, not cases: the public's view of them (三员分立).
    return role_of(user) not in (Role.PUBLIC, Role.SYSTEM, Role.SECURITY_ADMIN)


def _list_qs(user: Any) -> Any:
    # One table: reference names come from the in-process cache (refs), not from joins.
    return Case.objects.visible_to(user).annotate(merged_number=F("merged_into__number"))


def _load(user: Any, number: str) -> Case:
    return get_object_or_404(_list_qs(user), number=number)


# --- endpoints ------------------------------------------------------------------------------------


@router.post(
    "/cases",
    response={200: ReportOut, 201: ReportOut},
    openapi_extra=_body_doc(ReportIn),
    summary="Report a problem (JSON, or multipart with photos)",
)
def report(request: HttpRequest) -> Any:
    user = require_user(request, write=True)
    body, files = _parse_body(request, ReportIn)
    result = services.report_case(
        actor=user,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        description=body.description,
        category=body.category,
        source=body.source,
        address=body.address,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        client_key=body.client_key,
        photos=files,
    )
    c = result.case
    payload = {
        "case": serializers.staff_case(c, clock.now()),
        "created": result.created,
        "tracking_code": c.tracking_code,
        "duplicates": [d.number for d in result.duplicates],
    }
    # Encoded directly (the shape is ReportOut's, as documented above): the busiest write of a city.
    return HttpResponse(jsonutil.dumps(payload), status=201 if result.created else 200, content_type="application/json")


class ListQuery(Schema):
    status: str | None = Field(None, description="comma-separated states", max_length=200)
    category: str | None = Field(None, max_length=32)
    # A string, checked by build_filter (error code unknown_source); the document lists its values.
    source: str | None = Field(None, max_length=16, json_schema_extra={"enum": list(Source.values)})
    region: str | None = Field(None, max_length=32)
    grid: str | None = Field(None, max_length=32)
    department: str | None = Field(None, max_length=32)
    overdue: bool | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    bbox: str | None = Field(None, description="lon1,lat1,lon2,lat2 (WGS-84)", max_length=100)
    q: str | None = Field(None, max_length=100)
    cursor: str | None = Field(None, max_length=64)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(gettext("无效的分页游标"), code="invalid_cursor") from exc
    return value


def _encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def build_filter(params: ListQuery) -> selectors.CaseFilter:
    statuses = [s for s in (params.status or "").split(",") if s]
    bad = [s for s in statuses if s not in State.values]
    if bad:
        raise Invalid(gettext("未知状态 %(states)s") % {"states": repr(",".join(bad))}, code="unknown_status")
    if params.source and params.source not in Source.values:
        raise Invalid(gettext("未知来源 %(source)s") % {"source": repr(params.source)}, code="unknown_source")
    bbox = None
    if params.bbox:
        try:
            parts = [float(x) for x in params.bbox.split(",")]
        except ValueError as exc:
            raise Invalid(gettext("bbox 格式为 lon1,lat1,lon2,lat2"), code="invalid_bbox") from exc
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise Invalid(gettext("bbox 格式为 lon1,lat1,lon2,lat2"), code="invalid_bbox")
        bbox = (parts[0], parts[1], parts[2], parts[3])
    return selectors.CaseFilter(
        status=statuses or None,
        category=params.category,
        source=params.source,
        region=params.region,
        grid=params.grid,
        department=params.department,
        overdue=params.overdue,
        reported_after=params.reported_after,
        reported_before=params.reported_before,
        bbox=bbox,
        q=params.q,
    )


@router.get("/cases", response=CasePageOut, summary="List cases you may see, newest first, with a cursor")
def list_cases(request: HttpRequest, params: Query[ListQuery]) -> HttpResponse:
    user = current_user(request)
    now = clock.now()
    qs = selectors.apply_filter(_list_qs(user), build_filter(params), now)
    after = _decode_cursor(params.cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    staff = _is_staff(user)
    fields = ("id", *serializers.FIELDS, *((*serializers.STAFF_FIELDS, "merged_number") if staff else ()))
    # Rows as dicts of columns, encoded straight to JSON (the schema above documents the same shape): model
    # instances and the response model's validation cost more than the query for 50 rows.
    rows = list(qs.order_by("-pk").values(*fields)[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    body = {
        "items": [serializers.row(v, now, True) for v in rows]
        if staff
        else [serializers.row(v, now, False) | serializers.PUBLIC_BLANKS for v in rows],
        "next_cursor": _encode_cursor(rows[-1]["id"]) if more and rows else None,
    }
    return HttpResponse(jsonutil.dumps(body), content_type="application/json")


@router.get("/tasks", response=list[StaffCaseOut], summary="Cases waiting for my hand now")
def my_tasks(request: HttpRequest, limit: int = 100) -> Any:
    user = require_user(request)
    now = clock.now()
    qs = selectors.tasks_for(user).annotate(merged_number=F("merged_into__number"))
    return [serializers.staff_case(c, now) for c in qs.order_by("due_at", "pk")[: max(1, min(limit, 500))]]


@router.get("/cases/{number}", response=CaseDetailOut, summary="One case with its timeline")
def case_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    user = current_user(request)
    c = _load(user, number)
    now = clock.now()
    staff = _is_staff(user)
    transitions = list(c.transitions.select_related("department").prefetch_related("attachments").order_by("seq"))
    timeline = []
    for t in transitions:
        if not staff and not t.public_note:
            continue
        timeline.append(
            {
                "seq": t.seq,
                "action": t.action,
                "action_label": str(Action(t.action).label),
                "outcome": t.outcome,
                "from_state": t.from_state,
                "to_state": t.to_state,
                "at": t.at,
                "actor_name": t.actor_name if staff else None,
                "role": t.role if staff else None,
                "department": t.department.name if t.department else None,
                "note": t.note if staff else None,
                "public_note": public_text(t.public_note),
                "on_time": t.on_time if staff else None,
                "attachments": [a.pk for a in t.attachments.all()] if staff else [],
            }
        )
    attachments = (
        [
            {"id": a.pk, "kind": a.kind, "url": f"/api/attachments/{a.pk}", "width": a.width, "height": a.height}
            for a in c.attachments.all()
        ]
        if staff
        else []
    )
    actions = [
        {
            "action": str(s.action),
            "outcome": s.outcome,
            "label": str(Action(s.action).label),
            "needs_reason": s.needs_reason,
            "needs_photo": s.needs_photo,
        }
        for s in services.offered_steps(c, user)
    ]
    dept = services.suggested_department(c) if staff and c.status in (State.TO_DISPATCH, State.RETURNED) else None
    return serializers.case_for(c, now, staff) | {
        "timeline": timeline,
        "attachments": attachments,
        "duplicates": [d.number for d in services.find_duplicates(c)] if staff and c.status in OPEN_STATES else [],
        "suggested_department": dept.code if dept else None,
        "actions": actions,
        "handler_name": c.handler.name if staff and c.handler_id and c.handler else None,
        "supporting": [
            {"department": s.department.code, "department_name": s.department.name, "replied_at": s.replied_at}
            for s in c.supports.select_related("department").order_by("department__code")
        ]
        if staff
        else [],
    }


class ReporterOut(Schema):
    name: str
    phone: str


@router.get(
    "/cases/{number}/reporter",
    response=ReporterOut,
    summary="The reporter's full name and phone (operators, shift leads, leaders; audited)",
)
def case_reporter(request: HttpRequest, number: str) -> dict[str, str]:
    user = require_user(request)
    return services.reveal_reporter(_load(user, number), actor=user)


@router.get(
    "/attachments/{attachment_id}",
    summary="A photo, if you may see its case",
    openapi_extra={
        "responses": {
            "200": {
                "description": "the photo",
                "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in photo_types()},
            }
        }
    },
)
def attachment(
    request: HttpRequest, attachment_id: int, size: Literal["", "thumb"] = Query("", description="thumb: 320 px JPEG")
) -> FileResponse:
    user = require_user(request)
    att = get_object_or_404(Attachment, pk=attachment_id)
    if not Case.objects.visible_to(user).filter(pk=att.case_id).exists() or not _is_staff(user):
        raise HttpError(404, gettext("未找到"))
    if size == "thumb":
        from django.core.files.storage import default_storage

        from .photos import thumbnail

        response = FileResponse(default_storage.open(thumbnail(att), "rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response
    return FileResponse(att.file.open("rb"), content_type=att.content_type)


def _make_action_endpoint(action: Action) -> None:
    def endpoint(request: HttpRequest, number: str) -> Any:
        user = require_user(request, write=True)
        body, files = _parse_body(request, ActionIn)
        # By number only (never an internal id), and only a case this user may see.
        case = _load(user, number)
        data = services.ActionInput(
            outcome=body.outcome,
            note=body.note,
            reason=body.reason,
            public_note=body.public_note,
            photos=files,
            department=body.department,
            category=body.category,
            condition=body.condition,
            extension=Limit(body.extension.value, body.extension.unit) if body.extension else None,
            merge_into=body.merge_into,
            client_key=body.client_key,
            supporting=body.supporting,
            handler=body.handler,
        )
        c = services.perform(case.pk, action.value, actor=user, version=body.version, data=data)
        merged = c.merged_into.number if c.merged_into_id and c.merged_into else None
        return serializers.staff_case(c, clock.now(), merged)

    endpoint.__name__ = f"case_{action.value}"
    steps = workflow.steps_for(action)
    roles = sorted({str(r) for s in steps for r in s.roles})
    outcomes = [s.outcome for s in steps if s.outcome]
    description = f"{action.label}. Roles: {', '.join(roles)}." + (
        f" outcome: {' | '.join(outcomes)}." if outcomes else ""
    )
    router.add_api_operation(
        f"/cases/{{number}}/{action.value}",
        ["POST"],
        endpoint,
        response=StaffCaseOut,
        summary=f"{action.value} ({action.label})",
        description=description,
        openapi_extra=_body_doc(ActionIn),
    )


for _action in Action:
    if _action not in (Action.REPORT, Action.NOTE):
        _make_action_endpoint(_action)


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=2000)
    public: bool = False
    client_key: str | None = Field(None, max_length=64)


@router.post("/cases/{number}/notes", response=TimelineOut, summary="Add a remark to the timeline (no state change)")
def add_note(request: HttpRequest, number: str, body: NoteIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    c = _load(user, number)
    t = services.add_note(c.pk, actor=user, text=body.text, public=body.public, client_key=body.client_key)
    return {
        "seq": t.seq,
        "action": t.action,
        "action_label": str(Action(t.action).label),
        "outcome": "",
        "from_state": t.from_state,
        "to_state": t.to_state,
        "at": t.at,
        "actor_name": t.actor_name,
        "role": t.role,
        "department": None,
        "note": t.note,
        "public_note": public_text(t.public_note),
        "on_time": None,
        "attachments": [],
    }


class ConditionOut(Schema):
    id: int
    name: str
    limit_value: int
    limit_unit: str
    closing_condition: str
    is_default: bool


class CategoryOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    name_en: str
    major_name: str
    case_kind: str
    is_local: bool
    is_public: bool
    conditions: list[ConditionOut]


@router.get("/categories", response=list[CategoryOut], summary="Categories (GB/T 47678.5) and their 立案条件")
def categories(request: HttpRequest) -> Any:
    user = current_user(request)
    qs = Category.objects.filter(active=True).prefetch_related("conditions").order_by("kind", "code")
    if not _is_staff(user):
        qs = qs.filter(is_public=True)
    return qs


@router.get("/workflow", summary="The workflow table: (state, action) → state and who may act")
def workflow_table(request: HttpRequest) -> dict[str, Any]:
    return {
        "states": [{"state": s.value, "label": str(s.label), "open": s in OPEN_STATES} for s in State],
        "steps": [
            {
                "action": str(s.action),
                "outcome": s.outcome,
                "from": sorted(s.sources),
                "to": s.target or None,
                "roles": sorted(s.roles),
                "needs_reason": s.needs_reason,
                "needs_photo": s.needs_photo,
                "scope": s.scope,
            }
            for s in workflow.STEPS
        ],
        "report_roles": sorted(workflow.REPORT_ROLES),
        "start_roles": {state: sorted(roles) for state, roles in workflow.START_ROLES.items()},
        "sources_by_role": workflow.SOURCES_BY_ROLE,
    }


# --- every workflow, generically ------------------------------------------------------------------


@router.get("/workflows", summary="Every registered workflow (the case loop and the domains' own)")
def workflows(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"name": w.name, "label": str(w.label), "model": w.model._meta.label_lower} for w in engine.all_workflows()]


@router.get("/workflows/{name}", summary="One workflow's table: states, steps, who may act, stage limits")
def workflow_detail(request: HttpRequest, name: str) -> dict[str, Any]:
    return engine.get(name).table()


class StepIn(BaseModel):
    version: int = Field(description="the version you saw; a stale one is refused with 409")
    outcome: str = Field("", max_length=16)
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=32)
    public_note: str = Field("", max_length=500)
    client_key: str | None = Field(None, max_length=64)


def _visible_object(wf: engine.Workflow, user: Any, object_id: str) -> Any:
    manager = wf.model._default_manager
    if not hasattr(manager, "visible_to"):
        raise HttpError(404, gettext("未找到"))
    qs = manager.visible_to(user)
    try:
        return qs.get(**{wf.lookup_field: object_id})
    except (wf.model.DoesNotExist, ValueError) as exc:  # type: ignore[attr-defined]
        raise HttpError(404, gettext("未找到")) from exc


@router.get("/workflows/{name}/{object_id}", summary="One object's state, timeline and the steps open to you")
def workflow_object(request: HttpRequest, name: str, object_id: str) -> dict[str, Any]:
    user = require_user(request)
    wf = engine.get(name)
    obj = _visible_object(wf, user, object_id)
    return engine.describe(wf, obj, roles_of(user))


@router.post(
    "/workflows/{name}/{object_id}/{action}",
    summary="Take a step of any workflow (the same lock, version check, transition, audit and event as a case)",
)
def workflow_step(request: HttpRequest, name: str, object_id: str, action: str, body: StepIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    wf = engine.get(name)
    obj = _visible_object(wf, user, object_id)
    data = engine.StepInput(
        outcome=body.outcome,
        note=body.note,
        reason=body.reason,
        public_note=body.public_note,
        client_key=body.client_key,
    )
    if wf.name == "case":
        data = services.ActionInput(**vars(data))
    obj = engine.perform(obj.pk, action, actor=user, version=body.version, data=data, workflow=wf)
    return engine.describe(wf, obj, roles_of(user))
