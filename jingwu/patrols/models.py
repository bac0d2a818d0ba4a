"""Rivers and their sections with their chiefs (河长制), and patrols: a river chief's 巡河 or a grid worker's
网格巡查, one mechanism for both — a track, check-ins at required points, findings that become cases."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jingwu.cases.models import Case
from jingwu.geo.models import Grid, Region
from jingwu.org.models import Person

from .choices import ChiefLevel, PatrolKind, PatrolState, Review


class River(models.Model):
    code = models.CharField(_("河道编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("河道")
        verbose_name_plural = _("河道")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    """A reach of a river (河段) that one village's chief answers for, as a GeoJSON LineString in WGS-84."""

    river = models.ForeignKey(River, on_delete=models.CASCADE, related_name="sections", verbose_name=_("河道"))
    code = models.CharField(_("河段编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    geometry = models.JSONField(_("走向"))
    length_m = models.FloatField(_("长度（米）"), default=0, editable=False)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("所在村/社区"))
    # The grid at the section's middle: where the lists and the figures place the section.
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("所在网格"))

    class Meta:
        verbose_name = _("河段")
        verbose_name_plural = _("河段")
        ordering = ["river__code", "code"]

    def __str__(self) -> str:
        return f"{self.river.name} · {self.name}"


class RiverChief(models.Model):
    """A 河长: a town-level chief answers for a whole river, a village-level chief for one of its sections."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rivers", verbose_name=_("河长"))
    river = models.ForeignKey(River, on_delete=models.CASCADE, related_name="chiefs", verbose_name=_("河道"))
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="chiefs", verbose_name=_("河段")
    )
    level = models.CharField(_("层级"), max_length=8, choices=ChiefLevel.choices)

    class Meta:
        verbose_name = _("河长")
        verbose_name_plural = _("河长")
        constraints = [
            models.UniqueConstraint(fields=["person", "river", "section"], name="chief_once"),
            models.CheckConstraint(
                condition=Q(level="town", section__isnull=True) | Q(level="village", section__isnull=False),
                name="chief_level_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.section or self.river}"


class Checkpoint(models.Model):
    """A point a patrol must pass (an outfall, a sluice, a school gate): checked in when the track comes within
    ``radius_m`` of it."""

    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("河段")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("网格")
    )
    name = models.CharField(_("名称"), max_length=64)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=50)

    class Meta:
        verbose_name = _("必到点")
        verbose_name_plural = _("必到点")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(section__isnull=False, grid__isnull=True) | Q(section__isnull=True, grid__isnull=False),
                name="checkpoint_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Patrol(models.Model):
    kind = models.CharField(_("类型"), max_length=8, choices=PatrolKind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("巡查人"))
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("河段")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("网格")
    )
    # The phone names a patrol before the server has seen it (started without signal): the key, unique per
    # person, makes every later message about it land on the one row.
    client_key = models.CharField(_("客户端标识"), max_length=64)
    state = models.CharField(_("状态"), max_length=8, choices=PatrolState.choices, default=PatrolState.ACTIVE)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    # Measured from the track when the patrol ends (and again if late points arrive).
    points = models.PositiveIntegerField(_("轨迹点数"), default=0)
    distance_m = models.FloatField(_("里程（米）"), default=0)
    duration_s = models.PositiveIntegerField(_("时长（秒）"), default=0)
    coverage = models.FloatField(_("覆盖率"), default=0)
    checkpoints_due = models.PositiveSmallIntegerField(_("应到点数"), default=0)
    checkpoints_met = models.PositiveSmallIntegerField(_("已到点数"), default=0)
    flags = models.JSONField(_("异常"), default=list, blank=True)
    review = models.CharField(_("审核"), max_length=8, choices=Review.choices, default=Review.NONE, blank=True)
    reviewed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审核人")
    )
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "client_key"], name="patrol_key_once"),
            models.CheckConstraint(
                condition=Q(kind="river", section__isnull=False, grid__isnull=True)
                | Q(kind="grid", grid__isnull=False, section__isnull=True),
                name="patrol_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "started_at"]),
            models.Index(fields=["kind", "started_at"]),
            models.Index(fields=["section", "started_at"]),
            models.Index(fields=["grid", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def counts(self) -> bool:
        """Whether it counts in the statistics: a flagged track only once a person has accepted it."""
        return self.state == PatrolState.ENDED and self.review in (Review.NONE, Review.ACCEPTED)

    @property
    def flag_labels(self) -> list[str]:
        from .choices import Flag

        return [f"{Flag(f['code']).label} ×{f.get('count', 0)}" for f in self.flags if f.get("code") in Flag.values]

    @property
    def target(self) -> Section | Grid | None:
        return self.section if self.kind == PatrolKind.RIVER else self.grid


class TrackBatch(models.Model):
    """A batch of track points as the phone sent it: ``[[epoch seconds, lon, lat, accuracy m], …]``. One row per
    batch, not per point (a day's patrols of a town are some 10⁵ points), keyed so that a batch sent twice
    (its answer lost to a bad signal) is stored once."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="batches", verbose_name=_("巡查"))
    key = models.CharField(_("批次标识"), max_length=80)
    first_at = models.DateTimeField(_("首点时间"))
    last_at = models.DateTimeField(_("末点时间"))
    count = models.PositiveIntegerField(_("点数"))
    data = models.JSONField(_("轨迹点"))
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("轨迹批次")
        verbose_name_plural = _("轨迹批次")
        constraints = [models.UniqueConstraint(fields=["patrol", "key"], name="track_batch_once")]

    def __str__(self) -> str:
        return f"{self.patrol_id}/{self.key}"


class CheckIn(models.Model):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("巡查"))
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="+", verbose_name=_("必到点"))
    at = models.DateTimeField(_("签到时间"))

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [models.UniqueConstraint(fields=["patrol", "checkpoint"], name="checkin_once")]

    def __str__(self) -> str:
        return f"{self.patrol_id}@{self.checkpoint_id}"


class Finding(models.Model):
    """A problem found on a patrol: an ordinary case in the loop (the public sees it as it sees any report),
    tied to the patrol it was found on."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings", verbose_name=_("巡查"))
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="finding", verbose_name=_("案件"))
    at = models.DateTimeField(_("发现时间"))

    class Meta:
        verbose_name = _("巡查发现")
        verbose_name_plural = _("巡查发现")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.patrol_id}: {self.case_id}"
