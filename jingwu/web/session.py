"""Session rules of 等保 2.0 for the pages: an idle timeout that polling cannot defeat, a first password
that must be changed before anything else, and the second factor: a session of a person with a confirmed
device that did not pass the code is ended, and the roles in ``JINGWU_OTP_ROLES`` are sent to enrol.

Pages that refresh themselves (the command centre's queues every 10 s, an open case every 60 s) send
``X-Jingwu-Poll``; such a request neither counts as activity nor keeps the session alive, so a screen left
open still signs its user out after ``JINGWU_SESSION_SECONDS`` without a person's click.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext
from django_otp import user_has_device

from jingwu.org.services import person_of, roles_of

POLL_HEADER = "X-Jingwu-Poll"
EXEMPT_PREFIXES = ("/static/", "/api/", "/open311/", "/logout/", "/password/", "/favicon.ico", "/account/otp/")
SECOND_FACTOR_OK = "jw_2fa_ok"
RENEWED = "jw_renewed"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url  # htmx leaves the fragment and loads the page
        return response
    return HttpResponseRedirect(url)


class SessionRules:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(("/static/", "/open311/")):
            return self.get_response(request)
        # The API called with the page's session (the phone's outbox sending what was recorded offline) is
        # outside the idle rule, as before; the second factor applies to it as to the pages.
        api = request.path.startswith("/api/")
        now = time.time()
        if not api:
            last = request.session.get("jw_active")
            if last is not None and now - float(last) > settings.SESSION_COOKIE_AGE:
                logout(request)
                return _redirect(request, f"{reverse('web:login')}?timeout=1")
            if not request.headers.get(POLL_HEADER):
                request.session["jw_active"] = now
        # The stored session (and its cookie) is renewed a few times per idle period, not on every request: a
        # dispatcher's queues poll every 10 s, and a session write per poll per screen is what a city's centre
        # cannot afford. What ends an idle page session is the rule above, not the stored expiry.
        renewed = request.session.get(RENEWED)
        if renewed is None or now - float(renewed) > settings.SESSION_COOKIE_AGE / 3:
            request.session[RENEWED] = now
        if not request.session.get(SECOND_FACTOR_OK):
            if user.is_verified() or not user_has_device(user, confirmed=True):
                request.session[SECOND_FACTOR_OK] = True
            else:
                logout(request)  # signed in without the code (another sign-in path): not accepted
                return _refuse(request, api, reverse("web:login"), "otp_required")
        if api:
            if (
                settings.JINGWU_OTP_ROLES
                and not user.is_verified()
                and settings.JINGWU_OTP_ROLES.intersection(roles_of(user))
            ):
                return _refuse(request, api, "", "otp_enrolment_required")
            return self.get_response(request)
        person = person_of(user)
        if (
            person is not None
            and person.must_change_password
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not request.path.startswith("/admin/password_change")
        ):
            return _redirect(request, reverse("web:password_change"))
        if (
            settings.JINGWU_OTP_ROLES
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
            and settings.JINGWU_OTP_ROLES.intersection(roles_of(user))
        ):
            return _redirect(request, f"{reverse('web:otp_setup')}?{urlencode({'next': request.path})}")
        return self.get_response(request)


def _refuse(request: HttpRequest, api: bool, url: str, code: str) -> HttpResponse:
    if not api:
        return _redirect(request, url)
    messages = {
        "otp_required": gettext("此会话未通过动态口令验证"),
        "otp_enrolment_required": gettext("此角色须先启用动态口令"),
    }
    body = {"error": {"code": code, "message": messages[code], "details": {}}}
    return JsonResponse(body, status=401 if code != "otp_enrolment_required" else 403)
