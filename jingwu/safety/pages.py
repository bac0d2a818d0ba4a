"""The safety pages beyond the registry: inspection tasks and records, plans, the two ledgers (隐患清单 and
动态监管台账) with the report's figures, their Excel exports, and the place's own link for its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jingwu.cases.choices import AttachmentKind, State
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.org.choices import Role
from jingwu.org.services import roles_of
from jingwu.web.common import roles_required
from jingwu.web.export import xlsx_response
from jingwu.web.jobs import Sheet, start_export
from jingwu.workcal.services import get_calendar

from . import inspections, ledgers
from .api import LEDGER_READERS, may_see_inspection
from .choices import Every, HazardType, Industry, RiskLevel, Severity, Tag, TaskState
from .models import Checklist, Company, Hazard, Inspection, InspectionPhoto, Plan


def _today() -> date:
    return clock.now().astimezone(get_calendar().tz).date()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period(get: Mapping[str, str]) -> ledgers.Period:
    """The period asked for; by default this year so far (the report's own period)."""
    if "start" in get or "end" in get:
        return ledgers.Period(_date(get.get("start")), _date(get.get("end")))
    today = _today()
    return ledgers.Period(date(today.year, 1, 1), today)


def _common(request: HttpRequest, tab: str) -> dict[str, Any]:
    roles = set(roles_of(request.user))
    return {
        "nav": "safety",
        "tab": tab,
        "is_manager": bool(roles & inspections.MANAGERS),
        "industries": Industry.choices,
        "types": HazardType.choices,
        "levels": Severity.choices,
        "risks": RiskLevel.choices,
        "tags": Tag.choices,
    }


# --- tasks and inspections --------------------------------------------------------------------------


@roles_required(*(inspections.MANAGERS | {Role.INSPECTOR}))
def tasks(request: HttpRequest) -> HttpResponse:
    today = _today()
    qs = inspections.tasks_for(request.user)
    status = request.GET.get("status", "todo")
    if status == "overdue":
        qs = qs.filter(status=TaskState.TODO, due_on__lt=today)
    elif status in TaskState.values:
        qs = qs.filter(status=status)
    company = _int(request.GET.get("company"))
    if company:
        qs = qs.filter(company_id=company)
    plan = _int(request.GET.get("plan"))
    if plan:
        qs = qs.filter(plan_id=plan)
    page = Paginator(qs.select_related("inspection", "plan").order_by("due_on", "id"), 50).get_page(
        request.GET.get("page")
    )
    context = _common(request, "tasks") | {
        "page": page,
        "today": today,
        "status": status,
        "company": company,
        "plan": plan,
        "companies": Company.objects.filter(active=True),
        "states": TaskState.choices,
    }
    return render(request, "safety/tasks.html", context)


def _inspection_visible(request: HttpRequest, pk: int) -> Inspection:
    ins = Inspection.objects.select_related("enterprise", "company", "checklist", "task").filter(pk=pk).first()
    if ins is None:
        raise Http404(_("检查记录不存在"))
    if may_see_inspection(request.user, ins):
        return ins
    raise Http404(_("检查记录不存在"))


@roles_required(*(LEDGER_READERS | {Role.INSPECTOR}))
def inspection(request: HttpRequest, pk: int) -> HttpResponse:
    ins = _inspection_visible(request, pk)
    results = list(ins.results.prefetch_related("photos"))
    hazards = {h.result_id: h for h in ins.hazards.select_related("case")}
    rows: list[dict[str, Any]] = []
    for r in results:
        hazard = hazards.get(r.pk)
        row: dict[str, Any] = {"r": r, "hazard": hazard}
        if hazard is not None:
            # The place's own link, to hand over (or show as a code to scan) for its 整改材料.
            row["link"] = link = inspections.rectify_url(hazard)
            row["qr"] = segno.make(request.build_absolute_uri(link), error="m").svg_data_uri(scale=3)
        rows.append(row)
    return render(request, "safety/inspection.html", _common(request, "tasks") | {"ins": ins, "rows": rows})


@roles_required(*(LEDGER_READERS | {Role.INSPECTOR}))
def signature(request: HttpRequest, pk: int) -> FileResponse:
    ins = _inspection_visible(request, pk)
    import mimetypes

    kind = mimetypes.guess_type(str(ins.signature.name))[0] or "image/png"
    return FileResponse(ins.signature.open("rb"), content_type=kind)


@roles_required(*(LEDGER_READERS | {Role.INSPECTOR}))
def photo(request: HttpRequest, pk: int) -> FileResponse:
    row = InspectionPhoto.objects.select_related("result").filter(pk=pk).first()
    if row is None:
        raise Http404
    _inspection_visible(request, row.result.inspection_id)
    return FileResponse(row.file.open("rb"), content_type=row.content_type)


# --- plans ------------------------------------------------------------------------------------------


@roles_required(*LEDGER_READERS)
def plans(request: HttpRequest) -> HttpResponse:
    ctx = _common(request, "plans")
    if request.method == "POST":
        if not ctx["is_manager"]:
            raise Http404
        try:
            plan = inspections.save_plan(request.POST.dict(), actor=request.user)
            made = inspections.generate_tasks(plan=plan)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("计划已创建，本期生成 %(n)s 个检查任务") % {"n": made})
            return redirect("safety:plans")
    rows = []
    today = _today()
    for p in Plan.objects.select_related("checklist", "assignee", "company").order_by("-active", "-id")[:100]:
        start, end = inspections.period_of(p.every, today)
        counts = {s: 0 for s in TaskState.values}
        for s in p.tasks.filter(period=start).values_list("status", flat=True):  # this period's tasks only
            counts[s] += 1
        rows.append({"p": p, "todo": counts[TaskState.TODO], "done": counts[TaskState.DONE], "end": end})
    from .models import Inspector

    ctx |= {
        "rows": rows,
        "checklists": Checklist.objects.filter(active=True),
        "companies": Company.objects.filter(active=True),
        "inspectors": Inspector.objects.select_related("person", "company").order_by("company__name", "person__name"),
        "everies": Every.choices,
        "today": _today(),
    }
    return render(request, "safety/plans.html", ctx)


