"""Staff pages: home per role, the command centre (queues, list, map), the case page and its actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.cases import services
from jingwu.cases.choices import OPEN_STATES, Action, Source, State
from jingwu.cases.models import Case, FilingCondition, Transition
from jingwu.cases.refs import refs
from jingwu.geo.models import Grid
from jingwu.lib import clock
from jingwu.lib.errors import Conflict, ServiceError
from jingwu.lib.privacy import mask_name, mask_phone
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org.choices import Role
from jingwu.org.models import Department
from jingwu.org.services import has_role, person_of, role_of

from . import casefile, lists
from .common import (
    COMMAND_CENTRE,
    STAFF,
    continuous_conditions,
    countdown,
    handling_is_continuous,
    is_htmx,
    roles_required,
)
from .templatetags.jingwu import state_badge

HOME = {
    Role.OPERATOR: "web:centre",
    Role.SHIFT_LEAD: "web:centre",
    Role.DISPATCHER: "web:centre",
    Role.GRID_WORKER: "web:phone",
    Role.HANDLER: "web:desk",
    Role.LEADER: "web:overview",
    Role.ADMIN: "admin:index",
    Role.SECURITY_ADMIN: "admin:index",
    Role.AUDITOR: "web:audit",
    Role.INSPECTOR: "safety:phone",
    Role.RIVER_CHIEF: "patrols:phone",
    Role.SUPERVISOR: "supervision:board",
}


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:public")
    return redirect(HOME.get(Role(role_of(request.user)), "web:public"))


# --- command centre -------------------------------------------------------------------------------

QUEUES: list[tuple[str, str, Q]] = [
    ("reported", gettext_noop("待受理"), Q(status=State.REPORTED)),
    ("verifying", gettext_noop("待核实"), Q(status=State.VERIFYING)),
    ("to_file", gettext_noop("待立案"), Q(status=State.TO_FILE)),
    ("to_dispatch", gettext_noop("待派遣"), Q(status=State.TO_DISPATCH)),
    ("returned", gettext_noop("回退待改派"), Q(status=State.RETURNED)),
    ("to_check", gettext_noop("待核查"), Q(status=State.TO_CHECK)),
    ("to_close", gettext_noop("待结案"), Q(status=State.TO_CLOSE)),
    ("extension", gettext_noop("延期申请"), Q(status=State.HANDLING, pending_extension__isnull=False)),
    ("handling", gettext_noop("处置中"), Q(status=State.HANDLING)),
    # A reporter who was not satisfied waits for a call back (回访).
    ("revisit", gettext_noop("待回访"), Q(status=State.CLOSED, satisfaction="unsatisfied", revisited_at__isnull=True)),
]
REVISIT = QUEUES[-1][2]


def queue_counts(user: Any) -> list[dict[str, Any]]:
    """Every queue's count: the open ones in one query over the open cases alone (a small partial index on
    PostgreSQL, however many cases the years have closed), 待回访 in another over its own partial index."""
    now = clock.now()
    visible = Case.objects.visible_to(user)
    # By state, with the two counts that cut across states: one pass, three aggregates (eleven FILTERs cost
    # twice as much over a city's open cases).
    counts: dict[str, int] = dict.fromkeys([key for key, _label, _c in QUEUES], 0) | {"overdue": 0}
    for row in (
        visible.filter(status__in=sorted(OPEN_STATES))
        .values("status")
        .annotate(
            m_n=Count(Value(1)),
            m_overdue=Count(Value(1), filter=Q(due_at__lt=now)),
            m_extension=Count(Value(1), filter=Q(pending_extension__isnull=False)),
        )
        .order_by()
    ):
        counts[row["status"]] = row["m_n"]
        counts["overdue"] += row["m_overdue"]
        if row["status"] == State.HANDLING:
            counts["extension"] = row["m_extension"]
    counts["revisit"] = visible.filter(REVISIT).count()
    rows = [{"key": key, "label": _(label), "count": counts[key]} for key, label, _c in QUEUES]
    rows.insert(7, {"key": "overdue", "label": _("超时"), "count": counts["overdue"], "alarm": True})
    return rows


def category_choices(r: Any) -> list[tuple[str, str]]:
    """(kind:code, label) for the category pickers; 事件 and 部件 share codes, so the label says which."""
    from jingwu.cases.choices import CategoryKind

    kinds = dict(CategoryKind.choices)
    return sorted((f"{v[0]}:{v[1]}", f"{kinds.get(v[0], v[0])} {v[1]} {v[2]}") for v in r.categories.values())


def case_rows(cases: Sequence[Case], now: Any) -> list[dict[str, Any]]:
    r = refs()
    rows = []
    for c in cases:
        cat = r.categories.get(c.category_id) if c.category_id else None
        region = r.regions.get(c.region_id) if c.region_id else None
        dept = r.departments.get(c.department_id) if c.department_id else None
        rows.append(
            {
                "case": c,
                "category": cat[2] if cat else "—",
                "region": region[1] if region else "—",
                "grid": r.grids.get(c.grid_id, "") if c.grid_id else "",
                "department": dept[1] if dept else "",
                "overdue": c.is_overdue(now),
                "status_label": State(c.status).label,
                "source_label": Source(c.source).label if c.source in Source.values else c.source,
            }
        )
    return rows


def table_rows(cases: Sequence[Case], now: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The centre table's rows, each with its ``<tr>`` written here: fifty rows of look-ups, date filters and
    a URL tag per cell cost the page more in the template engine than its queries cost in the database."""
    rows = case_rows(cases, now)
    pick_label, late = _("选择"), _("超时")
    for row in rows:
        c = row["case"]
        reported = timezone.localtime(c.reported_at)
        due = ""
        if c.due_at:
            local = timezone.localtime(c.due_at)
            due = format_html('<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%m-%d %H:%M"))
            if row["overdue"]:
                due += format_html(' <span class="badge bg-red text-white late">{}</span>', late)
        pick = ""
        if batch:
            if any(c.status in b["states"] for b in batch):
                pick = format_html(
                    '<input class="form-check-input m-0" type="checkbox" name="n" value="{}:{}" form="batch-form"'
                    ' aria-label="{} {}">',
                    c.number,
                    c.version,
                    pick_label,
                    c.number,
                )
            pick = format_html("<td>{}</td>", pick)
        row["html"] = format_html(
            '<tr class="{}" data-number="{}">\n    {}\n    <td class="nowrap"><a href="{}">{}</a></td>\n'
            '    <td><span class="{}">{}</span></td>\n'
            '    <td>{}</td><td class="nowrap">{}</td><td class="nowrap d-none d-xxl-table-cell">{}</td>\n'
            '    <td class="desc">{}</td><td class="nowrap">{}</td>\n'
            '    <td class="nowrap"><time datetime="{}">{}</time></td>\n'
            '    <td class="nowrap">{}</td>\n  </tr>',
            "overdue" if row["overdue"] else "",
            c.number,
            pick,
            reverse("web:case", args=[c.number]),
            c.number,
            state_badge(c.status),
            row["status_label"],
            row["category"],
            row["region"],
            row["source_label"],
            Truncator(c.description).chars(28),
            row["department"],
            reported.isoformat(),
            reported.strftime("%m-%d %H:%M"),
            due,
        )
    return rows


def _table_context(request: HttpRequest) -> dict[str, Any]:
    listing = lists.case_list(request)
    page = lists.page_of(listing, request)
    batch = batch_actions(request.user)
    return {
        "rows": table_rows(list(page.object_list), clock.now(), batch),
        "page": page,
        "params": listing.params,
        "active": listing.described_filters(),
        "sizes": lists.PAGE_SIZES,
        "columns": lists.columns(listing),
        "batch": batch,
        "departments_all": sorted(refs().departments.values()),
        "sort": listing.sort,
    }


@roles_required(*COMMAND_CENTRE, Role.LEADER, Role.ADMIN)
def centre(request: HttpRequest) -> HttpResponse:
    if is_htmx(request) and request.headers.get("HX-Target") == "case-table":
        # The table, and out of band the queue tiles (the current one marked) and the filter form, so that
        # the form always shows the filters in force (after a tile, a chip removed, a sort).
        context = {**_table_context(request), **_filter_choices(), "oob": True, "queues": queue_counts(request.user)}
        return render(request, "web/_case_table.html", context)
    context = {
        **_table_context(request),
        **_filter_choices(),
        "nav": "centre",
        "queues": queue_counts(request.user),
        "tiles": tile_settings(),
    }
    return render(request, "web/centre.html", context)


def _filter_choices() -> dict[str, Any]:
    r = refs()
    return {
        "regions": sorted(r.regions.values()),
        "departments": sorted(r.departments.values()),
        "categories": category_choices(r),
        "sources": Source.choices,
        "statuses": State.choices,
    }


@roles_required(*COMMAND_CENTRE, Role.LEADER, Role.ADMIN)
def centre_queues(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/_queues.html",
        {"queues": queue_counts(request.user), "params": {"queue": request.GET.get("queue", "")}},
    )


@roles_required(*COMMAND_CENTRE, Role.LEADER, Role.ADMIN)
def centre_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_case_table.html", _table_context(request))


# Steps that undo work: the page's form asks for a tick first (作废, 回退, 并案).
CONFIRMED = frozenset({Action.VOID, Action.RETURN, Action.MERGE})

# Batch steps from the list: one step on many cases, each in its own transaction and with the version the
# person saw, so that a case someone else changed meanwhile is reported, not overwritten.
BATCH = {
    Action.ACCEPT: ((Role.OPERATOR, Role.SHIFT_LEAD), (State.REPORTED,)),
    Action.DISPATCH: ((Role.DISPATCHER,), (State.TO_DISPATCH, State.RETURNED)),
}
BATCH_LIMIT = 100


def batch_actions(user: Any) -> list[dict[str, Any]]:
    return [
        {"action": action, "label": action.label, "states": states}
        for action, (roles, states) in BATCH.items()
        if has_role(user, *roles)
    ]


@roles_required(*COMMAND_CENTRE)
def centre_batch(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("web:centre")
    action = request.POST.get("action", "")
    allowed = {b["action"] for b in batch_actions(request.user)}
    picked = request.POST.getlist("n")[:BATCH_LIMIT]
    results: dict[str, list[str]] = {"done": [], "conflict": [], "error": []}
    if action not in allowed:
        results["error"].append(_("不能批量执行此操作"))
    for item in picked if action in allowed else []:
        number, _sep, version = item.partition(":")
        case = Case.objects.visible_to(request.user).filter(number=number).only("id").first()
        if case is None or not version.isdigit():
            results["error"].append(number)
            continue
        data = services.ActionInput(department=request.POST.get("department") or None)
        try:
            services.perform(case.pk, action, actor=request.user, version=int(version), data=data)
            results["done"].append(number)
        except Conflict:
            results["conflict"].append(number)
        except ServiceError as exc:
            results["error"].append(f"{number}: {exc.message}")
    from jingwu.audit import services as audit

    audit.record(
        "case.batch",
        "case",
        "",
        actor=request.user,
        role=role_of(request.user),
        data={
            "action": action,
            "done": len(results["done"]),
            "conflict": results["conflict"],
            "error": results["error"],
        },
    )
    context = {
        **_table_context(request),
        **_filter_choices(),
        "oob": True,
        "queues": queue_counts(request.user),
        "batch_result": results,
    }
    context["batch_label"] = Action(action).label if action in Action.values else action
    return render(request, "web/_case_table.html", context)


@roles_required(*COMMAND_CENTRE, Role.LEADER, Role.ADMIN, Role.HANDLER)
def centre_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered list, every page of it, as CSV (``format=csv``) or Excel (``format=xlsx``)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("导出格式只能是 csv 或 xlsx"), status=400, content_type="text/plain; charset=utf-8")
    return lists.export(lists.case_list(request), fmt, request.user, later=request.GET)


@roles_required(*STAFF)
def exports(request: HttpRequest) -> HttpResponse:
    """我的导出: the background exports this person asked for, newest first, for a week."""
    from .models import Export

    mine = list(Export.objects.filter(user_id=int(request.user.pk or 0))[:30])
    context = {
        "exports": mine,
        "pending": any(e.status == Export.Status.PENDING for e in mine),
        "new": request.GET.get("new", ""),
        "nav": "exports",
    }
    if is_htmx(request):
        return render(request, "web/_exports.html", context)
    return render(request, "web/exports.html", context)


@roles_required(*STAFF)
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    from .jobs import may_fetch
    from .models import Export

    job = Export.objects.filter(pk=pk, user_id=int(request.user.pk or 0), status=Export.Status.DONE).first()
    if job is None or not job.file or not may_fetch(job):
        raise Http404(_("导出文件不存在或已过期"))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=str(job.file.name).rsplit("/", 1)[-1])


