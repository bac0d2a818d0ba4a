"""The only writers of a case's workflow state.

``report_case`` starts a case; ``perform`` takes a step of the ``case`` workflow through the generic engine
(``cases.engine``): one transaction, the case row locked, the workflow table and the actor's role and scope
checked, one Transition row and one audit row written, the version bumped, and ``case_changed`` sent after
commit. Views, the API, the CLI, the demo loader and other domains all call these; nothing else saves
workflow fields.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.geo.models import Region
from jingwu.geo.services import locate
from jingwu.lib import clock, coords
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, InvalidState, NotFound
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org.actors import Acting, resolve
from jingwu.org.choices import Role
from jingwu.org.models import Department, GridAssignment, Person, PersonRole
from jingwu.workcal.services import get_calendar

from . import engine, notes, origins
from . import photos as photo_lib
from .choices import OPEN_STATES, Action, AttachmentKind, Satisfaction, Source, State
from .events import Change, send_after_commit
from .models import (
    Attachment,
    Case,
    CaseDepartment,
    CaseSupport,
    Category,
    FilingCondition,
    Transition,
    attachment_path,
)
from .routing import suggest_department
from .workflow import ACTIONS_WITH_OUTCOME, REPORT_ROLES, SOURCES_BY_ROLE, START_ROLES, STEPS

__all__ = ["ActionInput", "Limit", "LimitUnit", "perform", "report_case"]

MAX_DESCRIPTION = 4000
# The kinds of case a petition clerk acts on (信访, 代表建议).
CLERK_KINDS = frozenset({"petition", "suggestion"})
# The registers whose cases may be of those kinds (``report_case(origin=...)``).
REGISTERS = ("petitions.",)
MAX_EXTENSION_DAYS = 30

PHOTO_KIND = {
    Action.REPORT: AttachmentKind.REPORT,
    Action.VERIFY: AttachmentKind.VERIFY,
    Action.FEEDBACK: AttachmentKind.FEEDBACK,
    Action.CHECK: AttachmentKind.CHECK,
}


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case] = field(default_factory=list)


def stage_deadline(state: str, start: datetime, urgent: bool = False) -> datetime | None:
    """When a stage (受理, 核实, 立案, 派遣, 核查, 结案) is due. For an urgent case (its 立案条件 counts in
    continuous hours) every stage runs in continuous time too: a fire alarm at 02:00 on a Saturday is late
    for acceptance at 02:30, not on Monday morning."""
    minutes = settings.JINGWU_STAGE_LIMITS.get(state)
    if minutes is None:
        return None
    if urgent:
        return start + timedelta(minutes=minutes)
    return get_calendar().add_limit(start, Limit(minutes, LimitUnit.WORK_MINUTES))


def is_urgent(case: Case) -> bool:
    from .refs import refs

    if case.condition_id is not None:
        cond = refs().conditions.get(case.condition_id)
        if cond is not None:
            return cond[2] == LimitUnit.CONTINUOUS_HOURS
    return case.category_id is not None and case.category_id in refs().urgent


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
        raise Invalid(gettext("未知的类别 %(value)s") % {"value": repr(value)}, code="unknown_category")
    return found


def _save_photos(
    case: Case,
    transition: Transition | None,
    uploads: Sequence[Any],
    kinds: Sequence[str],
    acting: Acting,
    now: datetime,
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
            uploaded_by=acting.user if acting.user_id else None,
            at=now,
            **photo_lib.taken(upload, now),
        )
        path = attachment_path(att, photo.name)
        if att.file.storage.exists(path):
            att.file.name = path  # same bytes already stored: content-addressed, keep one copy
        else:
            att.file.save(photo.name, photo.content, save=False)
        att.save()
        saved.append(att)
    return saved


def _check_photos(uploads: Sequence[Any]) -> None:
    """Validate every photo before any row is written, so a bad photo loses nothing else; then rewind each
    upload for the save that follows."""
    for upload in uploads:
        photo_lib.process(upload)
        if hasattr(upload, "seek"):
            upload.seek(0)


def _announce(case: Case, transition: Transition, change: Change) -> None:
    origin = origins.of(case)
    if origin is not None and origin.follow is not None:
        origin.follow(case, transition)  # inside the step's transaction: the domain's row moves with the case
    legacy = {
        "case_id": case.pk,
        "transition_id": transition.pk,
        "action": transition.action,
        "to_state": transition.to_state,
    }
    send_after_commit("case_changed", Case, change, **legacy)
    send_after_commit("workflow_changed", Case, change)


def find_duplicates(case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same category near this one, reported within the window: candidates for 并案. Cases a
    domain raised (a hazard, an alarm) are its own and never offered: each failed item of an inspection is a
    hazard of its own, however close its siblings."""
    if case.category_id is None or case.lat is None or case.lon is None or case.origin_kind:
        return []
    metres = settings.JINGWU_DUPLICATE_METRES
    dlon, dlat = coords.degrees_around(metres, case.lat)
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
        .filter(origin_kind="")
        .only("id", "number", "lon", "lat", "reported_at")
        .order_by("-reported_at")[:50]
    )
    near = [c for c in candidates if coords.distance_m(case.lon, case.lat, c.lon or 0.0, c.lat or 0.0) <= metres]
    return near[:limit]


