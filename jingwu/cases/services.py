"""The only writers of workflow state.

Every function here runs in one transaction, locks the case row, checks the workflow table and the
actor's role and scope, writes one Transition row and one audit row, bumps the version, and sends
``case_changed`` after commit. Views, the API, the CLI, the demo loader and other domains all call
these; nothing else saves workflow fields.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from jingwu.audit import services as audit
from jingwu.geo.services import locate
from jingwu.lib import clock, coords
from jingwu.lib.worktime import Limit, LimitUnit

__all__ = ["ActionInput", "Limit", "LimitUnit", "perform", "report_case"]
from jingwu.org.choices import Role
from jingwu.org.models import Department, GridAssignment
from jingwu.org.services import person_of, role_of, suggest_department
from jingwu.workcal.services import get_calendar

from . import photos as photo_lib
from .choices import OPEN_STATES, Action, AttachmentKind, Source, State
from .errors import Conflict, Forbidden, Invalid, InvalidState, NotFound
from .models import Attachment, Case, Category, FilingCondition, Transition, attachment_path
from .signals import case_changed
from .workflow import ACTIONS_WITH_OUTCOME, REPORT_ROLES, Step, find_step, steps_for

MAX_DESCRIPTION = 4000
MAX_EXTENSION_DAYS = 30

PHOTO_KIND = {
    Action.REPORT: AttachmentKind.REPORT,
    Action.VERIFY: AttachmentKind.VERIFY,
    Action.FEEDBACK: AttachmentKind.FEEDBACK,
    Action.CHECK: AttachmentKind.CHECK,
}

DEFAULT_SOURCE = {
    Role.GRID_WORKER: Source.GRID_WORKER,
    Role.PUBLIC: Source.PUBLIC,
    Role.OPERATOR: Source.HOTLINE,
}


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case] = field(default_factory=list)


def _actor_label(actor: Any) -> str:
    person = person_of(actor)
    if person is not None:
        return person.name
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor.get_username())
    return "system"


def _acting_role(actor: Any) -> str:
    return Role.SYSTEM if actor is None else role_of(actor)


def stage_deadline(state: str, start: datetime) -> datetime | None:
    minutes = settings.JINGWU_STAGE_LIMITS.get(state)
    if minutes is None:
        return None
    return get_calendar().add_limit(start, Limit(minutes, LimitUnit.WORK_MINUTES))


def _due_for(case: Case, state: str, now: datetime) -> datetime | None:
    if state == State.HANDLING:
        return case.handling_deadline
    return stage_deadline(state, now)


def _resolve_category(value: Any) -> Category | None:
    if value is None or value == "":
        return None
    if isinstance(value, Category):
        return value
    from .refs import refs, refs_cache

    found = refs().find_category(value)
    if found is None and refs_cache.refresh_local():
        found = refs().find_category(value)  # perhaps added since this process built its copy
    if found is None:
        raise Invalid(f"未知的类别 / unknown category {value!r}", code="unknown_category")
    return found


def _save_photos(
    case: Case, transition: Transition | None, uploads: Sequence[Any], kinds: Sequence[str], actor: Any, now: datetime
) -> list[Attachment]:
    saved = []
    for upload, kind in zip(uploads, kinds, strict=True):
        photo = photo_lib.process(upload)
        att = Attachment(
            case=case,
            transition=transition,
            kind=kind,
            content_type=photo.content_type,
            size=len(photo.content),
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            at=now,
        )
        path = attachment_path(att, photo.name)
        if att.file.storage.exists(path):
            att.file.name = path  # same bytes already stored: content-addressed, keep one copy
        else:
            att.file.save(photo.name, photo.content, save=False)
        att.save()
        saved.append(att)
    return saved


def _check_photos(uploads: Sequence[Any]) -> list[photo_lib.Photo]:
    # Validate every photo before any row is written, so a bad photo loses nothing else.
    return [photo_lib.process(u) for u in uploads]


def _send_after_commit(case: Case, transition: Transition) -> None:
    def send() -> None:
        case_changed.send(
            sender=Case,
            case_id=case.pk,
            transition_id=transition.pk,
            action=transition.action,
            to_state=transition.to_state,
        )

    transaction.on_commit(send)


def find_duplicates(case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same category near this one, reported within the window: candidates for 并案."""
    if case.category_id is None:
        return []
    metres = settings.JINGWU_DUPLICATE_METRES
    dlat = metres / 111_000
    dlon = dlat * 1.4  # 1/cos(latitude) near 45°N covers all of China south of it
    since = case.reported_at - timedelta(hours=settings.JINGWU_DUPLICATE_HOURS)
    candidates = (
        Case.objects.filter(
            category_id=case.category_id,
            status__in=OPEN_STATES,
            reported_at__gte=since,
            lat__range=(case.lat - dlat, case.lat + dlat),
            lon__range=(case.lon - dlon, case.lon + dlon),
        )
        .exclude(pk=case.pk)
        .only("id", "number", "lon", "lat", "reported_at")
        .order_by("-reported_at")[:50]
    )
    near = [c for c in candidates if coords.distance_m(case.lon, case.lat, c.lon, c.lat) <= metres]
    return near[:limit]