@roles_required(*inspections.MANAGERS)
def stop_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """停用 a plan: no more tasks from it; those already made stay to be done or cancelled one by one."""
    if request.method != "POST":
        raise Http404
    try:
        inspections.stop_plan(pk, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("计划已停用，不再生成新任务"))
    return redirect("safety:plans")


@roles_required(*inspections.MANAGERS)
def cancel_task(request: HttpRequest, pk: int) -> HttpResponse:
    """取消 a task nobody will do (the place closed, the plan changed)."""
    if request.method != "POST":
        raise Http404
    try:
        inspections.cancel_task(pk, actor=request.user, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("任务已取消"))
    return redirect(request.POST.get("next") or "safety:tasks")


# --- the ledgers ------------------------------------------------------------------------------------


def _hazard_filters(get: Mapping[str, str]) -> ledgers.HazardFilters:
    return ledgers.HazardFilters(
        period=_period(get),
        industry=get.get("industry", "")[:1],
        hazard_type=get.get("hazard_type", "")[:16],
        level=get.get("level", "")[:8],
        grid=_int(get.get("grid")),
        state=get.get("state", "")[:8],
        enterprise=_int(get.get("enterprise")),
    )


HAZARD_COLUMNS = ["行业门类", "隐患类型", "隐患数", "其中重大", "未销号", "逾期未整改", "已销号", "逾期销号"]
HAZARD_ROW_COLUMNS = [
    "发现时间",
    "企业",
    "行业",
    "隐患类型",
    "等级",
    "隐患描述",
    "整改期限",
    "状态",
    "复查次数",
    "销号时间",
    "案件编号",
]


