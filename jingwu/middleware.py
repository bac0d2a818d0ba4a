"""Input no handler should ever see: a NUL character anywhere in the request.

PostgreSQL cannot hold NUL in text, so one ``%00`` in any query parameter used to end as a 500 deep in the
database driver. It is refused here, before any view runs, with a 400 in the shape of the part of the site
that was asked (the API's error object, Open311's error list, plain text for pages).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in v for v in values):
            return True
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            if NUL in key or any(NUL in v for v in values):
                return True
    if content_type.startswith("application/json"):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
    return False


def refuse(request: HttpRequest) -> HttpResponseBase:
    message = gettext("请求中含有空字符(NUL)")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "invalid", "message": message, "details": {}}}, status=400)
    if request.path.startswith("/open311/"):
        from jingwu.open311 import render

        return render.error("xml" if ".xml" in request.path else "json", 400, message)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class RejectNul:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _has_nul(request):
            return refuse(request)
        return self.get_response(request)
