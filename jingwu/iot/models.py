"""Monitoring: devices, what they send (readings, events), the rules that watch it and the alarms they raise.

Readings are the one table that grows without bound (a station with ten factors every 30 s is ~10⁷ rows a year):
on PostgreSQL it is partitioned by month with a BRIN index on time (migration 0001 builds it so, and the
``iot_partitions`` job keeps next months' partitions ready); on SQLite it is a plain table. Its primary key is
the reading's identity (device, factor, kind, time), so a message sent twice is stored once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Grid, Region

from .choices import (
    AlarmState,
    DeviceState,
    DeviceType,
    EventType,
    ReadingKind,
    RuleKind,
    Severity,
    Verdict,
)


class Device(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    type = models.CharField(_("类型"), max_length=16, choices=DeviceType.choices)
    place = models.ForeignKey(
        "safety.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        verbose_name=_("所属单位/场所"),
    )
    address = models.CharField(_("安装位置"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("网格"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("村/社区"))
    # HJ 212 MN: 24 hex characters in the 2017 standard, 14 in 2005, anything in the field.
    mn = models.CharField(_("HJ 212 设备编码(MN)"), max_length=32, unique=True, null=True, blank=True)
    client_id = models.CharField(_("MQTT 客户端标识"), max_length=64, unique=True, null=True, blank=True)
    # HJ 212 PW travels in clear in every packet; it is a shared secret compared in constant time, not a login.
    pw = models.CharField(_("HJ 212 访问密码(PW)"), max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    interval = models.PositiveIntegerField(_("上报间隔(秒)"), default=60)
    state = models.CharField(_("状态"), max_length=16, choices=DeviceState.choices, default=DeviceState.OFFLINE)
    state_since = models.DateTimeField(_("状态起始"), null=True, blank=True)
    last_seen = models.DateTimeField(_("最近上报"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监测设备")
        verbose_name_plural = _("监测设备")
        ordering = ["type", "name", "id"]
        indexes = [models.Index(fields=["state", "last_seen"]), models.Index(fields=["type", "state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def ident(self) -> str:
        return self.mn or self.client_id or str(self.pk)


class Reading(models.Model):
    pk = models.CompositePrimaryKey("device_id", "code", "kind", "at")
    # The database deletes a device's readings (ON DELETE CASCADE, set by migration 0001): Django would first
    # read millions of rows to delete them one by one.
    device = models.ForeignKey(Device, on_delete=models.DO_NOTHING, db_index=False, related_name="+")
    # The factor: an HJ 212 pollutant code (a34004 PM2.5) or a device's own (pressure, temperature …).
    code = models.CharField(_("监测因子"), max_length=24)
    kind = models.CharField(_("数据类型"), max_length=8, choices=ReadingKind.choices)
    at = models.DateTimeField(_("数据时间"))
    value = models.FloatField(_("值"), null=True)  # Rtd, or Avg for minute/hour/day data
    low = models.FloatField(_("最小值"), null=True)
    high = models.FloatField(_("最大值"), null=True)
    # HJ 212 data flag: N normal, F stopped, M maintenance, S set by hand, D fault, C calibration, T over limit,
    # B communication fault.
    flag = models.CharField(_("数据标记"), max_length=1, default="N")

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")
        # Declared for SQLite; on PostgreSQL the migration builds the partitioned table with BRIN instead.
        indexes = [models.Index(fields=["at"], name="iot_reading_at")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.code} {self.kind} {self.at:%Y-%m-%d %H:%M:%S} = {self.value}"


class Latest(models.Model):
    """Each device's newest value per factor, for pages: one row per (device, factor), moved forward only."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="latest")
    code = models.CharField(max_length=24)
    at = models.DateTimeField()
    value = models.FloatField(null=True)
    flag = models.CharField(max_length=1, default="N")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code"], name="iot_latest_device_code")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.code} = {self.value}"