def report_case(
    *,
    actor: Any,
    description: str,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    category: Any = None,
    kind: str | None = None,
    source: str | None = None,
    source_detail: str = "",
    address: str = "",
    region: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    client_key: str | None = None,
    photos: Sequence[Any] = (),
    start: str | None = None,
    start_reason: str = "",
    condition: Any = None,
    origin: Any = None,
) -> ReportResult:
    """上报: a new case. A retry with the same ``client_key`` (in the caller's namespace) returns the first
    case, never a second.

    ``source`` follows from who reports: a system actor reports as its own source, a citizen as the public,
    a grid worker as a grid worker; staff who take reports in (受理员, 值班长) may name the channel. ``start``
    begins the case further along where the rules allow (``workflow.START_ROLES``, or the system actor's
    registration), with ``start_reason`` recorded. ``origin`` is the domain object that raised it (a model
    instance, or a ``(kind, id)`` pair). ``lon``/``lat`` may be left out for categories that need no location.
    """
    acting = resolve(actor)
    role = acting.role_for(REPORT_ROLES)
    if role is None:
        raise Forbidden(gettext("角色 %(role)s 不能上报") % {"role": acting.role}, code="forbidden_role")
    raw_key = (client_key or "").strip() or None
    # No look-up first: the unique index on client_key decides, and a retry takes the except path.
    if raw_key is not None and len(raw_key) > 64:
        raise Invalid(gettext("幂等键最长64个字符"), code="invalid_key")
    client_key = acting.key(raw_key)
    description = (description or "").strip()
    if not description:
        raise Invalid(gettext("请描述问题"), code="description_required")
    for name, value in (
        ("description", description),
        ("address", address),
        ("reporter_name", reporter_name),
        ("reporter_phone", reporter_phone),
        ("source_detail", source_detail),
        ("start_reason", start_reason),
    ):
        textlib.check(value or "", name)
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(gettext("问题描述不能超过4000字"), code="description_too_long")
    cat = _resolve_category(category)
    wlon, wlat, grid_id, region_id, grid_code = _place(lon, lat, crs, cat, region)
    source = _source_for(acting, role, source)
    origin_kind, origin_id = _origin(origin)
    if cat is not None and cat.case_kind in CLERK_KINDS and not origin_kind.startswith(REGISTERS):
        # Reported as a plain case it would be seen by no one who can act on it (the centre does not see
        # petitions) and have no record in the register.
        raise Invalid(gettext("信访事项和代表建议请在信访登记中录入"), code="category_reserved")
    _check_photos(photos)
    now = clock.now()
    person = acting.person
    in_own_grid = (
        Role.GRID_WORKER in acting.roles
        and person is not None
        and grid_id is not None
        and GridAssignment.objects.filter(person=person, grid_id=grid_id).exists()
    )
    state = _start_state(acting, in_own_grid, start, start_reason)
    cond = _start_condition(cat, condition) if state == State.TO_DISPATCH else None
    reporter_user = acting.user if acting.user_id else None
    try:
        with transaction.atomic():
            pk = _next_case_id()
            case = Case(
                id=pk,
                number=_case_number(now, pk) if pk else None,
                kind=kind or (cat.case_kind if cat else "event"),
                category=cat,
                source=source,
                source_detail=source_detail[:100],
                lon=wlon,
                lat=wlat,
                address=address[:200],
                grid_id=grid_id,
                region_id=region_id,
                description=description,
                reporter_user=reporter_user,
                reporter_name=(reporter_name or (person.name if person and not acting.system else ""))[:64],
                reporter_phone=(reporter_phone or (person.phone if person and not acting.system else ""))[:32],
                tracking_code=secrets.token_hex(4),
                client_key=client_key,
                status=State.TO_FILE if cond is not None else state,
                reported_at=now,
                updated_at=now,
                origin_kind=origin_kind,
                origin_id=origin_id,
            )
            case.due_at = stage_deadline(case.status, now, is_urgent(case))
            case.save(force_insert=True)
            if not pk:  # SQLite has no sequence to draw from: number the row once it has its id
                case.number = _case_number(now, case.pk)
                Case.objects.filter(pk=case.pk).update(number=case.number)
            started_late = state not in (State.REPORTED,) and not (state == State.TO_FILE and in_own_grid)
            t = Transition.objects.create(
                case=case,
                seq=1,
                action=Action.REPORT,
                from_state="",
                to_state=case.status,
                actor=reporter_user,
                actor_name=acting.name[:64],
                role=role,
                at=now,
                deadline_after=case.due_at,
                public_note=notes.REPORTED
                if state == State.REPORTED
                else (notes.WORKER_REPORTED if in_own_grid else notes.ACCEPTED),
                note=start_reason.strip()[:2000] if started_late else "",
                data={"start": str(state), "reason": start_reason.strip()[:200]} if started_late else {},
            )
            _save_photos(case, t, photos, [AttachmentKind.REPORT] * len(photos), acting, now)
            audit.record(
                "case.report",
                "case",
                case.number or case.pk,
                actor=reporter_user,
                role=role,
                data={
                    "state": str(state),
                    "source": source,
                    "grid": grid_code,
                    **({"system": acting.system.key} if acting.system else {}),
                    **({"origin": f"{origin_kind}:{origin_id}"} if origin_kind else {}),
                },
            )
            _announce(case, t, engine.change_for(CASE, case, t, acting))
            if cond is not None:
                # Filed at once (a hazard an inspection verified, a task from above): the 立案 is its own
                # step, so 立案数 and the handling limit count it like any other filing.
                _file_at_start(case, cond, acting, role, now, start_reason)
    except IntegrityError:
        # A retry (or two racing retries): the unique key already names a case; return that one.
        if client_key is None:
            raise
        existing = _existing_report(client_key, acting)
        if existing is None:
            raise
        return ReportResult(existing, created=False)
    return ReportResult(case, created=True, duplicates=find_duplicates(case))


