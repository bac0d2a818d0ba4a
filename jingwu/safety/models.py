"""Enterprises and places (生产经营单位/场所): the registry that inspections, hazards and devices hang on."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jingwu.cases.choices import State
from jingwu.cases.models import Case
from jingwu.geo.models import Grid, Region
from jingwu.lib.fields import SealedField
from jingwu.org.models import Person

from .choices import Every, HazardType, Industry, Result, RiskLevel, Severity, TaskState


class Enterprise(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    # GB 32100-2015; individual shops (个体工商户 without one, 七小) may have none.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices)
    # The report's own classes, as the town names them (化工, 家具制造, 餐饮 …).
    industry_class = models.CharField(_("行业类别"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("网格"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("村/社区"))
    # Personal data, encrypted at rest; shown masked except to those whose work needs it.
    legal_rep = SealedField(_("法定代表人"), max_length=32, blank=True)
    contact_name = SealedField(_("安全联系人"), max_length=32, blank=True)
    contact_phone = SealedField(_("联系电话"), max_length=32, blank=True)
    risk = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.BLUE)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    active = models.BooleanField(_("在营"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    # The 动态监管台账's figures, counted again from the place's hazards inside every inspection and every
    # step of a hazard's case (``inspections.recount``): the ledger reads one row per place.
    last_inspected_at = models.DateTimeField(_("最近检查"), null=True, blank=True)
    open_hazards = models.PositiveIntegerField(_("未销号隐患"), default=0)
    closed_hazards = models.PositiveIntegerField(_("已销号隐患"), default=0)
    next_due = models.DateTimeField(_("最近整改期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("生产经营单位")
        verbose_name_plural = _("生产经营单位")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["grid", "risk"]),
            models.Index(fields=["industry", "risk"]),
            models.Index(fields=["next_due", "id"]),
        ]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    """第三方检查机构: an organisation the town hires to inspect; its inspectors see only its tasks."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("第三方检查机构")
        verbose_name_plural = _("第三方检查机构")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Inspector(models.Model):
    """A person with the inspector role: the town's own safety staff (no company) or a company's."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="inspector", verbose_name=_("人员"))
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="inspectors", verbose_name=_("机构")
    )

    class Meta:
        verbose_name = _("检查员")
        verbose_name_plural = _("检查员")

    def __str__(self) -> str:
        return f"{self.person.name} ({self.company or _('镇安监')})"


class Checklist(models.Model):
    """检查表: the items to inspect at a kind of place. Blank industry and tag: any place."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices, blank=True)
    tag = models.CharField(_("标签"), max_length=16, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("检查内容"), max_length=300)
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    # The level a failure of this item is proposed at; the inspector may raise or lower it.
    severity = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    hazard_type = models.CharField(_("隐患类型"), max_length=16, choices=HazardType.choices, default=HazardType.OTHER)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["checklist", "position"]
        constraints = [models.UniqueConstraint(fields=["checklist", "position"], name="checklist_item_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class Plan(models.Model):
    """检查计划: which places (by industry, tag, risk, grid), how often, with which checklist, by whom."""

    name = models.CharField(_("名称"), max_length=100)
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, verbose_name=_("检查表"))
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices, blank=True)
    tag = models.CharField(_("标签"), max_length=16, blank=True)
    risk = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("网格"))
    every = models.CharField(_("频次"), max_length=8, choices=Every.choices, default=Every.MONTH)
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("检查员")
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("机构"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """One place to inspect in one period: made by a plan (once per place and period) or by hand."""

    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="tasks")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT)
    period = models.DateField(_("周期开始"))
    due_on = models.DateField(_("应检日期"))
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("检查员")
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("机构"))
    status = models.CharField(_("状态"), max_length=12, choices=TaskState.choices, default=TaskState.TODO)
    created_at = models.DateTimeField(_("生成时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "enterprise", "period"], name="task_once_per_period"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["company", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}@{self.period}"


class Inspection(models.Model):
    """检查记录: one visit to one place, item by item, signed by the place's contact."""

    task = models.OneToOneField(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="inspection")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="inspections")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspector_name = models.CharField(_("检查员"), max_length=64)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("机构"))
    # When it was done on site (the phone's clock, bounded), and when it reached the server.
    at = models.DateTimeField(_("检查时间"))
    received_at = models.DateTimeField(_("提交时间"))
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    signer_name = models.CharField(_("签字人"), max_length=32)
    signature = models.FileField(_("签字"), upload_to="safety/signatures/%Y/%m")
    note = models.TextField(_("说明"), blank=True)
    passed = models.PositiveSmallIntegerField(_("合格项"), default=0)
    failed = models.PositiveSmallIntegerField(_("不合格项"), default=0)
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["enterprise", "at"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.at:%Y-%m-%d}"


class ItemResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(ChecklistItem, null=True, on_delete=models.SET_NULL, related_name="+")
    # The item as it read that day (a checklist may change later).
    position = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("检查内容"), max_length=300)
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    result = models.CharField(_("结果"), max_length=4, choices=Result.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["inspection", "position"]

    def __str__(self) -> str:
        return f"{self.position} {self.result}"


def photo_path(instance: InspectionPhoto, filename: str) -> str:
    return f"safety/{instance.sha256[:2]}/{instance.sha256}{filename[filename.rfind('.') :]}"


class InspectionPhoto(models.Model):
    result = models.ForeignKey(ItemResult, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.sha256[:12]


def _token() -> str:
    return secrets.token_urlsafe(18)


class Hazard(models.Model):
    """隐患: a failed item, followed through the loop as a case of the 安全隐患 category. ``status`` and
    ``closed_at`` follow the case inside each step's transaction (``cases.origins``), so the ledgers read
    this table alone."""

    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="hazards")
    result = models.OneToOneField(ItemResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazard")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="hazards")
    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazard")
    level = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices)
    hazard_type = models.CharField(_("隐患类型"), max_length=16, choices=HazardType.choices)
    # Copied from the place when found, for the ledgers' grouping and filters.
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(_("隐患描述"))
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    found_at = models.DateTimeField(_("发现时间"))
    rectify_by = models.DateTimeField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.TO_DISPATCH)
    rechecks = models.PositiveSmallIntegerField(_("复查次数"), default=0)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # The place's own link for sending its rectification evidence (no account needed).
    token = models.CharField(max_length=32, unique=True, default=_token, editable=False)

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-found_at", "-id"]
        indexes = [
            models.Index(fields=["industry", "hazard_type"]),
            models.Index(fields=["enterprise", "status"]),
            models.Index(fields=["found_at"]),
            # 整改销号 in a period: counted from this index alone.
            models.Index(fields=["closed_at"], name="hazard_closed", condition=Q(status="closed")),
            # Overdue look-ups read only the open ones.
            models.Index(
                fields=["rectify_by"], name="hazard_open_due", condition=~Q(status__in=["closed", "voided", "merged"])
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def is_open(self) -> bool:
        return self.status not in (State.CLOSED, State.VOIDED, State.MERGED)


class ImportJob(models.Model):
    """A long registry import, done by the task worker while the person watches its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        CHECKING = "checking", _("检查中")
        SAVING = "saving", _("保存中")
        DONE = "done", _("已导入")
        REFUSED = "refused", _("有错误，未导入")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="safety/imports/")
    name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("行数"), default=0)
    done = models.PositiveIntegerField(_("已检查"), default=0)
    report = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("提交时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
