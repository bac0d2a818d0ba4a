"""Exports too large to build while the person waits: made by the task worker, kept for a week."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("账号"))
    fmt = models.CharField(_("格式"), max_length=8)
    # The list's query string as the person had it: the export is of what they saw, filters and order.
    params = models.JSONField(_("筛选条件"), default=dict)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    # How far the worker is, in percent (a large export or a report takes minutes).
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/", blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出文件")
        verbose_name_plural = _("导出文件")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="export_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.fmt} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def what(self) -> str:
        """What was exported (案件, 隐患明细 …), in the reader's language."""
        from django.utils.translation import gettext

        from .jobs import LABELS

        kind = (self.params or {}).get("_kind", "cases")
        what = gettext(LABELS.get(kind, kind))
        period = (self.params or {}).get("value")  # a report's month or year
        return f"{what} {period}" if period else what
