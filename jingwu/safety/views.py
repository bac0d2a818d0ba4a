"""The registry's pages: a list with filters, import and export; a place with everything on file about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingwu.audit.models import AuditEvent
from jingwu.lib import clock
from jingwu.org.services import roles_of
from jingwu.web.common import roles_required
from jingwu.web.jobs import Sheet, start_export
from jingwu.web.views import tile_settings

from . import excel
from .api import READERS, REVEAL, Filters, _out, filtered
from .choices import Industry, RiskLevel, Tag
from .inspections import MANAGERS
from .models import Checklist, Enterprise
from .services import EDITORS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: HttpRequest) -> Filters:
    return _params_from(request.GET)


def _params_from(get: Mapping[str, str]) -> Filters:
    return Filters(
        q=get.get("q", "")[:50],
        industry=get.get("industry", "")[:1],
        risk=get.get("risk", "")[:8],
        tag=get.get("tag", "")[:16],
        grid=get.get("grid", "")[:20],
        limit=100,
        offset=0,
    )


@roles_required(*READERS)
def registry(request: HttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST" and set(roles_of(request.user)) & EDITORS:
        upload = request.FILES.get("file")
        if upload is None or (upload.size or 0) > 10 * 1024 * 1024:
            message = _("请选择不超过10MB的文件")
            report = excel.ImportReport(errors=[{"row": 0, "column": "", "value": "", "message": message}])
        else:
            data = upload.read()
            if excel.row_estimate(data) > settings.JINGWU_IMPORT_SYNC_ROWS:
                return _import_later(request, upload.name or "import.xlsx", data)
            report = excel.import_file(data, actor=request.user)
    params = _params(request)
    page = Paginator(filtered(params), 50).get_page(request.GET.get("page"))
    tag_counts = {t: 0 for t in Tag.values}
    for tags in Enterprise.objects.values_list("tags", flat=True):
        for t in tags or []:
            if t in tag_counts:
                tag_counts[t] += 1
    context = {
        "page": page,
        "rows": [_out(e, request.user) | {"obj": e} for e in page.object_list],
        "params": params,
        "industries": Industry.choices,
        "risks": RiskLevel.choices,
        "tags": [(v, label, tag_counts[v]) for v, label in Tag.choices],
        "tag_labels": dict(Tag.choices),
        "may_edit": bool(set(roles_of(request.user)) & EDITORS),
        "may_export": bool(set(roles_of(request.user)) & REVEAL),
        "report": report,
        "nav": "safety",
        "tab": "registry",
        "tiles": tile_settings(),
    }
    return render(request, "safety/registry.html", context, status=400 if report and not report.ok else 200)


def _import_later(request: HttpRequest, name: str, data: bytes) -> HttpResponse:
    """A long file: the task worker imports it (all or nothing, as ever) and the person watches its progress."""
    from django.core.files.base import ContentFile
    from django.shortcuts import redirect

    from .jobs import import_registry
    from .models import ImportJob

    job = ImportJob(user_id=int(request.user.pk or 0), name=name[:200], created_at=clock.now())
    job.file.save("upload.xlsx", ContentFile(data), save=False)
    job.save()
    import_registry.enqueue(job.pk)
    return redirect("safety:import", pk=job.pk)


@roles_required(*EDITORS)
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """一次导入: its progress while the worker checks and saves, then its report. The importer's own only."""
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=pk, user_id=int(request.user.pk or 0)).first()
    if job is None:
        raise Http404
    report = {**job.report, "ok": not job.report.get("errors")} if job.finished else None
    context = {"job": job, "report": report, "nav": "safety", "tab": "registry"}
    if request.headers.get("HX-Request"):
        return render(request, "safety/_import_progress.html", context)
    return render(request, "safety/import.html", context)


MAP_LIMIT = 5000


@roles_required(*READERS)
def map_data(request: HttpRequest) -> JsonResponse:
    """The places on the registry's map, with the list's filters: position, name, risk, and whether a hazard
    there is overdue. Names and places only: no contacts."""
    from django.db.models import Q

    now = clock.now()
    qs = filtered(_params(request)).exclude(Q(lon=None) | Q(lat=None)).order_by("id")[:MAP_LIMIT]
    places = [
        {"id": pk, "n": name, "lon": lon, "lat": lat, "r": risk, "l": bool(due and due < now)}
        for pk, name, lon, lat, risk, due in qs.values_list("pk", "name", "lon", "lat", "risk", "next_due")
    ]
    return JsonResponse({"places": places})


