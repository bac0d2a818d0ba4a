"""/api/safety/: the registry, with the same auth and error shape as the rest of /api/."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError

from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid, NotFound
from jingwu.lib.privacy import mask_name, mask_phone
from jingwu.org.actors import resolve
from jingwu.org.auth import require_user
from jingwu.org.choices import SEE_ALL, Role
from jingwu.org.services import roles_of

from . import inspections, ledgers, services
from .models import Checklist, Enterprise, Hazard, Inspection, Plan

router = Router(tags=["safety"])
READERS = frozenset(SEE_ALL | {Role.INSPECTOR, Role.HANDLER})
# Who sees the legal representative and the safety contact in full: those who call them.
REVEAL = frozenset({Role.SHIFT_LEAD, Role.LEADER})
# Who reads the hazard ledgers and every inspection: the centre and the leaders (and auditors). A department
# sees a hazard as the case it holds; an inspector their own company's work.
LEDGER_READERS = SEE_ALL


class EnterpriseIn(Schema):
    name: str = Field(max_length=100)
    credit_code: str = Field("", max_length=64, description="GB 32100; checked by the service (422 invalid_uscc)")
    industry: str = Field(max_length=1, description="GB/T 4754 section letter, A–T")
    industry_class: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84, gcj02 or bd09")
    legal_rep: str = Field("", max_length=32)
    contact_name: str = Field("", max_length=32)
    contact_phone: str = Field("", max_length=32)
    risk: str = "blue"
    tags: list[str] = []
    active: bool = True


class EnterpriseUpdate(Schema):
    """The fields to change with the version seen; a field left out, or a contact sent back masked, is kept."""

    version: int
    name: str | None = Field(None, max_length=100)
    credit_code: str | None = Field(None, max_length=64)
    industry: str | None = Field(None, max_length=1)
    industry_class: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=200)
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    legal_rep: str | None = Field(None, max_length=32)
    contact_name: str | None = Field(None, max_length=32)
    contact_phone: str | None = Field(None, max_length=32)
    risk: str | None = None
    tags: list[str] | None = None
    active: bool | None = None


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str | None
    industry: str
    industry_class: str
    address: str
    lon: float | None
    lat: float | None
    grid: str | None
    legal_rep: str
    contact_name: str
    contact_phone: str
    risk: str
    tags: list[str]
    active: bool
    version: int


def _reader(request: HttpRequest) -> Any:
    user = require_user(request)
    if not set(roles_of(user)) & READERS:
        raise Forbidden(gettext("无权查看企业登记"), code="forbidden_role")
    return user


def _out(e: Enterprise, user: Any) -> dict[str, Any]:
    full = bool(set(roles_of(user)) & REVEAL)
    return {
        "id": e.pk,
        "name": e.name,
        "credit_code": e.credit_code,
        "industry": e.industry,
        "industry_class": e.industry_class,
        "address": e.address,
        "lon": e.lon,
        "lat": e.lat,
        "grid": e.grid.code if e.grid_id and e.grid else None,
        "legal_rep": e.legal_rep if full else mask_name(e.legal_rep),
        "contact_name": e.contact_name if full else mask_name(e.contact_name),
        "contact_phone": e.contact_phone if full else mask_phone(e.contact_phone),
        "risk": e.risk,
        "tags": e.tags,
        "active": e.active,
        "version": e.version,
    }


class Filters(Schema):
    q: str = ""
    industry: str = ""
    risk: str = ""
    tag: str = ""
    grid: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


def filtered(params: Filters) -> Any:
    qs = Enterprise.objects.select_related("grid").order_by("id")
    if params.q:
        qs = qs.filter(name__icontains=params.q) | qs.filter(credit_code=params.q.upper())
    if params.industry:
        qs = qs.filter(industry=params.industry.upper())
    if params.risk:
        qs = qs.filter(risk=params.risk)
    if params.grid:
        qs = qs.filter(grid__code=params.grid)
    if params.tag:
        qs = services.with_tag(qs, params.tag)
    return qs


@router.get("/safety/enterprises", response=list[EnterpriseOut], summary="The registry of enterprises and places")
def enterprise_list(request: HttpRequest, params: Query[Filters]) -> list[dict[str, Any]]:
    user = _reader(request)
    rows = filtered(params)[params.offset : params.offset + params.limit]
    return [_out(e, user) for e in rows]


@router.get("/safety/enterprises/{pk}", response=EnterpriseOut, summary="One enterprise or place")
def enterprise_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _reader(request)
    e = Enterprise.objects.select_related("grid").filter(pk=pk).first()
    if e is None:
        raise NotFound(gettext("企业不存在"))
    return _out(e, user)


@router.post(
    "/safety/enterprises",
    response={201: EnterpriseOut},
    summary="Register an enterprise (a bad credit code is 422 invalid_uscc)",
)
def enterprise_create(request: HttpRequest, body: EnterpriseIn) -> Status:
    user = require_user(request, write=True)
    e = services.save(body.dict(), actor=user)
    return Status(201, _out(e, user))


@router.patch("/safety/enterprises/{pk}", response=EnterpriseOut, summary="Change an enterprise (with its version)")
def enterprise_update(request: HttpRequest, pk: int, body: EnterpriseUpdate) -> dict[str, Any]:
    user = require_user(request, write=True)
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    e = services.save(data, actor=user, pk=pk, version=version)
    return _out(e, user)


# --- inspections, hazards, ledgers ----------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    enterprise: int
    enterprise_name: str
    address: str
    lon: float | None
    lat: float | None
    checklist: int
    checklist_name: str
    period: date
    due_on: date
    status: str
    assignee: str | None
    company: str | None
    overdue: bool


class ItemOut(Schema):
    id: int
    position: int
    text: str
    basis: str
    severity: str
    hazard_type: str


def _items(checklist: Any) -> list[dict[str, Any]]:
    fields = ("position", "text", "basis", "severity", "hazard_type")
    return [{"id": i.pk, **{f: getattr(i, f) for f in fields}} for i in checklist.items.all()]


class TaskDetailOut(TaskOut):
    items: list[ItemOut]


class TaskFilters(Schema):
    status: str = Field("todo", description="todo, done, cancelled or all")
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


def _task_out(t: Any, today: date) -> dict[str, Any]:
    e = t.enterprise
    return {
        "id": t.pk,
        "enterprise": e.pk,
        "enterprise_name": e.name,
        "address": e.address,
        "lon": e.lon,
        "lat": e.lat,
        "checklist": t.checklist_id,
        "checklist_name": t.checklist.name,
        "period": t.period,
        "due_on": t.due_on,
        "status": t.status,
        "assignee": t.assignee.name if t.assignee_id else None,
        "company": t.company.name if t.company_id else None,
        "overdue": t.status == "todo" and t.due_on < today,
    }


def _task_reader(request: HttpRequest) -> Any:
    user = require_user(request)
    if not set(roles_of(user)) & (inspections.MANAGERS | {Role.INSPECTOR}):
        raise Forbidden(gettext("只有检查员、值班长和领导可以查看检查任务"), code="forbidden_role")
    return user


def _today() -> date:
    from jingwu.workcal.services import get_calendar

    return clock.now().astimezone(get_calendar().tz).date()


@router.get("/safety/tasks", response=list[TaskOut], summary="My inspection tasks (all, for shift leads and leaders)")
def task_list(request: HttpRequest, params: Query[TaskFilters]) -> list[dict[str, Any]]:
    user = _task_reader(request)
    qs = inspections.tasks_for(user)
    if params.status != "all":
        qs = qs.filter(status=params.status)
    today = _today()
    return [_task_out(t, today) for t in qs.order_by("due_on", "id")[params.offset : params.offset + params.limit]]


@router.get("/safety/tasks/{pk}", response=TaskDetailOut, summary="One task with its checklist items")
def task_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _task_reader(request)
    t = inspections.tasks_for(user).filter(pk=pk).first()
    if t is None:
        raise NotFound(gettext("检查任务不存在"))
    return _task_out(t, _today()) | {"items": _items(t.checklist)}


class TaskIn(Schema):
    enterprise: int
    checklist: int | None = Field(None, description="default: the checklist that fits the place")
    due_on: date | None = Field(None, description="default: a week from today")
    company: int | None = None
    assignee: int | None = Field(None, description="an inspector (Person id)")


@router.post("/safety/tasks", response={201: TaskOut}, summary="An inspection task by hand (shift leads, leaders)")
def task_create(request: HttpRequest, body: TaskIn) -> Status:
    user = require_user(request, write=True)
    task = inspections.create_task(body.dict(), actor=user)
    return Status(201, _task_out(task, _today()))


class ItemBody(Schema):
    item: int
    result: str = Field(description="pass, fail or na")
    note: str = Field("", max_length=500, description="what was found; required for fail")
    level: str = Field("", description="for fail: general or major (default: the item's)")
    days: int | None = Field(None, description="for fail: rectification period in days, 1–365")


class InspectionBody(Schema):
    task: int
    items: list[ItemBody] = Field(max_length=200)
    signer_name: str = Field(max_length=32)
    signature: str = Field("", max_length=2_000_000, description="PNG as a data URL or base64 (or a file part)")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description="when it was done on site (kept if within the last 7 days)")
    lon: float | None = None
    lat: float | None = None
    client_key: str | None = Field(None, max_length=64)


class ResultOut(Schema):
    position: int
    text: str
    result: str
    note: str
    hazard: int | None


class InspectionOut(Schema):
    id: int
    task: int | None
    enterprise: int
    enterprise_name: str
    inspector_name: str
    company: str | None
    at: datetime
    signer_name: str
    passed: int
    failed: int
    results: list[ResultOut]
    hazards: list[int]
    cases: list[str]


def _inspection_out(ins: Any) -> dict[str, Any]:
    hazards = list(ins.hazards.select_related("case").order_by("id"))
    by_result = {h.result_id: h.pk for h in hazards}
    return {
        "id": ins.pk,
        "task": ins.task_id,
        "enterprise": ins.enterprise_id,
        "enterprise_name": ins.enterprise.name,
        "inspector_name": ins.inspector_name,
        "company": ins.company.name if ins.company_id else None,
        "at": ins.at,
        "signer_name": ins.signer_name,
        "passed": ins.passed,
        "failed": ins.failed,
        "results": [
            {"position": r.position, "text": r.text, "result": r.result, "note": r.note, "hazard": by_result.get(r.pk)}
            for r in ins.results.all()
        ],
        "hazards": [h.pk for h in hazards],
        "cases": [h.case.number for h in hazards if h.case_id and h.case.number],
    }


def _inspection_doc() -> dict[str, Any]:
    schema = InspectionBody.model_json_schema()
    form = {
        "type": "object",
        "properties": {
            "data": {"type": "string", "description": "the JSON body above"},
            "signature": {"type": "string", "format": "binary"},
            "photo_ITEM": {"type": "string", "format": "binary", "description": "photos of item ITEM (its id)"},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, "multipart/form-data": {"schema": form}},
        }
    }


def parse_inspection(request: HttpRequest) -> inspections.InspectionIn:
    """JSON, or multipart (the phone): ``data`` is the JSON body, ``signature`` a file or in ``data``, the
    photos of item N in ``photo_N``."""
    if (request.content_type or "").startswith("application/json"):
        text: Any = request.body or b"{}"
        files: dict[str, list[Any]] = {}
    else:
        text = request.POST.get("data", "{}")
        files = {k: request.FILES.getlist(k) for k in request.FILES}
    try:
        raw = json.loads(text)
        body = InspectionBody.model_validate(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise Invalid(gettext("请求体不是有效的JSON"), code="invalid_json") from exc
    except ValidationError as exc:
        fields = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        raise Invalid(gettext("请求参数无效"), details={"fields": fields}) from exc
    signature = files.get("signature", [None])[0]
    return inspections.InspectionIn(
        task=body.task,
        items=[
            inspections.ItemIn(
                item=i.item,
                result=i.result,
                note=i.note,
                level=i.level,
                days=i.days,
                photos=files.get(f"photo_{i.item}", []),
            )
            for i in body.items
        ],
        signer_name=body.signer_name,
        signature=inspections.decode_signature(signature if signature is not None else body.signature),
        note=body.note,
        at=body.at,
        lon=body.lon,
        lat=body.lat,
        client_key=body.client_key,
    )


@router.post(
    "/safety/inspections",
    response={201: InspectionOut},
    openapi_extra=_inspection_doc(),
    summary="Submit an inspection (each failed item becomes a hazard case); a retry with its client_key is one",
)
def inspection_create(request: HttpRequest) -> Status:
    user = require_user(request, write=True)
    ins = inspections.submit(parse_inspection(request), actor=user)
    return Status(201, _inspection_out(ins))


def may_see_inspection(user: Any, ins: Any) -> bool:
    """The centre and leaders; the inspector who did it, and their company's inspectors."""
    if set(roles_of(user)) & SEE_ALL:
        return True
    me = inspections.inspector_of(resolve(user))
    if me is None:
        return False
    return ins.inspector_id == user.pk or (me.company_id is not None and ins.company_id == me.company_id)


