"""What a locked-out sign-in gets (django-axes calls this): the API's error shape on /api/, a page elsewhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = gettext("登录失败次数过多，账号已锁定%(minutes)s分钟") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        body = {"error": {"code": "locked_out", "message": message, "details": {"minutes": minutes}}}
        return JsonResponse(body, status=429)
    return render(request, "web/locked.html", {"message": message, "minutes": minutes}, status=429)
