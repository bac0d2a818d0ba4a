"""The public timeline's standard notes. They are stored in Chinese, as written at the time, and shown in the
reader's language: a known note (or one of the two patterns with a name in it) is translated, a note a
person typed is shown as typed."""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

REPORTED = gettext_noop("已上报")
ACCEPTED = gettext_noop("已受理")
WORKER_REPORTED = gettext_noop("网格员上报")
FILED = gettext_noop("已立案")
NOT_FILED = gettext_noop("不予立案")
VOIDED = gettext_noop("经核实无需处置，已作废")
EXTENDED = gettext_noop("处置期限已延长")
HANDLED = gettext_noop("已处置，待核查")
REWORK = gettext_noop("核查未通过，返工处置")
CHECKED = gettext_noop("核查通过")
CLOSED = gettext_noop("已结案")
SELF_RESOLVED = gettext_noop("网格员已现场处置")
DISPATCHED_TO = gettext_noop("已派遣至%(name)s")
MERGED_INTO = gettext_noop("与案件%(name)s合并办理")
REVISITED = gettext_noop("已回访")
REOPENED = gettext_noop("回访后重新办理")
RATED = gettext_noop("市民评价：%(name)s")

STANDARD = frozenset(
    {
        REPORTED,
        ACCEPTED,
        WORKER_REPORTED,
        FILED,
        NOT_FILED,
        VOIDED,
        EXTENDED,
        HANDLED,
        REWORK,
        CHECKED,
        CLOSED,
        SELF_RESOLVED,
        REVISITED,
        REOPENED,
    }
)
# Notes written before 已上报 and 已受理 were told apart.
LEGACY = {"已受理上报": REPORTED}
PATTERNS = (
    (re.compile(r"^已派遣至(.+)$"), DISPATCHED_TO),
    (re.compile(r"^与案件(\S+)合并办理$"), MERGED_INTO),
    (re.compile(r"^市民评价：(.+)$"), RATED),
)


def dispatched_to(name: str) -> str:
    return DISPATCHED_TO % {"name": name}


def merged_into(number: str) -> str:
    return MERGED_INTO % {"name": number}


def public_text(note: str) -> str:
    """``note`` in the active language where it is one of ours."""
    note = LEGACY.get(note, note)
    if note in STANDARD:
        return gettext(note)
    for pattern, template in PATTERNS:
        m = pattern.match(note)
        if m:
            name = gettext(m.group(1)) if template == RATED else m.group(1)  # 满意 is ours; a place name is not
            return gettext(template) % {"name": name}
    return note


# Reason codes that systems and the operator's spam button store; people's own words are shown as typed.
REASON_LABELS = {
    "spam": gettext_noop("明显无效信息"),
    "overdue": gettext_noop("超过时限"),
    "not_found": gettext_noop("现场未发现问题"),
    "not_in_scope": gettext_noop("不属于受理范围"),
    "not_ours": gettext_noop("不属本单位职责"),
    "long_term": gettext_noop("需长期整治"),
    "weather": gettext_noop("天气原因"),
    "not_done": gettext_noop("未处置到位"),
    "false_alarm": gettext_noop("误报"),
    "normal": gettext_noop("监测值恢复正常"),
    "restored": gettext_noop("设备报告恢复"),
    "online": gettext_noop("设备恢复上报"),
}


def reason_text(reason: str) -> str:
    label = REASON_LABELS.get(reason)
    return gettext(label) if label else reason
