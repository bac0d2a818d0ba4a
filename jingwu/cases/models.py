from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Grid, Region
from jingwu.lib import worktime
from jingwu.lib.fields import SealedField
from jingwu.org.choices import REPORTERS, SEE_ALL, Role
from jingwu.org.models import Department

from .choices import (
    OPEN_STATES,
    AttachmentKind,
    CaseKind,
    CategoryKind,
    LimitUnit,
    Satisfaction,
    Source,
    State,
)


class Category(models.Model):
    """A 小类 of GB/T 47678.5, keyed by (kind, 5-digit code); local extensions are flagged."""

    kind = models.CharField(_("类型"), max_length=8, choices=CategoryKind.choices)
    code = models.CharField(_("代码"), max_length=5)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=96, blank=True)
    major_name = models.CharField(_("大类"), max_length=32)
    case_kind = models.CharField(_("案件类别"), max_length=16, choices=CaseKind.choices, default=CaseKind.EVENT)
    is_local = models.BooleanField(_("地方扩展"), default=False)
    is_public = models.BooleanField(_("公众可见"), default=True)
    # A petition or a deputy's suggestion has no place on the map; it belongs to a region or department.
    needs_location = models.BooleanField(_("需要位置"), default=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("案件类别")
        verbose_name_plural = _("案件类别")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_category_kind_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def major_code(self) -> str:
        return self.code[:2]


class FilingCondition(models.Model):
    """A 立案条件: when a category is filed, and how long its handling may take."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("类别"))
    name = models.CharField(_("立案条件"), max_length=200)
    limit_value = models.PositiveIntegerField(_("处置时限"))
    limit_unit = models.CharField(_("时限单位"), max_length=20, choices=LimitUnit.choices)
    closing_condition = models.CharField(_("结案条件"), max_length=200)
    is_default = models.BooleanField(_("默认"), default=False)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("立案条件")
        verbose_name_plural = _("立案条件")
        ordering = ["category", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.limit_value}{self.get_limit_unit_display()})"

    @property
    def limit(self) -> worktime.Limit:
        return worktime.Limit(self.limit_value, worktime.LimitUnit(self.limit_unit))


class RoutingRule(models.Model):
    """Category (or 大类) + territory → responsible department (权责清单). Lowest priority number that
    matches wins. It lives with the categories it routes: org knows departments, cases knows what goes where."""

    priority = models.PositiveIntegerField(_("优先级"), default=100, db_index=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("小类"))
    category_kind = models.CharField(_("大类类型"), max_length=16, blank=True, choices=CategoryKind.choices)
    category_major = models.CharField(
        _("大类代码"), max_length=2, blank=True, help_text=_("两位大类代码，与类型一起匹配整个大类")
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("区域"))
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("网格"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, verbose_name=_("责任单位"))
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("权责清单条目"))

    class Meta:
        verbose_name = _("派遣规则")
        verbose_name_plural = _("派遣规则")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"#{self.priority} → {self.department}"


# What the public sees: cases of public categories, not voided, and not raised by a domain (a hazard names an
# enterprise and what is wrong there; an alarm, a place's fire system).
_PUBLIC = Q(category__is_public=True) & ~Q(status=State.VOIDED) & Q(origin_kind="")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, at: datetime) -> CaseQuerySet:
        """Derived, never stored: the running clock's deadline has passed."""
        return self.filter(status__in=OPEN_STATES, due_at__lt=at)

    def visible_to(self, user: Any) -> CaseQuerySet:
        """The one place that says who sees which cases (pages, API, exports and CLI use it). A person with
        several roles sees what any of them shows."""
        from jingwu.org.services import person_of, roles_of

        roles = roles_of(user)
        # Petitions (信访) are the exception to "the centre sees everything": a petition is seen by the people on
        # it (the petition clerks, who reported it, the departments it was sent to or that support it) and by
        # the leaders (包案领导 and the others), not by the command centre, the administrators or the grids.
        if Role.LEADER in roles:
            return self
        person = person_of(user)
        parts: list[Q] = []
        if any(r in SEE_ALL for r in roles):
            parts += [~Q(kind=CaseKind.PETITION), Q(reporter_user=user)]
        for role in roles:
            if role == Role.GRID_WORKER and person is not None:
                # The grids as a literal list, not a join (no DISTINCT) nor a subquery (estimated at half the
                # table, it sent a city's planner walking every case newest first): the (grid, status) index.
                from jingwu.org.services import grid_ids

                mine = grid_ids(person)
                parts += [Q(grid_id__in=mine) & ~Q(kind=CaseKind.PETITION), Q(reporter_user=user)]
            elif role == Role.HANDLER and person is not None and person.department_id:
                # The cases it leads, was sent or asked to support, from one index (department, case): the
                # planner reads the department's newest cases from it and stops at the page's end, where an
                # OR of EXISTS per row walked a city's every case.
                had = CaseDepartment.objects.filter(department_id=person.department_id).values("case_id")
                parts.append(Q(pk__in=had))
            elif role == Role.PETITION_CLERK:
                parts += [Q(kind__in=[CaseKind.PETITION, CaseKind.SUGGESTION]), Q(reporter_user=user)]
            elif role in REPORTERS or role == Role.SYSTEM:
                parts.append(_PUBLIC)
                if person is not None:
                    parts.append(Q(reporter_user=user))
        from . import origins

        parts += origins.visible_to(user)
        if not parts:
            # The public: public categories only; the API shows them through the public schema.
            return self.filter(_PUBLIC)
        where = parts[0]
        for q in parts[1:]:
            where |= q
        return self.filter(where)


class Case(models.Model):
    number = models.CharField(_("案件编号"), max_length=20, unique=True, null=True, editable=False)
    kind = models.CharField(_("案件类别"), max_length=16, choices=CaseKind.choices, default=CaseKind.EVENT)
    # Foreign keys whose column leads a composite index below (or that are never searched) get no index of
    # their own: every index is written on every insert, and intake is what a city's platform runs out of first.
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("类别"),
        db_index=False,
    )
    condition = models.ForeignKey(
        FilingCondition, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("立案条件"), db_index=False
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_detail = models.CharField(_("来源说明"), max_length=100, blank=True)
    # Empty only for categories that need no location (a petition, a suggestion).
    lon = models.FloatField(_("经度(WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("纬度(WGS-84)"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("网格"),
        db_index=False,
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("村/社区"),
        db_index=False,
    )
    description = models.TextField(_("问题描述"), max_length=4000)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        verbose_name=_("上报人账号"),
    )
    # Personal data, encrypted at rest; erased when the retention period after closing ends (cases/jobs.py).
    reporter_name = SealedField(_("上报人"), max_length=64, blank=True)
    reporter_phone = SealedField(_("上报人电话"), max_length=32, blank=True)
    tracking_code = models.CharField(_("查询码"), max_length=16, editable=False)
    client_key = models.CharField(_("幂等键"), max_length=64, unique=True, null=True, blank=True, editable=False)

    status = models.CharField(_("状态"), max_length=16, choices=State.choices)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("责任单位"),
        db_index=False,
    )
    # 承办人: the person in the lead department who carries the case (named by the department, ``assign``).
    handler = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        verbose_name=_("承办人"),
        db_index=False,
    )
    # 协办单位: departments that help the lead department (主办 is ``department``); set at dispatch.
    supporting = models.ManyToManyField(
        Department,
        through="CaseSupport",
        related_name="supported_cases",
        blank=True,
        verbose_name=_("协办单位"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("并入案件"),
        db_index=False,
    )

    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    # The running clock's deadline (stage limit, or the handling limit while handling); null when no
    # clock runs. Overdue is ``due_at < now`` on an open case.
    due_at = models.DateTimeField(_("当前时限"), null=True, blank=True)
    handling_deadline = models.DateTimeField(_("处置时限"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    handled_on_time = models.BooleanField(_("按期处置"), null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    pending_extension = models.JSONField(_("待批延期"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    # The reporter's rating after closure, and the centre's call back (回访) when they were not satisfied.
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    satisfaction_note = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    revisited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The domain object that raised this case (a hazard, an alarm, a patrol finding): "app_label.model" and pk.
    origin_kind = models.CharField(_("来源对象类型"), max_length=48, blank=True)
    origin_id = models.CharField(_("来源对象"), max_length=64, blank=True)
    # The words of the description and address (``lib.textsearch``), for the full-text index on PostgreSQL.
    search = models.TextField(blank=True, default="", editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["region", "reported_at"]),
            # 应结案 (stats): cases whose handling deadline falls in a period, with what the rates count among them
            # and the unit's league table groups by (an index-only scan on PostgreSQL).
            models.Index(
                fields=["handling_deadline", "status", "handled_on_time", "department", "kind"],
                name="case_handling_deadline_idx",
            ),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["lat", "lon"]),
            # Duplicate suggestion: same category, a narrow latitude band, among the open cases only (a city's
            # closed years would fill the band).
            models.Index(fields=["category", "lat"], name="case_dup_idx", condition=Q(status__in=sorted(OPEN_STATES))),
            # "Which case did this hazard raise?" Partial on PostgreSQL: most cases have no origin.
            models.Index(fields=["origin_kind", "origin_id"], name="case_origin_idx", condition=~Q(origin_kind="")),
            # The open cases, a few in a thousand of a city's: the queues' counts and the overdue list read this
            # small index alone (who may see a case and the pending extension are in it).
            models.Index(
                fields=["status", "due_at"],
                include=["kind", "reporter_user", "grid", "department", "pending_extension"],
                condition=Q(status__in=sorted(OPEN_STATES)),
                name="case_open_idx",
            ),
            # 待回访: closed, the reporter not satisfied, not called back yet (with who may see them: counted from
            # the index alone).
            models.Index(
                fields=["id"],
                include=["kind", "reporter_user"],
                condition=Q(status="closed", satisfaction="unsatisfied", revisited_at__isnull=True),
                name="case_revisit_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or {"description", "address"} & set(fields):
            from jingwu.lib import textsearch

            self.search = textsearch.document(self.description, self.address)
            if fields is not None:
                kwargs["update_fields"] = {*fields, "search"}
        super().save(*args, **kwargs)

    def is_overdue(self, at: datetime) -> bool:
        return self.status in OPEN_STATES and self.due_at is not None and self.due_at < at


from jingwu.lib.textsearch import Words  # noqa: E402  (beside the field it serves)

Case._meta.get_field("search").register_lookup(Words)


class CaseDepartment(models.Model):
    """Every department a case has been dispatched to or asked to support (written by 派遣): what the
    department's staff may see of it, for good."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "case"], name="unique_case_department")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id}"


class CaseSupport(models.Model):
    """A supporting department (协办) on a case, and when it gave its part (``support_reply``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, verbose_name=_("协办单位"))
    added_at = models.DateTimeField(_("派遣时间"))
    replied_at = models.DateTimeField(_("协办反馈时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("协办单位")
        verbose_name_plural = _("协办单位")
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="unique_case_support")]
        indexes = [models.Index(fields=["department", "replied_at"], name="case_support_desk_idx")]

    def __str__(self) -> str:
        return f"{self.case} ⇢ {self.department}"


class StepRecord(models.Model):
    """What every step of every workflow records (a case's Transition, a domain object's ObjectTransition)."""

    seq = models.PositiveIntegerField()
    action = models.CharField(_("动作"), max_length=24)
    outcome = models.CharField(_("结果"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_name = models.CharField(_("操作人"), max_length=64, blank=True)
    role = models.CharField(_("角色"), max_length=16)
    at = models.DateTimeField(_("时间"), db_index=True)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    reason = models.CharField(_("原因代码"), max_length=32, blank=True)
    public_note = models.CharField(_("公开说明"), max_length=500, blank=True)
    deadline_before = models.DateTimeField(null=True, blank=True)
    deadline_after = models.DateTimeField(null=True, blank=True)
    # Was the state left within its stage limit (按时核实/立案/派遣/核查/结案)? Null when no clock ran.
    on_time = models.BooleanField(null=True, blank=True)
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class Transition(StepRecord):
    """One step of the loop: the audit trail, the public timeline and the input of every statistic."""

    # (case, seq) is unique, and that index serves every look-up by case.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions", db_index=False)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    # Indexed with the time below: a department's steps, newest first, and the cases it has had.
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, db_index=False)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="unique_transition_seq")]
        # The statistics read a period's steps of one kind and their cases (``stats.indicators``): with the case,
        # on_time and outcome in the index, PostgreSQL answers from the index alone, not a heap page per step.
        indexes = [
            models.Index(fields=["action", "at", "case", "on_time", "outcome"], name="transition_action_at_idx"),
            models.Index(fields=["department", "at", "case"], name="transition_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action} {self.from_state}→{self.to_state}"

    @property
    def action_label(self) -> str:
        from .choices import Action

        return str(Action(self.action).label) if self.action in Action.values else self.action


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{filename[filename.rfind('.') :]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    transition = models.ForeignKey(
        Transition, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField()
    # When and where the photo was taken, as the phone said: kept as data, since the stored image carries no
    # EXIF (it is re-encoded on the phone and stripped again here).
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    taken_lon = models.FloatField(_("拍摄经度"), null=True, blank=True)
    taken_lat = models.FloatField(_("拍摄纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.sha256[:8]}"


class ObjectTransition(StepRecord):
    """One step of a domain object's own workflow (an alarm's 确认→解除, a supervision task's 督办): the same
    row a case's Transition is, for any model registered with ``cases.engine``."""

    workflow = models.CharField(_("流程"), max_length=32)
    object_id = models.CharField(_("对象"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24)

    class Meta:
        verbose_name = _("对象流转记录")
        verbose_name_plural = _("对象流转记录")
        ordering = ["workflow", "object_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "object_id", "seq"], name="unique_object_transition_seq")
        ]
        indexes = [models.Index(fields=["workflow", "action", "at"])]

    def __str__(self) -> str:
        return f"{self.workflow}:{self.object_id}#{self.seq} {self.action} {self.from_state}→{self.to_state}"


class ScheduledRun(models.Model):
    """A periodic job's slot, claimed once: with several worker nodes, the unique row decides which one
    enqueues the job for that slot."""

    job = models.CharField(_("任务"), max_length=32)
    slot = models.DateTimeField(_("时段"))
    enqueued_at = models.DateTimeField(_("入队时间"))

    class Meta:
        verbose_name = _("定时任务记录")
        verbose_name_plural = _("定时任务记录")
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="unique_scheduled_slot")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"

