"""Inspections: plans make tasks, an inspector does a task item by item on the phone, each failed item becomes
a hazard that runs the case loop (安全隐患: 整改 → 复查 → 销号) through ``cases.services`` — never a second
workflow. The hazard's row follows its case inside each step's transaction (``cases.origins``)."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.cases import origins
from jingwu.cases import photos as photo_lib
from jingwu.cases import services as cases
from jingwu.cases.choices import Action, AttachmentKind, State
from jingwu.cases.models import Case, FilingCondition, Transition
from jingwu.geo.models import Grid
from jingwu.lib import clock
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.org import actors
from jingwu.org.actors import Acting, resolve
from jingwu.org.choices import Role
from jingwu.org.models import Person, PersonRole
from jingwu.workcal.services import get_calendar

from . import checklists
from .choices import Every, Industry, Result, RiskLevel, Severity, Tag, TaskState
from .models import (
    Checklist,
    ChecklistItem,
    Company,
    Enterprise,
    Hazard,
    Inspection,
    InspectionPhoto,
    Inspector,
    ItemResult,
    Plan,
    Task,
)
from .services import with_tag

HAZARD_CATEGORY = "matter:90001"  # 安全隐患 (cases.catalog.LOCAL)
ORIGIN_KIND = "safety.hazard"
# Who plans inspections, assigns tasks and sees every inspection and hazard.
MANAGERS = frozenset({Role.SHIFT_LEAD, Role.LEADER})
# 整改期限 proposed for a failed item when the inspector gives none: 一般隐患 a week; 重大隐患 a month of
# 停产整改 with a 治理方案 (the inspector may set any period up to a year).
DEFAULT_DAYS = {Severity.GENERAL: 7, Severity.MAJOR: 30}
MAX_DAYS = 365
# The 立案条件 of the 安全隐患 category each level files under (cases.catalog.LOCAL).
CONDITIONS = {Severity.GENERAL: "一般隐患", Severity.MAJOR: "重大隐患"}
MAX_ITEM_PHOTOS = 3
# A phone may sync an inspection days later (no signal in a workshop); its own time is kept if plausible.
MAX_OFFLINE = timedelta(days=7)


# --- plans and tasks ------------------------------------------------------------------------------------


def period_of(every: str, day: date) -> tuple[date, date]:
    """The period ``day`` falls in, as (first day, last day)."""
    if every == Every.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    months = {Every.MONTH: 1, Every.QUARTER: 3, Every.HALF: 6, Every.YEAR: 12}[Every(every)]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + months
    end = date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def plan_places(plan: Plan) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.filter(active=True)
    if plan.industry:
        qs = qs.filter(industry=plan.industry)
    if plan.risk:
        qs = qs.filter(risk=plan.risk)
    if plan.grid_id:
        qs = qs.filter(grid_id=plan.grid_id)
    if plan.tag:
        qs = with_tag(qs, plan.tag)
    return qs.order_by("id")


def generate_tasks(today: date | None = None, plan: Plan | None = None) -> int:
    """Each active plan's tasks for the period ``today`` falls in, once per place and period however often it
    runs (the unique key decides). Returns how many were made."""
    today = today or clock.now().astimezone(get_calendar().tz).date()
    plans = [plan] if plan is not None else list(Plan.objects.filter(active=True))
    now = clock.now()
    made = 0
    for p in plans:
        if not p.active or p.starts_on > today or (p.ends_on is not None and p.ends_on < today):
            continue
        start, end = period_of(p.every, today)
        existing = set(Task.objects.filter(plan=p, period=start).values_list("enterprise_id", flat=True))
        new = [
            Task(
                plan=p,
                enterprise_id=pk,
                checklist_id=p.checklist_id,
                period=start,
                due_on=min(end, p.ends_on) if p.ends_on else end,
                assignee_id=p.assignee_id,
                company_id=p.company_id,
                created_at=now,
            )
            for pk in plan_places(p).values_list("pk", flat=True)
            if pk not in existing
        ]
        Task.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        made += len(new)
    return made


def save_plan(data: dict[str, Any], *, actor: Any) -> Plan:
    acting = _manager(actor)
    name = textlib.check(str(data.get("name") or "").strip(), "name")[:100]
    if not name:
        raise Invalid(gettext("请填写计划名称"), code="name_required")
    checklist = Checklist.objects.filter(pk=_id(data.get("checklist")) or 0, active=True).first()
    if checklist is None:
        raise Invalid(gettext("请选择检查表"), code="unknown_checklist")
    every = str(data.get("every") or Every.MONTH)
    if every not in Every.values:
        raise Invalid(gettext("频次未知"), code="unknown_every")
    assignee, company = _assignee(_id(data.get("assignee")), _id(data.get("company")))
    industry = str(data.get("industry") or "")[:1].upper()
    risk, tag = str(data.get("risk") or ""), str(data.get("tag") or "")
    if industry and industry not in Industry.values:
        raise Invalid(gettext("行业门类未知（GB/T 4754门类A–T）"), code="unknown_industry")
    if risk and risk not in RiskLevel.values:
        raise Invalid(gettext("风险等级只能是红、橙、黄、蓝"), code="unknown_risk")
    if tag and tag not in Tag.values:
        raise Invalid(gettext("标签未知"), code="unknown_tag")
    grid = _id(data.get("grid"))
    if grid is not None and not Grid.objects.filter(pk=grid).exists():
        raise Invalid(gettext("网格不存在"), code="unknown_grid")
    starts_on = _date(data.get("starts_on")) or clock.now().astimezone(get_calendar().tz).date()
    ends_on = _date(data.get("ends_on"))
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(gettext("结束日期早于开始日期"), code="invalid_dates")
    plan = Plan.objects.create(
        name=name,
        checklist=checklist,
        industry=industry,
        tag=tag,
        risk=risk,
        grid_id=grid,
        every=every,
        assignee=assignee,
        company=company,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
    )
    audit.record("safety.plan_create", "safety.plan", plan.pk, actor=acting.user, role=acting.role, data={"name": name})
    return plan


def create_task(data: dict[str, Any], *, actor: Any) -> Task:
    """检查任务 by hand: one place to inspect by a day (after a complaint, an accident elsewhere, a leader's
    instruction), for a company or an inspector; its checklist is the place's own if none is named."""
    acting = _manager(actor)
    place = Enterprise.objects.filter(pk=_id(data.get("enterprise")) or 0, active=True).first()
    if place is None:
        raise Invalid(gettext("企业不存在或已停业"), code="unknown_enterprise")
    checklist_id = _id(data.get("checklist"))
    checklist = (
        Checklist.objects.filter(pk=checklist_id, active=True).first()
        if checklist_id is not None
        else checklists.for_place(place.tags, place.industry)
    )
    if checklist is None:
        raise Invalid(gettext("请选择检查表"), code="unknown_checklist")
    assignee, company = _assignee(_id(data.get("assignee")), _id(data.get("company")))
    today = clock.now().astimezone(get_calendar().tz).date()
    due = _date(data.get("due_on")) or today + timedelta(days=7)
    if due < today:
        raise Invalid(gettext("应检日期不能早于今天"), code="invalid_date")
    task = Task.objects.create(
        enterprise=place,
        checklist=checklist,
        period=today,
        due_on=due,
        assignee=assignee,
        company=company,
        created_at=clock.now(),
    )
    audit.record(
        "safety.task_create",
        "safety.task",
        task.pk,
        actor=acting.user,
        role=acting.role,
        data={"place": place.pk, "due_on": due.isoformat()},
    )
    return task


