from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PatrolKind(models.TextChoices):
    RIVER = "river", _("巡河")
    GRID = "grid", _("网格巡查")


class ChiefLevel(models.TextChoices):
    TOWN = "town", _("镇级河长")
    VILLAGE = "village", _("村级河长")


class PatrolState(models.TextChoices):
    ACTIVE = "active", _("巡查中")
    ENDED = "ended", _("已结束")


class Review(models.TextChoices):
    """A flagged track waits for a person's word: it counts only once accepted."""

    NONE = "", _("无需审核")
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("审核通过")
    REJECTED = "rejected", _("审核不通过")


class Flag(models.TextChoices):
    JUMP = "jump", _("轨迹跳点（速度超过车速）")
    OUTSIDE = "outside", _("轨迹偏离巡查范围")
    SPARSE = "sparse", _("轨迹点过少")
