"""The audit administrator's page: the audit trail searched by person, action, object and period, paged,
each case row opening the case, and the filtered rows exported."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from jingwu.audit.labels import LABELS, action_label, role_label
from jingwu.audit.models import AuditEvent
from jingwu.cases.choices import Action
from jingwu.lib import clock
from jingwu.org.choices import Role

from .common import roles_required
from .export import csv_response


def _day(text: str) -> datetime | None:
    from jingwu.workcal.services import get_calendar

    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=get_calendar().tz)


def filtered(request: HttpRequest) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    keys = ("actor", "action", "object", "since", "until")
    params = {k: request.GET.get(k, "").strip()[:100] for k in keys}
    qs = AuditEvent.objects.all()
    if params["actor"]:
        qs = qs.filter(actor_name__icontains=params["actor"])
    if params["action"]:
        qs = qs.filter(action=params["action"])
    if params["object"]:
        qs = qs.filter(Q(object_id=params["object"]) | Q(object_type=params["object"]))
    since, until = _day(params["since"]), _day(params["until"])
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until + timedelta(days=1))
    return qs.order_by("-id"), params


def _row(e: AuditEvent) -> dict[str, Any]:
    return {
        "event": e,
        "action_label": action_label(e.action),
        "data": json.dumps(e.data, ensure_ascii=False) if e.data else "",
        "role_label": role_label(e.role),
        "case_number": e.object_id
        if e.object_type == "case" and e.object_id and not e.object_id.isdigit() and ".." not in e.object_id
        else "",
    }


@roles_required(Role.AUDITOR)
def audit_page(request: HttpRequest) -> HttpResponse:
    qs, params = filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    known = sorted(set(LABELS) | {f"case.{a}" for a in Action.values})
    context = {
        "nav": "audit",
        "page": page,
        "rows": [_row(e) for e in page.object_list],
        "params": params,
        "actions": [(code, action_label(code)) for code in known],
    }
    if request.headers.get("HX-Target") == "audit-table":
        return render(request, "web/_audit_table.html", context)
    return render(request, "web/audit.html", context)


@roles_required(Role.AUDITOR)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    from jingwu.audit import services as audit

    qs, params = filtered(request)
    audit.record(
        "audit.export", "audit", "", actor=request.user, role=Role.AUDITOR, data={"filters": params, "rows": qs.count()}
    )

    header = [_("时间"), _("操作人"), _("角色"), _("操作"), _("对象类型"), _("对象"), _("来源地址"), _("内容")]
    rows = (
        [
            localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            role_label(e.role),
            action_label(e.action),
            e.object_type,
            e.object_id,
            e.ip or "",
            json.dumps(e.data, ensure_ascii=False),
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return csv_response(header, rows, f"jingwu-audit-{clock.now():%Y%m%d-%H%M}.csv")
