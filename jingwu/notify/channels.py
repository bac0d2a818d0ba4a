"""Delivery channels behind one interface: ``ready()`` says whether it is set up, ``send()`` delivers one
notification or raises. In-app needs no delivery: the notification row is the in-app message."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings

from .models import Delivery, PushSubscription

log = logging.getLogger("jingwu.notify")


class Skip(Exception):
    """Nothing to deliver to (no address, no subscription): not a failure."""


def absolute(url: str) -> str:
    return settings.JINGWU_SITE_URL.rstrip("/") + url if url.startswith("/") else url


class Email:
    name = "email"

    def ready(self) -> bool:
        return bool(settings.JINGWU_NOTIFY_EMAIL)

    def send(self, d: Delivery) -> None:
        from django.core.mail import send_mail

        n = d.notification
        address = n.user.email
        if not address:
            raise Skip("no e-mail address")
        text = f"{n.body}\n\n{absolute(n.url)}" if n.url else n.body
        send_mail(f"[智慧精武] {n.title}", text, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)


class WebPush:
    name = "webpush"

    def ready(self) -> bool:
        return bool(settings.JINGWU_VAPID_PRIVATE_KEY and settings.JINGWU_VAPID_PUBLIC_KEY)

    def send(self, d: Delivery) -> None:
        import requests
        from pywebpush import WebPushException, webpush

        from .views import push_endpoint_allowed

        n = d.notification
        subscriptions = list(PushSubscription.objects.filter(user=n.user))
        if not subscriptions:
            raise Skip("no push subscription")
        payload = json.dumps({"title": n.title, "body": n.body, "url": n.url}, ensure_ascii=False)
        session = requests.Session()
        session.max_redirects = 0  # a push service answers; it does not send the server elsewhere
        failed: Exception | None = None
        for sub in subscriptions:
            if sub.endpoint in d.done:
                continue  # sent on an earlier attempt: a retry for another device does not repeat it
            if not push_endpoint_allowed(sub.endpoint):
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
                    requests_session=session,
                )
                d.done.append(sub.endpoint)
            except WebPushException as exc:
                status = getattr(exc.response, "status_code", None)
                if status in (404, 410):  # the browser dropped the subscription
                    sub.delete()
                    continue
                failed = RuntimeError(f"push service answered {status}")  # its body is not kept: not ours
            except requests.RequestException as exc:
                failed = RuntimeError(f"push failed: {type(exc).__name__}")
        if failed is not None:
            raise failed
        if not d.done:
            raise Skip("no subscription left")


class Sms:
    name = "sms"

    def ready(self) -> bool:
        return bool(settings.JINGWU_SMS_PROVIDER)

    def send(self, d: Delivery) -> None:
        from jingwu.org.models import Person

        from .sms import send_sms

        n = d.notification
        phone = Person.objects.filter(user=n.user).values_list("phone", flat=True).first()
        if not phone:
            raise Skip("no phone number")
        send_sms(phone, {"title": n.title, "case": (n.case.number or "") if n.case else ""})


CHANNELS: dict[str, Any] = {c.name: c for c in (Email(), WebPush(), Sms())}


def available() -> set[str]:
    return {name for name, channel in CHANNELS.items() if channel.ready()}
