"""Petitions (信访) and deputies' suggestions (代表建议).

Each petition and each suggestion runs through the one case loop (``cases.services``); the rows here keep
what the loop has no place for (the petitioner, the 包案领导, the 条例's time limits, the deputy, the
session, the two replies and their assessments) and follow their case through ``cases.origins``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from jingwu.cases.choices import Satisfaction
from jingwu.lib.fields import SealedField

from .choices import Channel, Decision, ReviewResult, Stage


class Limits(models.Model):
    """The 信访工作条例 (2022) time limits, as configuration with the 条例's defaults. One row; while there is
    none, the defaults apply. Counted in working days (工作日) under the working calendar unless
    ``working_days`` is off, in which case they are calendar days (see docs/petitions.md)."""

    accept_days = models.PositiveSmallIntegerField(_("受理告知时限(日)"), default=15)
    handle_days = models.PositiveSmallIntegerField(_("办理时限(日)"), default=60)
    extension_days = models.PositiveSmallIntegerField(_("延期上限(日)"), default=30)
    review_request_days = models.PositiveSmallIntegerField(_("申请复查时限(日)"), default=30)
    review_days = models.PositiveSmallIntegerField(_("复查时限(日)"), default=30)
    rereview_request_days = models.PositiveSmallIntegerField(_("申请复核时限(日)"), default=30)
    rereview_days = models.PositiveSmallIntegerField(_("复核时限(日)"), default=30)
    working_days = models.BooleanField(_("按工作日计算"), default=True)
    # 代表建议: the usual 办理期限 is three months, about 60 working days (the catalogue's 90006 condition).
    suggestion_reply_days = models.PositiveSmallIntegerField(_("代表建议答复时限(日)"), default=60)

    class Meta:
        verbose_name = _("信访时限")
        verbose_name_plural = _("信访时限")

    def __str__(self) -> str:
        return str(_("信访时限"))

    @classmethod
    def current(cls) -> Limits:
        return cls.objects.order_by("pk").first() or cls()


class PetitionQuerySet(models.QuerySet["Petition"]):
    def visible_to(self, user: Any) -> PetitionQuerySet:
        """A petition is seen by whoever sees its case (``Case.objects.visible_to``: the petition clerks, the
        leaders and the departments it was sent to or that support it); visibility is defined once, there."""
        from jingwu.cases.models import Case

        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))

    def overdue(self, at: datetime) -> PetitionQuerySet:
        """Past a limit of the 条例: no acceptance decision in time, no reply in time, a review not decided."""
        return self.filter(
            Q(decision="", accept_due__lt=at)
            | Q(decision=Decision.ACCEPTED, replied_at__isnull=True, handle_due__lt=at)
            | Q(review_requested_at__isnull=False, review_decided_at__isnull=True, review_due__lt=at)
            | Q(rereview_requested_at__isnull=False, rereview_decided_at__isnull=True, rereview_due__lt=at)
        )

    def repeated(self) -> PetitionQuerySet:
        """Petitions by a person (ID number digest) or about a matter (normalised subject) seen more than once."""
        people = (
            Petition.objects.exclude(petitioner_key="")
            .values("petitioner_key")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values("petitioner_key")
        )
        matters = (
            Petition.objects.exclude(matter_key="")
            .values("matter_key")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values("matter_key")
        )
        return self.filter(Q(petitioner_key__in=people) | Q(matter_key__in=matters))

    def backlog(self, at: datetime) -> PetitionQuerySet:
        """积案: overdue, or repeated and not yet finished."""
        unfinished = ~Q(decision=Decision.REJECTED) & (
            Q(delivered_at__isnull=True)
            | Q(review_requested_at__isnull=False, review_decided_at__isnull=True)
            | Q(rereview_requested_at__isnull=False, rereview_decided_at__isnull=True)
        )
        repeated = self.repeated().filter(unfinished).values("pk")
        return self.filter(Q(pk__in=self.overdue(at).values("pk")) | Q(pk__in=repeated))


class Petition(models.Model):
    number = models.CharField(_("信访编号"), max_length=20, unique=True, null=True, editable=False)
    channel = models.CharField(_("信访形式"), max_length=16, choices=Channel.choices)
    # The petitioner: personal data, encrypted at rest, shown masked and revealed (audited) to those on the case.
    petitioner_name = SealedField(_("信访人"), max_length=32)
    petitioner_id_number = SealedField(_("身份证号"), max_length=18, blank=True)
    petitioner_phone = SealedField(_("联系电话"), max_length=32, blank=True)
    petitioner_address = SealedField(_("住址"), max_length=200, blank=True)
    # A keyed digest of the ID number: sealed values cannot be compared, and repeats by one person must be found.
    petitioner_key = models.CharField(_("信访人标识"), max_length=64, blank=True, db_index=True, editable=False)
    subject = models.CharField(_("信访事项"), max_length=100)
    matter = models.TextField(_("主要诉求"), max_length=4000)
    # The subject normalised (width, case, spaces and punctuation): petitions about the same matter share it.
    matter_key = models.CharField(_("事项标识"), max_length=100, blank=True, db_index=True, editable=False)
    region = models.ForeignKey(
        "geo.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("村/社区"), related_name="+"
    )
    leader = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, related_name="petitions_led", verbose_name=_("包案领导")
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="petitions", verbose_name=_("责任单位")
    )
    received_at = models.DateTimeField(_("收到时间"), db_index=True)
    accept_due = models.DateTimeField(_("受理告知期限"))
    decision = models.CharField(_("受理意见"), max_length=12, choices=Decision.choices, blank=True)
    decision_reason = models.CharField(_("不予受理理由"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("受理告知时间"), null=True, blank=True)
    handle_due = models.DateTimeField(_("办理期限"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("已延期(日)"), default=0)
    replied_at = models.DateTimeField(_("出具处理意见时间"), null=True, blank=True)
    reply_text = models.TextField(_("处理意见"), blank=True, max_length=2000)
    delivered_at = models.DateTimeField(_("答复送达时间"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    review_requested_at = models.DateTimeField(_("申请复查时间"), null=True, blank=True)
    review_due = models.DateTimeField(_("复查期限"), null=True, blank=True)
    review_decided_at = models.DateTimeField(_("复查意见时间"), null=True, blank=True)
    review_result = models.CharField(_("复查意见"), max_length=12, choices=ReviewResult.choices, blank=True)
    review_note = models.CharField(_("复查说明"), max_length=500, blank=True)
    rereview_requested_at = models.DateTimeField(_("申请复核时间"), null=True, blank=True)
    rereview_due = models.DateTimeField(_("复核期限"), null=True, blank=True)
    rereview_decided_at = models.DateTimeField(_("复核意见时间"), null=True, blank=True)
    rereview_result = models.CharField(_("复核意见"), max_length=12, choices=ReviewResult.choices, blank=True)
    rereview_note = models.CharField(_("复核说明"), max_length=500, blank=True)
    status = models.CharField(_("案件状态"), max_length=16, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件")
    )
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"))

    objects = PetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("信访事项")
        verbose_name_plural = _("信访事项")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def stage(self) -> str:
        if self.decision == "":
            return Stage.TO_DECIDE
        if self.decision == Decision.REJECTED:
            return Stage.REJECTED
        if self.rereview_requested_at is not None:
            return Stage.REREVIEW if self.rereview_decided_at is None else Stage.FINAL
        if self.review_requested_at is not None and self.review_decided_at is None:
            return Stage.REVIEW
        if self.delivered_at is None:
            return Stage.HANDLING
        return Stage.REPLIED

    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    def is_overdue(self, at: datetime) -> bool:
        return bool(
            (self.decision == "" and self.accept_due < at)
            or (
                self.decision == Decision.ACCEPTED
                and self.replied_at is None
                and self.handle_due is not None
                and self.handle_due < at
            )
            or (self.review_requested_at and not self.review_decided_at and self.review_due and self.review_due < at)
            or (
                self.rereview_requested_at
                and not self.rereview_decided_at
                and self.rereview_due
                and self.rereview_due < at
            )
        )


class CongressSession(models.Model):
    """A session of the people's congress (人民代表大会会议) whose deputies' suggestions are handled together."""

    name = models.CharField(_("会议名称"), max_length=100, unique=True)
    opened_on = models.DateField(_("开幕日期"))

    class Meta:
        verbose_name = _("人代会会议")
        verbose_name_plural = _("人代会会议")
        ordering = ["-opened_on"]

    def __str__(self) -> str:
        return self.name


class Deputy(models.Model):
    """A deputy (人大代表): a person with the deputy role, who reads and assesses their own suggestions."""

    person = models.OneToOneField("org.Person", on_delete=models.PROTECT, related_name="deputy")
    constituency = models.CharField(_("选区/代表团"), max_length=64, blank=True)
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("人大代表")
        verbose_name_plural = _("人大代表")
        ordering = ["person__name"]

    def __str__(self) -> str:
        return self.person.name


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def visible_to(self, user: Any) -> SuggestionQuerySet:
        """Whoever sees its case (the deputy included, through ``cases.origins``)."""
        from jingwu.cases.models import Case

        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))


class Suggestion(models.Model):
    session = models.ForeignKey(
        CongressSession, on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("会议")
    )
    number = models.PositiveIntegerField(_("建议号"))
    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("代表"))
    title = models.CharField(_("案由"), max_length=200)
    text = models.TextField(_("建议内容"), max_length=4000)
    lead = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suggestions_led",
        verbose_name=_("主办单位"),
    )
    supporting = models.ManyToManyField(
        "org.Department", blank=True, related_name="suggestions_supported", verbose_name=_("协办单位")
    )
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    reply_text = models.TextField(_("答复"), blank=True, max_length=2000)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    assessment = models.CharField(_("代表评价"), max_length=12, choices=Satisfaction.choices, blank=True)
    assessed_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    second_reply_text = models.TextField(_("再次答复"), blank=True, max_length=2000)
    second_replied_at = models.DateTimeField(_("再次答复时间"), null=True, blank=True)
    second_assessment = models.CharField(_("再次评价"), max_length=12, choices=Satisfaction.choices, blank=True)
    second_assessed_at = models.DateTimeField(_("再次评价时间"), null=True, blank=True)
    status = models.CharField(_("案件状态"), max_length=16, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件")
    )
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"))

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("代表建议")
        verbose_name_plural = _("代表建议")
        ordering = ["session", "number"]
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="unique_suggestion_number")]

    def __str__(self) -> str:
        return f"{self.session} #{self.number}"

    @property
    def final_assessment(self) -> str:
        """The assessment that stands: the second, once a second reply was given."""
        return self.second_assessment if self.second_replied_at else self.assessment

    @property
    def awaits_second_reply(self) -> bool:
        return self.assessment == Satisfaction.UNSATISFIED and self.second_replied_at is None
