"""The registry's pages: a list with filters, import and export; a place with everything on file about it."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingwu.audit.models import AuditEvent
from jingwu.lib import clock
from jingwu.org.services import roles_of
from jingwu.web.common import roles_required

from . import excel
from .api import READERS, REVEAL, Filters, _out, filtered
from .choices import Industry, RiskLevel, Tag
from .models import Enterprise
from .services import EDITORS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: HttpRequest) -> Filters:
    get = request.GET
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
        report = (
            excel.import_file(upload.read(), actor=request.user)
            if upload is not None and (upload.size or 0) <= 10 * 1024 * 1024
            else excel.ImportReport(
                errors=[{"row": 0, "column": "", "value": "", "message": _("请选择不超过10MB的文件")}]
            )
        )
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
    }
    return render(request, "safety/registry.html", context, status=400 if report and not report.ok else 200)


@roles_required(*READERS)
def export(request: HttpRequest) -> HttpResponse:
    from jingwu.audit import services as audit

    qs = filtered(_params(request))
    if not set(roles_of(request.user)) & REVEAL:
        raise Http404  # the export carries the contacts in full
    audit.record("safety.export", "safety.enterprise", "", actor=request.user, data={"rows": qs.count()})
    response = HttpResponse(excel.workbook(excel.export_rows(qs)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jingwu-enterprises-{clock.now():%Y%m%d-%H%M}.xlsx"'
    return response


@roles_required(*READERS)
def template(request: HttpRequest) -> HttpResponse:
    example = [
        ["精武镇示例五金加工厂", "", "C 制造业", "金属制品", "付村", "", "", "", "", "", "蓝（低风险）", "七小行业"]
    ]
    response = HttpResponse(excel.workbook(example), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="jingwu-enterprises-template.xlsx"'
    return response


@roles_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    e = Enterprise.objects.select_related("grid", "region").filter(pk=pk).first()
    if e is None:
        raise Http404(_("企业不存在"))
    history = AuditEvent.objects.filter(object_type="safety.enterprise", object_id=str(pk)).order_by("-id")[:50]
    context: dict[str, Any] = {
        "e": e,
        "shown": _out(e, request.user),
        "tag_labels": dict(Tag.choices),
        "history": history,
        "inspections": e.inspections.select_related("company").order_by("-at")[:20],
        "hazards": e.hazards.select_related("case").order_by("-found_at")[:50],
        "now": clock.now(),
        "nav": "safety",
        "tab": "registry",
    }
    return render(request, "safety/detail.html", context)