def _place(
    lon: float | None, lat: float | None, crs: str, cat: Category | None, region: Any
) -> tuple[float | None, float | None, int | None, int | None, str | None]:
    """(lon, lat, grid, region, grid code) in WGS-84, from a position or, where none is needed, a region."""
    if lon is None or lat is None:
        if lon is not None or lat is not None:
            raise Invalid(gettext("经纬度须同时提供"), code="invalid_location")
        if cat is None or cat.needs_location:
            raise Invalid(gettext("请提供位置"), code="location_required")
        reg = _resolve_region(region)
        return None, None, None, reg.pk if reg else None, None
    try:
        flon, flat = float(lon), float(lat)
        if not (math.isfinite(flon) and math.isfinite(flat)):
            raise ValueError("not a finite number")
        wlon, wlat = coords.to_wgs84(flon, flat, crs)
    except (ValueError, OverflowError) as exc:
        raise Invalid(gettext("坐标无效：%(error)s") % {"error": exc}, code="invalid_location") from exc
    where = locate(wlon, wlat)
    if where is None:
        raise Invalid(gettext("位置不在辖区内"), code="outside_territory")
    return wlon, wlat, where.grid_id, where.region_id, where.grid_code


def _resolve_region(value: Any) -> Region | None:
    if value in (None, ""):
        return None
    if isinstance(value, Region):
        return value
    found = Region.objects.filter(code=str(value)).first()
    if found is None:
        raise Invalid(gettext("未知的村/社区 %(value)s") % {"value": repr(value)}, code="unknown_region")
    return found


def _source_for(acting: Acting, role: str, asked: str | None) -> str:
    """The source of a report, from the caller's identity; a caller may name only a channel its role takes."""
    if acting.system is not None:
        allowed: tuple[str, ...] = (acting.system.source,) if acting.system.source else ()
    else:
        allowed = SOURCES_BY_ROLE.get(role, ())
    if not allowed:
        raise Forbidden(gettext("%(name)s 不能上报") % {"name": acting.name}, code="forbidden_role")
    if asked in (None, ""):
        return allowed[0]
    if asked not in Source.values:
        raise Invalid(gettext("未知来源 %(source)s") % {"source": repr(asked)}, code="unknown_source")
    if asked not in allowed:
        raise Forbidden(
            gettext("来源由上报人身份决定，%(role)s 只能以 %(allowed)s 上报")
            % {"role": role, "allowed": ", ".join(allowed)},
            code="source_not_allowed",
        )
    return asked


def _origin(origin: Any) -> tuple[str, str]:
    if origin is None:
        return "", ""
    if isinstance(origin, tuple):
        kind, pk = origin
        return str(kind)[:48], str(pk)[:64]
    meta = getattr(origin, "_meta", None)
    if meta is None or origin.pk is None:
        raise TypeError("origin must be a saved model instance or a (kind, id) pair")
    return meta.label_lower, str(origin.pk)


def _start_state(acting: Acting, in_own_grid: bool, start: str | None, reason: str) -> str:
    natural = State.TO_FILE if in_own_grid else State.REPORTED
    if start in (None, "", natural):
        return natural
    if start not in START_ROLES:
        raise Invalid(gettext("案件不能从 %(start)s 开始") % {"start": start}, code="invalid_start")
    allowed = (acting.system is not None and start in acting.system.start_states) or (
        acting.system is None and acting.role_for(START_ROLES[start]) is not None
    )
    if not allowed:
        raise Forbidden(
            gettext("%(name)s 不能从 %(start)s 开始案件") % {"name": acting.name, "start": start},
            code="forbidden_start",
        )
    if not reason.strip():
        raise Invalid(gettext("请说明跳过受理的依据"), code="reason_required")
    return str(start)


def _start_condition(cat: Category | None, condition: Any) -> FilingCondition:
    if cat is None:
        raise Invalid(gettext("直接立案需要类别"), code="category_required")
    if condition not in (None, ""):
        cond = FilingCondition.objects.filter(pk=condition, category=cat).first()
    else:
        cond = cat.conditions.order_by("-is_default", "position", "id").first()
    if cond is None:
        raise Invalid(gettext("立案条件不属于该类别"), code="unknown_condition")
    return cond


def _file_at_start(case: Case, cond: FilingCondition, acting: Acting, role: str, now: datetime, reason: str) -> None:
    assert case.category is not None
    before = case.due_at
    case.condition = cond
    case.status = State.TO_DISPATCH
    case.due_at = stage_deadline(State.TO_DISPATCH, now, is_urgent(case))
    case.version += 1
    case.save(update_fields=["condition", "status", "due_at", "version"])
    t = Transition.objects.create(
        case=case,
        seq=2,
        action=Action.FILE,
        from_state=State.TO_FILE,
        to_state=State.TO_DISPATCH,
        actor=acting.user if acting.user_id else None,
        actor_name=acting.name[:64],
        role=role,
        at=now,
        note=reason.strip()[:2000],
        public_note=notes.FILED,
        deadline_before=before,
        deadline_after=case.due_at,
        on_time=True,
        data={"category": f"{case.category.kind}:{case.category.code}", "condition": cond.pk, "at_start": True},
    )
    audit.record("case.file", "case", case.number or case.pk, actor=acting.user, role=role, data={"at_start": True})
    _announce(case, t, engine.change_for(CASE, case, t, acting))


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


