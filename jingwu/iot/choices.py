from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceType(models.TextChoices):
    FIRE_PANEL = "fire_panel", _("火灾报警控制器/用户信息传输装置")
    SMOKE = "smoke", _("独立式感烟火灾探测器")
    ELECTRICAL = "electrical", _("电气火灾监控探测器")
    HYDRANT = "hydrant", _("消火栓水压监测")
    AIR = "air", _("空气质量监测站")
    VOC = "voc", _("VOCs在线监测")
    WATER = "water", _("水质自动监测站")
    DUST = "dust", _("扬尘噪声监测")
    CAMERA = "camera", _("视频智能分析")


FIRE_TYPES = frozenset({DeviceType.FIRE_PANEL, DeviceType.SMOKE, DeviceType.ELECTRICAL, DeviceType.HYDRANT})
ENV_TYPES = frozenset({DeviceType.AIR, DeviceType.VOC, DeviceType.WATER, DeviceType.DUST})


class DeviceState(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")
    FAULT = "fault", _("故障")
    DISABLED = "disabled", _("已停用")


class ReadingKind(models.TextChoices):
    """HJ 212-2017 data kinds: real-time (CN 2011), minute (2051), hour (2061), day (2031)."""

    RTD = "rtd", _("实时")
    MINUTE = "minute", _("分钟")
    HOUR = "hour", _("小时")
    DAY = "day", _("日")


class EventType(models.TextChoices):
    """What a device reports of itself, beside readings (GB 26875 user-information transmission devices report
    fire, fault and supervisory signals; video analytics report what they saw)."""

    FIRE = "fire", _("火警")
    FAULT = "fault", _("故障")
    SUPERVISORY = "supervisory", _("监管")
    FIRE_LANE = "fire_lane", _("占用消防通道")
    THROWING = "throwing", _("高空抛物")
    RESTORE = "restore", _("恢复正常")


# A restore event ends these; a fault also puts the device in the fault state until it is restored.
RESTORABLE = frozenset({EventType.FIRE, EventType.FAULT, EventType.SUPERVISORY, EventType.FIRE_LANE})


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("阈值")
    RATE = "rate", _("变化率")
    AQI = "aqi", _("空气质量等级")
    OFFLINE = "offline", _("离线")
    EVENT = "event", _("设备事件")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("紧急")
    MAJOR = "major", _("重要")
    MINOR = "minor", _("一般")


class AlarmState(models.TextChoices):
    RAISED = "raised", _("告警中")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLEARED = "cleared", _("已解除")


class AlarmAction(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("确认")
    CLEAR = "clear", _("解除")
    REOPEN = "reopen", _("复发")


class Verdict(models.TextChoices):
    """What the person who acknowledges an alarm found when they looked (called the unit, watched the camera)."""

    REAL = "real", _("属实")
    FALSE = "false", _("误报")
    TEST = "test", _("测试")
