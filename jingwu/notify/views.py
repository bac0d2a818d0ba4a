"""The notification centre (a list, a badge, marked read) and the phone's Web Push subscription."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.services import role_of
from jingwu.web.common import STAFF, roles_required

from .models import Notification, PushSubscription

# The browsers' push services. An installation may add others (JINGWU_PUSH_HOSTS); a leading dot allows
# every subdomain. Anything else would have the server post wherever a staff member pointed it.
PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    ".push.apple.com",
    ".notify.windows.com",
)


# Everyone the platform tells something: the staff, and the supervising office, petition clerks, inspectors,
# river chiefs and deputies (their bell would otherwise lead to a 403).
INBOX = (*STAFF, Role.SUPERVISOR, Role.PETITION_CLERK, Role.INSPECTOR, Role.RIVER_CHIEF, Role.DEPUTY)


def push_endpoint_allowed(endpoint: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    try:
        parts.port  # noqa: B018 - a malformed port raises here, not later
    except ValueError:
        return False
    if settings.JINGWU_PUSH_ALLOW_PRIVATE:  # an intranet push service, or a test's
        return parts.scheme in ("https", "http") and bool(parts.hostname)
    host = (parts.hostname or "").lower()
    allowed = (*PUSH_HOSTS, *settings.JINGWU_PUSH_HOSTS)
    known = any(host == h or (h.startswith(".") and host.endswith(h)) for h in allowed)
    return parts.scheme == "https" and known


def unread(user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count() if user.is_authenticated else 0


@roles_required(*INBOX)
def inbox(request: HttpRequest) -> HttpResponse:
    items = list(Notification.objects.filter(user_id=int(request.user.pk or 0)).select_related("case")[:100])
    context = {"items": items, "unread": sum(1 for n in items if n.read_at is None), "nav": "notifications"}
    mobile = role_of(request.user) == Role.GRID_WORKER
    return render(request, "notify/inbox_mobile.html" if mobile else "notify/inbox.html", context)


@roles_required(*INBOX)
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "notify/_badge.html", {"unread_count": unread(request.user)})


@roles_required(*INBOX)
def open_one(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    n = get_object_or_404(Notification, pk=pk, user_id=int(request.user.pk or 0))
    if n.read_at is None:
        n.read_at = clock.now()
        n.save(update_fields=["read_at"])
    safe = url_has_allowed_host_and_scheme(n.url, allowed_hosts=None) and n.url.startswith("/")
    return HttpResponseRedirect(n.url if safe else "/notifications/")


@roles_required(*INBOX)
def read_all(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        Notification.objects.filter(user_id=int(request.user.pk or 0), read_at__isnull=True).update(read_at=clock.now())
    return redirect("notify:inbox")


@roles_required(*INBOX)
def push_key(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"key": settings.JINGWU_VAPID_PUBLIC_KEY or None})


@roles_required(*INBOX)
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """The browser's subscription (PushSubscription.toJSON()), stored for this person."""
    if request.method != "POST":
        return JsonResponse({"error": {"code": "method", "message": _("只接受POST")}}, status=405)
    try:
        data = json.loads(request.body or b"{}")
        endpoint, keys = str(data["endpoint"]), data["keys"]
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": {"code": "invalid", "message": _("推送订阅无效")}}, status=400)
    if len(endpoint) > 500 or len(p256dh) > 200 or len(auth) > 100:
        return JsonResponse({"error": {"code": "invalid", "message": _("推送订阅无效")}}, status=400)
    if not push_endpoint_allowed(endpoint):
        # A browser's push service is a public HTTPS server; anything else would have the server post to it.
        return JsonResponse({"error": {"code": "invalid", "message": _("推送地址必须是公网HTTPS地址")}}, status=400)
    PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user_id": int(request.user.pk or 0), "p256dh": p256dh, "auth": auth, "created_at": clock.now()},
    )
    return JsonResponse({"ok": True}, status=201)