def _existing_report(client_key: str, acting: Acting) -> Case | None:
    existing = Case.objects.filter(client_key=client_key).first()
    if existing is None:
        return None
    mine = existing.reporter_user_id == acting.user_id
    if not mine:
        raise Conflict(gettext("该幂等键已被使用"), code="key_reused")
    return existing


# --- actions ---------------------------------------------------------------------------------------


@dataclass
class ActionInput(engine.StepInput):
    department: Any = None
    category: Any = None
    condition: Any = None
    extension: Limit | None = None
    merge_into: Any = None
    # 协办单位 at dispatch (ids, codes or Department rows); 承办人 for ``assign`` (a Person or its id).
    supporting: Sequence[Any] = ()
    handler: Any = None


def get_case(ref: Any, *, for_update: bool = False) -> Case:
    qs = Case.objects.select_for_update() if for_update else Case.objects.all()
    if isinstance(ref, Case):
        ref = ref.pk
    lookup = {"pk": int(ref)} if isinstance(ref, int) or str(ref).isdigit() else {"number": str(ref)}
    try:
        return qs.get(**lookup)
    except Case.DoesNotExist as exc:
        raise NotFound(gettext("案件 %(ref)s 不存在") % {"ref": ref}) from exc


def _scope_grid(case: Case, acting: Acting) -> None:
    ok = (
        acting.person is not None
        and case.grid_id is not None
        and GridAssignment.objects.filter(person=acting.person, grid_id=case.grid_id).exists()
    )
    if not ok:
        raise Forbidden(gettext("只有本网格的网格员可以操作"), code="not_your_grid")


def _scope_checker(case: Case, acting: Acting) -> None:
    """核查: the grid's worker, or whoever the domain that raised the case names (a hazard's inspectors)."""
    origin = origins.of(case)
    if origin is not None and origin.may_check is not None and origin.may_check(case, acting):
        return
    _scope_grid(case, acting)


def _scope_department(case: Case, acting: Acting) -> None:
    person = acting.person
    if person is None or person.department_id is None or person.department_id != case.department_id:
        raise Forbidden(gettext("案件不在本单位"), code="not_your_department")


def _scope_support(case: Case, acting: Acting) -> None:
    person = acting.person
    helps = (
        person is not None
        and person.department_id is not None
        and CaseSupport.objects.filter(case=case, department_id=person.department_id).exists()
    )
    if not helps:
        raise Forbidden(gettext("本单位不是该案件的协办单位"), code="not_supporting")


def _scope_reporter(case: Case, acting: Acting) -> None:
    if acting.user_id is None or case.reporter_user_id != acting.user_id:
        raise Forbidden(gettext("只有上报人可以自行处置"), code="not_reporter")


def offered_steps(case: Case, actor: Any) -> list[engine.Step]:
    """The steps this person may take on this case now: the table filtered by their roles, by the step's
    scope (own grid, own department, a supporting department) and by the rules the hooks enforce, so a page
    never offers what the service would refuse."""
    from jingwu.org.services import roles_of

    roles = set(roles_of(actor))
    acting = resolve(actor)
    offered = []
    for step in CASE.available(case.status, roles):
        check = CASE.scopes.get(step.scope) if step.scope else None
        if check is not None:
            try:
                check(case, acting)
            except Forbidden:
                continue
        if step.action == Action.VOID and case.status != State.REPORTED and not (step.roles - {Role.OPERATOR}) & roles:
            continue  # an operator voids obvious spam at 待受理 only (``_h_void``)
        if step.action == Action.REVISIT and not revisit_due(case):
            continue
        if step.action == Action.MERGE and case.origin_kind:
            continue  # ``_h_merge`` refuses it
        if case.kind not in CLERK_KINDS and not (step.roles - {Role.PETITION_CLERK}) & roles:
            continue  # a petition clerk's steps are for petitions and suggestions (``CaseWorkflow.check``)
        offered.append(step)
    return offered


def department_handlers(department_id: int | None) -> list[Person]:
    """Who in a department may be named 承办人: its active people holding the handler role."""
    if not department_id:
        return []
    extra = PersonRole.objects.filter(person=OuterRef("pk"), role=Role.HANDLER)
    return list(
        Person.objects.filter(department_id=department_id, user__is_active=True)
        .filter(Q(role=Role.HANDLER) | Q(Exists(extra)))
        .order_by("name", "pk")
    )


def perform(ref: Any, action: str, *, actor: Any, version: int, data: ActionInput | None = None) -> Case:
    """Take one workflow action on a case."""
    case: Case = engine.perform(ref, action, actor=actor, version=version, data=data or ActionInput(), workflow=CASE)
    return case


def add_photos(ref: Any, *, actor: Any, photos: Sequence[Any], kind: str = AttachmentKind.REPORT) -> list[Attachment]:
    """Photos that arrive after the report (an Open311 media_url fetched by the worker): attached to the
    report step, with an audit row. The reporter (or a system actor that raised the case) only."""
    acting = resolve(actor)
    _check_photos(photos)
    with transaction.atomic():
        case = get_case(ref, for_update=True)
        if case.reporter_user_id is not None and case.reporter_user_id != acting.user_id:
            raise Forbidden(gettext("只有上报人可以补充照片"), code="not_reporter")
        report = Transition.objects.filter(case=case, seq=1).first()
        now = clock.now()
        saved = _save_photos(case, report, photos, [kind] * len(photos), acting, now)
        audit.record(
            "case.add_photos",
            "case",
            case.number or case.pk,
            actor=acting.user,
            role=acting.role,
            data={"count": len(saved)},
        )
    return saved


