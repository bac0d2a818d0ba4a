from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    YEAR = "Y", _("全年")
    Q1 = "Q1", _("一季度")
    Q2 = "Q2", _("上半年")
    Q3 = "Q3", _("前三季度")
    Q4 = "Q4", _("四季度末")
    M01 = "M01", _("1月")
    M02 = "M02", _("1—2月")
    M03 = "M03", _("1—3月")
    M04 = "M04", _("1—4月")
    M05 = "M05", _("1—5月")
    M06 = "M06", _("1—6月")
    M07 = "M07", _("1—7月")
    M08 = "M08", _("1—8月")
    M09 = "M09", _("1—9月")
    M10 = "M10", _("1—10月")
    M11 = "M11", _("1—11月")
    M12 = "M12", _("1—12月")


def months_in(period: str) -> int:
    """How many months of the year a period's figure covers (figures are year to date)."""
    if period == Period.YEAR:
        return 12
    if period.startswith("Q"):
        return 3 * int(period[1:])
    return int(period[1:])


class ActualKind(models.TextChoices):
    ACTUAL = "actual", _("实际")
    ESTIMATE = "estimate", _("预计")


class TaskSource(models.TextChoices):
    REPORT = "report", _("政府工作报告")
    HAND = "hand", _("交办")
    AUDIT = "audit", _("审计整改")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("推进中")
    REPORTED = "reported", _("申请办结")
    DONE = "done", _("已办结")


class UnitRole(models.TextChoices):
    LEAD = "lead", _("牵头")
    SUPPORT = "support", _("配合")


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("到期提醒")
    DUCHA = "ducha", _("督办通知")


class ProjectCategory(models.TextChoices):
    HOUSING = "housing", _("居住")
    EDUCATION = "edu", _("教育")
    TRANSPORT = "travel", _("出行")
    CULTURE = "culture", _("文化")
    ELDERLY = "elderly", _("养老")
    HEALTH = "health", _("医疗卫生")
    JOBS = "jobs", _("就业社保")
    ECOLOGY = "ecology", _("生态环境")
    SAFETY = "safety", _("平安建设")
    SERVICES = "services", _("便民服务")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("未开工")
    BUILDING = "building", _("在建")
    DONE = "done", _("已完工")


class Light(models.TextChoices):
    """A task's traffic light on the board."""

    GREEN = "green", _("正常推进")
    YELLOW = "yellow", _("临近时限")
    RED = "red", _("已超期")
    DONE = "done", _("已办结")


class Standing(models.TextChoices):
    """A target's standing against the share of the year its latest figure covers."""

    NO_DATA = "no_data", _("暂无数据")
    ON_TRACK = "on_track", _("进度正常")
    WATCH = "watch", _("略有滞后")
    BEHIND = "behind", _("进度滞后")
    DONE = "done", _("已完成")
