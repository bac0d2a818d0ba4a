"""The only writers of petitions and suggestions. Each one's case runs the one loop (``cases.services``); the
steps here take the loop's steps for the petition clerk and the departments, and the rows follow their case
(``follow`` below, inside each step's transaction).

How the 信访工作条例 maps onto the loop:

- 登记 → ``report_case`` (category 90005, origin the petition), in 待受理; the 15-day acceptance limit runs.
- 受理 → ``accept`` + ``file`` + ``dispatch`` to the responsible department; the 60-day handling limit counts
  from the acceptance (``Origin.deadline``). 不予受理 → ``void`` with the reason.
- The department's 处理意见 → ``feedback`` (its text); 延期 → ``request_extension`` / ``approve_extension``.
- 送达 → the clerk's ``check`` (pass) and ``close``; the petitioner's satisfaction → ``rate_case``.
- 复查 / 复核: requested within 30 days and decided within 30 days by the body above; the town records them. A
  review that overturns the reply reopens the same case with the loop's own ``revisit`` (``reopen``), which
  exists for exactly this: a closed case handled again after a 不满意, its earlier rating kept on the record.
  A new case would split one matter's history in two and count it twice.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.cases import services as cases
from jingwu.cases.choices import Action, Satisfaction, State
from jingwu.cases.models import Case, Transition
from jingwu.lib import clock, idcard
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, InvalidState, NotFound
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org.actors import Acting, resolve
from jingwu.org.choices import Role
from jingwu.org.models import Department, Person
from jingwu.org.services import person_of, roles_of
from jingwu.workcal.services import get_calendar

from .choices import Channel, Decision, ReviewResult
from .models import CongressSession, Deputy, Limits, Petition, Suggestion

PETITION_KIND = "petitions.petition"
SUGGESTION_KIND = "petitions.suggestion"
PETITION_CATEGORY = "matter:90005"
SUGGESTION_CATEGORY = "matter:90006"
# Who registers petitions and suggestions and takes the loop's steps on them.
CLERKS = frozenset({Role.PETITION_CLERK})
# Working days a second reply to a deputy gets when the first deadline has already passed.
SECOND_REPLY_DAYS = 20


# --- time limits ---------------------------------------------------------------------------------------


def add_days(start: datetime, days: int, limits: Limits | None = None) -> datetime:
    """``days`` of the 条例 after ``start``: working days under the working calendar (holidays and 调休 as the
    administrators keep them), or calendar days when the configuration says so."""
    limits = limits or Limits.current()
    if limits.working_days:
        return get_calendar().add_limit(start, Limit(days, LimitUnit.WORK_DAYS))
    return start + timedelta(days=days)


def _extension_limit(days: int, limits: Limits) -> Limit:
    if limits.working_days:
        return Limit(days, LimitUnit.WORK_DAYS)
    return Limit(days * 24, LimitUnit.CONTINUOUS_HOURS)


# --- keys for finding repeats --------------------------------------------------------------------------


def valid_id_number(value: str) -> bool:
    """GB 11643-1999: 17 digits, a real date of birth and a check character."""
    return idcard.valid(value)


def person_key(id_number: str) -> str:
    """A keyed digest of an ID number: finds one person's petitions without storing the number in the clear."""
    if not id_number:
        return ""
    return salted_hmac("jingwu.petitions.petitioner", id_number.upper(), algorithm="sha256").hexdigest()


def matter_key(subject: str) -> str:
    """The subject with width, case, spaces and punctuation folded away: "拆迁补偿 问题" = "拆迁补偿问题"."""
    folded = unicodedata.normalize("NFKC", subject).lower()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")[:100]


# --- helpers ---------------------------------------------------------------------------------------------


def _clerk(actor: Any) -> Acting:
    acting = resolve(actor)
    if acting.role_for(CLERKS) is None:
        raise Forbidden(gettext("只有信访专员可以办理"), code="forbidden_role")
    return acting


def _text(value: Any, name: str, limit: int, *, required: bool = False, code: str = "") -> str:
    text = textlib.check(str(value or "").strip(), name)
    if required and not text:
        raise Invalid(gettext("请填写%(field)s") % {"field": name}, code=code or f"{name}_required")
    if len(text) > limit:
        raise Invalid(
            gettext("%(field)s不能超过%(limit)s字") % {"field": name, "limit": limit}, code=f"{name}_too_long"
        )
    return text