def may_reveal_reporter(case: Case, actor: Any) -> bool:
    """Who may see a reporter's full name and phone: those who call reporters back (回访), and a petition
    clerk for petitions and suggestions."""
    from jingwu.org.services import roles_of

    roles = set(roles_of(actor))
    if roles & {Role.OPERATOR, Role.SHIFT_LEAD, Role.LEADER}:
        return True
    return Role.PETITION_CLERK in roles and case.kind in ("petition", "suggestion")


def reveal_reporter(case: Case, *, actor: Any) -> dict[str, str]:
    """The reporter's name and phone in full, for staff whose work needs them; every look is audited
    (PIPL: personal data shown only where needed, and each access by staff recorded)."""
    if not may_reveal_reporter(case, actor):
        raise Forbidden(gettext("无权查看上报人联系方式"), code="forbidden_role")
    acting = resolve(actor)
    audit.record(
        "case.reveal_reporter",
        "case",
        case.number or case.pk,
        actor=acting.user,
        role=acting.role,
        data={"fields": ["reporter_name", "reporter_phone"]},
    )
    return {"name": case.reporter_name, "phone": case.reporter_phone}


def _remark(case: Case, action: str, acting: Acting, role: str, now: datetime, **fields: Any) -> Transition:
    """A timeline row that is not a step (a remark, a rating): the state, the deadline and the version stay."""
    seq = (Transition.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0) + 1
    return Transition.objects.create(
        case=case,
        seq=seq,
        action=action,
        from_state=case.status,
        to_state=case.status,
        actor=acting.user if acting.user_id else None,
        actor_name=acting.name[:64],
        role=role,
        at=now,
        deadline_before=case.due_at,
        deadline_after=case.due_at,
        **fields,
    )


NOTE_ROLES = frozenset(
    {
        Role.OPERATOR,
        Role.SHIFT_LEAD,
        Role.DISPATCHER,
        Role.LEADER,
        Role.HANDLER,
        Role.GRID_WORKER,
        Role.SYSTEM,
        Role.PETITION_CLERK,
        Role.SUPERVISOR,
    }
)


def add_note(
    ref: Any,
    *,
    actor: Any,
    text: str,
    public: bool = False,
    client_key: str | None = None,
    data: dict[str, Any] | None = None,
    photos: Sequence[Any] = (),
    photo_kind: str = AttachmentKind.OTHER,
    only_in: frozenset[str] | None = None,
) -> Transition:
    """A remark on the timeline, with photos if any (an enterprise's 整改材料). It changes no state and no
    version, so it never conflicts with an action."""
    acting = resolve(actor)
    role = acting.role_for(NOTE_ROLES)
    if role is None or (role == Role.SYSTEM and not (acting.system and acting.system.may("case", "note"))):
        raise Forbidden(gettext("角色 %(role)s 不能添加备注") % {"role": acting.role}, code="forbidden_role")
    text = textlib.check((text or "").strip(), "text")
    if not text:
        raise Invalid(gettext("备注不能为空"), code="note_required")
    if len(text) > 2000:
        raise Invalid(gettext("说明不能超过2000字"), code="note_too_long")
    raw_key = (client_key or "").strip() or None
    if raw_key is not None and len(raw_key) > 64:
        raise Invalid(gettext("幂等键最长64个字符"), code="invalid_key")
    client_key = acting.key(raw_key)
    _check_photos(photos)
    with transaction.atomic():
        case = get_case(ref, for_update=True)
        if only_in is not None and case.status not in only_in:
            # A remark that belongs to a stage (an enterprise's 整改材料 while it is being rectified).
            raise InvalidState(
                gettext("案件当前状态不能添加该材料"), code="not_rectifying", details={"status": case.status}
            )
        if role == Role.HANDLER and (acting.person is None or acting.person.department_id != case.department_id):
            # A department that once had the case may still read it, but speaks on it only while it holds it.
            raise Forbidden(gettext("案件不在本单位"), code="not_your_department")
        if client_key is not None:
            done = Transition.objects.filter(client_key=client_key).first()
            if done is not None:
                if done.case_id != case.pk or done.action != Action.NOTE:
                    raise Conflict(gettext("该幂等键已被使用"), code="key_reused")
                return done
        now = clock.now()
        t = _remark(
            case,
            Action.NOTE,
            acting,
            role,
            now,
            note=text,
            public_note=text[:500] if public else "",
            client_key=client_key,
            data=data or {},
        )
        _save_photos(case, t, photos, [photo_kind] * len(photos), acting, now)
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        audit.record("case.note", "case", case.number or case.pk, actor=acting.user, role=role, data={"public": public})
        _announce(case, t, engine.change_for(CASE, case, t, acting))
    return t


# Cases a member of the public reported: theirs to rate (a grid worker's own report, an alarm or an
# inspection are not).
RATED_SOURCES = frozenset({Source.PUBLIC, Source.HOTLINE, Source.OPEN311, Source.PETITION})


