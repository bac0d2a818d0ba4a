"""Staff pages of the registry (search, a person's record, overdue visits, proposals to review, imports, the
counts for the report, exports) and the grid worker's phone page (走访 and additions, kept in an outbox when
there is no signal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jingwu.audit import services as audit
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.lib.privacy import mask_id, mask_name, mask_phone
from jingwu.org.services import person_of
from jingwu.web.export import xlsx_response
from jingwu.web.jobs import Sheet, start_export

from . import access, excel, services
from .choices import DisabilityKind, Left, PersonKind, ProposalState, Relation, Scheme
from .models import Address, CareGroup, CareTag, Proposal, Residence, Resident, Visit

PAGE = 50
# A grid's or a village's boundary is not needed to name it on a list (and is the biggest column).
GEOMETRY = ("grid__geometry",)
# What the change log's and the proposals' internal names are called on the pages.
FIELD_LABELS = {
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("身份证号"),
    "phone": gettext_lazy("联系电话"),
    "kind": gettext_lazy("人口类型"),
    "relation": gettext_lazy("与户主关系"),
    "left": gettext_lazy("注销原因"),
    "address": gettext_lazy("居住地址"),
    "grid": gettext_lazy("网格"),
    "household": gettext_lazy("户号"),
    "group": gettext_lazy("人群"),
    "since": gettext_lazy("起始日期"),
    "until": gettext_lazy("终止日期"),
    "category": gettext_lazy("优抚类别"),
    "enlisted": gettext_lazy("入伍年份"),
    "discharged": gettext_lazy("退役年份"),
    "note": gettext_lazy("备注"),
}
ACTION_LABELS = {
    "create": gettext_lazy("登记"),
    "settle": gettext_lazy("入住"),
    "move": gettext_lazy("迁移"),
    "update": gettext_lazy("更正"),
    "remove": gettext_lazy("注销"),
    "tag": gettext_lazy("人群标签"),
    "untag": gettext_lazy("终止标签"),
    "veteran": gettext_lazy("退役军人信息采集"),
}
VALUE_LABELS = {"kind": dict(PersonKind.choices), "relation": dict(Relation.choices), "left": dict(Left.choices)}
MASKS = {"name": mask_name, "id_number": mask_id, "phone": mask_phone}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and reading the registry in some way (``access.scope_of``); strangers go to sign in, others
    get the 403 page that says so."""

    @wraps(view)
    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = access.remember(request.user)
        if scope is None:
            return render(request, "web/forbidden.html", {}, status=403)
        request.registry_scope = scope  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return inner


def _scope(request: HttpRequest) -> access.Scope:
    scope: access.Scope = request.registry_scope  # type: ignore[attr-defined]
    return scope


FILTERS = ("q", "grid", "region", "group", "kind", "due")


def _filters(get: Mapping[str, str]) -> dict[str, str]:
    f = {k: str(get.get(k, "")).strip()[:40] for k in FILTERS}
    if get.get("q_sealed") and not f["q"]:
        # A background export's search text, kept sealed in the job's parameters.
        from jingwu.lib import crypto

        f["q"] = crypto.open_(str(get["q_sealed"]))[:40]
    return f


def searched(user: Any, f: dict[str, str], people: list[Resident], how: str) -> None:
    """A search by a name, an ID number or a phone is audited: what kind it was (never the value itself) and
    whom it found; so is any list page, by the people it showed."""
    data: dict[str, Any] = {"via": how, "found": [r.pk for r in people]}
    if f.get("q"):
        data["q_kind"] = services.query_kind(f["q"])
    data |= {k: f[k] for k in FILTERS[1:] if f.get(k)}
    audit.record("registry.search", "resident", "", actor=user, data=data)


def _rows(people: list[Resident]) -> list[dict[str, Any]]:
    tags: dict[int, list[str]] = {}
    names = dict(CareGroup.objects.values_list("pk", "name"))
    for rid, gid in CareTag.objects.current().filter(resident__in=people).values_list("resident_id", "group_id"):
        tags.setdefault(rid, []).append(names.get(gid, ""))
    return [
        {
            "r": r,
            "name": mask_name(r.name),
            "id_number": mask_id(r.id_number) if r.id_number else "",
            "groups": tags.get(r.pk, []),
            "late": r.visit_due is not None and r.visit_due < services.today(),
        }
        for r in people
    ]


