"""Who is calling: a bearer token (phones, API clients) or the page session (with CSRF on writes)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, HttpError
from ninja.utils import check_csrf

from .services import user_for_token


def current_user(request: HttpRequest, *, write: bool = False) -> Any:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError()
        user = user_for_token(token.strip())
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if write and check_csrf(request) is not None:
            raise HttpError(403, gettext("CSRF 校验失败"))
        return user
    return AnonymousUser()


def require_user(request: HttpRequest, *, write: bool = False) -> Any:
    user = current_user(request, write=write)
    if not user.is_authenticated:
        raise AuthenticationError()
    return user


User = get_user_model()
