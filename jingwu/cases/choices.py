"""The loop's vocabulary, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REPORTED = "reported", _("待受理")
    VERIFYING = "verifying", _("待核实")
    TO_FILE = "to_file", _("待立案")
    TO_DISPATCH = "to_dispatch", _("待派遣")
    HANDLING = "handling", _("处置中")
    RETURNED = "returned", _("回退待改派")
    TO_CHECK = "to_check", _("待核查")
    TO_CLOSE = "to_close", _("待结案")
    SUSPENDED = "suspended", _("挂账")
    CLOSED = "closed", _("已结案")
    VOIDED = "voided", _("作废")
    MERGED = "merged", _("已并案")


OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.VERIFYING,
        State.TO_FILE,
        State.TO_DISPATCH,
        State.HANDLING,
        State.RETURNED,
        State.TO_CHECK,
        State.TO_CLOSE,
    }
)
# 挂账 is neither open (no clock) nor finished: it stays out of 应结案.
FINISHED_STATES = frozenset({State.CLOSED, State.VOIDED, State.MERGED})


class Action(models.TextChoices):
    REPORT = "report", _("上报")
    ACCEPT = "accept", _("受理")
    SEND_TO_VERIFY = "send_to_verify", _("派发核实")
    VERIFY = "verify", _("核实")
    VOID = "void", _("作废")
    FILE = "file", _("立案")
    DISPATCH = "dispatch", _("派遣")
    RETURN = "return", _("回退")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    DENY_EXTENSION = "deny_extension", _("驳回延期")
    FEEDBACK = "feedback", _("处置反馈")
    CHECK = "check", _("核查")
    CLOSE = "close", _("结案")
    SUSPEND = "suspend", _("挂账")
    RESUME = "resume", _("恢复处置")
    SELF_RESOLVE = "self_resolve", _("自行处置")
    MERGE = "merge", _("并案")
    ESCALATE = "escalate", _("督办升级")
    # 催办: a reminder to whoever holds a case; it changes neither state nor deadline.
    URGE = "urge", _("催办")
    ASSIGN = "assign", _("指定承办人")
    # 回访: the centre calls back a reporter who was not satisfied; the case stays closed or is reopened.
    REVISIT = "revisit", _("回访")
    # Not a workflow step: the reporter's rating after closure.
    RATE = "rate", _("评价")
    SUPPORT_REPLY = "support_reply", _("协办反馈")
    # Not a workflow step: a remark on the timeline (staff, or a citizen's update through Open311).
    NOTE = "note", _("备注")


class CaseKind(models.TextChoices):
    EVENT = "event", _("事件")
    COMPONENT = "component", _("部件问题")
    HAZARD = "hazard", _("安全隐患")
    ALARM = "alarm", _("告警")
    PETITION = "petition", _("信访")
    SUGGESTION = "suggestion", _("代表建议")
    PATROL = "patrol", _("巡查发现")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员上报")
    PUBLIC = "public", _("公众举报")
    HOTLINE = "hotline", _("12345热线转办")
    OPEN311 = "open311", _("Open311应用")
    IOT = "iot", _("视频/物联网告警")
    INSPECTION = "inspection", _("巡查/检查")
    SUPERIOR = "superior", _("上级交办")
    MEDIA = "media", _("媒体曝光")
    PETITION = "petition", _("信访")


class CategoryKind(models.TextChoices):
    PART = "part", _("管理部件")
    MATTER = "matter", _("管理事项")


class LimitUnit(models.TextChoices):
    WORK_HOURS = "work_hours", _("工作时")
    WORK_DAYS = "work_days", _("工作日")
    CONTINUOUS_HOURS = "continuous_hours", _("小时(紧急，连续计时)")


class AttachmentKind(models.TextChoices):
    REPORT = "report", _("上报照片")
    VERIFY = "verify", _("核实照片")
    BEFORE = "before", _("处置前")
    AFTER = "after", _("处置后")
    FEEDBACK = "feedback", _("处置反馈")
    CHECK = "check", _("核查照片")
    # What the party responsible sent to show the problem fixed (an enterprise's 整改材料).
    EVIDENCE = "evidence", _("整改材料")
    OTHER = "other", _("其他")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