def rate_case(ref: Any, *, rating: str, note: str = "", actor: Any = None) -> Case:
    """The reporter's rating of a closed case (满意/基本满意/不满意) with an optional comment, once. The caller
    has checked that this is the reporter (the tracking code, or their account). A 不满意 puts the case in the
    centre's 待回访 queue. Not a step: the case stays as it is, and its version with it."""
    if rating not in Satisfaction.values:
        raise Invalid(gettext("请选择满意、基本满意或不满意"), code="invalid_rating")
    note = textlib.check((note or "").strip(), "note")
    if len(note) > 500:
        raise Invalid(gettext("评价意见不能超过500字"), code="note_too_long")
    from django.contrib.auth.models import AnonymousUser

    acting = resolve(actor if actor is not None else AnonymousUser())
    with transaction.atomic():
        case = get_case(ref, for_update=True)
        if case.status != State.CLOSED:
            raise InvalidState(gettext("案件办结后才能评价"))
        if case.source not in RATED_SOURCES:
            raise Invalid(gettext("该案件不由市民评价"), code="not_rateable")
        if case.rated_at is not None:
            raise Conflict(gettext("该案件已评价"), code="already_rated")
        now = clock.now()
        label = Satisfaction(rating).label
        case.satisfaction, case.satisfaction_note, case.rated_at = rating, note, now
        Case.objects.filter(pk=case.pk).update(
            satisfaction=rating, satisfaction_note=note, rated_at=now, updated_at=now
        )
        t = _remark(
            case,
            Action.RATE,
            acting,
            Role.PUBLIC,
            now,
            outcome=rating,
            note=note,
            public_note=notes.RATED % {"name": label},
            data={"satisfaction": rating},
        )
        audit.record(
            "case.rate",
            "case",
            case.number or case.pk,
            actor=acting.user,
            role=Role.PUBLIC,
            data={"satisfaction": rating},
        )
        _announce(case, t, engine.change_for(CASE, case, t, acting))
    return case


# Each hook adjusts the case for its action before the state changes; it may raise a ServiceError.