@router.get("/safety/inspections/{pk}", response=InspectionOut, summary="One inspection record")
def inspection_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = require_user(request)
    ins = Inspection.objects.select_related("enterprise", "company").filter(pk=pk).first()
    if ins is None or not may_see_inspection(user, ins):
        raise NotFound(gettext("检查记录不存在"))
    return _inspection_out(ins)


class HazardOut(Schema):
    id: int
    enterprise: int
    enterprise_name: str
    level: str
    hazard_type: str
    industry: str
    description: str
    found_at: datetime
    rectify_by: datetime
    status: str
    overdue: bool
    rechecks: int
    closed_at: datetime | None
    case: str | None
    case_version: int | None
    rectify_url: str = Field(description="the place's own link for its 整改材料 (hand it to the place)")


class HazardQuery(Schema):
    start: date | None = None
    end: date | None = None
    industry: str = ""
    hazard_type: str = ""
    level: str = ""
    grid: int | None = None
    state: str = Field("", description="open, closed or overdue")
    enterprise: int | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)

    def filters(self) -> ledgers.HazardFilters:
        return ledgers.HazardFilters(
            period=ledgers.Period(self.start, self.end),
            industry=self.industry.upper()[:1],
            hazard_type=self.hazard_type,
            level=self.level,
            grid=self.grid,
            state=self.state,
            enterprise=self.enterprise,
        )