def stop_plan(pk: int, *, actor: Any) -> Plan:
    acting = _manager(actor)
    plan = Plan.objects.filter(pk=pk).first()
    if plan is None:
        raise NotFound(gettext("检查计划不存在"))
    if plan.active:
        plan.active = False
        plan.save(update_fields=["active"])
        audit.record("safety.plan_stop", "safety.plan", plan.pk, actor=acting.user, role=acting.role)
    return plan


def cancel_task(pk: int, *, actor: Any, reason: str = "") -> Task:
    acting = _manager(actor)
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=pk).first()
        if task is None:
            raise NotFound(gettext("检查任务不存在"))
        if task.status != TaskState.TODO:
            raise Conflict(gettext("该任务已检查或已取消"), code="task_closed", details={"status": task.status})
        task.status = TaskState.CANCELLED
        task.save(update_fields=["status"])
        data = {"reason": textlib.check(reason.strip(), "reason")[:200]}
        audit.record("safety.task_cancel", "safety.task", task.pk, actor=acting.user, role=acting.role, data=data)
    return task


def _id(value: Any) -> int | None:
    """A row's id as a form or a JSON body gives it; anything else is refused, not passed to a query."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise Invalid(gettext("编号无效：%(value)s") % {"value": str(value)[:20]}, code="invalid_id") from exc


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(gettext("日期格式应为YYYY-MM-DD"), code="invalid_date") from exc


def _assignee(person: Any, company: Any) -> tuple[Person | None, Company | None]:
    p = c = None
    if person not in (None, ""):
        p = Person.objects.filter(pk=person).first()
        if p is None or not is_inspector(p):
            raise Invalid(gettext("检查员不存在"), code="unknown_inspector")
    if company not in (None, ""):
        c = Company.objects.filter(pk=company, active=True).first()
        if c is None:
            raise Invalid(gettext("检查机构不存在或已停用"), code="unknown_company")
    if p is not None:
        own = company_of(p)
        if c is not None and own != c:
            raise Invalid(gettext("检查员不属于该机构"), code="inspector_not_in_company")
        c = own
    return p, c


def _manager(actor: Any) -> Acting:
    acting = resolve(actor)
    if not set(acting.roles) & MANAGERS:
        raise Forbidden(gettext("只有值班长和领导可以安排检查"), code="forbidden_role")
    return acting


def is_inspector(person: Person) -> bool:
    return person.role == Role.INSPECTOR or PersonRole.objects.filter(person=person, role=Role.INSPECTOR).exists()


def company_of(person: Person | None) -> Company | None:
    if person is None:
        return None
    ins = Inspector.objects.select_related("company").filter(person=person).first()
    return ins.company if ins is not None else None


def inspector_of(acting: Acting) -> Inspector | None:
    """The inspector this actor is, if any: the inspector role, an ``Inspector`` row saying for whom they
    inspect, and that company still active. The role alone grants nothing: an account made in haste, or one
    whose company was dropped, sees no task and may check no hazard."""
    if Role.INSPECTOR not in acting.roles or acting.person is None:
        return None
    ins = Inspector.objects.select_related("company").filter(person=acting.person).first()
    if ins is None or (ins.company is not None and not ins.company.active):
        return None
    return ins


def tasks_for(user: Any) -> QuerySet[Task]:
    """The tasks this person sees: managers all; an inspector those assigned to them, and those of their
    company (or, for the town's own inspectors, the town's) that name no one yet."""
    acting = resolve(user)
    qs = Task.objects.select_related("enterprise", "checklist", "company", "assignee")
    if set(acting.roles) & MANAGERS:
        return qs
    ins = inspector_of(acting)
    if ins is None:
        return qs.none()
    return qs.filter(Q(assignee=acting.person) | Q(assignee=None, company=ins.company_id))


def may_do(task: Task, acting: Acting) -> bool:
    ins = inspector_of(acting)
    if ins is None:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == ins.person_id
    return task.company_id == ins.company_id


# --- doing an inspection --------------------------------------------------------------------------------


@dataclass
class ItemIn:
    item: int  # the checklist item's id
    result: str
    note: str = ""
    level: str = ""  # for a failure: 一般/重大, else the item's own
    days: int | None = None  # for a failure: the rectification period in days
    photos: Sequence[Any] = ()


@dataclass
class InspectionIn:
    task: int
    items: list[ItemIn]
    signer_name: str
    signature: bytes  # a PNG (or JPEG/WebP) of the signature drawn on the screen
    note: str = ""
    at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    client_key: str | None = None
    hazards: list[Hazard] = field(default_factory=list)


def decode_signature(value: Any) -> bytes:
    """A signature as the phone sends it: a data URL (``data:image/png;base64,...``), base64, or bytes."""
    if isinstance(value, bytes):
        return value
    if hasattr(value, "read"):
        return bytes(value.read())
    text = str(value or "")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(gettext("签字图片无效"), code="invalid_signature") from exc


def _when(at: datetime | None, now: datetime) -> datetime:
    if at is None or at.tzinfo is None or at > now + timedelta(minutes=5) or at < now - MAX_OFFLINE:
        return now
    return at


def submit(data: InspectionIn, *, actor: Any) -> Inspection:
    """检查: record one inspection of a task; each failed item becomes a hazard case. A retry with the same
    ``client_key`` returns the first record."""
    acting = resolve(actor)
    if Role.INSPECTOR not in acting.roles:
        raise Forbidden(gettext("只有检查员可以提交检查"), code="forbidden_role")
    raw_key = (data.client_key or "").strip() or None
    if raw_key is not None and len(raw_key) > 64:
        raise Invalid(gettext("幂等键最长64个字符"), code="invalid_key")
    key = acting.key(raw_key)
    if key is not None:
        done = Inspection.objects.filter(client_key=key).first()
        if done is not None:
            if done.task_id != data.task:
                raise Conflict(gettext("该幂等键已被使用"), code="key_reused")
            return done
    signer = textlib.check((data.signer_name or "").strip(), "signer_name")
    if not signer or len(signer) > 32:
        raise Invalid(gettext("请填写签字人姓名"), code="signer_required")
    note = textlib.check((data.note or "").strip(), "note")[:2000]
    signature = _signature(data.signature)
    now = clock.now()
    try:
        with transaction.atomic():
            locked = Task.objects.select_for_update().select_related("enterprise", "checklist")
            task = locked.filter(pk=data.task).first()
            if task is None:
                raise NotFound(gettext("检查任务不存在"))
            if key is not None:
                # Looked for again under the lock: a retry that waited for the first attempt finds its record.
                done = Inspection.objects.filter(client_key=key).first()
                if done is not None:
                    if done.task_id != task.pk:
                        raise Conflict(gettext("该幂等键已被使用"), code="key_reused")
                    return done
            if not may_do(task, acting):
                raise Forbidden(gettext("这不是您的检查任务"), code="not_your_task")
            if task.status != TaskState.TODO:
                raise Conflict(gettext("该任务已检查或已取消"), code="task_closed", details={"status": task.status})
            rows = _check_items(task.checklist, data.items)
            place = task.enterprise
            inspection = Inspection(
                task=task,
                enterprise=place,
                checklist=task.checklist,
                inspector=acting.user,
                inspector_name=acting.name[:64],
                company=company_of(acting.person),
                at=_when(data.at, now),
                received_at=now,
                lon=data.lon if _plausible(data.lon, data.lat) else None,
                lat=data.lat if _plausible(data.lon, data.lat) else None,
                signer_name=signer,
                note=note,
                passed=sum(1 for _, i in rows if i.result == Result.PASS),
                failed=sum(1 for _, i in rows if i.result == Result.FAIL),
                client_key=key,
            )
            inspection.signature.save(signature.name, signature.content, save=False)
            inspection.save()
            results = ItemResult.objects.bulk_create(
                ItemResult(
                    inspection=inspection,
                    item=item,
                    position=item.position,
                    text=item.text,
                    basis=item.basis,
                    result=given.result,
                    note=given.note,
                )
                for item, given in rows
            )
            for result, (item, given) in zip(results, rows, strict=True):
                for upload in given.photos:
                    _keep_photo(result, upload)
                if given.result == Result.FAIL:
                    data.hazards.append(_raise_hazard(inspection, result, item, given, acting))
            task.status, task.done_at = TaskState.DONE, now
            task.save(update_fields=["status", "done_at"])
            recount(place.pk)
            audit.record(
                "safety.inspect",
                "safety.inspection",
                inspection.pk,
                actor=acting.user,
                role=Role.INSPECTOR,
                data={"task": task.pk, "place": place.pk, "failed": inspection.failed, "hazards": len(data.hazards)},
            )
    except IntegrityError:
        if key is None:
            raise
        done = Inspection.objects.filter(client_key=key).first()
        if done is None:
            raise
        return done
    return inspection


def _plausible(lon: float | None, lat: float | None) -> bool:
    """A position the phone could have had (not NaN, not off the globe); anything else is not kept."""
    import math

    if lon is None or lat is None:
        return False
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


def _signature(raw: bytes) -> photo_lib.Photo:
    if not raw:
        raise Invalid(gettext("请企业负责人在屏幕上签字"), code="signature_required")
    try:
        return photo_lib.process(io.BytesIO(raw))
    except Invalid as exc:
        raise Invalid(gettext("签字图片无效"), code="invalid_signature") from exc


def _check_items(checklist: Checklist, given: list[ItemIn]) -> list[tuple[ChecklistItem, ItemIn]]:
    items = {i.pk: i for i in checklist.items.all()}
    seen: dict[int, ItemIn] = {}
    for g in given:
        if g.item not in items:
            raise Invalid(gettext("检查项 %(item)s 不属于该检查表") % {"item": g.item}, code="unknown_item")
        if g.item in seen:
            raise Invalid(gettext("检查项 %(item)s 重复") % {"item": g.item}, code="duplicate_item")
        if g.result not in Result.values:
            raise Invalid(gettext("结果只能是合格、不合格或不适用"), code="invalid_result")
        g.note = textlib.check((g.note or "").strip(), "note")[:500]
        if g.result == Result.FAIL and not g.note:
            raise Invalid(
                gettext("第%(position)s项不合格，请说明发现的问题") % {"position": items[g.item].position},
                code="note_required",
                details={"item": g.item},
            )
        if g.level and g.level not in Severity.values:
            raise Invalid(gettext("隐患等级只能是一般或重大"), code="invalid_level")
        if g.days is not None and not 1 <= g.days <= MAX_DAYS:
            raise Invalid(gettext("整改期限须在1至365天之间"), code="invalid_days")
        if len(g.photos) > MAX_ITEM_PHOTOS:
            raise Invalid(gettext("每项最多3张照片"), code="too_many_photos")
        for upload in g.photos:
            photo_lib.process(upload)
            if hasattr(upload, "seek"):
                upload.seek(0)
        seen[g.item] = g
    missing = [items[pk].position for pk in items if pk not in seen]
    if missing:
        raise Invalid(
            gettext("还有检查项未填：%(items)s") % {"items": gettext("、").join(str(p) for p in sorted(missing))},
            code="items_missing",
            details={"positions": sorted(missing)},
        )
    return [(items[g.item], g) for g in sorted(seen.values(), key=lambda g: items[g.item].position)]


def _keep_photo(result: ItemResult, upload: Any) -> InspectionPhoto:
    photo = photo_lib.process(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    row = InspectionPhoto(result=result, content_type=photo.content_type, sha256=photo.sha256)
    row.file.save(photo.name, photo.content, save=False)
    row.save()
    return row


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(18, 0), tzinfo=get_calendar().tz)


def _raise_hazard(
    inspection: Inspection, result: ItemResult, item: ChecklistItem, given: ItemIn, acting: Acting
) -> Hazard:
    place = inspection.enterprise
    level = given.level or item.severity
    days = given.days or DEFAULT_DAYS[Severity(level)]
    local_day = inspection.at.astimezone(get_calendar().tz).date()
    hazard = Hazard.objects.create(
        inspection=inspection,
        result=result,
        enterprise=place,
        level=level,
        hazard_type=item.hazard_type,
        industry=place.industry,
        grid_id=place.grid_id,
        description=given.note,
        basis=item.basis,
        found_at=inspection.at,
        rectify_by=_end_of_day(local_day + timedelta(days=days)),
    )
    lon, lat = (place.lon, place.lat) if place.lon is not None else (inspection.lon, inspection.lat)
    if lon is None or lat is None:
        raise Invalid(gettext("该场所未登记位置，请开启定位后再提交"), code="location_required")
    cond = FilingCondition.objects.filter(category__code="90001", name=CONDITIONS[Severity(level)]).first()
    label = Severity(level).label
    who = acting.name + (f"（{inspection.company.name}）" if inspection.company else "")
    result_case = cases.report_case(
        actor=actors.INSPECTION,
        category=HAZARD_CATEGORY,
        description=f"【{label}】{place.name}：{item.text} —— {given.note}",
        lon=lon,
        lat=lat,
        address=place.address,
        source_detail=who[:100],
        photos=list(given.photos),
        start=State.TO_DISPATCH,
        start_reason=gettext("检查发现隐患，检查员现场确认并经企业签字（检查记录 %(id)s）") % {"id": inspection.pk},
        condition=cond.pk if cond else None,
        origin=hazard,
        client_key=f"hazard-{hazard.pk}",
    )
    hazard.case = result_case.case
    hazard.status = result_case.case.status
    hazard.save(update_fields=["case", "status"])
    return hazard


# --- the hazard as its case moves -----------------------------------------------------------------------

CLOSED_STATES = (State.CLOSED, State.VOIDED, State.MERGED)


def recount(enterprise_id: int) -> None:
    """The place's ledger figures, counted again from its own rows (a few), never incremented: a retried or
    reordered step cannot leave them wrong."""
    # The place's row locked first: two steps on hazards of one place count one after the other, and the
    # second writes what both did.
    Enterprise.objects.select_for_update().filter(pk=enterprise_id).values_list("pk").first()
    is_open = ~Q(status__in=CLOSED_STATES)
    figures = Hazard.objects.filter(enterprise_id=enterprise_id).aggregate(
        n=Count("id", filter=is_open),
        due=Min("rectify_by", filter=is_open),
        closed=Count("id", filter=Q(status=State.CLOSED)),
    )
    Enterprise.objects.filter(pk=enterprise_id).update(
        open_hazards=figures["n"] or 0,
        next_due=figures["due"],
        closed_hazards=figures["closed"] or 0,
        last_inspected_at=Inspection.objects.filter(enterprise_id=enterprise_id).aggregate(m=Max("at"))["m"],
    )


def _hazard_of(case: Case) -> Hazard | None:
    if case.origin_kind != ORIGIN_KIND or not case.origin_id.isdigit():
        return None
    return Hazard.objects.filter(pk=int(case.origin_id)).first()


def follow(case: Case, record: Transition) -> None:
    """The hazard's ledger fields, from its case's step, in that step's transaction: its state, its 复查 count,
    when it was closed (销号), and its deadline — the case's handling deadline once dispatched, extended or
    resumed, so the ledgers' 逾期 is the case's."""
    if record.action == Action.REPORT or not case.origin_id.isdigit():
        return  # the hazard takes its case once report_case returns
    moved = record.from_state != record.to_state
    due = case.handling_deadline
    if not moved and record.action not in DEADLINE_STEPS:
        return  # a remark, an urge, a 承办人: nothing the ledgers count
    hazard = Hazard.objects.filter(pk=int(case.origin_id)).only("pk", "enterprise_id", "rectify_by").first()
    if hazard is None:
        return
    updates: dict[str, Any] = {"status": case.status}
    if record.action == Action.CHECK:
        updates["rechecks"] = F("rechecks") + 1
    if case.status == State.CLOSED:
        updates["closed_at"] = case.closed_at or record.at
    elif record.from_state == State.CLOSED:
        updates["closed_at"] = None
    if due is not None and due != hazard.rectify_by:
        updates["rectify_by"] = due
    Hazard.objects.filter(pk=hazard.pk).update(**updates)
    flipped = (record.from_state in CLOSED_STATES) != (record.to_state in CLOSED_STATES)
    if flipped or "rectify_by" in updates:
        recount(hazard.enterprise_id)  # only opening, closing or a new deadline changes the place's figures


# Steps that move a case's handling deadline without moving its state.
DEADLINE_STEPS = frozenset({Action.APPROVE_EXTENSION})


def may_check(case: Case, acting: Acting) -> bool:
    """复查: the town's own inspectors, or those of the company that found the hazard."""
    ins = inspector_of(acting)
    if ins is None:
        return False
    hazard = _hazard_of(case)
    if hazard is None:
        return False
    found_by = hazard.inspection.company_id if hazard.inspection_id and hazard.inspection else None
    return ins.company_id is None or ins.company_id == found_by