@never_cache
@readers
def people(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope.role == "grid_worker" and not request.GET:
        return redirect("registry:phone")
    f = _filters(request.GET)
    qs = (
        services.search(request.user, f["q"], **{k: f[k] for k in FILTERS[1:]})
        .select_related("address", "grid", "household")
        .defer(*GEOMETRY)
    )
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(qs.order_by("id")[(page - 1) * PAGE : page * PAGE + 1])
    more = len(rows) > PAGE
    searched(request.user, f, rows[:PAGE], "page")
    from jingwu.geo.models import Grid, Region

    grids = Grid.objects.all() if scope.grids is None else Grid.objects.filter(pk__in=scope.grids)
    groups = CareGroup.objects.filter(active=True)
    if not scope.restricted:
        groups = groups.filter(restricted=False)
    pending = Proposal.objects.filter(state=ProposalState.PENDING).count() if scope.edit else 0
    context = {
        "nav": "registry",
        "scope": scope,
        "f": f,
        "rows": _rows(rows[:PAGE]),
        "page": page,
        "more": more,
        "grids": grids.only("code", "name"),
        "regions": Region.objects.filter(grids__isnull=False).distinct().only("code", "name").order_by("code"),
        "groups": groups,
        "kinds": PersonKind.choices,
        "pending": pending,
        "query": urlencode({k: v for k, v in f.items() if v}),
    }
    return render(request, "registry/people.html", context)


@never_cache
@readers
def person(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    try:
        r = services.load(request.user, pk)
    except ServiceError as exc:
        raise Http404 from exc
    posted: Mapping[str, str] = {}
    if request.method == "POST":
        done = _act(request, scope, r)
        if done is not None:
            return done
        # Refused: the page again with what was typed kept beside the message.
        posted = request.POST
        r = services.load(request.user, pk)
    services.viewed(request.user, r)
    homes = list(
        Residence.objects.filter(resident=r).select_related("address", "grid").defer(*GEOMETRY).order_by("-since")
    )
    tags = list(CareTag.objects.filter(resident=r).select_related("group").order_by("group__position"))
    if not scope.restricted:
        tags = [t for t in tags if not t.group.restricted]
    visits = list(Visit.objects.filter(resident=r).select_related("by", "case").prefetch_related("photos")[:50])
    members = []
    if r.household_id:
        members = [
            {"pk": m.pk, "name": mask_name(m.name), "relation": m.get_relation_display()}
            for m in Resident.objects.visible_to(request.user).filter(household_id=r.household_id).exclude(pk=r.pk)
        ]
    context = {
        "nav": "registry",
        "scope": scope,
        "r": r,
        "name": mask_name(r.name),
        "id_number": mask_id(r.id_number) if r.id_number else "",
        "phone": mask_phone(r.phone) if r.phone else "",
        "may_reveal": scope.reveal and access.grid_allowed(scope, r.grid_id),
        "homes": homes,
        "tags": tags,
        "visits": visits,
        "members": members,
        "benefits": list(r.benefits.order_by("-month")[:24]),
        "enrolments": list(r.enrolments.order_by("-on")),
        "veteran": getattr(r, "veteran", None),
        "history": [
            {
                **h,
                "action_label": ACTION_LABELS.get(h["action"], h["action"]),
                "field_labels": [str(FIELD_LABELS.get(f, f)) for f in h["fields"]],
            }
            for h in services.history("resident", r.pk, last=30)
        ],
        "groups": CareGroup.objects.filter(active=True) if scope.edit else [],
        "disabilities": DisabilityKind.choices,
        "kinds": PersonKind.choices,
        "relations": Relation.choices,
        "reasons": Left.choices,
        "today": services.today(),
        "late": r.visit_due is not None and r.visit_due < services.today(),
        "keep": _kept(posted, getattr(r, "veteran", None)),
    }
    return render(request, "registry/person.html", context)


def _proposed(person: dict[str, Any], r: Resident | None, *, full: bool) -> list[dict[str, str]]:
    """A proposal's fields as the steward judges them: the label, the value now on the record, the value
    proposed (choices by their names; personal values masked unless shown in full)."""
    out = []
    for k, v in person.items():
        now = getattr(r, k, "") if r is not None else ""

        def shown(value: Any, k: str = k) -> str:
            if k in VALUE_LABELS:
                return str(VALUE_LABELS[k].get(value, value or "—"))
            if not value:
                return "—"
            return str(value) if full or k not in MASKS else MASKS[k](str(value))

        out.append({"label": str(FIELD_LABELS.get(k, k)), "now": shown(now) if r is not None else "", "new": shown(v)})
    return out


def _address_text(parts: dict[str, Any] | None) -> str:
    if not parts:
        return ""
    from jingwu.geo.models import Region

    a = Address(**{p: str(parts.get(p) or "") for p in services.ADDRESS_PARTS})
    a.region = Region.objects.filter(code=parts.get("region")).defer("geometry").first()  # type: ignore[assignment]
    return a.compose() if a.region else " ".join(str(parts.get(p) or "") for p in ("region", *services.ADDRESS_PARTS))


def _kept(posted: Mapping[str, str], veteran: Any) -> dict[str, dict[str, str]]:
    """Each form's values: what was just typed into the form that was refused, else what the record has."""
    forms = {
        "correct": {"name": "", "id_number": "", "phone": ""},
        "veteran": {
            "category": veteran.category if veteran else "",
            "enlisted": str(veteran.enlisted or "") if veteran else "",
            "discharged": str(veteran.discharged or "") if veteran else "",
            "note": veteran.note if veteran else "",
        },
        "tag": {"evidence": "", "since": ""},
    }
    action = posted.get("action", "")
    if action in forms:
        forms[action] = {k: str(posted.get(k, "")) for k in forms[action]}
    return forms


def _act(request: HttpRequest, scope: access.Scope, r: Resident) -> HttpResponse | None:
    if not scope.edit:
        raise PermissionDenied
    form = request.POST
    action = form.get("action", "")
    try:
        if action == "correct":
            # Only what was filled in is corrected; an empty box leaves the value as it is.
            data = {k: form[k] for k in ("name", "id_number", "phone", "kind", "relation") if form.get(k, "").strip()}
            if "relation" in form and not form["relation"]:
                data["relation"] = ""
            data["version"] = form.get("version", "")
            services.save_person(data, actor=request.user, resident=r)
            messages.success(request, _("已更正"))
        elif action == "tag":
            since = date.fromisoformat(form.get("since") or str(services.today()))
            grade = int(form["grade"]) if form.get("grade") else None
            services.tag(
                r,
                services.group(form.get("group", "")),
                since=since,
                actor=request.user,
                disability=form.get("disability", ""),
                grade=grade,
                evidence=form.get("evidence", ""),
            )
            messages.success(request, _("已登记人群标签"))
        elif action == "untag":
            t = CareTag.objects.filter(resident=r, pk=int(form.get("tag") or 0)).first()
            if t is not None and services.untag(t, actor=request.user):
                messages.success(request, _("已终止"))
        elif action == "veteran":
            services.collect_veteran(
                r,
                actor=request.user,
                category=form.get("category", ""),
                enlisted=form.get("enlisted", ""),
                discharged=form.get("discharged", ""),
                note=form.get("note", ""),
            )
            messages.success(request, _("已保存采集信息"))
        elif action == "remove":
            services.remove(r, form.get("reason", ""), actor=request.user)
            messages.success(request, _("已注销"))
        else:
            raise Http404
    except ValueError:
        messages.error(request, _("日期或等级格式不对"))
        return None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return None
    return redirect("registry:person", pk=r.pk)


@readers
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    _scope(request)
    try:
        r = services.load(request.user, pk)
        return JsonResponse(services.reveal(request.user, r))
    except ServiceError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)


@never_cache
@readers
def visits(request: HttpRequest) -> HttpResponse:
    """Planned visits that are overdue, the longest overdue first, with each grid's count."""
    scope = _scope(request)
    day = services.today()
    late = Resident.objects.visible_to(request.user).current().filter(visit_due__lt=day)
    from django.db.models import Count

    by_grid = list(late.values("grid__code", "grid__name").annotate(n=Count("pk")).order_by("-n", "grid__code")[:200])
    rows = _rows(list(late.select_related("grid", "address").defer(*GEOMETRY).order_by("visit_due", "id")[:200]))
    for row in rows:
        row["days"] = (day - row["r"].visit_due).days
    recent = Visit.objects.all()
    if scope.grids is not None:
        recent = recent.filter(grid_id__in=scope.grids)
    elif not scope.restricted:
        recent = recent.filter(resident__in=Resident.objects.visible_to(request.user).values("pk"))
    context = {
        "nav": "registry",
        "scope": scope,
        "rows": rows,
        "total": late.count(),
        "by_grid": by_grid,
        "month_visits": recent.filter(at__gte=clock.now() - timedelta(days=30)).count(),
    }
    return render(request, "registry/visits.html", context)


@never_cache
@readers
def proposals(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if request.method == "POST":
        if not scope.edit:
            raise PermissionDenied
        try:
            p = Proposal.objects.filter(pk=int(request.POST.get("proposal") or 0)).first()
        except ValueError:
            p = None
        if p is None:
            raise Http404
        try:
            services.decide(
                actor=request.user,
                proposal=p,
                approve=request.POST.get("approve") == "1",
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已审核"))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("registry:proposals")
    qs = Proposal.objects.select_related("by", "grid", "resident").defer(*GEOMETRY).order_by("-at")
    if scope.grids is not None:
        qs = qs.filter(by=person_of(request.user))
    elif not scope.edit:
        raise PermissionDenied
    rows = []
    full: list[int] = []
    for p in qs[:200]:
        body = services.proposal_payload(p)
        person = dict(body.get("person") or {})
        # In full only where the steward must judge it (pending) and only for a steward; otherwise masked.
        if scope.edit and p.state == ProposalState.PENDING:
            full.append(p.pk)
        else:
            person = {k: MASKS.get(k, str)(str(v)) if v else v for k, v in person.items()}
        rows.append(
            {
                "p": p,
                "items": _proposed(person, p.resident, full=p.pk in full),
                "who": mask_name(p.resident.name) if p.resident else "",
                "address": _address_text(body.get("address")),
                "household": body.get("household"),
            }
        )
    if full:
        audit.record("registry.proposals_view", "proposal", "", actor=request.user, data={"shown": full})
    return render(request, "registry/proposals.html", {"nav": "registry", "scope": scope, "rows": rows})


@never_cache
@readers
def import_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not scope.edit:
        raise PermissionDenied
    report = None
    kind = request.POST.get("kind") or request.GET.get("kind") or "people"
    if kind not in excel.KINDS:
        raise Http404
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择文件"))
        elif (upload.size or 0) > excel.MAX_BYTES:
            messages.error(request, _("文件过大"))
        else:
            report = excel.import_file(kind, upload.read(), actor=request.user, source=upload.name or "")
            audit.record(
                "registry.import",
                "registry",
                kind,
                actor=request.user,
                data={"rows": report.rows, "created": report.created, "updated": report.updated, "ok": report.ok},
            )
    kinds = [(k, _(v[0]), [_(h) for _f, h in v[1]]) for k, v in excel.KINDS.items()]
    return render(request, "registry/import.html", {"nav": "registry", "report": report, "kind": kind, "kinds": kinds})


@readers
def template(request: HttpRequest, kind: str) -> HttpResponse:
    _scope(request)
    if kind not in excel.KINDS:
        raise Http404
    response = HttpResponse(excel.template(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jingwu-registry-{kind}-template.xlsx"'
    return response


def _period(get: Mapping[str, str]) -> tuple[date, date]:
    end = services.today()
    start = end.replace(month=1, day=1)
    try:
        if get.get("from"):
            start = date.fromisoformat(get["from"])
        if get.get("to"):
            end = date.fromisoformat(get["to"])
    except ValueError:
        pass
    if start > end:
        start, end = end, start
    # Within the years the registry can hold, and at most ten years at once.
    low, high = date(2000, 1, 1), services.today().replace(month=12, day=31)
    start, end = min(max(start, low), high), min(max(end, low), high)
    start = max(start, end - timedelta(days=3660))
    return start, end


@never_cache
@readers
def counts(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    start, end = _period(request.GET)
    by = "grid" if request.GET.get("by") == "grid" else "region"
    data = services.counts(request.user, start, end, by)
    context = {"nav": "registry", "scope": scope, "data": data, "schemes": Scheme.choices, "by": by}
    return render(request, "registry/counts.html", context)


# --- export (personal data: stewards whose department may export; every export audited) ----------------

EXPORT_HEADERS = (
    "姓名",
    "身份证号",
    "联系电话",
    "性别",
    "出生年份",
    "人口类型",
    "户号",
    "与户主关系",
    "地址",
    "网格",
    "人群",
)


def may_export(user: Any) -> bool:
    scope = access.scope_of(user)
    return scope is not None and scope.export


def _export_rows(user: Any, get: Mapping[str, str]) -> tuple[Any, Any]:
    f = _filters(get)
    qs = (
        services.search(user, f["q"], **{k: f[k] for k in FILTERS[1:]})
        .select_related("household", "address", "grid")
        .defer(*GEOMETRY)
    )
    names = dict(CareGroup.objects.values_list("pk", "name"))
    current = Prefetch("tags", queryset=CareTag.objects.current().only("resident_id", "group_id"), to_attr="now")

    def rows() -> Any:
        for r in qs.order_by("id").prefetch_related(current).iterator(chunk_size=2000):
            tags = "、".join(names.get(t.group_id, "") for t in r.now)
            yield [
                r.name,
                r.id_number,
                r.phone,
                {"M": "男", "F": "女"}.get(r.sex, ""),
                str(r.birth_year or ""),
                r.get_kind_display(),
                r.household.number if r.household else "",
                r.get_relation_display(),
                r.address.label if r.address else "",
                r.grid.code if r.grid else "",
                tags,
            ]

    return qs, rows()


def people_sheet(user: Any, get: Mapping[str, str]) -> Sheet:
    if not may_export(user):
        raise PermissionDenied
    qs, rows = _export_rows(user, get)
    return Sheet(_("实有人口"), [_(h) for h in EXPORT_HEADERS], rows, qs.count(), "residents")


@readers
def export(request: HttpRequest) -> HttpResponse:
    _scope(request)
    if not may_export(request.user):
        raise PermissionDenied
    qs, rows = _export_rows(request.user, request.GET)
    n = qs.count()
    background = n > settings.JINGWU_EXPORT_SYNC_ROWS
    f = _filters(request.GET)
    kept = {k: v for k, v in f.items() if v and k != "q"}
    if f["q"]:
        kept["q_kind"] = services.query_kind(f["q"])
    audit.record("registry.export", "resident", "", actor=request.user, data={"rows": n, "filters": kept})
    if background:
        from jingwu.lib import crypto

        params = {k: v for k, v in f.items() if v and k != "q"}
        if f["q"]:
            params["q_sealed"] = crypto.seal(f["q"])  # never the plain text in the job's row
        return start_export(request.user, "registry.people", params, n)
    return xlsx_response(
        _("实有人口"),
        [_(h) for h in EXPORT_HEADERS],
        rows,
        f"jingwu-residents-{clock.now().astimezone(services._tz()):%Y%m%d-%H%M}.xlsx",
    )


# --- the grid worker's phone page ----------------------------------------------------------------------


@never_cache
@readers
def phone(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope.role != "grid_worker":
        return redirect("registry:people")
    day = services.today()
    mine = Resident.objects.visible_to(request.user).current().select_related("address", "grid").defer(*GEOMETRY)
    planned = list(mine.filter(visit_due__isnull=False).order_by("visit_due", "id")[:300])
    rows = _rows(planned)
    for row in rows:
        row["full_name"] = row["r"].name
        row["days"] = (day - row["r"].visit_due).days
    from jingwu.cases.models import Category
    from jingwu.geo.models import Grid

    audit.record("registry.phone_list", "resident", "", actor=request.user, data={"rows": len(rows)})
    context = {
        "rows": rows,
        "late": sum(1 for r in rows if r["late"]),
        "grids": Grid.objects.filter(pk__in=scope.grids or [])
        .select_related("region")
        .defer("geometry", "region__geometry")
        .order_by("code"),
        "kinds": PersonKind.choices,
        "relations": Relation.choices,
        # 90007 审计整改 is the audit findings' own category, not a need found at someone's home.
        "categories": Category.objects.filter(active=True, case_kind="event")
        .exclude(kind="matter", code="90007")
        .order_by("kind", "code")[:400],
        "mine": _mine(request.user),
        "photo_settings": {
            "long_side": settings.JINGWU_PHOTO_LONG_SIDE,
            "quality": settings.JINGWU_PHOTO_QUALITY,
            "outbox_bytes": settings.JINGWU_OUTBOX_MB * 1024 * 1024,
        },
        "text": {
            "sent": _("已发送"),
            "waiting": _("等待发送"),
            "failed": _("被退回"),
            "saved": _("已保存，有信号后自动发送"),
            "discard": _("删除"),
            "found_needed": _("请填写走访情况"),
            "name_needed": _("请填写姓名"),
            "relogin": _("登录已过期：重新登录后自动发送"),
            "correct": _("更正"),
            "nothing_to_correct": _("请填写要更正的内容"),
        },
    }
    return render(request, "registry/phone.html", context)


def _mine(user: Any) -> list[Proposal]:
    """The worker's recent proposals, each with the name it proposes (the payload is sealed)."""
    rows = list(Proposal.objects.filter(by=person_of(user)).select_related("resident").order_by("-at")[:20])
    for p in rows:
        person = services.proposal_payload(p).get("person") or {}
        p.shown_name = person.get("name") or (p.resident.name if p.resident else "")  # type: ignore[attr-defined]
    return rows


SHELL = [
    "/registry/m/",
    "/static/weui/style/weui.min.css",
    "/static/web/mobile.css",
    "/static/web/outbox.js",
    "/static/web/photo.js",
    "/static/htmx/htmx.min.js",
]


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    from jingwu.web.phone import service_worker_script

    response = HttpResponse(
        service_worker_script("jingwu-visits-v2", "/registry/m/", [*SHELL, "/static/registry/visits.js"]),
        content_type="application/javascript",
    )
    response["Service-Worker-Allowed"] = "/registry/m/"
    return response
