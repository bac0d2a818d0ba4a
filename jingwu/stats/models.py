"""The nightly rollup: each day's flow of cases, by each slice a dashboard groups by."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyStat(models.Model):
    """One day's counts for one key of one slice (``dim`` "" and ``key`` "" is the whole territory, and is
    written for every rolled day, even an empty one: it marks the day as rolled).

    Each figure is the number of distinct cases that had that step that day; for 上报, 立案 and 结案, which
    happen once in a case's life, a month's sum of days is the month's count of cases."""

    day = models.DateField(_("日期"))
    dim = models.CharField(_("维度"), max_length=12, blank=True)
    key = models.CharField(_("键"), max_length=32, blank=True)
    reported = models.PositiveIntegerField(_("上报数"), default=0)
    filed = models.PositiveIntegerField(_("立案数"), default=0)
    dispatched = models.PositiveIntegerField(_("派遣数"), default=0)
    fed_back = models.PositiveIntegerField(_("处置反馈数"), default=0)
    fed_back_on_time = models.PositiveIntegerField(_("按期反馈数"), default=0)
    closed = models.PositiveIntegerField(_("结案数"), default=0)
    returned = models.PositiveIntegerField(_("回退数"), default=0)
    reworked = models.PositiveIntegerField(_("返工数"), default=0)

    class Meta:
        verbose_name = _("每日统计")
        verbose_name_plural = _("每日统计")
        ordering = ["-day", "dim", "key"]
        constraints = [models.UniqueConstraint(fields=["dim", "day", "key"], name="unique_daily_stat")]

    def __str__(self) -> str:
        return f"{self.day} {self.dim}:{self.key}"