def hazard_out(h: Any, now: datetime) -> dict[str, Any]:
    return {
        "id": h.pk,
        "enterprise": h.enterprise_id,
        "enterprise_name": h.enterprise.name,
        "level": h.level,
        "hazard_type": h.hazard_type,
        "industry": h.industry,
        "description": h.description,
        "found_at": h.found_at,
        "rectify_by": h.rectify_by,
        "status": h.status,
        "overdue": h.is_open and h.rectify_by < now,
        "rechecks": h.rechecks,
        "closed_at": h.closed_at,
        "case": h.case.number if h.case_id else None,
        "case_version": h.case.version if h.case_id else None,
        "rectify_url": inspections.rectify_url(h),
    }


def _ledger_reader(request: HttpRequest) -> Any:
    user = require_user(request)
    if not set(roles_of(user)) & LEDGER_READERS:
        raise Forbidden(gettext("无权查看隐患台账"), code="forbidden_role")
    return user


@router.get("/safety/hazards", response=list[HazardOut], summary="Hazards (newest first), with filters")
def hazard_list(request: HttpRequest, params: Query[HazardQuery]) -> list[dict[str, Any]]:
    _ledger_reader(request)
    now = clock.now()
    qs = ledgers.hazard_rows(params.filters(), now)
    return [hazard_out(h, now) for h in qs[params.offset : params.offset + params.limit]]


