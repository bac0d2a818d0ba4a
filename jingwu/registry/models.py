"""Grid basic information (一标三实: 标准地址, 实有房屋, 实有人口, 实有单位) and the care work on it.

Personal values (names, ID numbers, phones, what a change replaced) are sealed at rest (``lib/crypto``); a
keyed digest beside each searchable one (``lib/idcard.keyed``) finds equal values without opening a row. Units
(实有单位) are the safety module's enterprise registry, shared rather than copied. Where a person lives is
``Residence`` history, and every change of a record is a ``Change`` row: a move or a correction never
overwrites what was there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Grid, Region
from jingwu.lib.fields import SealedField

from .choices import (
    DisabilityKind,
    HouseUse,
    Left,
    Ownership,
    PersonKind,
    ProposalKind,
    ProposalState,
    Relation,
    Scheme,
)


class Steward(models.Model):
    """A department that keeps the registry (民政, 社会事务办, 退役军人服务站): its staff read every grid's
    people. Anyone else reads only what their role needs (docs/registry.md)."""

    department = models.OneToOneField("org.Department", on_delete=models.CASCADE, verbose_name=_("部门"))
    exports = models.BooleanField(_("可导出个人信息"), default=True)

    class Meta:
        verbose_name = _("基础信息管理部门")
        verbose_name_plural = _("基础信息管理部门")

    def __str__(self) -> str:
        return str(self.department)


class Address(models.Model):
    """标准地址: 村/社区 + 路/街/巷 + 门牌号 + 楼 + 单元 + 室. The grid follows from the point."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("村/社区"))
    road = models.CharField(_("街路巷"), max_length=64, blank=True)
    number = models.CharField(_("门牌号"), max_length=16, blank=True)
    building = models.CharField(_("楼栋"), max_length=16, blank=True)
    unit = models.CharField(_("单元"), max_length=8, blank=True)
    room = models.CharField(_("户室"), max_length=16, blank=True)
    label = models.CharField(_("标准地址"), max_length=200, editable=False)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格"), db_index=False
    )
    # 实有房屋: the house at this address.
    use = models.CharField(_("房屋用途"), max_length=8, choices=HouseUse.choices, default=HouseUse.HOME)
    ownership = models.CharField(_("产权性质"), max_length=10, choices=Ownership.choices, default=Ownership.PRIVATE)
    rented = models.BooleanField(_("出租房屋"), default=False)
    area = models.FloatField(_("建筑面积(平方米)"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "road", "number", "building", "unit", "room"], name="registry_address_unique"
            )
        ]
        indexes = [models.Index(fields=["grid", "id"])]

    def __str__(self) -> str:
        return self.label

    def compose(self) -> str:
        parts = [self.road, self.number and f"{self.number}号", self.building and f"{self.building}号楼"]
        parts += [self.unit and f"{self.unit}单元", self.room and f"{self.room}室"]
        return (self.region.name if self.region_id else "") + "".join(p for p in parts if p)


class Household(models.Model):
    """户: the people registered together at an address."""

    number = models.CharField(_("户号"), max_length=20, unique=True)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households", verbose_name=_("地址"))
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.number


class ResidentQuerySet(models.QuerySet["Resident"]):
    def visible_to(self, user: Any) -> ResidentQuerySet:
        from . import access

        return access.residents(self, user)

    def current(self) -> ResidentQuerySet:
        return self.filter(left="")


class Resident(models.Model):
    """实有人口. Name, ID number and phone are sealed; their keyed digests are what a search compares."""

    name = SealedField(_("姓名"), max_length=32)
    id_number = SealedField(_("证件号码"), max_length=18, blank=True)
    phone = SealedField(_("联系电话"), max_length=32, blank=True)
    # Indexed in Meta (plain B-trees: equality only, no pattern-matching twin on PostgreSQL).
    name_key = models.CharField(max_length=64, editable=False)
    id_key = models.CharField(max_length=64, blank=True, editable=False)
    phone_key = models.CharField(max_length=64, blank=True, editable=False)
    # Derived from the ID number: what counts and care need (age groups, sex) without opening it.
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    kind = models.CharField(_("人口类型"), max_length=12, choices=PersonKind.choices, default=PersonKind.REGISTERED)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("户")
    )
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices, blank=True)
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="residents", verbose_name=_("居住地址")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格"), db_index=False
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("村/社区")
    )
    left = models.CharField(_("注销原因"), max_length=12, choices=Left.choices, blank=True)
    # The earliest date a planned visit (走访) is due, over the person's care groups; null when none is planned.
    visit_due = models.DateField(_("下次走访"), null=True, blank=True)
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        ordering = ["id"]
        constraints = [
            # One person, one record: the ID number's digest is unique where there is one.
            models.UniqueConstraint(fields=["id_key"], condition=~Q(id_key=""), name="registry_resident_id_unique")
        ]
        indexes = [
            models.Index(fields=["grid", "id"]),
            models.Index(fields=["name_key"], name="registry_name_key"),
            models.Index(fields=["phone_key"], condition=~Q(phone_key=""), name="registry_phone_key"),
            models.Index(fields=["visit_due"], condition=Q(visit_due__isnull=False), name="registry_visit_due"),
        ]

    def __str__(self) -> str:
        from jingwu.lib.privacy import mask_name

        return mask_name(self.name)