def _department(value: Any) -> Department:
    if isinstance(value, Department):
        dept: Department | None = value
    else:
        key = str(value or "").strip()
        if not key:
            raise Invalid(gettext("请选择责任单位"), code="department_required")
        dept = Department.objects.filter(
            **({"pk": int(key)} if key.isascii() and key.isdigit() else {"code": key})
        ).first()
    if dept is None or not dept.active:
        raise Invalid(gettext("责任单位不存在或已停用"), code="unknown_department")
    return dept


def _leader(value: Any) -> Person:
    from jingwu.org.models import PersonRole

    if isinstance(value, Person):
        person: Person | None = value
    else:
        key = str(value or "").strip()
        if not key:
            raise Invalid(gettext("请选择包案领导"), code="leader_required")
        person = Person.objects.filter(
            Q(pk=int(key)) if key.isascii() and key.isdigit() else Q(user__username=key)
        ).first()
    if person is None:
        raise Invalid(gettext("包案领导不存在"), code="unknown_leader")
    if person.role != Role.LEADER and not PersonRole.objects.filter(person=person, role=Role.LEADER).exists():
        raise Invalid(gettext("包案领导须是领导"), code="not_a_leader")
    return person


def _step(case_id: int, action: str, actor: Any, **data: Any) -> Case:
    """One step of the loop on the latest version of the case: the clerk acts on what the row says now."""
    version = Case.objects.filter(pk=case_id).values_list("version", flat=True).first()
    if version is None:
        raise NotFound(gettext("案件不存在"))
    return cases.perform(case_id, action, actor=actor, version=version, data=cases.ActionInput(**data))


def _key(acting: Acting, client_key: str | None) -> str | None:
    raw = (client_key or "").strip() or None
    if raw is not None and len(raw) > 64:
        raise Invalid(gettext("幂等键最长64个字符"), code="invalid_key")
    return acting.key(raw)


def get_petition(pk: Any) -> Petition:
    p = Petition.objects.filter(pk=int(pk) if str(pk).isascii() and str(pk).isdigit() else -1).first()
    if p is None:
        p = Petition.objects.filter(number=str(pk)).first()
    if p is None:
        raise NotFound(gettext("信访事项 %(ref)s 不存在") % {"ref": pk})
    return p


def _number(prefix: str, at: datetime, pk: int) -> str:
    return f"{prefix}{at.astimezone(get_calendar().tz):%Y}{pk:06d}"


# --- petitions -----------------------------------------------------------------------------------------