def visible(user: Any) -> Q | None:
    """The hazard cases an inspector sees (to 复查 them): the town's inspectors all, a company's those its
    inspections found. Nobody else gains anything here."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    ins = inspector_of(resolve(user))
    if ins is None:
        return None
    if ins.company_id is None:
        return Q(origin_kind=ORIGIN_KIND)
    found = Hazard.objects.filter(inspection__company_id=ins.company_id).values_list(Cast("pk", CharField()))
    return Q(origin_kind=ORIGIN_KIND, origin_id__in=found)


def checkers(case: Case) -> list[Any]:
    hazard = _hazard_of(case)
    if hazard is None or hazard.inspection is None:
        return []
    person = Person.objects.filter(user_id=hazard.inspection.inspector_id, user__is_active=True)
    return list(person.select_related("user"))


def deadline(case: Case, now: datetime) -> datetime | None:
    hazard = _hazard_of(case)
    return hazard.rectify_by if hazard is not None else None


# A failed 复查 gives the place a new 限期: a few days for a general hazard, two weeks for a major one.
REWORK_DAYS = {Severity.GENERAL: 3, Severity.MAJOR: 15}


def rework_deadline(case: Case, now: datetime) -> datetime | None:
    hazard = _hazard_of(case)
    if hazard is None:
        return None
    day = now.astimezone(get_calendar().tz).date() + timedelta(days=REWORK_DAYS[Severity(hazard.level)])
    renewed = _end_of_day(day)
    return max(renewed, case.handling_deadline) if case.handling_deadline else renewed


def for_leaders(case: Case) -> bool:
    hazard = _hazard_of(case)
    return hazard is not None and hazard.level == Severity.MAJOR


def link(case: Case, user: Any) -> tuple[str, str] | None:
    """The inspection that found the hazard, for those who may read it."""
    from django.urls import reverse

    from .api import may_see_inspection

    hazard = _hazard_of(case)
    if hazard is None or hazard.inspection is None or not may_see_inspection(user, hazard.inspection):
        return None
    label = gettext("检查记录 %(id)s") % {"id": hazard.inspection_id}
    return label, reverse("safety:inspection", args=[hazard.inspection_id])


ORIGIN = origins.Origin(
    kind=ORIGIN_KIND,
    visible=visible,
    may_check=may_check,
    checkers=checkers,
    deadline=deadline,
    rework_deadline=rework_deadline,
    link=link,
    follow=follow,
    for_leaders=for_leaders,
)


# --- the enterprise's rectification evidence ------------------------------------------------------------


def submit_evidence(
    hazard: Hazard, *, text: str, photos: Sequence[Any], actor: Any, by: str = "", client_key: str | None = None
) -> Transition:
    """整改材料: what the enterprise did, in words and photos, on the hazard's case timeline — sent by the
    department that holds the case, or by the place itself through its link (``actor`` the inspection
    module, ``by`` the name it gave)."""
    acting = resolve(actor)
    case = hazard.case
    if case is None:
        raise Invalid(gettext("该隐患尚未进入流程"), code="no_case")
    if not (acting.system is actors.INSPECTION or _holds(case, acting)):
        raise Forbidden(gettext("只有承办该隐患的部门可以提交整改材料"), code="not_your_department")
    text = textlib.check((text or "").strip(), "text")
    if not text:
        raise Invalid(gettext("请说明整改情况"), code="note_required")
    if not photos:
        raise Invalid(gettext("请上传整改后的照片"), code="photo_required")
    if len(photos) > 6:
        raise Invalid(gettext("最多6张照片"), code="too_many_photos")
    who = by.strip()[:32]
    prefix = gettext("企业整改材料") + (f"（{who}）" if who else "")
    return cases.add_note(
        hazard.case_id,
        actor=actor,
        text=f"{prefix}：{text}",
        public=False,
        client_key=client_key,
        data={"evidence": True, "hazard": hazard.pk},
        photos=photos,
        photo_kind=AttachmentKind.EVIDENCE,
        only_in=RECTIFYING,  # checked under the case's lock: not once the 反馈 is in
    )


# While a hazard may receive its place's 整改材料: from the moment it is found (the place may put it right at
# once, before the department has it) until the department reports it done.
RECTIFYING = frozenset({State.TO_DISPATCH, State.RETURNED, State.HANDLING})


def rectify_url(hazard: Hazard) -> str:
    """The place's own link for its 整改材料, absolute where the site's address is configured."""
    from django.conf import settings
    from django.urls import reverse

    return (getattr(settings, "JINGWU_SITE_URL", "") or "").rstrip("/") + reverse("safety:rectify", args=[hazard.token])


def _holds(case: Case, acting: Acting) -> bool:
    """A handler of the department the hazard's case is with."""
    person = acting.person
    return (
        Role.HANDLER in acting.roles
        and person is not None
        and person.department_id is not None
        and person.department_id == case.department_id
    )
