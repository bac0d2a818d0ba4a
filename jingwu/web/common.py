"""Helpers shared by the pages: who may see a page, fragments for htmx, working-time countdowns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.services import has_role
from jingwu.workcal.services import get_calendar

COMMAND_CENTRE = (Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER)
STAFF = (*COMMAND_CENTRE, Role.LEADER, Role.ADMIN, Role.AUDITOR, Role.HANDLER, Role.GRID_WORKER)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def roles_required(*roles: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Signed in, and in one of ``roles``; anyone else gets a clear 403 page, not a silent redirect."""

    def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                return render(request, "web/forbidden.html", {"needed": roles}, status=403)
            return view(request, *args, **kwargs)

        return inner

    return wrap


def duration_text(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    day = max(1, int(get_calendar().day_length.total_seconds() // 60))
    days, rest = divmod(minutes, day)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d工作日") % {"n": days})
    if hours:
        parts.append(_("%(n)d小时") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d分钟") % {"n": mins})
    return "".join(parts) if _("工作日") == "工作日" else " ".join(parts)


def countdown(due: datetime | None, at: datetime | None = None) -> dict[str, Any] | None:
    """Working time left before ``due`` (negative: overdue), as the command centre shows it."""
    if due is None:
        return None
    at = at or clock.now()
    left = get_calendar().between(at, due)
    return {"due": due, "overdue": due < at, "text": duration_text(left), "minutes": int(left.total_seconds() // 60)}
