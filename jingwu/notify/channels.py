"""Delivery channels behind one interface: ``ready()`` says whether it is set up, ``send()`` delivers one
notification or raises. In-app needs no delivery: the notification row is the in-app message."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings

from .models import Notification, PushSubscription

log = logging.getLogger("jingwu.notify")


class Skip(Exception):
    """Nothing to deliver to (no address, no subscription): not a failure."""


def absolute(url: str) -> str:
    return settings.JINGWU_SITE_URL.rstrip("/") + url if url.startswith("/") else url


class Email:
    name = "email"

    def ready(self) -> bool:
        return bool(settings.JINGWU_NOTIFY_EMAIL)

    def send(self, n: Notification) -> None:
        from django.core.mail import send_mail

        address = n.user.email
        if not address:
            raise Skip("no e-mail address")
        text = f"{n.body}\n\n{absolute(n.url)}" if n.url else n.body
        send_mail(f"[智慧精武] {n.title}", text, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)


class WebPush:
    name = "webpush"

    def ready(self) -> bool:
        return bool(settings.JINGWU_VAPID_PRIVATE_KEY and settings.JINGWU_VAPID_PUBLIC_KEY)

    def send(self, n: Notification) -> None:
        from pywebpush import WebPushException, webpush

        subscriptions = list(PushSubscription.objects.filter(user=n.user))
        if not subscriptions:
            raise Skip("no push subscription")
        payload = json.dumps({"title": n.title, "body": n.body, "url": n.url}, ensure_ascii=False)
        sent = 0
        from .views import push_endpoint_allowed

        for sub in subscriptions:
            if not push_endpoint_allowed(sub.endpoint):  # checked again: a name may resolve elsewhere now
                log.warning("push endpoint of user %s no longer allowed: %s", n.user_id, sub.endpoint[:60])
                continue
            info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
            try:
                webpush(
                    info,
                    payload,
                    vapid_private_key=settings.JINGWU_VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": settings.JINGWU_VAPID_SUBJECT},
                    ttl=24 * 3600,
                    timeout=10,
                )
                sent += 1
            except WebPushException as exc:
                status = getattr(exc.response, "status_code", None)
                if status in (404, 410):  # the browser dropped the subscription
                    sub.delete()
                    continue
                raise
        if not sent:
            raise Skip("every subscription has expired")


class Sms:
    name = "sms"

    def ready(self) -> bool:
        return bool(settings.JINGWU_SMS_PROVIDER)

    def send(self, n: Notification) -> None:
        from jingwu.org.models import Person

        from .sms import send_sms

        phone = Person.objects.filter(user=n.user).values_list("phone", flat=True).first()
        if not phone:
            raise Skip("no phone number")
        send_sms(phone, {"title": n.title, "case": (n.case.number or "") if n.case else ""})


CHANNELS: dict[str, Any] = {c.name: c for c in (Email(), WebPush(), Sms())}


def available() -> set[str]:
    return {name for name, channel in CHANNELS.items() if channel.ready()}
