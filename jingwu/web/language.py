"""Chinese unless the user chose otherwise: the language switch on the pages (a cookie), or, for API
clients, an ``Accept-Language`` header that asks for English first. Every message is in one language.

Django's LocaleMiddleware would follow the browser's Accept-Language on the pages too, so an
English-language browser in a command centre would get English unasked; the working language is Chinese.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if lang not in self.languages and request.path.startswith(("/api/", "/open311/")):
            first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
            lang = "en" if first.startswith("en") else ""
        if lang not in self.languages:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        translation.deactivate()
        return response