def register_petition(
    *,
    actor: Any,
    channel: str,
    petitioner_name: str,
    subject: str,
    matter: str,
    leader: Any,
    department: Any,
    petitioner_id_number: str = "",
    petitioner_phone: str = "",
    petitioner_address: str = "",
    region: Any = None,
    received_at: datetime | None = None,
    client_key: str | None = None,
) -> tuple[Petition, bool]:
    """登记: a petition and its case, in one transaction. A retry with the same ``client_key`` returns the first
    petition (``created`` false), never a second."""
    acting = _clerk(actor)
    key = _key(acting, client_key)
    if key is not None:
        done = Petition.objects.filter(client_key=key).first()
        if done is not None:
            return done, False
    if channel not in Channel.values:
        raise Invalid(gettext("信访形式未知"), code="unknown_channel")
    name = _text(petitioner_name, "petitioner_name", 32, required=True)
    id_number = _text(petitioner_id_number, "petitioner_id_number", 18).upper()
    if id_number and not valid_id_number(id_number):
        raise Invalid(gettext("身份证号码无效（GB 11643校验不通过）"), code="invalid_id_number")
    phone = _text(petitioner_phone, "petitioner_phone", 32)
    address = _text(petitioner_address, "petitioner_address", 200)
    subject = _text(subject, "subject", 100, required=True)
    matter = _text(matter, "matter", 4000, required=True)
    boss = _leader(leader)
    dept = _department(department)
    now = clock.now()
    received = received_at or now
    if received > now or received < now - timedelta(days=366):
        raise Invalid(gettext("收到时间须在过去一年内"), code="invalid_received_at")
    limits = Limits.current()
    try:
        with transaction.atomic():
            p = Petition.objects.create(
                channel=channel,
                petitioner_name=name,
                petitioner_id_number=id_number,
                petitioner_phone=phone,
                petitioner_address=address,
                petitioner_key=person_key(id_number),
                subject=subject,
                matter=matter,
                matter_key=matter_key(subject),
                leader=boss,
                department=dept,
                received_at=received,
                accept_due=add_days(received, limits.accept_days, limits),
                registered_by=acting.user,
                client_key=key,
                created_at=now,
            )
            p.number = _number("XF", received, p.pk)
            result = cases.report_case(
                actor=actor,
                description=f"{subject}：{matter}"[: cases.MAX_DESCRIPTION],
                category=PETITION_CATEGORY,
                source="petition",
                source_detail=str(Channel(channel).label),
                region=region,
                origin=p,
                client_key=f"petition-{p.pk}",
            )
            # Its first stage runs on the 条例's clock (15 days to decide on acceptance), not the loop's hours for
            # a report: the case is neither escalated nor shown late before the petition is.
            Case.objects.filter(pk=result.case.pk).update(due_at=p.accept_due)
            result.case.due_at = p.accept_due
            p.case, p.status, p.region_id = result.case, result.case.status, result.case.region_id
            p.save(update_fields=["number", "case", "status", "region"])
            audit.record(
                "petition.register",
                "petition",
                p.number,
                actor=acting.user,
                role=Role.PETITION_CLERK,
                data={"channel": channel, "case": result.case.number, "leader": boss.pk, "department": dept.code},
            )
    except IntegrityError:
        if key is None:
            raise
        done = Petition.objects.filter(client_key=key).first()
        if done is None:
            raise
        return done, False
    return p, True


def _case_of(p: Petition) -> Case:
    if p.case_id is None:
        raise InvalidState(gettext("该信访事项没有案件"))
    return Case.objects.get(pk=p.case_id)


def decide(
    p: Petition, *, actor: Any, accept: bool, reason: str = "", supporting: Any = (), department: Any = None
) -> Petition:
    """受理 (filed and sent to the responsible department, the handling limit counted from now) or 不予受理
    (the case voided with the reason). One transaction: the decision and the loop's steps stand together."""
    acting = _clerk(actor)
    reason = _text(reason, "reason", 500)
    if not accept and not reason:
        raise Invalid(gettext("请说明不予受理的理由"), code="reason_required")
    with transaction.atomic():
        p = Petition.objects.select_for_update().get(pk=p.pk)
        if p.decision:
            raise InvalidState(gettext("已作出受理决定"), code="already_decided")
        now = clock.now()
        limits = Limits.current()
        p.decided_at = now
        if accept:
            if department not in (None, ""):
                p.department = _department(department)
            p.decision = Decision.ACCEPTED
            p.handle_due = add_days(now, limits.handle_days, limits)
            p.save(update_fields=["decision", "decided_at", "handle_due", "department"])
            case = _case_of(p)
            _step(case.pk, Action.ACCEPT, actor)
            _step(case.pk, Action.FILE, actor)
            _step(case.pk, Action.DISPATCH, actor, department=p.department, supporting=supporting or ())
        else:
            p.decision, p.decision_reason = Decision.REJECTED, reason
            p.save(update_fields=["decision", "decided_at", "decision_reason"])
            _step(_case_of(p).pk, Action.VOID, actor, reason="not_accepted", note=reason)
        audit.record(
            "petition.decide",
            "petition",
            p.number or p.pk,
            actor=acting.user,
            role=Role.PETITION_CLERK,
            data={"decision": p.decision, "late": now > p.accept_due},
        )
    p.refresh_from_db()
    return p


def reply(p: Petition, *, actor: Any, text: str, client_key: str | None = None) -> Petition:
    """The department's 处理意见: the case's ``feedback``, its text the reply (the petition follows)."""
    text = _text(text, "text", 2000, required=True, code="reply_required")
    case = _case_of(p)
    cases.perform(
        case.pk,
        Action.FEEDBACK,
        actor=actor,
        version=case.version,
        data=cases.ActionInput(note=text, client_key=client_key),
    )
    p.refresh_from_db()
    return p


