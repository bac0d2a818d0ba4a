"""/api/petitions/ and /api/suggestions/: the same auth and error shape as the rest of /api/.

A petition or a suggestion is found only by those who see its case (``Case.objects.visible_to``); anyone else
gets 404, as for a case they may not see. The petitioner is masked here; ``POST …/reveal`` gives the full
record to those handling the petition and is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from jingwu.lib import clock
from jingwu.lib.errors import NotFound
from jingwu.lib.privacy import mask_id, mask_name, mask_phone
from jingwu.org.auth import require_user

from . import services
from .models import CongressSession, Petition, Suggestion

router = Router(tags=["petitions"])


# --- petitions -----------------------------------------------------------------------------------------


class PetitionIn(Schema):
    channel: str = Field(description="visit, letter, phone, online or transferred")
    petitioner_name: str = Field(max_length=32)
    petitioner_id_number: str = Field("", max_length=18, description="GB 11643; checked (400 invalid_id_number)")
    petitioner_phone: str = Field("", max_length=32)
    petitioner_address: str = Field("", max_length=200)
    subject: str = Field(max_length=100, description="the matter in a few words; repeats are found by it")
    matter: str = Field(max_length=4000)
    leader: str = Field(description="包案领导: a leader's person id or username")
    department: str = Field(description="责任单位: a department's id or code")
    region: str | None = Field(None, description="village or community code")
    received_at: datetime | None = Field(None, description="when it came in; now by default")
    client_key: str | None = Field(None, max_length=64, description="client-generated idempotency key")


class PetitionOut(Schema):
    id: int
    number: str | None
    channel: str
    petitioner_name: str = Field(description="masked")
    petitioner_id_number: str = Field(description="masked")
    petitioner_phone: str = Field(description="masked")
    subject: str
    matter: str
    leader: str
    department: str
    region: str | None
    received_at: datetime
    accept_due: datetime
    decision: str
    decision_reason: str
    decided_at: datetime | None
    handle_due: datetime | None
    extension_days: int
    replied_at: datetime | None
    reply_text: str
    delivered_at: datetime | None
    satisfaction: str
    review_requested_at: datetime | None
    review_due: datetime | None
    review_result: str
    rereview_requested_at: datetime | None
    rereview_due: datetime | None
    rereview_result: str
    stage: str
    overdue: bool
    case: str | None
    case_status: str
    may_reveal: bool


class PetitionerOut(Schema):
    name: str
    id_number: str
    phone: str
    address: str


class PetitionAction(Schema):
    """What each action reads: ``decide`` accept, reason, department, supporting; ``reply`` text; ``deliver``
    note; ``send_back`` reason; ``extend`` days, reason; ``approve_extension`` nothing; ``rate`` rating,
    note; ``review`` rereview, note; ``review_decision`` rereview, result (upheld/overturned), note."""

    accept: bool = True
    reason: str = Field("", max_length=500)
    department: str | None = None
    supporting: list[str] = []
    text: str = Field("", max_length=2000)
    note: str = Field("", max_length=500)
    days: int = Field(0, ge=0, le=366)
    rating: str = ""
    rereview: bool = False
    result: str = ""
    client_key: str | None = Field(None, max_length=64)


PetitionActionName = Literal[
    "decide", "reply", "deliver", "send_back", "extend", "approve_extension", "rate", "review", "review_decision"
]


def petition_out(p: Petition, user: Any) -> dict[str, Any]:
    case = p.case
    return {
        "id": p.pk,
        "number": p.number,
        "channel": p.channel,
        "petitioner_name": mask_name(p.petitioner_name),
        "petitioner_id_number": mask_id(p.petitioner_id_number) if p.petitioner_id_number else "",
        "petitioner_phone": mask_phone(p.petitioner_phone) if p.petitioner_phone else "",
        "subject": p.subject,
        "matter": p.matter,
        "leader": p.leader.name,
        "department": p.department.name,
        "region": p.region.code if p.region_id and p.region else None,
        **{
            f: getattr(p, f)
            for f in (
                "received_at",
                "accept_due",
                "decision",
                "decision_reason",
                "decided_at",
                "handle_due",
                "extension_days",
                "replied_at",
                "reply_text",
                "delivered_at",
                "satisfaction",
                "review_requested_at",
                "review_due",
                "review_result",
                "rereview_requested_at",
                "rereview_due",
                "rereview_result",
                "stage",
            )
        },
        "overdue": p.is_overdue(clock.now()),
        "case": case.number if case else None,
        "case_status": case.status if case else "",
        "may_reveal": services.may_reveal(p, user),
    }


def visible_petition(user: Any, pk: int) -> Petition:
    p = Petition.objects.visible_to(user).select_related("leader", "department", "region", "case").filter(pk=pk).first()
    if p is None:
        raise NotFound(gettext("信访事项不存在"))
    return p


class PetitionFilters(Schema):
    backlog: bool = Field(False, description="积案 only: overdue, or repeated and unfinished")
    stage: str = ""
    q: str = Field("", max_length=100)
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


def petitions_for(user: Any, params: PetitionFilters) -> Any:
    qs = Petition.objects.visible_to(user).select_related("leader", "department", "region", "case")
    if params.backlog:
        qs = qs.backlog(clock.now())
    if params.q:
        qs = qs.filter(subject__icontains=params.q) | qs.filter(number=params.q)
    return qs.order_by("-received_at", "-pk")


@router.get("/petitions", response=list[PetitionOut], summary="Petitions you may see (信访), newest first")
def petition_list(request: HttpRequest, params: Query[PetitionFilters]) -> list[dict[str, Any]]:
    user = require_user(request)
    rows = list(petitions_for(user, params))
    if params.stage:
        rows = [p for p in rows if p.stage == params.stage]
    return [petition_out(p, user) for p in rows[params.offset : params.offset + params.limit]]


@router.get("/petitions/{pk}", response=PetitionOut, summary="One petition (petitioner masked)")
def petition_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = require_user(request)
    return petition_out(visible_petition(user, pk), user)


@router.post(
    "/petitions",
    response={201: PetitionOut, 200: PetitionOut},
    summary="Register a petition (petition clerk); a retry with the same client_key answers 200 with the first",
)
def petition_create(request: HttpRequest, body: PetitionIn) -> Status:
    user = require_user(request, write=True)
    p, created = services.register_petition(actor=user, **body.dict())
    p = Petition.objects.select_related("leader", "department", "region", "case").get(pk=p.pk)
    return Status(201 if created else 200, petition_out(p, user))


@router.post("/petitions/{pk}/reveal", response=PetitionerOut, summary="The petitioner in full (audited)")
def petition_reveal(request: HttpRequest, pk: int) -> dict[str, str]:
    user = require_user(request, write=True)
    return services.reveal(visible_petition(user, pk), actor=user)


@router.post("/petitions/{pk}/{action}", response=PetitionOut, summary="Take a step on a petition")
def petition_act(request: HttpRequest, pk: int, action: PetitionActionName, body: PetitionAction) -> dict[str, Any]:
    user = require_user(request, write=True)
    p = visible_petition(user, pk)
    b = body
    if action == "decide":
        services.decide(
            p, actor=user, accept=b.accept, reason=b.reason, department=b.department, supporting=b.supporting
        )
    elif action == "reply":
        services.reply(p, actor=user, text=b.text, client_key=b.client_key)
    elif action == "deliver":
        services.deliver(p, actor=user, note=b.note)
    elif action == "send_back":
        services.send_back(p, actor=user, reason=b.reason)
    elif action == "extend":
        services.request_extension(p, actor=user, days=b.days, reason=b.reason)
    elif action == "approve_extension":
        services.approve_extension(p, actor=user)
    elif action == "rate":
        services.rate(p, actor=user, rating=b.rating, note=b.note)
    elif action == "review":
        services.request_review(p, actor=user, rereview=b.rereview, note=b.note)
    else:
        services.decide_review(p, actor=user, result=b.result, note=b.note, rereview=b.rereview)
    return petition_out(visible_petition(user, pk), user)


# --- suggestions ---------------------------------------------------------------------------------------


class SessionOut(Schema):
    id: int
    name: str
    opened_on: Any
    total: int
    replied: int
    assessed: int
    satisfied: int
    second_replies: int
    reply_rate: float | None = Field(description="答复率, percent: replied / all")
    satisfaction_rate: float | None = Field(description="满意率, percent: (满意 + 基本满意) / assessed")


class SuggestionIn(Schema):
    session: int
    deputy: int
    title: str = Field(max_length=200)
    text: str = Field(max_length=4000)
    number: int | None = Field(None, ge=1, description="建议号; the next free one by default")
    client_key: str | None = Field(None, max_length=64)


class SuggestionOut(Schema):
    id: int
    session: int
    session_name: str
    number: int
    deputy: str
    title: str
    text: str
    lead: str | None
    supporting: list[str]
    assigned_at: datetime | None
    reply_due: datetime | None
    reply_text: str
    replied_at: datetime | None
    assessment: str
    second_reply_text: str
    second_replied_at: datetime | None
    second_assessment: str
    final_assessment: str
    case: str | None
    case_status: str


class SuggestionAction(Schema):
    """``assign`` lead, supporting, reply_due; ``answer`` text; ``send`` nothing; ``assess`` rating, note;
    ``reassign`` note."""

    lead: str | None = None
    supporting: list[str] = []
    reply_due: datetime | None = None
    text: str = Field("", max_length=2000)
    rating: str = ""
    note: str = Field("", max_length=500)
    client_key: str | None = Field(None, max_length=64)


def session_out(s: CongressSession) -> dict[str, Any]:
    return {"id": s.pk, "name": s.name, "opened_on": s.opened_on, **services.rates(s)}


def suggestion_out(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "session": s.session_id,
        "session_name": s.session.name,
        "number": s.number,
        "deputy": s.deputy.person.name,
        "title": s.title,
        "text": s.text,
        "lead": s.lead.name if s.lead else None,
        "supporting": [d.name for d in s.supporting.all()],
        **{
            f: getattr(s, f)
            for f in (
                "assigned_at",
                "reply_due",
                "reply_text",
                "replied_at",
                "assessment",
                "second_reply_text",
                "second_replied_at",
                "second_assessment",
                "final_assessment",
            )
        },
        "case": s.case.number if s.case else None,
        "case_status": s.case.status if s.case else "",
    }


def visible_suggestion(user: Any, pk: int) -> Suggestion:
    s = (
        Suggestion.objects.visible_to(user)
        .select_related("session", "deputy__person", "lead", "case")
        .filter(pk=pk)
        .first()
    )
    if s is None:
        raise NotFound(gettext("代表建议不存在"))
    return s


@router.get("/suggestions/sessions", response=list[SessionOut], summary="Congress sessions with 答复率 and 满意率")
def session_list(request: HttpRequest) -> list[dict[str, Any]]:
    require_user(request)
    return [session_out(s) for s in CongressSession.objects.all()]


class SuggestionFilters(Schema):
    session: int | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/suggestions", response=list[SuggestionOut], summary="Deputies' suggestions you may see")
def suggestion_list(request: HttpRequest, params: Query[SuggestionFilters]) -> list[dict[str, Any]]:
    user = require_user(request)
    qs = Suggestion.objects.visible_to(user).select_related("session", "deputy__person", "lead", "case")
    if params.session:
        qs = qs.filter(session_id=params.session)
    rows = qs.prefetch_related("supporting")[params.offset : params.offset + params.limit]
    return [suggestion_out(s) for s in rows]


@router.get("/suggestions/{pk}", response=SuggestionOut, summary="One deputy's suggestion")
def suggestion_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    return suggestion_out(visible_suggestion(require_user(request), pk))


@router.post(
    "/suggestions",
    response={201: SuggestionOut, 200: SuggestionOut},
    summary="Register a suggestion (petition clerk); a retry with the same client_key answers 200",
)
def suggestion_create(request: HttpRequest, body: SuggestionIn) -> Status:
    user = require_user(request, write=True)
    s, created = services.register_suggestion(actor=user, **body.dict())
    return Status(201 if created else 200, suggestion_out(services.get_suggestion(s.pk)))


@router.post("/suggestions/{pk}/{action}", response=SuggestionOut, summary="Take a step on a suggestion")
def suggestion_act(
    request: HttpRequest,
    pk: int,
    action: Literal["assign", "answer", "send", "assess", "reassign"],
    body: SuggestionAction,
) -> dict[str, Any]:
    user = require_user(request, write=True)
    s = visible_suggestion(user, pk)
    b = body
    if action == "assign":
        services.assign(s, actor=user, lead=b.lead, supporting=b.supporting, reply_due=b.reply_due)
    elif action == "answer":
        services.answer(s, actor=user, text=b.text, client_key=b.client_key)
    elif action == "send":
        services.send_reply(s, actor=user)
    elif action == "assess":
        services.assess(s, actor=user, rating=b.rating, note=b.note)
    else:
        services.reassign(s, actor=user, note=b.note)
    return suggestion_out(visible_suggestion(user, pk))