def report_case(
    *,
    actor: Any,
    lon: float,
    lat: float,
    description: str,
    crs: str = "wgs84",
    category: Any = None,
    kind: str | None = None,
    source: str | None = None,
    source_detail: str = "",
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    client_key: str | None = None,
    photos: Sequence[Any] = (),
) -> ReportResult:
    """上报: a new case. A retry with the same ``client_key`` returns the first case, never a second."""
    role = _acting_role(actor)
    if role not in REPORT_ROLES:
        raise Forbidden(f"角色 {role} 不能上报 / role {role} cannot report", code="forbidden_role")
    client_key = (client_key or "").strip() or None
    # No look-up first: the unique index on client_key decides, and a retry takes the except path.
    if client_key is not None and len(client_key) > 64:
        raise Invalid("幂等键最长64个字符 / idempotency key is at most 64 characters", code="invalid_key")
    description = (description or "").strip()
    if not description:
        raise Invalid("请描述问题 / a description is required", code="description_required")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid("问题描述不能超过4000字 / description over 4000 characters", code="description_too_long")
    try:
        wlon, wlat = coords.to_wgs84(float(lon), float(lat), crs)
    except ValueError as exc:
        raise Invalid(f"坐标无效 / invalid coordinates: {exc}", code="invalid_location") from exc
    where = locate(wlon, wlat)
    if where is None:
        raise Invalid("位置不在辖区内 / the location is outside the territory", code="outside_territory")
    cat = _resolve_category(category)
    if source is None:
        source = DEFAULT_SOURCE.get(Role(role), Source.PUBLIC) if role != Role.SYSTEM else Source.IOT
    if source not in Source.values:
        raise Invalid(f"未知来源 / unknown source {source!r}", code="unknown_source")
    checked = _check_photos(photos)
    for upload in photos:  # process() read them; rewind for the save below
        if hasattr(upload, "seek"):
            upload.seek(0)
    del checked
    now = clock.now()
    person = person_of(actor)
    in_own_grid = (
        role == Role.GRID_WORKER
        and person is not None
        and GridAssignment.objects.filter(person=person, grid_id=where.grid_id).exists()
    )
    state = State.TO_FILE if in_own_grid else State.REPORTED
    try:
        with transaction.atomic():
            pk = _next_case_id()
            case = Case.objects.create(
                id=pk,
                number=_case_number(now, pk) if pk else None,
                kind=kind or (cat.case_kind if cat else "event"),
                category=cat,
                source=source,
                source_detail=source_detail[:100],
                lon=wlon,
                lat=wlat,
                address=address[:200],
                grid_id=where.grid_id,
                region_id=where.region_id,
                description=description,
                reporter_user=actor if getattr(actor, "is_authenticated", False) else None,
                reporter_name=(reporter_name or (person.name if person else ""))[:64],
                reporter_phone=(reporter_phone or (person.phone if person else ""))[:32],
                tracking_code=secrets.token_hex(4),
                client_key=client_key,
                status=state,
                reported_at=now,
                updated_at=now,
                due_at=stage_deadline(state, now),
            )
            if not pk:  # SQLite has no sequence to draw from: number the row once it has its id
                case.number = _case_number(now, case.pk)
                Case.objects.filter(pk=case.pk).update(number=case.number)
            t = Transition.objects.create(
                case=case,
                seq=1,
                action=Action.REPORT,
                from_state="",
                to_state=state,
                actor=case.reporter_user,
                actor_name=_actor_label(actor),
                role=role,
                at=now,
                deadline_after=case.due_at,
                public_note="已受理上报" if state == State.REPORTED else "网格员上报",
            )
            _save_photos(case, t, photos, [AttachmentKind.REPORT] * len(photos), actor, now)
            audit.record(
                "case.report",
                "case",
                case.number or case.pk,
                actor=actor,
                role=role,
                data={"state": state, "source": source, "grid": where.grid_code},
            )
            _send_after_commit(case, t)
    except IntegrityError:
        # A retry (or two racing retries): the unique key already names a case; return that one.
        if client_key is None:
            raise
        existing = _existing_report(client_key, actor)
        if existing is None:
            raise
        return ReportResult(existing, created=False)
    return ReportResult(case, created=True, duplicates=find_duplicates(case))