@roles_required(*LEDGER_READERS)
def hazard_ledger(request: HttpRequest) -> HttpResponse:
    """隐患清单: by industry and type, then the hazards themselves."""
    f = _hazard_filters(request.GET)
    now = clock.now()
    summary = ledgers.hazard_list(f, now)
    export = request.GET.get("export")
    if export == "summary":
        rows = [
            [f"{r['industry']} {r['industry_label']}", r["type_label"], *[r[k] for k in _COUNTS]]
            for r in summary["rows"]
        ]
        rows.append([_("合计"), "", *[summary["totals"][k] for k in _COUNTS]])
        return xlsx_response(_("隐患清单"), [_(c) for c in HAZARD_COLUMNS], rows, _filename("hazard-list"))
    qs = ledgers.hazard_rows(f, now)
    if export == "rows":
        total = summary["totals"]["total"]
        if total > settings.JINGWU_EXPORT_SYNC_ROWS:
            return start_export(request.user, "safety.hazards", request.GET, total)
        sheet = hazards_sheet(request.user, request.GET)
        return xlsx_response(sheet.name, sheet.header, sheet.rows, _filename(sheet.stem))
    paginator = Paginator(qs, 50)
    paginator.count = summary["totals"]["total"]  # the same rows the summary just counted
    page = paginator.get_page(request.GET.get("page"))
    ctx = _common(request, "hazards") | {
        "summary": summary,
        "figures": ledgers.figures(f.period, now, found=_found(f, summary), where=f),
        "f": f,
        "page": page,
        "now": now,
        "state_labels": dict(State.choices),
    }
    return render(request, "safety/hazards.html", ctx)


def _found(f: ledgers.HazardFilters, summary: dict[str, Any]) -> dict[str, int] | None:
    """What the summary counted, when it counted every hazard the figures would (no state chosen): the figures
    need not count it again."""
    if f.state:
        return None  # the summary counted only the open, closed or overdue ones
    return {"found": summary["totals"]["total"], "major": summary["totals"]["major"]}


_COUNTS = ("total", "major", "open", "overdue", "closed", "closed_late")


def _hazard_rows(qs: Any, now: Any) -> Any:
    tz = get_calendar().tz
    states, kinds, levels = dict(State.choices), dict(HazardType.choices), dict(Severity.choices)
    industries = dict(Industry.choices)
    for h in qs.iterator(chunk_size=2000):
        overdue = h.is_open and h.rectify_by < now
        yield [
            f"{h.found_at.astimezone(tz):%Y-%m-%d %H:%M}",
            h.enterprise.name,
            f"{h.industry} {industries.get(h.industry, '')}",
            str(kinds.get(h.hazard_type, h.hazard_type)),
            str(levels.get(h.level, h.level)),
            h.description,
            f"{h.rectify_by.astimezone(tz):%Y-%m-%d}",
            str(states.get(h.status, h.status)) + (f"（{_('逾期')}）" if overdue else ""),
            h.rechecks,
            f"{h.closed_at.astimezone(tz):%Y-%m-%d}" if h.closed_at else "",
            h.case.number if h.case_id and h.case.number else "",
        ]


PLACE_COLUMNS = [
    "企业",
    "统一社会信用代码",
    "行业",
    "网格",
    "风险等级",
    "最近检查",
    "未销号隐患",
    "逾期隐患",
    "已销号隐患",
    "最近整改期限",
]


@roles_required(*LEDGER_READERS)
def place_ledger(request: HttpRequest) -> HttpResponse:
    """动态监管台账: every place, overdue first."""
    get = request.GET
    f = _place_filters(get)
    now = clock.now()
    qs = ledgers.places(f, now)
    if get.get("export"):
        total = qs.count()
        if total > settings.JINGWU_EXPORT_SYNC_ROWS:
            return start_export(request.user, "safety.ledger", get, total)
        sheet = ledger_sheet(request.user, get)
        return xlsx_response(sheet.name, sheet.header, sheet.rows, _filename(sheet.stem))
    page = Paginator(qs, 50).get_page(get.get("page"))
    late = ledgers.overdue_counts([e.pk for e in page.object_list], now)
    rows = [{"e": e, "overdue": late.get(e.pk, 0)} for e in page.object_list]
    ctx = _common(request, "ledger") | {"page": page, "rows": rows, "f": f, "now": now}
    return render(request, "safety/ledger.html", ctx)