def deliver(p: Petition, *, actor: Any, note: str = "") -> Petition:
    """送达: the clerk checks the department's reply and sends it to the petitioner; the case closes."""
    _clerk(actor)
    note = _text(note, "note", 500)
    with transaction.atomic():
        case = _case_of(p)
        _step(case.pk, Action.CHECK, actor, outcome="pass", note=note)
        _step(case.pk, Action.CLOSE, actor, note=note)
    p.refresh_from_db()
    return p


def send_back(p: Petition, *, actor: Any, reason: str) -> Petition:
    """The reply does not answer the matter: back to the department (返工), the handling deadline unchanged."""
    _clerk(actor)
    reason = _text(reason, "reason", 500, required=True)
    _step(_case_of(p).pk, Action.CHECK, actor, outcome="fail", reason="reply_inadequate", note=reason)
    p.refresh_from_db()
    return p


def request_extension(p: Petition, *, actor: Any, days: int, reason: str) -> Petition:
    """延期: the department asks; the 条例 allows at most ``extension_days`` in all. A leader approves."""
    limits = Limits.current()
    reason = _text(reason, "reason", 500, required=True)
    if days <= 0:
        raise Invalid(gettext("请填写延期天数"), code="extension_required")
    if p.extension_days + days > limits.extension_days:
        raise Invalid(
            gettext("延期合计不能超过%(days)s日") % {"days": limits.extension_days}, code="extension_too_long"
        )
    _step(_case_of(p).pk, Action.REQUEST_EXTENSION, actor, extension=_extension_limit(days, limits), reason=reason)
    p.refresh_from_db()
    return p


def approve_extension(p: Petition, *, actor: Any) -> Petition:
    _step(_case_of(p).pk, Action.APPROVE_EXTENSION, actor)
    p.refresh_from_db()
    return p


def rate(p: Petition, *, actor: Any, rating: str, note: str = "") -> Petition:
    """The petitioner's satisfaction, as the clerk took it down (the petitioner has no account)."""
    _clerk(actor)
    cases.rate_case(_case_of(p).pk, rating=rating, note=note, actor=actor)
    p.refresh_from_db()
    return p


def _window(start: datetime | None, days: int, limits: Limits, now: datetime) -> bool:
    return start is not None and now <= add_days(start, days, limits)


def request_review(p: Petition, *, actor: Any, rereview: bool = False, note: str = "") -> Petition:
    """申请复查 (within 30 days of the reply's delivery) or 申请复核 (within 30 days of the review's decision).
    A petitioner who asks is not satisfied: an unrated reply is rated 不满意 on the record."""
    acting = _clerk(actor)
    note = _text(note, "note", 500)
    limits = Limits.current()
    now = clock.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().get(pk=p.pk)
        if rereview:
            if p.review_result != ReviewResult.UPHELD or p.rereview_requested_at is not None:
                raise InvalidState(gettext("复查维持原处理意见后才能申请复核"), code="no_review")
            if not _window(p.review_decided_at, limits.rereview_request_days, limits, now):
                raise Invalid(gettext("已超过申请复核的期限"), code="too_late")
            p.rereview_requested_at, p.rereview_due = now, add_days(now, limits.rereview_days, limits)
            p.save(update_fields=["rereview_requested_at", "rereview_due"])
        else:
            if p.delivered_at is None or p.review_requested_at is not None:
                raise InvalidState(gettext("答复送达后才能申请复查"), code="not_delivered")
            if not _window(p.delivered_at, limits.review_request_days, limits, now):
                raise Invalid(gettext("已超过申请复查的期限"), code="too_late")
            if p.satisfaction and p.satisfaction != Satisfaction.UNSATISFIED:
                raise InvalidState(gettext("信访人已表示满意"), code="satisfied")
            if not p.satisfaction:
                cases.rate_case(p.case_id, rating=Satisfaction.UNSATISFIED, note=gettext("申请复查"), actor=actor)
            p.refresh_from_db()
            p.review_requested_at, p.review_due = now, add_days(now, limits.review_days, limits)
            p.save(update_fields=["review_requested_at", "review_due"])
        audit.record(
            "petition.rereview_request" if rereview else "petition.review_request",
            "petition",
            p.number or p.pk,
            actor=acting.user,
            role=Role.PETITION_CLERK,
            data={"note": bool(note)},
        )
    return p


