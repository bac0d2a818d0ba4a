"""Supervision (督查督办): the year's targets and their actuals, tasks split out to responsible units, the
livelihood projects (民心工程) and the rectification of audit findings (审计整改).

Targets and tasks come from the government work report (``reader.read``) after a person has confirmed them,
or are entered by hand. An audit finding is rectified as an ordinary case of the one loop
(``cases.services``); the row here keeps what the loop has no place for (the audit, the village, the amount).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Region
from jingwu.org.models import Department

from .choices import (
    ActualKind,
    NoticeKind,
    Period,
    ProjectCategory,
    ProjectStatus,
    TaskSource,
    TaskStatus,
    UnitRole,
)


class Indicator(models.Model):
    """An economic or social indicator the town steers by (税收收入, 固定资产投资 …)."""

    name = models.CharField(_("指标"), max_length=64, unique=True)
    # Other names reports give it ("固定资产投入" for 固定资产投资): the reader's figures match on them.
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("责任部门")
    )
    # Statistics offices publish most indicators as year-to-date totals (1—N月累计), so a month's figure is
    # measured against the share of the year it covers; a level (a rate, a count of grids) is not.
    cumulative = models.BooleanField(_("按年累计"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """A year's target for an indicator: a value, a growth rate, or both (预期目标)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("指标"))
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    growth_pct = models.DecimalField(_("目标增速(%)"), max_digits=8, decimal_places=2, null=True, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("责任部门")
    )
    source = models.CharField(_("来源"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        ordering = ["-year", "indicator__position", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="supervision_one_target_a_year"),
            models.CheckConstraint(
                condition=models.Q(value__isnull=False) | models.Q(growth_pct__isnull=False),
                name="supervision_target_has_value_or_growth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator}"


class Actual(models.Model):
    """A value reached: for the year, a quarter or a month (year to date when the indicator is cumulative)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals", verbose_name=_("指标"))
    year = models.PositiveSmallIntegerField(_("年度"))
    period = models.CharField(_("期间"), max_length=3, choices=Period.choices, default=Period.YEAR)
    kind = models.CharField(_("性质"), max_length=8, choices=ActualKind.choices, default=ActualKind.ACTUAL)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4, null=True, blank=True)
    growth_pct = models.DecimalField(_("同比增速(%)"), max_digits=8, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("实际完成")
        verbose_name_plural = _("实际完成")
        ordering = ["-year", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "period", "kind"], name="supervision_one_actual_a_period"
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=False) | models.Q(growth_pct__isnull=False),
                name="supervision_actual_has_value_or_growth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year} {self.period}"


class Task(models.Model):
    """A task of the year's plan (or given by hand, or from an audit), split to its responsible units."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    title = models.CharField(_("任务"), max_length=200)
    text = models.TextField(_("内容"), blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    heading = models.CharField(_("所属部分"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=TaskSource.choices, default=TaskSource.HAND)
    places = models.JSONField(_("地点"), default=list, blank=True)
    projects = models.JSONField(_("项目"), default=list, blank=True)
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    units = models.ManyToManyField(Department, through="TaskUnit", related_name="+", verbose_name=_("责任单位"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    reported_at = models.DateTimeField(_("报结时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认办结时间"), null=True, blank=True)
    # The office's word when it last confirmed the task done or sent it back.
    office_note = models.CharField(_("督查意见"), max_length=500, blank=True)
    client_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("督办任务")
        verbose_name_plural = _("督办任务")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="supervision_task_due_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TaskUnit(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="unit_rows")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    role = models.CharField(_("分工"), max_length=8, choices=UnitRole.choices)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        constraints = [
            models.UniqueConstraint(fields=["task", "department"], name="supervision_unit_once_a_task"),
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(role="lead"), name="supervision_one_lead_a_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.department_id} {self.role}"


class Milestone(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due = models.DateField(_("节点时限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title


class Report(models.Model):
    """A progress report by a responsible unit (进展报告), with its attachments."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("进度(%)"))
    # The lead unit says the task is done: the supervising office then confirms or sends it back.
    finished = models.BooleanField(_("申请办结"), default=False)
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("报告时间"))
    client_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["author", "client_key"], name="supervision_report_once_per_key")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.percent}%"


class ReportFile(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("附件"), upload_to="supervision/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """A reminder before a deadline or a 督办 notice after it: once per task, unit, deadline and level."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notices")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    kind = models.CharField(_("类型"), max_length=8, choices=NoticeKind.choices)
    level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    due = models.DateField(_("所涉时限"))
    text = models.CharField(_("内容"), max_length=300)
    sent_at = models.DateTimeField(_("发出时间"))

    class Meta:
        verbose_name = _("提醒与督办")
        verbose_name_plural = _("提醒与督办")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "department", "kind", "due", "level"], name="supervision_notice_once"
            )
        ]

    def __str__(self) -> str:
        return self.text


class Project(models.Model):
    """A livelihood project (民心工程 / 民生实事项目)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("类别"), max_length=8, choices=ProjectCategory.choices)
    name = models.CharField(_("项目"), max_length=200)
    budget = models.DecimalField(_("总投资(万元)"), max_digits=14, decimal_places=2)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("责任单位")
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("所在村居")
    )
    # A GeoJSON Point or Polygon in WGS-84; lon/lat is its representative point for the map and the region.
    geometry = models.JSONField(_("位置"), null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    starts = models.DateField(_("开工时间"), null=True, blank=True)
    ends = models.DateField(_("计划完工"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    status = models.CharField(_("状态"), max_length=8, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("民心工程")
        verbose_name_plural = _("民心工程")
        ordering = ["-year", "category", "pk"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="supervision_project_name_a_year")]

    def __str__(self) -> str:
        return self.name


class ProjectUpdate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    percent = models.PositiveSmallIntegerField(_("进度(%)"))
    note = models.TextField(_("说明"), blank=True)
    photo = models.ImageField(_("照片"), upload_to="supervision/projects/%Y/%m/", blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("工程进展")
        verbose_name_plural = _("工程进展")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.percent}%"


class AuditFinding(models.Model):
    """A finding of a village organisation's economic-responsibility audit (经济责任审计), rectified as a case."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("村居"))
    audit_year = models.PositiveSmallIntegerField(_("审计年度"))
    subject = models.CharField(_("被审计人"), max_length=64, blank=True)
    title = models.CharField(_("问题"), max_length=200)
    text = models.TextField(_("审计意见"))
    amount = models.DecimalField(_("涉及金额(万元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="audit_finding", verbose_name=_("整改案件")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("审计整改")
        verbose_name_plural = _("审计整改")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title
