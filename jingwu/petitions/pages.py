"""Staff pages: the petitions list with its backlog (积案) and registration form, a petition's page (the
petitioner masked, each reveal audited), the suggestions of a session with their rates, a suggestion's page."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingwu.cases.choices import Satisfaction, State
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.lib.privacy import mask_id, mask_name, mask_phone
from jingwu.org.choices import SEE_ALL, Role
from jingwu.org.models import Department, Person, PersonRole
from jingwu.org.services import person_of, roles_of
from jingwu.web.common import roles_required

from . import services
from .choices import Channel, ReviewResult
from .models import CongressSession, Deputy, Petition, Suggestion

# Who opens the petition pages: those a petition may be on. Each sees only the petitions whose case they see.
PETITION_ROLES = (Role.PETITION_CLERK, Role.LEADER, Role.HANDLER)
SUGGESTION_ROLES = (Role.PETITION_CLERK, Role.DEPUTY, Role.HANDLER, *sorted(SEE_ALL))


def _leaders() -> list[Person]:
    extra = PersonRole.objects.filter(role=Role.LEADER).values("person_id")
    return list(
        Person.objects.filter(user__is_active=True).filter(role=Role.LEADER) | Person.objects.filter(pk__in=extra)
    )


@roles_required(*PETITION_ROLES)
def petitions(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = clock.now()
    clerk = Role.PETITION_CLERK in set(roles_of(user))
    if request.method == "POST":
        if not clerk:
            raise Http404
        form = request.POST
        received: datetime | None = None
        try:
            if form.get("received_at"):
                from django.utils.dateparse import parse_datetime

                parsed = parse_datetime(form["received_at"])
                received = parsed.replace(tzinfo=now.tzinfo) if parsed and parsed.tzinfo is None else parsed
            p, _created = services.register_petition(
                actor=user,
                channel=form.get("channel", ""),
                petitioner_name=form.get("petitioner_name", ""),
                petitioner_id_number=form.get("petitioner_id_number", ""),
                petitioner_phone=form.get("petitioner_phone", ""),
                petitioner_address=form.get("petitioner_address", ""),
                subject=form.get("subject", ""),
                matter=form.get("matter", ""),
                leader=form.get("leader", ""),
                department=form.get("department", ""),
                received_at=received,
                client_key=form.get("client_key") or None,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记信访事项 %(number)s") % {"number": p.number})
            return redirect("petitions:petition", pk=p.pk)
    backlog = request.GET.get("view") == "backlog"
    qs = Petition.objects.visible_to(user).select_related("leader", "department", "case")
    qs = qs.backlog(now) if backlog else qs
    rows = list(qs.order_by("-received_at", "-pk")[:200])
    repeated = set(Petition.objects.filter(pk__in=[p.pk for p in rows]).repeated().values_list("pk", flat=True))
    return render(
        request,
        "petitions/petitions.html",
        {
            "nav": "petitions",
            "rows": [{"p": p, "overdue": p.is_overdue(now), "repeated": p.pk in repeated} for p in rows],
            "backlog": backlog,
            "backlog_count": Petition.objects.visible_to(user).backlog(now).count(),
            "clerk": clerk,
            "channels": Channel.choices,
            "leaders": _leaders() if clerk else [],
            "departments": Department.objects.filter(active=True).order_by("code") if clerk else [],
        },
    )


def _petition(request: HttpRequest, pk: int) -> Petition:
    p = Petition.objects.visible_to(request.user).select_related("leader", "department", "case", "region").filter(pk=pk)
    found = p.first()
    if found is None:
        raise Http404
    return found


@roles_required(*PETITION_ROLES)
def petition(request: HttpRequest, pk: int) -> HttpResponse:
    p = _petition(request, pk)
    user = request.user
    roles = set(roles_of(user))
    person = person_of(user)
    case = p.case
    handler_here = (
        Role.HANDLER in roles and person is not None and case is not None and person.department_id == case.department_id
    )
    masked = {
        "name": mask_name(p.petitioner_name),
        "id_number": mask_id(p.petitioner_id_number) if p.petitioner_id_number else "",
        "phone": mask_phone(p.petitioner_phone) if p.petitioner_phone else "",
        "address": _("（已隐藏）") if p.petitioner_address else "",
    }
    return render(
        request,
        "petitions/petition.html",
        {
            "nav": "petitions",
            "p": p,
            "case": case,
            "masked": masked,
            "may_reveal": services.may_reveal(p, user),
            "clerk": Role.PETITION_CLERK in roles,
            "leader": Role.LEADER in roles,
            "handler_here": handler_here,
            "overdue": p.is_overdue(clock.now()),
            "ratings": Satisfaction.choices,
            "results": ReviewResult.choices,
            "handling": case is not None and case.status == State.HANDLING,
            "pending_extension": case is not None and bool(case.pending_extension),
            "departments": Department.objects.filter(active=True).order_by("code"),
        },
    )


@require_POST
@roles_required(*PETITION_ROLES)
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    p = _petition(request, pk)
    try:
        return JsonResponse(services.reveal(p, actor=request.user))
    except ServiceError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)


@require_POST
@roles_required(*PETITION_ROLES)
def petition_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    p = _petition(request, pk)
    f, user = request.POST, request.user
    try:
        if action == "decide":
            services.decide(p, actor=user, accept=f.get("accept") == "1", reason=f.get("reason", ""))
        elif action == "reply":
            services.reply(p, actor=user, text=f.get("text", ""))
        elif action == "deliver":
            services.deliver(p, actor=user, note=f.get("note", ""))
        elif action == "send_back":
            services.send_back(p, actor=user, reason=f.get("reason", ""))
        elif action == "extend":
            days = f.get("days", "")
            services.request_extension(
                p, actor=user, days=int(days) if days.isascii() and days.isdigit() else 0, reason=f.get("reason", "")
            )
        elif action == "approve_extension":
            services.approve_extension(p, actor=user)
        elif action == "rate":
            services.rate(p, actor=user, rating=f.get("rating", ""), note=f.get("note", ""))
        elif action in ("review", "rereview"):
            services.request_review(p, actor=user, rereview=action == "rereview", note=f.get("note", ""))
        elif action in ("review_decision", "rereview_decision"):
            services.decide_review(
                p,
                actor=user,
                result=f.get("result", ""),
                note=f.get("note", ""),
                rereview=action == "rereview_decision",
            )
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("petitions:petition", pk=p.pk)


# --- suggestions ---------------------------------------------------------------------------------------


@roles_required(*SUGGESTION_ROLES)
def suggestions(request: HttpRequest) -> HttpResponse:
    user = request.user
    clerk = Role.PETITION_CLERK in set(roles_of(user))
    sessions = list(CongressSession.objects.all())
    chosen = next((s for s in sessions if str(s.pk) == request.GET.get("session")), sessions[0] if sessions else None)
    if request.method == "POST" and clerk and chosen is not None:
        try:
            s, _created = services.register_suggestion(
                actor=user,
                session=chosen,
                deputy=request.POST.get("deputy", ""),
                title=request.POST.get("title", ""),
                text=request.POST.get("text", ""),
                client_key=request.POST.get("client_key") or None,
            )
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            return redirect("petitions:suggestion", pk=s.pk)
    rows = (
        Suggestion.objects.visible_to(user)
        .filter(session=chosen)
        .select_related("deputy__person", "lead", "case")
        .order_by("number")
        if chosen
        else Suggestion.objects.none()
    )
    return render(
        request,
        "petitions/suggestions.html",
        {
            "nav": "suggestions",
            "sessions": sessions,
            "session": chosen,
            "rates": services.rates(chosen) if chosen else None,
            "rows": rows,
            "clerk": clerk,
            "deputies": Deputy.objects.filter(active=True).select_related("person") if clerk else [],
        },
    )


def _suggestion(request: HttpRequest, pk: int) -> Suggestion:
    found = (
        Suggestion.objects.visible_to(request.user)
        .select_related("session", "deputy__person", "lead", "case")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


@roles_required(*SUGGESTION_ROLES)
def suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    s = _suggestion(request, pk)
    user = request.user
    roles = set(roles_of(user))
    person = person_of(user)
    case = s.case
    lead_here = (
        Role.HANDLER in roles and person is not None and case is not None and person.department_id == case.department_id
    )
    assessable = s.replied_at is not None and (
        (s.second_replied_at is None and not s.assessment)
        or (s.second_replied_at is not None and not s.second_assessment)
    )
    return render(
        request,
        "petitions/suggestion.html",
        {
            "nav": "suggestions",
            "s": s,
            "case": case,
            "clerk": Role.PETITION_CLERK in roles,
            "lead_here": lead_here and case is not None and case.status == State.HANDLING,
            "may_assess": services.may_assess(s, user)
            and assessable
            and case is not None
            and case.status == State.CLOSED,
            "ratings": Satisfaction.choices,
            "departments": Department.objects.filter(active=True).order_by("code"),
        },
    )


@require_POST
@roles_required(*SUGGESTION_ROLES)
def suggestion_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    s = _suggestion(request, pk)
    f, user = request.POST, request.user
    try:
        if action == "assign":
            services.assign(s, actor=user, lead=f.get("lead", ""), supporting=f.getlist("supporting"))
        elif action == "answer":
            services.answer(s, actor=user, text=f.get("text", ""))
        elif action == "send":
            services.send_reply(s, actor=user)
        elif action == "assess":
            services.assess(s, actor=user, rating=f.get("rating", ""), note=f.get("note", ""))
        elif action == "reassign":
            services.reassign(s, actor=user, note=f.get("note", ""))
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("petitions:suggestion", pk=s.pk)