def decide_review(p: Petition, *, actor: Any, result: str, note: str, rereview: bool = False) -> Petition:
    """The body above's 复查/复核 opinion, recorded by the clerk. 撤销重办 reopens the case (``revisit``,
    ``reopen``) and sends it to the department again with a new handling limit; a 复核 that upholds ends the
    matter (信访终结), and the case's call back is recorded as explained."""
    acting = _clerk(actor)
    if result not in ReviewResult.values:
        raise Invalid(gettext("复查意见只能是维持或撤销重办"), code="invalid_result")
    note = _text(note, "note", 500, required=True)
    limits = Limits.current()
    with transaction.atomic():
        p = Petition.objects.select_for_update().get(pk=p.pk)
        prefix = "rereview" if rereview else "review"
        if getattr(p, f"{prefix}_requested_at") is None or getattr(p, f"{prefix}_decided_at") is not None:
            raise InvalidState(gettext("没有待作出的复查/复核意见"), code="no_review")
        now = clock.now()
        setattr(p, f"{prefix}_decided_at", now)
        setattr(p, f"{prefix}_result", result)
        setattr(p, f"{prefix}_note", note)
        p.save(update_fields=[f"{prefix}_decided_at", f"{prefix}_result", f"{prefix}_note"])
        case = _case_of(p)
        if result == ReviewResult.OVERTURNED:
            Petition.objects.filter(pk=p.pk).update(handle_due=add_days(now, limits.handle_days, limits))
            _step(case.pk, Action.REVISIT, actor, outcome="reopen", reason="review_overturned", note=note)
            _step(case.pk, Action.DISPATCH, actor, department=p.department)
        elif rereview and cases.revisit_due(case):
            _step(case.pk, Action.REVISIT, actor, outcome="explained", reason="final", note=note)
        audit.record(
            f"petition.{prefix}_decide",
            "petition",
            p.number or p.pk,
            actor=acting.user,
            role=Role.PETITION_CLERK,
            data={"result": result},
        )
    p.refresh_from_db()
    return p


def may_reveal(p: Petition, user: Any) -> bool:
    """Who sees the petitioner in full: those handling it (the clerks, its 包案领导, its department's staff)."""
    roles = set(roles_of(user))
    if roles & CLERKS:
        return True
    person = person_of(user)
    if person is None:
        return False
    if p.leader_id == person.pk:
        return True
    return Role.HANDLER in roles and person.department_id is not None and person.department_id == p.department_id


def reveal(p: Petition, *, actor: Any) -> dict[str, str]:
    """The petitioner's data in full; every look is audited (PIPL: each access by staff recorded)."""
    if not may_reveal(p, actor):
        raise Forbidden(gettext("无权查看信访人信息"), code="forbidden_role")
    acting = resolve(actor)
    audit.record(
        "petition.reveal",
        "petition",
        p.number or p.pk,
        actor=acting.user,
        role=acting.role,
        data={"fields": ["name", "id_number", "phone", "address"]},
    )
    return {
        "name": p.petitioner_name,
        "id_number": p.petitioner_id_number,
        "phone": p.petitioner_phone,
        "address": p.petitioner_address,
    }


# --- the petition follows its case ---------------------------------------------------------------------


def _petition_of(case: Case) -> Petition | None:
    if case.origin_kind != PETITION_KIND or not case.origin_id.isdigit():
        return None
    return Petition.objects.filter(pk=int(case.origin_id)).first()