def _case_number(at: datetime, pk: int) -> str:
    return f"{settings.JINGWU_CASE_PREFIX}{at.astimezone(get_calendar().tz):%Y}{pk:08d}"


def _next_case_id() -> int | None:
    """On PostgreSQL, draw the id first, so the number goes in with the row: a second write would touch every
    index of the table again (the number is indexed, so the update cannot be HOT)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cases_case', 'id'))")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _existing_report(client_key: str, actor: Any) -> Case | None:
    existing = Case.objects.filter(client_key=client_key).first()
    if existing is None:
        return None
    mine = existing.reporter_user_id == (actor.pk if getattr(actor, "is_authenticated", False) else None)
    if not mine:
        raise Conflict("该幂等键已被使用 / this idempotency key was used by another report", code="key_reused")
    return existing


# --- actions ---------------------------------------------------------------------------------------


@dataclass
class ActionInput:
    outcome: str = ""
    note: str = ""
    reason: str = ""
    public_note: str = ""
    photos: Sequence[Any] = ()
    department: Any = None
    category: Any = None
    condition: Any = None
    extension: Limit | None = None
    merge_into: Any = None
    client_key: str | None = None


def get_case(ref: Any, *, for_update: bool = False) -> Case:
    qs = Case.objects.select_for_update() if for_update else Case.objects.all()
    if isinstance(ref, Case):
        ref = ref.pk
    lookup = {"pk": int(ref)} if isinstance(ref, int) or str(ref).isdigit() else {"number": str(ref)}
    try:
        return qs.get(**lookup)
    except Case.DoesNotExist as exc:
        raise NotFound(f"案件不存在 / no case {ref}") from exc


def _check_scope(step: Step, case: Case, actor: Any) -> None:
    person = person_of(actor)
    if step.scope == "grid":
        ok = (
            person is not None
            and case.grid_id is not None
            and GridAssignment.objects.filter(person=person, grid_id=case.grid_id).exists()
        )
        if not ok:
            raise Forbidden("只有本网格的网格员可以操作 / only a worker of this grid may do this", code="not_your_grid")
    elif step.scope == "department":
        if person is None or person.department_id is None or person.department_id != case.department_id:
            raise Forbidden(
                "案件不在本单位 / the case is not dispatched to your department", code="not_your_department"
            )
    elif step.scope == "reporter" and (actor is None or case.reporter_user_id != actor.pk):
        raise Forbidden("只有上报人可以自行处置 / only the reporter may self-resolve", code="not_reporter")


def perform(ref: Any, action: str, *, actor: Any, version: int, data: ActionInput | None = None) -> Case:
    """Take one workflow action on a case."""
    data = data or ActionInput()
    if action not in Action.values or action in (Action.REPORT, Action.NOTE):
        raise Invalid(f"未知动作 / unknown action {action!r}", code="unknown_action")
    role = _acting_role(actor)
    if action in ACTIONS_WITH_OUTCOME and data.outcome not in ACTIONS_WITH_OUTCOME[Action(action)]:
        raise Invalid(f"outcome 必须是 {'/'.join(ACTIONS_WITH_OUTCOME[Action(action)])}", code="invalid_outcome")
    client_key = (data.client_key or "").strip() or None
    if client_key is not None and len(client_key) > 64:
        raise Invalid("幂等键最长64个字符 / idempotency key is at most 64 characters", code="invalid_key")
    if data.photos:
        _check_photos(data.photos)
        for upload in data.photos:
            if hasattr(upload, "seek"):
                upload.seek(0)
    with transaction.atomic():
        case = get_case(ref, for_update=True)
        if client_key is not None:
            done = Transition.objects.filter(client_key=client_key).first()
            if done is not None:
                if done.case_id != case.pk or done.action != action:
                    raise Conflict("该幂等键已被使用 / this idempotency key was used already", code="key_reused")
                return case  # a retry of an action that already happened
        if not any(role in s.roles for s in steps_for(action)):
            raise Forbidden(f"角色 {role} 不能执行 {action} / role {role} may not {action}", code="forbidden_role")
        if case.version != version:
            raise Conflict(
                "案件已被他人处理，请刷新后重试 / someone else changed this case first; reload and try again",
                details={"current_version": case.version, "status": case.status},
            )
        step = find_step(case.status, action, data.outcome)
        if step is None:
            raise InvalidState(
                f"案件状态 {case.status} 不能执行 {action} / {action} is not allowed in state {case.status}",
                details={"status": case.status},
            )
        if role not in step.roles:
            raise Forbidden(f"角色 {role} 不能执行 {action} / role {role} may not {action}", code="forbidden_role")
        _check_scope(step, case, actor)
        if step.needs_reason and not (data.reason.strip() or data.note.strip()):
            raise Invalid("请填写原因 / a reason is required", code="reason_required")
        min_photos = 2 if action == Action.SELF_RESOLVE else 1
        if step.needs_photo and len(data.photos) < min_photos:
            raise Invalid(
                f"需要至少{min_photos}张照片 / at least {min_photos} photo(s) required", code="photo_required"
            )
        if len(data.note) > 2000:
            raise Invalid("说明不能超过2000字 / note over 2000 characters", code="note_too_long")

        now = clock.now()
        before = case.due_at
        from_state = case.status
        t = Transition(
            case=case,
            action=action,
            outcome=data.outcome,
            from_state=from_state,
            to_state=step.target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_name=_actor_label(actor),
            role=role,
            at=now,
            note=data.note.strip(),
            reason=data.reason.strip()[:32],
            public_note=data.public_note.strip()[:500],
            deadline_before=before,
            client_key=client_key,
        )
        if step.target != from_state and before is not None:
            t.on_time = now <= before
        HOOKS[Action(action)](case, data, now, actor, role, t)
        case.status = step.target
        case.due_at = _due_for(case, step.target, now) if step.target in OPEN_STATES else None
        case.version += 1
        case.updated_at = now
        case.save()
        t.deadline_after = case.due_at
        t.seq = (Transition.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0) + 1
        t.save()
        if data.photos:
            if action == Action.SELF_RESOLVE:
                kinds = [AttachmentKind.BEFORE] + [AttachmentKind.AFTER] * (len(data.photos) - 1)
            else:
                kinds = [PHOTO_KIND.get(Action(action), AttachmentKind.OTHER)] * len(data.photos)
            _save_photos(case, t, data.photos, kinds, actor, now)
        audit.record(
            f"case.{action}",
            "case",
            case.number or case.pk,
            actor=actor,
            role=role,
            data={
                "from": from_state,
                "to": step.target,
                "version": case.version,
                **({"outcome": data.outcome} if data.outcome else {}),
            },
        )
        _send_after_commit(case, t)
    return case


NOTE_ROLES = frozenset(
    {Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.HANDLER, Role.GRID_WORKER, Role.SYSTEM}
)


def add_note(
    ref: Any,
    *,
    actor: Any,
    text: str,
    public: bool = False,
    client_key: str | None = None,
    data: dict[str, Any] | None = None,
) -> Transition:
    """A remark on the timeline. It changes no state and no version, so it never conflicts with an action."""
    role = _acting_role(actor)
    if role not in NOTE_ROLES:
        raise Forbidden(f"角色 {role} 不能添加备注 / role {role} may not add notes", code="forbidden_role")
    text = (text or "").strip()
    if not text:
        raise Invalid("备注不能为空 / a note needs text", code="note_required")
    if len(text) > 2000:
        raise Invalid("说明不能超过2000字 / note over 2000 characters", code="note_too_long")
    client_key = (client_key or "").strip() or None
    with transaction.atomic():
        case = get_case(ref, for_update=True)
        if client_key is not None:
            done = Transition.objects.filter(client_key=client_key).first()
            if done is not None:
                if done.case_id != case.pk or done.action != Action.NOTE:
                    raise Conflict("该幂等键已被使用 / this idempotency key was used already", code="key_reused")
                return done
        now = clock.now()
        seq = (Transition.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0) + 1
        t = Transition.objects.create(
            case=case,
            seq=seq,
            action=Action.NOTE,
            from_state=case.status,
            to_state=case.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_name=_actor_label(actor),
            role=role,
            at=now,
            note=text,
            public_note=text[:500] if public else "",
            client_key=client_key,
            deadline_before=case.due_at,
            deadline_after=case.due_at,
            data=data or {},
        )
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        audit.record("case.note", "case", case.number or case.pk, actor=actor, role=role, data={"public": public})
        _send_after_commit(case, t)
    return t


# Each hook adjusts the case for its action before the state changes; it may raise a ServiceError.


def _h_noop(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    return None


def _h_void(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if role == Role.OPERATOR and (case.status != State.REPORTED or d.reason != "spam"):
        raise Forbidden(
            "受理员只能作废明显的无效信息(reason=spam) / operators may void only spam", code="forbidden_role"
        )
    t.public_note = t.public_note or "不予立案"


def _h_file(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    cat = _resolve_category(d.category) or case.category
    if cat is None:
        raise Invalid("立案需要选择类别 / filing needs a category", code="category_required")
    cond: FilingCondition | None
    if d.condition not in (None, ""):
        cond = FilingCondition.objects.filter(pk=d.condition, category=cat).first()
        if cond is None:
            raise Invalid(
                "立案条件不属于该类别 / the filing condition is not of this category", code="unknown_condition"
            )
    else:
        cond = cat.conditions.order_by("-is_default", "position", "id").first()
        if cond is None:
            raise Invalid("该类别没有立案条件 / the category has no filing condition", code="unknown_condition")
    case.category, case.condition, case.kind = cat, cond, cat.case_kind
    t.data = {"category": f"{cat.kind}:{cat.code}", "condition": cond.pk}
    t.public_note = t.public_note or "已立案"


def _h_dispatch(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if case.condition is None:
        raise InvalidState("案件未立案 / the case has not been filed")
    dept: Department | None
    if d.department in (None, ""):
        dept = suggest_department(case.category, case.region_id, case.grid_id)
        if dept is None:
            raise Invalid("请选择责任单位 / choose a department", code="department_required")
    elif isinstance(d.department, Department):
        dept = d.department
    else:
        key = str(d.department)
        dept = Department.objects.filter(**({"pk": int(key)} if key.isdigit() else {"code": key})).first()
    if dept is None or not dept.active:
        raise Invalid("责任单位不存在或已停用 / unknown or inactive department", code="unknown_department")
    case.department = dept
    case.dispatched_at = now
    case.handling_deadline = get_calendar().add_limit(now, case.condition.limit)
    case.feedback_at = None
    case.handled_on_time = None
    t.department = dept
    t.public_note = t.public_note or f"已派遣至{dept.name}"


def _h_return(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    t.department = case.department
    case.department = None
    case.return_count += 1
    case.pending_extension = None


def _h_request_extension(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if case.pending_extension:
        raise InvalidState("已有待审批的延期申请 / an extension request is already pending")
    ext = d.extension
    if ext is None or ext.value <= 0:
        raise Invalid("请填写延期时长 / give the extension length", code="extension_required")
    limit_days = {
        LimitUnit.WORK_DAYS: ext.value,
        LimitUnit.WORK_HOURS: ext.value / 8,
        LimitUnit.CONTINUOUS_HOURS: ext.value / 24,
        LimitUnit.WORK_MINUTES: ext.value / 480,
    }
    if limit_days[ext.unit] > MAX_EXTENSION_DAYS:
        raise Invalid(f"延期不能超过{MAX_EXTENSION_DAYS}个工作日 / extension too long", code="extension_too_long")
    case.pending_extension = {
        "value": ext.value,
        "unit": ext.unit.value,
        "reason": d.reason or d.note,
        "requested_at": now.isoformat(),
    }
    t.department = case.department
    t.data = {"value": ext.value, "unit": ext.unit.value}


def _h_approve_extension(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if not case.pending_extension:
        raise InvalidState("没有待审批的延期申请 / no extension request is pending")
    if role == Role.SHIFT_LEAD and case.extension_count >= 1:
        raise Forbidden("再次延期须由领导审批 / a further extension needs a leader", code="leader_required")
    p = case.pending_extension
    assert case.handling_deadline is not None
    case.handling_deadline = get_calendar().add_limit(case.handling_deadline, Limit(p["value"], LimitUnit(p["unit"])))
    case.extension_count += 1
    case.pending_extension = None
    t.data = {"value": p["value"], "unit": p["unit"]}
    t.public_note = t.public_note or "处置期限已延长"


def _h_deny_extension(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if not case.pending_extension:
        raise InvalidState("没有待审批的延期申请 / no extension request is pending")
    case.pending_extension = None


def _h_feedback(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    case.feedback_at = now
    case.handled_on_time = case.handling_deadline is not None and now <= case.handling_deadline
    case.pending_extension = None
    t.department = case.department
    t.on_time = case.handled_on_time
    t.public_note = t.public_note or "已处置，待核查"


def _h_check(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if d.outcome == "fail":
        # 返工: back to the same department; the original deadline stands.
        case.rework_count += 1
        case.feedback_at = None
        case.handled_on_time = None
        t.department = case.department
        t.public_note = t.public_note or "核查未通过，返工处置"
    else:
        t.public_note = t.public_note or "核查通过"


def _h_close(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    case.closed_at = now
    t.public_note = t.public_note or "已结案"


def _h_resume(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    assert case.condition is not None
    case.handling_deadline = get_calendar().add_limit(now, case.condition.limit)


def _h_self_resolve(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    cat = _resolve_category(d.category) or case.category
    if cat is None:
        raise Invalid("自行处置需要选择类别 / self-resolving needs a category", code="category_required")
    case.category, case.kind = cat, cat.case_kind
    case.feedback_at = case.closed_at = now
    case.handled_on_time = True
    t.public_note = t.public_note or "网格员已现场处置"


def _h_merge(case: Case, d: ActionInput, now: datetime, actor: Any, role: str, t: Transition) -> None:
    if d.merge_into in (None, ""):
        raise Invalid("请指定并入的案件 / name the case to merge into", code="merge_target_required")
    target = get_case(d.merge_into)
    if target.pk == case.pk:
        raise Invalid("不能并入自身 / a case cannot merge into itself", code="merge_self")
    if target.status not in OPEN_STATES:
        raise InvalidState("目标案件已办结 / the target case is not open")
    case.merged_into = target
    t.data = {"into": target.number}
    t.public_note = t.public_note or f"与案件{target.number}合并办理"


HOOKS = {
    Action.ACCEPT: _h_noop,
    Action.SEND_TO_VERIFY: _h_noop,
    Action.VERIFY: _h_noop,
    Action.VOID: _h_void,
    Action.FILE: _h_file,
    Action.DISPATCH: _h_dispatch,
    Action.RETURN: _h_return,
    Action.REQUEST_EXTENSION: _h_request_extension,
    Action.APPROVE_EXTENSION: _h_approve_extension,
    Action.DENY_EXTENSION: _h_deny_extension,
    Action.FEEDBACK: _h_feedback,
    Action.CHECK: _h_check,
    Action.CLOSE: _h_close,
    Action.SUSPEND: _h_noop,
    Action.RESUME: _h_resume,
    Action.SELF_RESOLVE: _h_self_resolve,
    Action.MERGE: _h_merge,
}


def suggested_department(case: Case) -> Department | None:
    return suggest_department(case.category, case.region_id, case.grid_id)