def tile_settings() -> dict[str, Any]:
    """The base map for the pages' map script (geo/basemaps.py), with layer names in the reader's language."""
    config = dict(settings.JINGWU_BASEMAP_LAYERS)
    names = {"vector": _("矢量地图"), "imagery": _("影像地图")}
    config["bases"] = [{**b, "label": names.get(b["name"], b["name"])} for b in config["bases"]]
    config["text"] = {
        "local": _("本地底图"),
        "grids": _("网格"),
        "cases": _("案件"),
        "open_grid": _("有在办案件的网格"),
        "late_grid": _("有超时案件的网格"),
        "open_case": _("在办案件"),
        "late_case": _("超时案件"),
        "closed_case": _("已办结"),
        "this_case": _("本案"),
        "nearby": _("附近在办案件"),
        "its_grid": _("所在网格"),
        "picked": _("问题位置（可拖动）"),
        "open": _("在办"),
        "overdue": _("超时"),
        "zoom_in": _("放大"),
        "zoom_out": _("缩小"),
        "places": _("企业与场所"),
        "risk_red": _("红（重大风险）"),
        "risk_orange": _("橙（较大风险）"),
        "risk_yellow": _("黄（一般风险）"),
        "risk_blue": _("蓝（低风险）"),
        "overdue_hazard": _("有逾期隐患"),
        "devices": _("监测设备"),
        "device_alarm": _("告警中"),
        "device_online": _("在线"),
        "device_fault": _("故障"),
        "device_offline": _("离线"),
    }
    return config