def _h_noop(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    return None


def _h_accept(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    t.public_note = t.public_note or notes.ACCEPTED


def _h_void(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if role == Role.OPERATOR and (case.status != State.REPORTED or d.reason != "spam"):
        raise Forbidden(gettext("受理员只能作废明显的无效信息(reason=spam)"), code="forbidden_role")
    filed = case.status not in (State.REPORTED, State.TO_FILE)
    t.public_note = t.public_note or (notes.VOIDED if filed else notes.NOT_FILED)


def _h_file(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    cat = _resolve_category(d.category) or case.category
    if cat is None:
        raise Invalid(gettext("立案需要选择类别"), code="category_required")
    cond: FilingCondition | None
    if d.condition not in (None, ""):
        cond = FilingCondition.objects.filter(pk=d.condition, category=cat).first()
        if cond is None:
            raise Invalid(gettext("立案条件不属于该类别"), code="unknown_condition")
    else:
        cond = cat.conditions.order_by("-is_default", "position", "id").first()
        if cond is None:
            raise Invalid(gettext("该类别没有立案条件"), code="unknown_condition")
    _keep_register(case, cat)
    case.category, case.condition, case.kind = cat, cond, cat.case_kind
    t.data = {"category": f"{cat.kind}:{cat.code}", "condition": cond.pk}
    t.public_note = t.public_note or notes.FILED


def _keep_register(case: Case, cat: Category) -> None:
    """A petition or a suggestion stays one, and nothing else becomes one: their visibility and their clerk's
    steps follow the kind, and their record lives in the petitions register."""
    if (cat.case_kind in CLERK_KINDS) != (case.kind in CLERK_KINDS):
        raise Invalid(gettext("信访事项和代表建议不能与其他类别互相转换"), code="category_reserved")


def _h_dispatch(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if case.condition is None:
        raise InvalidState(gettext("案件未立案"))
    dept: Department | None
    if d.department in (None, ""):
        dept = suggest_department(case.category, case.region_id, case.grid_id)
        if dept is None:
            raise Invalid(gettext("请选择责任单位"), code="department_required")
    elif isinstance(d.department, Department):
        dept = d.department
    else:
        key = str(d.department)
        dept = Department.objects.filter(**({"pk": int(key)} if key.isdigit() else {"code": key})).first()
    if dept is None or not dept.active:
        raise Invalid(gettext("责任单位不存在或已停用"), code="unknown_department")
    supporting = _supporting_departments(d.supporting, dept)
    case.department = dept
    case.handler = None
    CaseSupport.objects.filter(case=case).delete()
    CaseSupport.objects.bulk_create(CaseSupport(case=case, department=s, added_at=now) for s in supporting)
    # Every department that has had the case, leading or supporting, keeps seeing it (visible_to).
    CaseDepartment.objects.bulk_create(
        [CaseDepartment(case=case, department=x) for x in (dept, *supporting)], ignore_conflicts=True
    )
    if supporting:
        t.data = {"supporting": [s.code for s in supporting]}
    case.dispatched_at = now
    origin = origins.of(case)
    fixed = origin.deadline(case, now) if origin is not None and origin.deadline is not None else None
    case.handling_deadline = fixed or get_calendar().add_limit(now, case.condition.limit)
    case.feedback_at = None
    case.handled_on_time = None
    t.department = dept
    t.public_note = t.public_note or notes.dispatched_to(dept.name)


def _supporting_departments(given: Sequence[Any], lead: Department) -> list[Department]:
    if isinstance(given, str):
        given = [part for part in given.replace("，", ",").split(",") if part.strip()]
    found: list[Department] = []
    for ref in given:
        if isinstance(ref, Department):
            dept: Department | None = ref
        else:
            key = str(ref).strip()
            dept = Department.objects.filter(**({"pk": int(key)} if key.isdigit() else {"code": key})).first()
        if dept is None or not dept.active:
            raise Invalid(gettext("协办单位不存在或已停用"), code="unknown_department")
        if dept.pk == lead.pk:
            raise Invalid(gettext("主办单位不能同时是协办单位"), code="lead_is_supporting")
        if dept not in found:
            found.append(dept)
    if len(found) > 10:
        raise Invalid(gettext("协办单位最多10个"), code="too_many_supporting")
    return found


def _h_assign(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    ref = d.handler.pk if isinstance(d.handler, Person) else d.handler
    if ref in (None, ""):
        raise Invalid(gettext("请选择承办人"), code="handler_required")
    chosen = next((p for p in department_handlers(case.department_id) if str(p.pk) == str(ref).strip()), None)
    if chosen is None:
        raise Invalid(gettext("承办人须是本单位的处置人员"), code="unknown_handler")
    case.handler = chosen
    t.department = case.department
    t.data = {"handler": chosen.pk, "handler_name": chosen.name}


def _h_support_reply(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    assert acting.person is not None  # the scope let only a supporting department's person through
    CaseSupport.objects.filter(case=case, department_id=acting.person.department_id).update(replied_at=now)
    t.department = acting.person.department


def _h_urge(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    t.department = case.department
    t.data = {"due_at": case.due_at.isoformat() if case.due_at else None, "state": case.status}


def revisit_due(case: Case) -> bool:
    """A 不满意 rating waits for the centre's call back (回访)."""
    return case.satisfaction == Satisfaction.UNSATISFIED and case.revisited_at is None


def _h_revisit(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if not revisit_due(case):
        raise InvalidState(gettext("该案件没有待回访的不满意评价"))
    case.revisited_at = now
    t.data = {"satisfaction": case.satisfaction, "outcome": d.outcome}
    if d.outcome == "reopen":
        # Handled again from dispatch: the earlier closing, its department and its rating no longer stand (the
        # rating stays on this step's record); the next closing may be rated afresh.
        t.data["note"] = case.satisfaction_note
        t.data["rated_at"] = case.rated_at.isoformat() if case.rated_at else None
        t.department = case.department
        case.closed_at = case.feedback_at = None
        case.handled_on_time = None
        case.handler = case.department = None
        case.satisfaction, case.satisfaction_note, case.rated_at, case.revisited_at = "", "", None, None
        CaseSupport.objects.filter(case=case).delete()
        t.public_note = t.public_note or notes.REOPENED
    else:
        t.public_note = t.public_note or notes.REVISITED


def _h_return(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    t.department = case.department
    case.department = None
    case.handler = None
    case.return_count += 1
    case.pending_extension = None


def _h_request_extension(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if case.pending_extension:
        raise InvalidState(gettext("已有待审批的延期申请"))
    ext = d.extension
    if ext is None or ext.value <= 0:
        raise Invalid(gettext("请填写延期时长"), code="extension_required")
    limit_days = {
        LimitUnit.WORK_DAYS: ext.value,
        LimitUnit.WORK_HOURS: ext.value / 8,
        LimitUnit.CONTINUOUS_HOURS: ext.value / 24,
        LimitUnit.WORK_MINUTES: ext.value / 480,
    }
    if limit_days[ext.unit] > MAX_EXTENSION_DAYS:
        raise Invalid(gettext("延期不能超过%(days)s个工作日") % {"days": MAX_EXTENSION_DAYS}, code="extension_too_long")
    case.pending_extension = {
        "value": ext.value,
        "unit": ext.unit.value,
        "reason": d.reason or d.note,
        "requested_at": now.isoformat(),
    }
    t.department = case.department
    t.data = {"value": ext.value, "unit": ext.unit.value}


def _h_approve_extension(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if not case.pending_extension:
        raise InvalidState(gettext("没有待审批的延期申请"))
    if role == Role.SHIFT_LEAD and case.extension_count >= 1:
        raise Forbidden(gettext("再次延期须由领导审批"), code="leader_required")
    p = case.pending_extension
    assert case.handling_deadline is not None
    case.handling_deadline = get_calendar().add_limit(case.handling_deadline, Limit(p["value"], LimitUnit(p["unit"])))
    case.extension_count += 1
    case.pending_extension = None
    t.data = {"value": p["value"], "unit": p["unit"]}
    t.public_note = t.public_note or notes.EXTENDED


def _h_deny_extension(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if not case.pending_extension:
        raise InvalidState(gettext("没有待审批的延期申请"))
    case.pending_extension = None


def _h_feedback(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    case.feedback_at = now
    case.handled_on_time = case.handling_deadline is not None and now <= case.handling_deadline
    case.pending_extension = None
    t.department = case.department
    t.on_time = case.handled_on_time
    t.public_note = t.public_note or notes.HANDLED


def _h_check(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if d.outcome == "fail":
        # 返工: back to the same department; the original deadline stands, unless the domain that raised the
        # case sets a new one (a hazard's failed 复查 gives the place a new 限期).
        origin = origins.of(case)
        renewed = origin.rework_deadline(case, now) if origin is not None and origin.rework_deadline else None
        if renewed is not None:
            case.handling_deadline = renewed
        case.rework_count += 1
        case.feedback_at = None
        case.handled_on_time = None
        t.department = case.department
        t.public_note = t.public_note or notes.REWORK
    else:
        t.public_note = t.public_note or notes.CHECKED


def _h_close(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    case.closed_at = now
    t.public_note = t.public_note or notes.CLOSED


def _h_resume(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    assert case.condition is not None
    case.handling_deadline = get_calendar().add_limit(now, case.condition.limit)


def _h_self_resolve(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    cat = _resolve_category(d.category) or case.category
    if cat is None:
        raise Invalid(gettext("自行处置需要选择类别"), code="category_required")
    _keep_register(case, cat)
    case.category, case.kind = cat, cat.case_kind
    case.feedback_at = case.closed_at = now
    case.handled_on_time = True
    t.public_note = t.public_note or notes.SELF_RESOLVED


def _h_merge(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    if d.merge_into in (None, ""):
        raise Invalid(gettext("请指定并入的案件"), code="merge_target_required")
    target = get_case(d.merge_into)
    if target.pk == case.pk:
        raise Invalid(gettext("不能并入自身"), code="merge_self")
    if case.origin_kind or target.origin_kind:
        # A hazard or an alarm is its domain's record: merged away, it would drop out of its ledgers.
        raise InvalidState(gettext("业务模块生成的案件不能并案"), code="merge_origin")
    if target.status not in OPEN_STATES:
        raise InvalidState(gettext("目标案件已办结"))
    case.merged_into = target
    t.data = {"into": target.number}
    t.public_note = t.public_note or notes.merged_into(str(target.number))


def _h_escalate(case: Case, d: ActionInput, now: datetime, acting: Acting, role: str, t: Transition) -> None:
    case.escalation_count += 1
    t.department = case.department
    t.data = {"level": case.escalation_count, "due_at": case.due_at.isoformat() if case.due_at else None}


HOOKS: dict[str, engine.Hook] = {
    Action.ACCEPT: _h_accept,
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
    Action.ESCALATE: _h_escalate,
    Action.URGE: _h_urge,
    Action.ASSIGN: _h_assign,
    Action.SUPPORT_REPLY: _h_support_reply,
    Action.REVISIT: _h_revisit,
}


class CaseWorkflow(engine.Workflow):
    """The case loop on the generic engine: Transition rows, photos, stage and handling deadlines."""

    transition_model = Transition

    def lock(self, ref: Any) -> Case:
        return get_case(ref, for_update=True)

    def ref(self, obj: Any) -> str:
        return str(obj.number or obj.pk)

    def precheck(self, data: Any) -> None:
        if data.photos:
            _check_photos(data.photos)

    def check(self, step: engine.Step, obj: Any, data: Any, acting: Acting, role: str) -> None:
        if role == Role.PETITION_CLERK and obj.kind not in CLERK_KINDS:
            # The table lets a petition clerk take the centre's steps; on petitions and suggestions only.
            raise Forbidden(gettext("信访专员只能办理信访事项和代表建议"), code="forbidden_role")
        if step.needs_reason and not (data.reason.strip() or data.note.strip()):
            raise Invalid(gettext("请填写原因"), code="reason_required")
        min_photos = 2 if step.action == Action.SELF_RESOLVE else 1
        # A petition's or a suggestion's reply is a letter about a matter, not a place to photograph (they need
        # no location either): its text is the evidence, so its steps need no photo.
        if step.needs_photo and obj.kind not in CLERK_KINDS and len(data.photos) < min_photos:
            raise Invalid(gettext("需要至少%(min_photos)s张照片") % {"min_photos": min_photos}, code="photo_required")
        if len(data.note) > 2000:
            raise Invalid(gettext("说明不能超过2000字"), code="note_too_long")

    def due(self, obj: Any, state: str, now: datetime) -> datetime | None:
        if state == State.HANDLING:
            return obj.handling_deadline
        return stage_deadline(state, now, is_urgent(obj))

    def due_on_stay(self, obj: Any, state: str, before: datetime | None) -> datetime | None:
        return obj.handling_deadline if state == State.HANDLING else before

    def new_record(self, obj: Any, **fields: Any) -> Transition:
        return Transition(case=obj, **fields)

    def records(self, obj: Any) -> Any:
        return Transition.objects.filter(case=obj)

    def is_same_object(self, record: Any, obj: Any) -> bool:
        return bool(record.case_id == obj.pk)

    def after_step(self, obj: Any, record: Any, data: Any, acting: Acting, now: datetime) -> None:
        if not data.photos:
            return
        if record.action == Action.SELF_RESOLVE:
            kinds = [AttachmentKind.BEFORE] + [AttachmentKind.AFTER] * (len(data.photos) - 1)
        else:
            kinds = [PHOTO_KIND.get(Action(record.action), AttachmentKind.OTHER)] * len(data.photos)
        _save_photos(obj, record, data.photos, kinds, acting, now)

    def change_extra(self, obj: Any) -> dict[str, Any]:
        return {
            "origin_kind": obj.origin_kind,
            "origin_id": obj.origin_id,
            "case_kind": obj.kind,
            "category": obj.category_id,
            "department": obj.department_id,
        }

    def announce(self, obj: Any, record: Any, change: Change) -> None:
        _announce(obj, record, change)


CASE = engine.register(
    CaseWorkflow(
        name="case",
        label="案件闭环",
        model=Case,
        states=State,
        actions=Action,
        steps=STEPS,
        open_states=frozenset(OPEN_STATES),
        initial=State.REPORTED,
        hooks=HOOKS,
        scopes={
            "grid": _scope_grid,
            "checker": _scope_checker,
            "department": _scope_department,
            "support": _scope_support,
            "reporter": _scope_reporter,
        },
        outcomes=ACTIONS_WITH_OUTCOME,
        not_steps=frozenset({Action.REPORT, Action.NOTE, Action.RATE}),
        raised_by=lambda case: case.reporter_user_id,
        lookup_field="number",
    )
)


def suggested_department(case: Case) -> Department | None:
    return suggest_department(case.category, case.region_id, case.grid_id)
