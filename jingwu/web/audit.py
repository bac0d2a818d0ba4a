"""The audit administrator's page: the audit trail searched by person, action, object and period, paged,
each case row opening the case, and the filtered rows exported."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.audit.models import AuditEvent
from jingwu.cases.choices import Action
from jingwu.lib import clock
from jingwu.org.choices import Role

from .common import roles_required
from .export import csv_response

# Actions outside the workflow table; workflow steps ("case.dispatch") take the step's own name.
LABELS = {
    "case.report": gettext_noop("上报案件"),
    "case.note": gettext_noop("添加备注"),
    "case.add_photos": gettext_noop("补充照片"),
    "case.reveal_reporter": gettext_noop("查看上报人联系方式"),
    "case.export": gettext_noop("导出案件"),
    "auth.login": gettext_noop("登录"),
    "auth.logout": gettext_noop("退出"),
    "auth.login_failed": gettext_noop("登录失败"),
    "auth.otp_failed": gettext_noop("动态口令错误"),
    "auth.otp_enrolled": gettext_noop("启用动态口令"),
    "auth.otp_removed": gettext_noop("停用动态口令"),
    "user.password_change": gettext_noop("修改密码"),
    "admin.add": gettext_noop("后台新增"),
    "admin.change": gettext_noop("后台修改"),
    "admin.delete": gettext_noop("后台删除"),
    "admin.create_admin": gettext_noop("创建管理员"),
    "token.issue": gettext_noop("签发令牌"),
    "token.revoke": gettext_noop("吊销令牌"),
    "open311.key_create": gettext_noop("创建Open311密钥"),
    "open311.key_revoke": gettext_noop("吊销Open311密钥"),
    "privacy.rotate_keys": gettext_noop("轮换数据密钥"),
    "privacy.erase": gettext_noop("到期删除个人信息"),
    "import_grids": gettext_noop("导入网格"),
    "audit.export": gettext_noop("导出审计记录"),
}


def action_label(code: str) -> str:
    if code in LABELS:
        return _(LABELS[code])
    workflow, _dot, step = code.partition(".")
    if workflow == "case" and step in Action.values:
        return str(Action(step).label)
    return code


def role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


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
            e.at.isoformat(),
            e.actor_name,
            role_label(e.role),
            action_label(e.action),
            e.object_type,
            e.object_id,
            e.ip or "",
            str(e.data),
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return csv_response(header, rows, f"jingwu-audit-{clock.now():%Y%m%d-%H%M}.csv")