@roles_required(*STAFF)
def map_data(request: HttpRequest) -> JsonResponse:
    """Grids shaded by open and overdue cases, and open case markers: three queries whatever the size."""
    now = clock.now()
    visible = Case.objects.visible_to(request.user)
    counts: dict[Any, Any] = {
        row["grid_id"]: row
        for row in visible.filter(status__in=OPEN_STATES)
        .values("grid_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    }
    grids = [
        {
            "type": "Feature",
            "geometry": g["geometry"],
            "properties": {
                "code": g["code"],
                "name": g["name"],
                "open": counts.get(g["id"], {}).get("open", 0),
                "overdue": counts.get(g["id"], {}).get("overdue", 0),
            },
        }
        for g in Grid.objects.values("id", "code", "name", "geometry")
    ]
    markers = [
        {"n": n, "lon": lon, "lat": lat, "s": s, "o": bool(due and due < now)}
        # A petition or a suggestion has no place: it has no dot either.
        for n, lon, lat, s, due in visible.filter(status__in=OPEN_STATES, lat__isnull=False, lon__isnull=False)
        .order_by("-id")
        .values_list("number", "lon", "lat", "status", "due_at")[:5000]
    ]
    return JsonResponse({"grids": {"type": "FeatureCollection", "features": grids}, "cases": markers})


# --- the case page ----------------------------------------------------------------------------------


def load_case(request: HttpRequest, number: str) -> Case:
    case = Case.objects.visible_to(request.user).filter(number=number).first()
    if case is None:
        raise Http404(_("案件不存在或无权查看"))
    return case


def panel_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    now = clock.now()
    # The case's own 立案条件 (one small query), or its domain's minutes: clock time rather than working time.
    clock_time = handling_is_continuous(case, continuous_conditions())
    role = role_of(request.user)
    r = refs()
    steps = services.offered_steps(case, request.user)
    transitions = list(case.transitions.select_related("department").prefetch_related("attachments").order_by("seq"))
    casefile.step_times(case, transitions)
    cat = r.categories.get(case.category_id) if case.category_id else None
    region = r.regions.get(case.region_id) if case.region_id else None
    dept = r.departments.get(case.department_id) if case.department_id else None
    suggested = services.suggested_department(case) if case.status in (State.TO_DISPATCH, State.RETURNED) else None
    conditions = list(FilingCondition.objects.filter(category_id=case.category_id)) if case.category_id else []
    return {
        "case": case,
        "now": now,
        "role": role,
        "steps": steps,
        "transitions": transitions,
        "category": f"{cat[1]} {cat[2]}" if cat else _("未分类"),
        "region": region[1] if region else "",
        "grid": r.grids.get(case.grid_id, "") if case.grid_id else "",
        "department": dept[1] if dept else "",
        "status_label": State(case.status).label,
        "countdown": countdown(case.due_at, now, case.status == State.HANDLING and clock_time),
        "handling": countdown(case.handling_deadline, now, clock_time) if case.status == State.HANDLING else None,
        "duplicates": services.find_duplicates(case) if case.status in OPEN_STATES else [],
        "suggested": suggested,
        "departments": Department.objects.filter(active=True).order_by("code"),
        "conditions": conditions,
        "categories": category_choices(r),
        "reporter": {"name": mask_name(case.reporter_name), "phone": mask_phone(case.reporter_phone)},
        "may_reveal": services.may_reveal_reporter(case, request.user) and bool(case.reporter_phone),
        "photo_groups": casefile.photo_groups(transitions),
        "reasons": casefile.reasons(),
        "next_actor": casefile.next_actor(case),
        "origin_link": casefile.origin_link(case, request.user),
        "supports": list(case.supports.select_related("department").order_by("department__code")),
        "handlers": services.department_handlers(case.department_id)
        if any(s.action == Action.ASSIGN for s in steps)
        else [],
        "tiles": tile_settings(),
        **extra,
    }


@roles_required(*STAFF)
def case_reporter(request: HttpRequest, number: str) -> HttpResponse:
    """The reporter's contact in full, for a call back; each look is in the audit trail."""
    case = load_case(request, number)
    try:
        who = services.reveal_reporter(case, actor=request.user)
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    return render(request, "web/_reporter.html", {"who": who})


@roles_required(*STAFF)
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = load_case(request, number)
    if is_htmx(request):
        return render(request, "web/_case_panel.html", panel_context(request, case))
    return render(request, "web/case.html", {**panel_context(request, case), "near": around(request, case)})


def around(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The case's grid outline and the open cases within about 500 m that this person may see."""
    if case.lon is None or case.lat is None:
        return {}
    from jingwu.geo.models import Grid
    from jingwu.lib.coords import degrees_around

    dlon, dlat = degrees_around(500, case.lat)
    near = (
        Case.objects.visible_to(request.user)
        .filter(status__in=OPEN_STATES, lon__range=(case.lon - dlon, case.lon + dlon))
        .filter(lat__range=(case.lat - dlat, case.lat + dlat))
        .exclude(pk=case.pk)
        .order_by("-id")
        .values_list("number", "lon", "lat")[:50]
    )
    grid = Grid.objects.filter(pk=case.grid_id).values_list("geometry", flat=True).first() if case.grid_id else None
    return {"grid": grid, "cases": [{"n": n, "lon": lon, "lat": lat} for n, lon, lat in near]}


@roles_required(*STAFF)
def case_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("web:case", number=number)
    case = load_case(request, number)
    if action not in Action.values or action in (Action.REPORT, Action.NOTE):
        raise Http404(action)
    post = request.POST
    extension = None
    if post.get("extension_value"):
        try:
            extension = Limit(int(post["extension_value"]), LimitUnit(post.get("extension_unit", "work_days")))
        except ValueError:
            extension = None
    data = services.ActionInput(
        outcome=post.get("outcome", ""),
        note=post.get("note", ""),
        reason=post.get("reason", "")[:32],
        public_note=post.get("public_note", ""),
        photos=request.FILES.getlist("photos"),
        department=post.get("department") or None,
        category=post.get("category") or None,
        condition=post.get("condition") or None,
        extension=extension,
        merge_into=post.get("merge_into") or None,
        client_key=post.get("client_key") or None,
        supporting=[v for v in post.getlist("supporting") if v],
        handler=post.get("handler") or None,
    )
    error = conflict = None
    try:
        version = int(post.get("version", ""))
    except ValueError:
        version = -1
    try:
        if action in CONFIRMED and not post.get("confirm"):
            # The page asks for a tick before 作废, 回退 and 并案; a request without it is not the person's.
            raise ServiceError(_("请先在对话框中确认"), code="confirm_required")
        case = services.perform(case.pk, action, actor=request.user, version=version, data=data)
        done = _("已完成：%(action)s") % {"action": Action(action).label}
    except Conflict as exc:
        conflict, done = exc.message, None
        case.refresh_from_db()
    except ServiceError as exc:
        error, done = exc.message, None
        case.refresh_from_db()
    if is_htmx(request):
        status = 409 if conflict else (400 if error else 200)
        response = render(
            request, "web/_case_panel.html", panel_context(request, case, done=done, error=error, conflict=conflict)
        )
        # htmx swaps 2xx only by default; the page swaps 4xx too (see base.html) so the message shows.
        response.status_code = status
        return response
    if done:
        messages.success(request, done)
    else:
        messages.error(request, conflict or error or "")
    return redirect("web:case", number=case.number)


# --- department desk --------------------------------------------------------------------------------


def desk_inbox(person: Any, mine: bool = False) -> QuerySet[Case]:
    """The lead department's cases in hand, 督办 and 催办 since they came here first, then by deadline: the
    desk shows this and exports it in this order."""
    dept_id = person.department_id if person else None
    came = Transition.objects.filter(case=OuterRef(OuterRef("pk")), action=Action.DISPATCH).order_by("-seq")
    since = {"case": OuterRef("pk"), "at__gte": Subquery(came.values("at")[:1])}
    inbox = (
        Case.objects.filter(status=State.HANDLING, department_id=dept_id or 0)
        .select_related("handler")
        .annotate(
            escalated=Exists(Transition.objects.filter(action=Action.ESCALATE, **since)),
            urged=Exists(Transition.objects.filter(action=Action.URGE, **since)),
        )
    )
    if mine:
        inbox = inbox.filter(handler=person)
    return inbox.order_by("-escalated", "-urged", "due_at", "id")


@roles_required(Role.HANDLER)
def desk(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    now = clock.now()
    mine = request.GET.get("mine") == "1"
    page = Paginator(desk_inbox(person, mine), 50).get_page(request.GET.get("page"))
    # 最近办理: the cases of the department's latest steps (sent here, returned, answered…), out of its hands now.
    touched = Transition.objects.filter(department_id=(person.department_id if person else None) or 0)
    recent_ids = list(dict.fromkeys(touched.order_by("-at").values_list("case_id", flat=True)[:300]))
    done = list(Case.objects.filter(pk__in=recent_ids).exclude(status=State.HANDLING).order_by("-updated_at")[:30])
    rows = case_rows(list(page.object_list), now)
    conts = continuous_conditions()
    for row in rows:
        row["countdown"] = countdown(row["case"].handling_deadline, now, handling_is_continuous(row["case"], conts))
    # 协办: cases another department leads where this one owes its part.
    helping = (
        Case.objects.filter(
            status=State.HANDLING,
            supports__department_id=(person.department_id if person else None) or 0,
            supports__replied_at__isnull=True,
        )
        .order_by("due_at", "id")
        .distinct()[:100]
    )
    support_rows = case_rows(list(helping), now)
    for row in support_rows:
        row["countdown"] = countdown(row["case"].handling_deadline, now)
    return render(
        request,
        "web/desk.html",
        {
            "rows": rows,
            "page": page,
            "mine": mine,
            "support_rows": support_rows,
            "recent": case_rows(done, now),
            "department": person.department if person else None,
            "nav": "desk",
        },
    )


@roles_required(Role.HANDLER)
def desk_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The desk's list as it is on the screen (order included), as CSV or Excel."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("导出格式只能是 csv 或 xlsx"), status=400, content_type="text/plain; charset=utf-8")
    person = person_of(request.user)
    mine = request.GET.get("mine") == "1"
    listing = lists.CaseList(
        params={"status": State.HANDLING, "department": person.department.code if person and person.department else ""},
        queryset=desk_inbox(person, mine).select_related(None),
        sort="desk",
    )
    return lists.export(listing, fmt, request.user)


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


class PasswordChange(auth_views.PasswordChangeView):
    """The person's own new password (Django's validators: length, common, all-digit, three classes)."""

    template_name = "web/password.html"
    success_url = "/"

    def form_valid(self, form: Any) -> HttpResponse:
        from jingwu.audit import services as audit
        from jingwu.org.models import Person

        response = super().form_valid(form)
        user = form.user
        Person.objects.filter(user_id=user.pk).update(must_change_password=False)
        audit.record("user.password_change", "user", user.pk, actor=user)
        return response