@router.get("/safety/hazards/{pk}", response=HazardOut, summary="One hazard")
def hazard_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    _ledger_reader(request)
    h = Hazard.objects.select_related("enterprise", "case").filter(pk=pk).first()
    if h is None:
        raise NotFound(gettext("隐患不存在"))
    return hazard_out(h, clock.now())


@router.post(
    "/safety/hazards/{pk}/evidence",
    response={201: dict},
    summary="Attach the enterprise's rectification evidence (multipart: text, photos) to the hazard's case",
)
def hazard_evidence(request: HttpRequest, pk: int) -> Status:
    user = require_user(request, write=True)
    h = Hazard.objects.filter(pk=pk).first()
    if h is None:
        raise NotFound(gettext("隐患不存在"))
    photos = request.FILES.getlist("photos")
    t = inspections.submit_evidence(
        h,
        text=request.POST.get("text", ""),
        photos=photos,
        actor=user,
        by=request.POST.get("by", ""),
        client_key=request.POST.get("client_key") or None,
    )
    return Status(201, {"case": h.case.number if h.case else None, "seq": t.seq, "photos": len(photos)})


class LedgerQuery(Schema):
    start: date | None = None
    end: date | None = None
    industry: str = ""
    hazard_type: str = ""
    level: str = ""
    grid: int | None = None