def follow_petition(case: Case, record: Transition) -> None:
    """The petition's fields from its case's step, in that step's transaction: its reply when the department
    gives it, delivery on close, the deadline when extended, the rating, and a reopening's reset."""
    if record.action == Action.REPORT or not case.origin_id.isdigit():
        return  # the petition takes its case once report_case returns
    updates: dict[str, Any] = {"status": case.status}
    if record.action == Action.FEEDBACK:
        updates.update(replied_at=record.at, reply_text=record.note)
    elif record.action == Action.CLOSE:
        updates["delivered_at"] = record.at
    elif record.action == Action.CHECK and record.outcome == "fail":
        updates.update(replied_at=None, reply_text="")
    elif record.action == Action.APPROVE_EXTENSION and case.handling_deadline is not None:
        value, unit = record.data.get("value", 0), record.data.get("unit")
        days = value if unit == LimitUnit.WORK_DAYS else value // 24
        updates.update(handle_due=case.handling_deadline, extension_days=F("extension_days") + days)
    elif record.action == Action.RATE:
        updates["satisfaction"] = case.satisfaction
    elif record.action == Action.REVISIT and record.outcome == "reopen":
        updates.update(replied_at=None, reply_text="", delivered_at=None, satisfaction="")
    Petition.objects.filter(pk=int(case.origin_id)).update(**updates)


def petition_deadline(case: Case, now: datetime) -> datetime | None:
    """The handling limit counts from the acceptance (条例: 60 days), not from the dispatch."""
    p = _petition_of(case)
    return p.handle_due if p is not None else None


def clerk_checks(case: Case, acting: Acting) -> bool:
    """The petition clerk checks (审核) a department's reply before it goes out; no grid is involved."""
    return acting.role_for(CLERKS) is not None


def petition_link(case: Case, user: Any) -> tuple[str, str] | None:
    from django.urls import reverse

    p = _petition_of(case)
    if p is None:
        return None
    return gettext("信访事项 %(number)s") % {"number": p.number}, reverse("petitions:petition", args=[p.pk])


# --- deputies' suggestions -----------------------------------------------------------------------------


def get_suggestion(pk: Any) -> Suggestion:
    s = Suggestion.objects.filter(pk=int(pk) if str(pk).isascii() and str(pk).isdigit() else -1).first()
    if s is None:
        raise NotFound(gettext("代表建议 %(ref)s 不存在") % {"ref": pk})
    return s


def register_suggestion(
    *,
    actor: Any,
    session: Any,
    deputy: Any,
    title: str,
    text: str,
    number: int | None = None,
    client_key: str | None = None,
) -> tuple[Suggestion, bool]:
    """登记: a suggestion and its case. A retry with the same ``client_key`` returns the first one."""
    acting = _clerk(actor)
    key = _key(acting, client_key)
    if key is not None:
        done = Suggestion.objects.filter(client_key=key).first()
        if done is not None:
            return done, False
    sess = session if isinstance(session, CongressSession) else CongressSession.objects.filter(pk=session).first()
    if sess is None:
        raise Invalid(gettext("会议不存在"), code="unknown_session")
    dep = deputy if isinstance(deputy, Deputy) else Deputy.objects.filter(pk=deputy, active=True).first()
    if dep is None:
        raise Invalid(gettext("代表不存在"), code="unknown_deputy")
    title = _text(title, "title", 200, required=True)
    text = _text(text, "text", 4000, required=True)
    now = clock.now()
    try:
        with transaction.atomic():
            if number is None:
                last = Suggestion.objects.filter(session=sess).order_by("-number").values_list("number", flat=True)
                number = (last.first() or 0) + 1
            elif number <= 0:
                raise Invalid(gettext("建议号须为正整数"), code="invalid_number")
            s = Suggestion.objects.create(
                session=sess,
                deputy=dep,
                number=number,
                title=title,
                text=text,
                registered_by=acting.user,
                client_key=key,
                created_at=now,
            )
            result = cases.report_case(
                actor=actor,
                description=f"{title}：{text}"[: cases.MAX_DESCRIPTION],
                category=SUGGESTION_CATEGORY,
                source="petition",
                source_detail=gettext("%(session)s 第%(number)s号") % {"session": sess.name, "number": number},
                reporter_name=dep.person.name,
                reporter_phone=dep.person.phone,
                origin=s,
                client_key=f"suggestion-{s.pk}",
            )
            s.case, s.status = result.case, result.case.status
            s.save(update_fields=["case", "status"])
            audit.record(
                "suggestion.register",
                "suggestion",
                s.pk,
                actor=acting.user,
                role=Role.PETITION_CLERK,
                data={"session": sess.pk, "number": number, "deputy": dep.pk},
            )
    except IntegrityError as exc:
        if key is not None:
            done = Suggestion.objects.filter(client_key=key).first()
            if done is not None:
                return done, False
        raise Conflict(gettext("该会议已有此建议号"), code="duplicate_number") from exc
    return s, True


