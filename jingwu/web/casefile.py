"""The case file (案卷) on the case page: photos by stage, the time each step took against its limit, who acts
next, the reasons people usually give (常用语), and the 立案条件 of a category chosen at filing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.cases import origins
from jingwu.cases.choices import Action, AttachmentKind, State
from jingwu.cases.models import Case, FilingCondition, Transition
from jingwu.cases.refs import refs
from jingwu.workcal.services import get_calendar

from .common import STAFF, duration_text, roles_required

# 常用语: offered as suggestions, any other words may be typed (the reason field is 32 characters).
REASONS: dict[str, tuple[str, ...]] = {
    Action.VOID: (gettext_noop("重复上报"), gettext_noop("无效信息"), gettext_noop("不属于受理范围")),
    Action.RETURN: (gettext_noop("不属本单位职责"), gettext_noop("地址不准确"), gettext_noop("需其他单位协同")),
    Action.REQUEST_EXTENSION: (gettext_noop("天气原因"), gettext_noop("需采购材料"), gettext_noop("涉及多部门协调")),
    Action.SUSPEND: (gettext_noop("需长期整治"), gettext_noop("资金未落实"), gettext_noop("涉及规划调整")),
    Action.VERIFY: (gettext_noop("现场未发现问题"), gettext_noop("已自行消失")),
    Action.ESCALATE: (gettext_noop("超期未处置"), gettext_noop("群众反复反映"), gettext_noop("领导交办")),
    Action.REVISIT: (gettext_noop("已电话回访并解释"), gettext_noop("问题仍未解决"), gettext_noop("处置不到位")),
    Action.URGE: (gettext_noop("临近处置时限"), gettext_noop("群众催问"), gettext_noop("请加快办理")),
    Action.SUPPORT_REPLY: (
        gettext_noop("已配合完成"),
        gettext_noop("需主办单位提供资料"),
        gettext_noop("非本单位职责"),
    ),
}


def reasons() -> dict[str, list[str]]:
    return {str(action): [_(r) for r in texts] for action, texts in REASONS.items()}


def photo_groups(transitions: list[Transition]) -> list[dict[str, Any]]:
    """Photos under their stage (上报, 核实, 处置前/后, 核查…), in the loop's order."""
    by_kind: dict[str, list[Any]] = {}
    for t in transitions:
        for a in t.attachments.all():
            by_kind.setdefault(a.kind, []).append(a)
    return [
        {"label": label, "kind": kind, "photos": by_kind[kind]}
        for kind, label in AttachmentKind.choices
        if kind in by_kind
    ]


def step_times(case: Case, transitions: list[Transition]) -> None:
    """On each step: the working time since the step before, and that stage's deadline (``took``, ``limit``)."""
    cal = get_calendar()
    previous = None
    for t in transitions:
        t.took = None  # type: ignore[attr-defined]
        t.limit = None  # type: ignore[attr-defined]
        if previous is not None and t.action not in (Action.NOTE,):
            t.took = duration_text(cal.between(previous.at, t.at))  # type: ignore[attr-defined]
            t.limit = previous.deadline_after  # type: ignore[attr-defined]
        if t.action != Action.NOTE:
            previous = t


def origin_link(case: Case, user: Any) -> tuple[str, str] | None:
    """The domain's record behind a case (an inspection), where this person may open it."""
    origin = origins.of(case)
    return origin.link(case, user) if origin is not None and origin.link is not None else None


def next_actor(case: Case) -> str:
    """Who acts next, shown before they do: the grid's workers for 核实 and 核查."""
    if case.status == State.HANDLING and case.handler_id and case.handler:
        return _("承办人 %(name)s") % {"name": case.handler.name}
    origin = origins.of(case)
    if case.status == State.TO_CHECK and origin is not None and origin.checkers is not None:
        names = [p.name for p in origin.checkers(case)][:5]  # a hazard's 复查: its inspectors, not the grid's
        if names:
            return _("检查员 %(names)s") % {"names": "、".join(names)}
    if case.status in (State.VERIFYING, State.TO_CHECK) and case.grid_id:
        from jingwu.org.models import GridAssignment

        names = list(
            GridAssignment.objects.filter(grid_id=case.grid_id)
            .select_related("person")
            .values_list("person__name", flat=True)[:5]
        )
        if names:
            return _("网格员 %(names)s") % {"names": "、".join(names)}
    return ""


@roles_required(*STAFF)
def conditions(request: HttpRequest, number: str) -> HttpResponse:
    """The 立案条件 of the category chosen in the filing form (swapped in as the person changes it)."""
    from .views import load_case

    load_case(request, number)  # visibility, as for the case page
    category = refs().find_category(request.GET.get("category", "")) if request.GET.get("category") else None
    options = list(FilingCondition.objects.filter(category=category)) if category is not None else []
    return render(request, "web/_conditions.html", {"conditions": options})
