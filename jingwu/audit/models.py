from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One write, as the application saw it. Append-only: the model refuses updates and deletes."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("操作人")
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=32, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        # "Who touched this?" asks by the object alone (a case number, a user id) as well as with its type.
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records cannot be deleted")


class AuditSeal(models.Model):
    """An HMAC over a run of audit rows, chained to the seal before it (see ``audit.seal``)."""

    first_id = models.BigIntegerField(_("起始记录"))
    last_id = models.BigIntegerField(_("截止记录"), unique=True)
    count = models.PositiveIntegerField(_("记录数"))
    previous = models.CharField(_("上一封签"), max_length=64, blank=True)
    digest = models.CharField(_("封签"), max_length=64)
    sealed_at = models.DateTimeField(_("封签时间"))

    class Meta:
        verbose_name = _("审计封签")
        verbose_name_plural = _("审计封签")
        ordering = ["-last_id"]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.last_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit seals cannot be changed")
        super().save(*args, **kwargs)
