"""Notifications: one row per person and event (so nobody is told twice), one delivery per channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    # What happened, once: "<transition id>:<event>" for a case event. Unique per person.
    key = models.CharField(_("事件"), max_length=64)
    event = models.CharField(_("类型"), max_length=16)
    title = models.CharField(_("标题"), max_length=100)
    body = models.CharField(_("内容"), max_length=300, blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notify_once_per_person")]
        indexes = [models.Index(fields=["user", "read_at", "-id"], name="notify_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.title}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=16)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    # Where it has gone already (push endpoints), so that a retry for one device does not repeat the others.
    done = models.JSONField(_("已送达"), default=list, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="notify_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (the installed phone app), as the browser gave it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(_("推送地址"), max_length=500, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("订阅时间"))

    class Meta:
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")

    def __str__(self) -> str:
        return f"{self.user_id} {self.endpoint[:40]}"