class Event(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("事件"), max_length=16, choices=EventType.choices)
    at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"))
    detail = models.CharField(_("部位/说明"), max_length=200, blank=True)
    # The sender's message id: a message delivered twice (MQTT QoS 1) is stored once.
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("设备事件")
        verbose_name_plural = _("设备事件")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="iot_event_device_key")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.type} {self.at:%Y-%m-%d %H:%M:%S}"


class Rule(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("规则类型"), max_length=16, choices=RuleKind.choices)
    device_type = models.CharField(_("设备类型"), max_length=16, choices=DeviceType.choices, blank=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("仅此设备"), related_name="rules"
    )
    code = models.CharField(_("监测因子"), max_length=24, blank=True)
    event = models.CharField(_("事件"), max_length=16, choices=EventType.choices, blank=True)
    above = models.FloatField(_("上限"), null=True, blank=True)
    below = models.FloatField(_("下限"), null=True, blank=True)
    rate = models.FloatField(_("每分钟变化超过"), null=True, blank=True)
    aqi_level = models.PositiveSmallIntegerField(_("AQI 级别达到"), null=True, blank=True)
    offline_factor = models.FloatField(_("超过上报间隔的倍数视为离线"), default=3.0)
    duration = models.PositiveIntegerField(_("持续(秒)"), default=0)
    # Flapping: an alarm clears only after the value has been normal this long, and a new exceedance soon
    # after a clear reopens the same alarm (and its case) instead of raising another.
    clear_after = models.PositiveIntegerField(_("恢复正常持续(秒)后解除"), default=60)
    rearm = models.PositiveIntegerField(_("解除后多久内复发视为同一告警(秒)"), default=600)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices, default=Severity.MAJOR)
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("立案类别(需人处置时)"),
    )
    deadline_minutes = models.PositiveIntegerField(_("处置时限(分钟，连续计时)"), null=True, blank=True)
    dispatch = models.BooleanField(_("立即派遣"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("告警规则")
        verbose_name_plural = _("告警规则")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, device_type: str, device_id: int) -> bool:
        return (not self.device_type or self.device_type == device_type) and (
            self.device_id is None or self.device_id == device_id
        )


class Watch(models.Model):
    """A rule's memory for one device between readings: since when it has been out of bounds (or back in),
    so a duration is measured across messages that different bridge processes received."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    exceeding_since = models.DateTimeField(null=True)
    normal_since = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "rule"], name="iot_watch_device_rule")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.rule_id}"


class AlarmQuerySet(models.QuerySet["Alarm"]):
    def open(self) -> AlarmQuerySet:
        return self.exclude(status=AlarmState.CLEARED)

    def visible_to(self, user: Any) -> AlarmQuerySet:
        from . import access

        return access.alarms_for(self, user)


class Alarm(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="alarms", verbose_name=_("设备"))
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("规则"))
    status = models.CharField(_("状态"), max_length=16, choices=AlarmState.choices, default=AlarmState.RAISED)
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(_("确认时限"), null=True, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("告警时间"), db_index=True)
    last_at = models.DateTimeField(_("最近一次"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    value = models.FloatField(_("触发值"), null=True, blank=True)
    peak = models.FloatField(_("峰值"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    verdict = models.CharField(_("核实结果"), max_length=8, choices=Verdict.choices, blank=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("案件")
    )
    case_status = models.CharField(max_length=16, blank=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            # One open alarm per device and rule: repeats count on it (the index decides between processes).
            models.UniqueConstraint(
                fields=["device", "rule"], condition=~Q(status="cleared"), name="iot_alarm_one_open"
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"]), models.Index(fields=["device", "rule", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.device} {self.rule}"


class Screen(models.Model):
    """A community's LED screen: it shows its community's air and fire safety at a secret address."""

    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("村/社区"))
    token = models.CharField(_("访问令牌"), max_length=43, unique=True)
    stations = models.ManyToManyField(
        Device,
        blank=True,
        related_name="+",
        verbose_name=_("显示的空气站"),
        limit_choices_to={"type": DeviceType.AIR},
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("LED 屏")
        verbose_name_plural = _("LED 屏")
        ordering = ["region__code", "id"]

    def __str__(self) -> str:
        return self.name