def _place_filters(get: Mapping[str, str]) -> ledgers.PlaceFilters:
    return ledgers.PlaceFilters(
        q=get.get("q", "")[:50],
        industry=get.get("industry", "")[:1],
        tag=get.get("tag", "")[:16],
        risk=get.get("risk", "")[:8],
        grid=_int(get.get("grid")),
        only=get.get("only", "")[:8],
    )


def _may_read_ledgers(user: Any) -> None:
    if not set(roles_of(user)) & LEDGER_READERS:
        raise PermissionDenied  # a background export is built for its owner as they are now


def hazards_sheet(user: Any, get: Mapping[str, str]) -> Sheet:
    """隐患明细 as a sheet, here or in the task worker."""
    _may_read_ledgers(user)
    f, now = _hazard_filters(get), clock.now()
    qs = ledgers.hazard_rows(f, now)
    return Sheet(_("隐患明细"), [_(c) for c in HAZARD_ROW_COLUMNS], _hazard_rows(qs, now), qs.count(), "hazards")


def ledger_sheet(user: Any, get: Mapping[str, str]) -> Sheet:
    """动态监管台账 as a sheet, here or in the task worker."""
    _may_read_ledgers(user)
    now = clock.now()
    qs = ledgers.places(_place_filters(get), now)
    return Sheet(_("动态监管台账"), [_(c) for c in PLACE_COLUMNS], _place_rows(qs, now), qs.count(), "ledger")


def _place_rows(qs: Any, now: Any) -> Any:
    tz = get_calendar().tz
    risks, industries = dict(RiskLevel.choices), dict(Industry.choices)
    for chunk_start in range(0, qs.count(), 500):
        chunk = list(qs[chunk_start : chunk_start + 500])
        late = ledgers.overdue_counts([e.pk for e in chunk], now)
        for e in chunk:
            yield [
                e.name,
                e.credit_code or "",
                f"{e.industry} {industries.get(e.industry, '')}",
                e.grid_code or "",
                str(risks.get(e.risk, e.risk)),
                f"{e.last_inspected_at.astimezone(tz):%Y-%m-%d}" if e.last_inspected_at else _("从未检查"),
                e.open_hazards,
                late.get(e.pk, 0),
                e.closed_hazards,
                f"{e.next_due.astimezone(tz):%Y-%m-%d}" if e.next_due else "",
            ]


def _filename(stem: str) -> str:
    return f"jingwu-{stem}-{clock.now():%Y%m%d-%H%M}.xlsx"


# --- the place's own link ---------------------------------------------------------------------------


RECTIFY_POSTS = 30  # an hour, from one address


def rectify(request: HttpRequest, token: str) -> HttpResponse:
    """整改材料: the place opens the link the inspector left it (no account), sees its hazard and its
    deadline, and sends what it did with photos. Throttled like every public form."""
    from jingwu.audit.middleware import client_ip
    from jingwu.lib import throttle
    from jingwu.org.actors import INSPECTION

    hazard = Hazard.objects.select_related("enterprise", "case").filter(token=token[:32]).first()
    if hazard is None:
        raise Http404
    if request.method == "POST":
        key = f"rectify-ip:{client_ip(request)}"
        if throttle.blocked(key, RECTIFY_POSTS):
            messages.error(request, _("提交过于频繁，请稍后再试"))
            return render(request, "safety/rectify.html", {"h": hazard, "open": False}, status=429)
        throttle.fail(key, 3600)
        try:
            inspections.submit_evidence(
                hazard,
                text=request.POST.get("text", ""),
                photos=request.FILES.getlist("photos"),
                actor=INSPECTION,
                by=request.POST.get("by", ""),
                client_key=request.POST.get("client_key") or None,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(f"{request.path}?sent=1")  # a reload does not send it twice
    sent = request.GET.get("sent") == "1"
    case = hazard.case
    evidence = case.attachments.filter(kind=AttachmentKind.EVIDENCE).count() if case is not None else 0
    ctx = {"h": hazard, "sent": sent, "evidence": evidence, "open": hazard.status in inspections.RECTIFYING}
    return render(request, "safety/rectify.html", ctx)
