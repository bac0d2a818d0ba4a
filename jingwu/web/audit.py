"""The audit administrator's page: the audit trail searched by person, action, object and period, paged,
each case row opening the case, and the filtered rows exported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from jingwu.audit.labels import LABELS, action_label, people, role_label, type_label
from jingwu.audit.models import AuditEvent
from jingwu.cases.choices import Action
from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.web import lists

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
        # The account name as stored, or the person's real name.
        named = Person.objects.filter(name__icontains=params["actor"]).values("user_id")
        qs = qs.filter(Q(actor_name__icontains=params["actor"]) | Q(actor_id__in=named))
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


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    ids = {e.actor_id for e in events if e.actor_id}
    ids |= {int(e.object_id) for e in events if e.object_type == "user" and e.object_id.isdigit()}
    names = people(ids)
    rows = []
    for e in events:
        row = _row(e)
        row["actor"] = names.get(e.actor_id, e.actor_name) if e.actor_id else e.actor_name
        who = names.get(int(e.object_id)) if e.object_type == "user" and e.object_id.isdigit() else None
        row["object"] = " ".join(x for x in (type_label(e.object_type), who or e.object_id) if x)
        rows.append(row)
    return rows


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
    page = lists.CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    known = sorted(set(LABELS) | {f"case.{a}" for a in Action.values})
    context = {
        "nav": "audit",
        "page": page,
        "rows": _rows(list(page.object_list)),
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

    def rows() -> Iterator[list[str]]:
        chunk: list[AuditEvent] = []
        for e in qs.iterator(chunk_size=2000):
            chunk.append(e)
            if len(chunk) == 2000:
                yield from _export_rows(chunk)
                chunk = []
        yield from _export_rows(chunk)

    return csv_response(header, rows(), f"jingwu-audit-{clock.now():%Y%m%d-%H%M}.csv")


def _export_rows(events: list[AuditEvent]) -> Iterator[list[str]]:
    for row in _rows(events):
        e = row["event"]
        yield [
            localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            row["actor"],
            row["role_label"],
            row["action_label"],
            type_label(e.object_type),
            row["object"],
            e.ip or "",
            row["data"],
        ]