@roles_required(*READERS)
def export(request: HttpRequest) -> HttpResponse:
    from jingwu.audit import services as audit

    qs = filtered(_params(request))
    if not set(roles_of(request.user)) & REVEAL:
        raise Http404  # the export carries the contacts in full
    rows = qs.count()
    background = rows > settings.JINGWU_EXPORT_SYNC_ROWS
    data = {"rows": rows, "background": background}
    audit.record("safety.export", "safety.enterprise", "", actor=request.user, data=data)
    if background:
        return start_export(request.user, "safety.registry", request.GET, rows)
    response = HttpResponse(excel.workbook(excel.export_rows(qs)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jingwu-enterprises-{clock.now():%Y%m%d-%H%M}.xlsx"'
    return response


def registry_sheet(user: Any, get: Mapping[str, str]) -> Sheet:
    """The registry as the task worker writes it for a long export (contacts in full: REVEAL roles only)."""
    if not set(roles_of(user)) & REVEAL:
        raise PermissionDenied
    qs = filtered(_params_from(get))
    rows = ([("" if v is None else str(v)) for v in r] for r in excel.export_rows(qs))
    return Sheet(_("生产经营单位"), excel.headers(), rows, qs.count(), "enterprises")


@roles_required(*READERS)
def template(request: HttpRequest) -> HttpResponse:
    example = [
        ["精武镇示例五金加工厂", "", "C 制造业", "金属制品", "付村", "", "", "", "", "", "蓝（低风险）", "七小行业"]
    ]
    response = HttpResponse(excel.workbook(example), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="jingwu-enterprises-template.xlsx"'
    return response


def _changes(changes: dict[str, Any]) -> list[str]:
    """A change history entry in words: 风险等级：蓝 → 橙; personal data only as changed."""
    words: list[str] = []
    labels = {f.name: str(f.verbose_name) for f in Enterprise._meta.get_fields() if hasattr(f, "verbose_name")}
    for name, change in changes.items():
        label = labels.get(name, name)
        if not isinstance(change, list):
            words.append(_("%(field)s：已修改") % {"field": label})
            continue
        old, new = (_shown(name, v) for v in change)
        words.append(f"{label}：{new}" if old in ("", "—") else f"{label}：{old} → {new}")
    return words


def _shown(name: str, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if name == "risk" and value in RiskLevel.values:
        return str(RiskLevel(value).label)
    if name == "industry" and value in Industry.values:
        return f"{value} {Industry(value).label}"
    if name == "tags" and isinstance(value, list):
        return "、".join(str(Tag(t).label) if t in Tag.values else str(t) for t in value)
    if name == "active":
        return _("在营") if value else _("停业")
    return str(value)


@roles_required(*MANAGERS)
def add_task(request: HttpRequest, pk: int) -> HttpResponse:
    """安排检查 from the place's page."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from jingwu.lib.errors import ServiceError

    from .inspections import create_task

    if request.method != "POST":
        raise Http404
    try:
        create_task({**request.POST.dict(), "enterprise": pk}, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已安排检查"))
    return redirect("safety:detail", pk=pk)


@roles_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    e = Enterprise.objects.select_related("grid", "region").filter(pk=pk).first()
    if e is None:
        raise Http404(_("企业不存在"))
    events = AuditEvent.objects.filter(object_type="safety.enterprise", object_id=str(pk)).order_by("-id")[:50]
    history = [
        {"at": ev.at, "actor_name": ev.actor_name, "lines": _changes(ev.data.get("changes") or {})} for ev in events
    ]
    from .models import Company, Inspector

    context: dict[str, Any] = {
        "e": e,
        "checklists": Checklist.objects.filter(active=True),
        "companies": Company.objects.filter(active=True),
        "inspectors": Inspector.objects.select_related("person", "company").order_by("company__name", "person__name"),
        "shown": _out(e, request.user),
        "tag_labels": dict(Tag.choices),
        "history": history,
        "inspections": e.inspections.select_related("company").order_by("-at")[:20],
        "tasks": e.tasks.filter(status="todo").select_related("assignee", "company", "checklist").order_by("due_on"),
        "may_plan": bool(set(roles_of(request.user)) & MANAGERS),
        "hazards": e.hazards.select_related("case").order_by("-found_at")[:50],
        "now": clock.now(),
        "nav": "safety",
        "tab": "registry",
    }
    return render(request, "safety/detail.html", context)
