"""The inspector's phone page: today's inspection tasks with their checklists, the hazards waiting for a 复查,
and an outbox, so that an inspection done in a workshop without signal is kept and sent later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jingwu.cases.choices import AttachmentKind, State
from jingwu.cases.models import Attachment, Transition
from jingwu.lib import clock
from jingwu.org.actors import resolve
from jingwu.org.choices import Role
from jingwu.web.common import roles_required
from jingwu.workcal.services import get_calendar

from . import inspections
from .choices import Severity, TaskState
from .models import Hazard


def rechecks_for(user: Any) -> list[Hazard]:
    """Hazards whose case waits for a 复查 this inspector may do."""
    ins = inspections.inspector_of(resolve(user))
    if ins is None:
        return []
    waiting = Hazard.objects.filter(status=State.TO_CHECK).select_related("enterprise", "case")
    if ins.company_id is not None:
        waiting = waiting.filter(inspection__company_id=ins.company_id)  # what its own inspections found
    return [h for h in waiting.order_by("rectify_by")[:200] if h.case is not None]


@never_cache
@roles_required(Role.INSPECTOR)
def inspect(request: HttpRequest) -> HttpResponse:
    today = clock.now().astimezone(get_calendar().tz).date()
    tasks = list(
        inspections.tasks_for(request.user)
        .filter(status=TaskState.TODO)
        .prefetch_related("checklist__items")
        .order_by("due_on", "id")[:100]
    )
    rechecks = rechecks_for(request.user)
    ids = [h.case_id for h in rechecks if h.case_id is not None]
    # What the 复查 is checked against: the finding's photos, the place's 整改材料 (words and photos), the
    # department's feedback.
    photos: dict[int, list[dict[str, Any]]] = {}
    shown = (AttachmentKind.REPORT, AttachmentKind.EVIDENCE, AttachmentKind.FEEDBACK)
    for att in Attachment.objects.filter(case_id__in=ids, kind__in=shown).order_by("at", "id"):
        photos.setdefault(att.case_id, []).append({"id": att.pk, "label": att.get_kind_display()})
    said: dict[int, list[str]] = {}
    for case_id, note in (
        Transition.objects.filter(case_id__in=ids, data__evidence=True).order_by("seq").values_list("case_id", "note")
    ):
        said.setdefault(case_id, []).append(note)
    context = {
        "tasks": tasks,
        "today": today,
        "now": clock.now(),
        "rechecks": [
            {"h": h, "photos": photos.get(h.case_id or 0, []), "said": said.get(h.case_id or 0, [])} for h in rechecks
        ],
        "levels": Severity.choices,
        "default_days": {str(k): v for k, v in inspections.DEFAULT_DAYS.items()},
        "company": inspections.company_of(getattr(request.user, "person", None)),
        "inspect_text": {
            "sent": _("已发送"),
            "waiting": _("等待发送"),
            "failed": _("被退回"),
            "saved": _("已保存，有信号后自动发送"),
            "done": _("提交成功"),
            "discard": _("删除"),
            "confirm_discard": _("删除后这条内容不会再发送，确定删除吗？"),
            "unanswered": _("还有检查项未选择结果：第%(items)s项"),
            "note_needed": _("第%(item)s项不合格，请说明发现的问题"),
            "sign": _("请企业负责人在框内签字"),
            "signer": _("请填写签字人姓名"),
            "full": _("待发送的内容已达上限（%(mb)s MB），请到有信号的地方先发送") % {"mb": settings.JINGWU_OUTBOX_MB},
            "relogin": _("登录已过期：重新登录后自动发送"),
            "later": _("服务器暂时不可用，稍后自动重发"),
            "shrinking": _("正在压缩照片…"),
            "photo_needed": _("复查通过需要现场照片"),
            "reason_needed": _("请说明复查未通过的原因"),
            "no_tasks": _("暂无检查任务"),
            "choose": _("请选择复查结果"),
            "reopen": _("重新填写"),
            "sep": _("、"),
        },
        "photo_settings": {
            "long_side": settings.JINGWU_PHOTO_LONG_SIDE,
            "quality": settings.JINGWU_PHOTO_QUALITY,
            "outbox_bytes": settings.JINGWU_OUTBOX_MB * 1024 * 1024,
        },
    }
    return render(request, "safety/phone.html", context)


SHELL = [
    "/safety/m/",
    "/static/weui/style/weui.min.css",
    "/static/web/mobile.css",
    "/static/web/photo.js",
    "/static/safety/inspect.js",
    "/static/signature_pad/signature_pad.umd.min.js",
    "/static/htmx/htmx.min.js",
]


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The inspector's page opens without signal (a workshop, a basement): the last copy of the page and its
    assets; submissions wait in the page's own outbox."""
    from jingwu.web.phone import service_worker_script

    response = HttpResponse(
        service_worker_script("jingwu-inspect-v1", "/safety/m/", SHELL), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/safety/m/"
    return response