def assign(
    s: Suggestion, *, actor: Any, lead: Any, supporting: Any = (), reply_due: datetime | None = None
) -> Suggestion:
    """交办: filed and sent to the lead department with its supporting ones; the reply deadline is the given
    one or ``suggestion_reply_days`` from now."""
    acting = _clerk(actor)
    dept = _department(lead)
    limits = Limits.current()
    now = clock.now()
    if reply_due is not None and reply_due <= now:
        raise Invalid(gettext("答复期限须在今后"), code="invalid_reply_due")
    with transaction.atomic():
        s = Suggestion.objects.select_for_update().get(pk=s.pk)
        if s.assigned_at is not None:
            raise InvalidState(gettext("该建议已交办"), code="already_assigned")
        s.lead, s.assigned_at = dept, now
        s.reply_due = reply_due or add_days(now, limits.suggestion_reply_days, limits)
        s.save(update_fields=["lead", "assigned_at", "reply_due"])
        case = _case_of_suggestion(s)
        _step(case.pk, Action.ACCEPT, actor)
        _step(case.pk, Action.FILE, actor)
        after = _step(case.pk, Action.DISPATCH, actor, department=dept, supporting=supporting or ())
        s.supporting.set([sup.department for sup in after.supports.select_related("department")])
        audit.record(
            "suggestion.assign",
            "suggestion",
            s.pk,
            actor=acting.user,
            role=Role.PETITION_CLERK,
            data={"lead": dept.code, "supporting": [d.code for d in s.supporting.all()]},
        )
    s.refresh_from_db()
    return s


def _case_of_suggestion(s: Suggestion) -> Case:
    if s.case_id is None:
        raise InvalidState(gettext("该建议没有案件"))
    return Case.objects.get(pk=s.case_id)


def answer(s: Suggestion, *, actor: Any, text: str, client_key: str | None = None) -> Suggestion:
    """The lead department's reply (the case's ``feedback``): the first, or the second after a 不满意."""
    text = _text(text, "text", 2000, required=True, code="reply_required")
    case = _case_of_suggestion(s)
    cases.perform(
        case.pk,
        Action.FEEDBACK,
        actor=actor,
        version=case.version,
        data=cases.ActionInput(note=text, client_key=client_key),
    )
    s.refresh_from_db()
    return s


def send_reply(s: Suggestion, *, actor: Any) -> Suggestion:
    """The clerk checks the reply and sends it to the deputy; the case closes and waits for the assessment."""
    _clerk(actor)
    with transaction.atomic():
        case = _case_of_suggestion(s)
        _step(case.pk, Action.CHECK, actor, outcome="pass")
        _step(case.pk, Action.CLOSE, actor)
    s.refresh_from_db()
    return s


def may_assess(s: Suggestion, user: Any) -> bool:
    roles = set(roles_of(user))
    if roles & CLERKS:
        return True
    person = person_of(user)
    return Role.DEPUTY in roles and person is not None and s.deputy.person_id == person.pk


def assess(s: Suggestion, *, actor: Any, rating: str, note: str = "") -> Suggestion:
    """The deputy's assessment (满意, 基本满意, 不满意), given by the deputy or taken down by the clerk. A first
    不满意 sends the suggestion back to its department for a second reply (the loop's ``revisit``, ``reopen``);
    the second assessment is the one that stands."""
    if not may_assess(s, actor):
        raise Forbidden(gettext("只有提出建议的代表或信访专员可以评价"), code="forbidden_role")
    if rating not in Satisfaction.values:
        raise Invalid(gettext("请选择满意、基本满意或不满意"), code="invalid_rating")
    with transaction.atomic():
        s = Suggestion.objects.select_for_update().get(pk=s.pk)
        if s.replied_at is None:
            raise InvalidState(gettext("答复后才能评价"), code="not_replied")
        second = s.second_replied_at is not None
        if (second and s.second_assessment) or (not second and s.assessment):
            raise Conflict(gettext("该答复已评价"), code="already_rated")
        cases.rate_case(_case_of_suggestion(s).pk, rating=rating, note=note, actor=actor)
    s.refresh_from_db()
    return s


