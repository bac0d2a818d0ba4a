"""Sign-in with an optional second factor (TOTP by django-otp), and the page where a person enrols.

A person with a confirmed device gives the password first; the account is then only *pending* in the
session (nothing is signed in) until the six-digit code matches. Wrong codes slow the device down
(django-otp's throttling), and each is written to the audit trail.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from jingwu.audit import services as audit

PENDING = "jw_otp_pending"
PENDING_SECONDS = 5 * 60


class Login(auth_views.LoginView):
    template_name = "web/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not user_has_device(user, confirmed=True):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "uid": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return HttpResponseRedirect(reverse("web:login_otp"))


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    uid = pending.get("uid")
    if not isinstance(uid, int):
        return None
    user = get_user_model().objects.filter(pk=uid, is_active=True).first()
    return (user, pending) if user is not None else None


@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING, None)
        return HttpResponseRedirect(reverse("web:login"))
    user, pending = found
    error = ""
    if request.method == "POST":
        code = request.POST.get("otp_token", "").strip()
        device = match_token(user, code) if code.isdigit() and len(code) <= 8 else None
        if device is not None:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return HttpResponseRedirect(pending["next"] or "/")
        audit.record("auth.otp_failed", "user", user.pk, data={"username": user.get_username()})
        error = _("动态口令不正确或已过期，请稍候再试")
    return render(request, "web/login_otp.html", {"error": error}, status=400 if error else 200)


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol (scan the code, type the first six digits) or remove one's own second factor."""
    user: Any = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    error = ""
    if confirmed is not None:
        if request.method == "POST" and request.POST.get("action") == "remove":
            if confirmed.verify_token(request.POST.get("otp_token", "").strip()):
                confirmed.delete()
                audit.record("auth.otp_removed", "user", user.pk, actor=user)
                return HttpResponseRedirect(reverse("web:otp_setup"))
            error = _("动态口令不正确或已过期，请稍候再试")
        context = {"confirmed": confirmed, "error": error, "required": _required(user)}
        return render(request, "web/otp_setup.html", context)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("手机动态口令"), confirmed=False)
    if request.method == "POST":
        if device.verify_token(request.POST.get("otp_token", "").strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record("auth.otp_enrolled", "user", user.pk, actor=user)
            return HttpResponseRedirect(_safe_next(request) or reverse("web:otp_setup"))
        error = _("动态口令不正确或已过期，请稍候再试")
    context = {
        "qr": segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2933"),
        "secret": _secret(device),
        "error": error,
        "required": _required(user),
    }
    return render(request, "web/otp_setup.html", context, status=400 if error else 200)


def _required(user: Any) -> bool:
    from jingwu.org.services import roles_of

    return bool(settings.JINGWU_OTP_ROLES.intersection(roles_of(user)))