@router.get("/safety/ledgers/hazards", summary="隐患清单: hazards by industry and type, with counts")
def ledger_hazards(request: HttpRequest, params: Query[LedgerQuery]) -> dict[str, Any]:
    _ledger_reader(request)
    f = ledgers.HazardFilters(
        period=ledgers.Period(params.start, params.end),
        industry=params.industry.upper()[:1],
        hazard_type=params.hazard_type,
        level=params.level,
        grid=params.grid,
    )
    return ledgers.hazard_list(f)


class PlaceQuery(Schema):
    q: str = ""
    industry: str = ""
    tag: str = ""
    risk: str = ""
    grid: int | None = None
    only: str = Field("", description="open, overdue or never")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/safety/ledgers/places", summary="动态监管台账: every place, overdue first")
def ledger_places(request: HttpRequest, params: Query[PlaceQuery]) -> dict[str, Any]:
    _ledger_reader(request)
    now = clock.now()
    f = ledgers.PlaceFilters(params.q, params.industry.upper()[:1], params.tag, params.risk, params.grid, params.only)
    qs = ledgers.places(f, now)
    page = list(qs[params.offset : params.offset + params.limit])
    late = ledgers.overdue_counts([e.pk for e in page], now)
    return {
        "count": qs.count(),
        "results": [
            {
                "id": e.pk,
                "name": e.name,
                "industry": e.industry,
                "risk": e.risk,
                "grid": getattr(e, "grid_code", None),  # annotated by ledgers.places
                "last_inspected_at": e.last_inspected_at,
                "open_hazards": e.open_hazards,
                "overdue_hazards": late.get(e.pk, 0),
                "closed_hazards": e.closed_hazards,
                "next_due": e.next_due,
            }
            for e in page
        ],
    }


@router.get("/safety/figures", summary="The report's figures for a period: inspections, hazards found and rectified")
def safety_figures(request: HttpRequest, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    _ledger_reader(request)
    return ledgers.figures(ledgers.Period(start, end)) | {"start": start, "end": end}


class PlanIn(Schema):
    name: str = Field(max_length=100)
    checklist: int
    industry: str = Field("", max_length=1)
    tag: str = Field("", max_length=16)
    risk: str = Field("", max_length=8)
    grid: int | None = None
    every: str = Field("month", description="week, month, quarter, half or year")
    assignee: int | None = Field(None, description="an inspector (Person id)")
    company: int | None = Field(None, description="a third-party inspection company")
    starts_on: date | None = None
    ends_on: date | None = None


class PlanOut(Schema):
    id: int
    name: str
    checklist: int
    every: str
    industry: str
    tag: str
    risk: str
    assignee: str | None
    company: str | None
    starts_on: date
    ends_on: date | None
    active: bool
    places: int
    tasks_made: int


def _plan_out(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "checklist": p.checklist_id,
        "every": p.every,
        "industry": p.industry,
        "tag": p.tag,
        "risk": p.risk,
        "assignee": p.assignee.name if p.assignee_id else None,
        "company": p.company.name if p.company_id else None,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "active": p.active,
        "places": inspections.plan_places(p).count(),
        "tasks_made": getattr(p, "tasks_made", 0),
    }


@router.get("/safety/plans", response=list[PlanOut], summary="Inspection plans")
def plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    _ledger_reader(request)
    return [_plan_out(p) for p in Plan.objects.select_related("assignee", "company").order_by("-id")[:200]]


@router.post(
    "/safety/plans", response={201: PlanOut}, summary="Make a plan; its tasks for the current period are made at once"
)
def plan_create(request: HttpRequest, body: PlanIn) -> Status:
    user = require_user(request, write=True)
    plan = inspections.save_plan(body.dict(), actor=user)
    plan.tasks_made = inspections.generate_tasks(plan=plan)  # type: ignore[attr-defined]
    return Status(201, _plan_out(plan))


class ChecklistOut(Schema):
    id: int
    name: str
    industry: str
    tag: str
    items: list[ItemOut]


@router.get("/safety/checklists", response=list[ChecklistOut], summary="Checklists and their items")
def checklist_list(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    out = []
    for c in Checklist.objects.filter(active=True).prefetch_related("items"):
        out.append({"id": c.pk, "name": c.name, "industry": c.industry, "tag": c.tag, "items": _items(c)})
    return out