class Residence(models.Model):
    """Where a person lived and from when: a move closes one row and opens the next."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="residences")
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="+", verbose_name=_("地址"))
    grid = models.ForeignKey(Grid, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格"))
    household = models.ForeignKey(Household, null=True, on_delete=models.SET_NULL, related_name="+")
    since = models.DateTimeField(_("迁入时间"))
    until = models.DateTimeField(_("迁出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住记录")
        verbose_name_plural = _("居住记录")
        ordering = ["resident", "since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=Q(until__isnull=True), name="registry_one_home")
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}@{self.address_id}"


class Change(models.Model):
    """One change of a registry record: who, when, which fields, and the values before and after (sealed,
    since they are personal)."""

    record = models.CharField(_("对象"), max_length=16)
    record_id = models.PositiveIntegerField(_("对象编号"))
    action = models.CharField(_("操作"), max_length=16)
    fields = models.JSONField(_("字段"), default=list)
    diff = SealedField(_("变更内容"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["record", "record_id", "id"])]

    def __str__(self) -> str:
        return f"{self.record} {self.record_id} {self.action}"


class CareGroup(models.Model):
    """A group the town cares for (低保, 特困, 独居老人 …), with its visit plan: every ``visit_days`` days."""

    code = models.SlugField(_("代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    visit_days = models.PositiveSmallIntegerField(_("走访周期(天)"), null=True, blank=True)
    # 重点人员 and the like: seen only by stewards and the person's own grid worker, never in the centre's lists.
    restricted = models.BooleanField(_("限制查看"), default=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("关爱人群")
        verbose_name_plural = _("关爱人群")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class CareTagQuerySet(models.QuerySet["CareTag"]):
    def current(self, day: Any = None) -> CareTagQuerySet:
        """Tags in force on ``day`` (today by default): begun, and not ended before it. The one definition the
        lists, the counts, the visit plans and the hiding of restricted groups share."""
        from . import services

        day = day or services.today()
        return self.filter(since__lte=day).filter(Q(until__isnull=True) | Q(until__gte=day))


class CareTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    group = models.ForeignKey(CareGroup, on_delete=models.PROTECT, related_name="tags", verbose_name=_("人群"))
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("终止日期"), null=True, blank=True)
    disability = models.CharField(_("残疾类别"), max_length=10, choices=DisabilityKind.choices, blank=True)
    grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    # A certificate's number (a 残疾人证 holds the ID number): sealed.
    evidence = SealedField(_("认定依据"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"))

    objects = CareTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("人群标签")
        verbose_name_plural = _("人群标签")
        ordering = ["resident", "group__position"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "group", "since"], name="registry_tag_unique"),
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__gte=1, grade__lte=4), name="registry_grade_1_4"
            ),
        ]
        # (group, resident): a group's people in resident order, so a group's first page stops early.
        indexes = [models.Index(fields=["group", "resident"]), models.Index(fields=["group", "until"])]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.resident_id}"


class Benefit(models.Model):
    """A month's payment to a person (低保金, 特困供养金, 残疾人两项补贴, 优抚金 …), as the civil-affairs system
    exports them."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="benefits")
    month = models.DateField(_("月份"))
    kind = models.CharField(_("类别"), max_length=32)
    amount = models.DecimalField(_("金额(元)"), max_digits=10, decimal_places=2)
    source = models.CharField(_("来源"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("救助发放")
        verbose_name_plural = _("救助发放")
        ordering = ["-month", "id"]
        constraints = [models.UniqueConstraint(fields=["resident", "month", "kind"], name="registry_benefit_unique")]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}"


class Enrolment(models.Model):
    """参保 and 就业: a person newly in pension or medical insurance, or newly employed, on a date."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="enrolments")
    scheme = models.CharField(_("类别"), max_length=8, choices=Scheme.choices)
    on = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("参保就业")
        verbose_name_plural = _("参保就业")
        constraints = [models.UniqueConstraint(fields=["resident", "scheme", "on"], name="registry_enrolment_unique")]
        indexes = [models.Index(fields=["scheme", "on"])]

    def __str__(self) -> str:
        return f"{self.scheme} {self.on}"


class VeteranRecord(models.Model):
    """退役军人服务站的信息采集: one record per veteran or 优抚对象, kept by the station."""

    resident = models.OneToOneField(Resident, on_delete=models.CASCADE, related_name="veteran")
    category = models.CharField(_("优抚类别"), max_length=32)
    enlisted = models.PositiveSmallIntegerField(_("入伍年份"), null=True, blank=True)
    discharged = models.PositiveSmallIntegerField(_("退役年份"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    collected_at = models.DateTimeField(_("采集时间"))
    collected_by = models.ForeignKey("org.Person", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("退役军人信息采集")
        verbose_name_plural = _("退役军人信息采集")

    def __str__(self) -> str:
        return self.category


class Visit(models.Model):
    """走访: who visited whom, when and where, what was found; a need found becomes a case in the loop."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="visits")
    by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("走访人"))
    at = models.DateTimeField(_("走访时间"))
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    grid = models.ForeignKey(Grid, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格"))
    # What a visit found is about a person's health and life: sealed like their name.
    found = SealedField(_("走访情况"), max_length=2000)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("诉求案件")
    )
    client_key = models.CharField(max_length=100, unique=True, null=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["resident", "-at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.at:%Y-%m-%d}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="registry/visits/%Y/%m/")
    content_type = models.CharField(max_length=32)

    def __str__(self) -> str:
        return str(self.file.name or "")


class Proposal(models.Model):
    """A grid worker's addition or correction, applied only when a steward approves it (the worker's own
    grid only; the payload is sealed, since it is a person's data)."""

    kind = models.CharField(_("类型"), max_length=8, choices=ProposalKind.choices)
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("人员")
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    payload = SealedField(_("内容"))
    by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人"))
    at = models.DateTimeField(_("提交时间"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ProposalState.choices, default=ProposalState.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    client_key = models.CharField(max_length=100, unique=True, null=True, editable=False)

    class Meta:
        verbose_name = _("信息变更申请")
        verbose_name_plural = _("信息变更申请")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"