def reassign(s: Suggestion, *, actor: Any, note: str = "") -> Suggestion:
    """再次办理 after a first 不满意: the clerk's ``revisit`` (``reopen``) reopens the case (the earlier rating
    stays on its record) and it goes back to the same departments for a second reply."""
    acting = _clerk(actor)
    note = _text(note, "note", 500)
    with transaction.atomic():
        s = Suggestion.objects.select_for_update().get(pk=s.pk)
        if not s.awaits_second_reply or s.status != State.CLOSED:
            raise InvalidState(gettext("没有待再次办理的不满意评价"), code="not_unsatisfied")
        case = _case_of_suggestion(s)
        reason = note or gettext("代表对答复不满意，再次办理")
        _step(case.pk, Action.REVISIT, actor, outcome="reopen", reason="deputy_unsatisfied", note=reason)
        _step(case.pk, Action.DISPATCH, actor, department=s.lead, supporting=list(s.supporting.all()))
        audit.record("suggestion.reassign", "suggestion", s.pk, actor=acting.user, role=Role.PETITION_CLERK)
    s.refresh_from_db()
    return s


def follow_suggestion(case: Case, record: Transition) -> None:
    if record.action == Action.REPORT or not case.origin_id.isdigit():
        return
    s = Suggestion.objects.filter(pk=int(case.origin_id)).first()
    if s is None:
        return
    updates: dict[str, Any] = {"status": case.status}
    if record.action == Action.FEEDBACK:
        if s.assessment == Satisfaction.UNSATISFIED:
            updates.update(second_reply_text=record.note, second_replied_at=record.at)
        else:
            updates.update(reply_text=record.note, replied_at=record.at)
    elif record.action == Action.RATE:
        if s.second_replied_at is not None:
            updates.update(second_assessment=case.satisfaction, second_assessed_at=record.at)
        else:
            updates.update(assessment=case.satisfaction, assessed_at=record.at)
    Suggestion.objects.filter(pk=s.pk).update(**updates)


def suggestion_deadline(case: Case, now: datetime) -> datetime | None:
    if case.origin_kind != SUGGESTION_KIND or not case.origin_id.isdigit():
        return None
    s = Suggestion.objects.filter(pk=int(case.origin_id)).first()
    if s is None:
        return None
    if s.assessment == Satisfaction.UNSATISFIED and s.reply_due is not None and s.reply_due < now:
        # A second reply gets time of its own once the first deadline has passed: a month of work from now.
        return add_days(now, SECOND_REPLY_DAYS)
    return s.reply_due


def deputy_sees(user: Any) -> Q | None:
    """A deputy sees the cases of their own suggestions (and nobody else gains anything here)."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    if Role.DEPUTY not in set(roles_of(user)):
        return None
    mine = Suggestion.objects.filter(deputy__person__user=user).values_list(Cast("pk", CharField()))
    return Q(origin_kind=SUGGESTION_KIND, origin_id__in=mine)


def suggestion_link(case: Case, user: Any) -> tuple[str, str] | None:
    from django.urls import reverse

    if case.origin_kind != SUGGESTION_KIND or not case.origin_id.isdigit():
        return None
    return gettext("代表建议"), reverse("petitions:suggestion", args=[int(case.origin_id)])


def rates(session: CongressSession) -> dict[str, Any]:
    """答复率 = replied / all; 满意率 = (满意 + 基本满意) / assessed, on the assessment that stands (the second,
    after a second reply). Rates are None while their denominator is 0."""
    rows = list(Suggestion.objects.filter(session=session))
    total = len(rows)
    replied = sum(1 for s in rows if s.replied_at is not None)
    finals = [s.final_assessment for s in rows if s.final_assessment]
    satisfied = sum(1 for f in finals if f in (Satisfaction.SATISFIED, Satisfaction.BASIC))
    return {
        "total": total,
        "replied": replied,
        "assessed": len(finals),
        "satisfied": satisfied,
        "second_replies": sum(1 for s in rows if s.second_replied_at is not None),
        "reply_rate": round(100 * replied / total, 1) if total else None,
        "satisfaction_rate": round(100 * satisfied / len(finals), 1) if finals else None,
    }
