"""Helpers shared by the pages: who may see a page, fragments for htmx, working-time countdowns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.services import has_role
from jingwu.workcal.services import get_calendar

COMMAND_CENTRE = (Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER)
STAFF = (*COMMAND_CENTRE, Role.LEADER, Role.ADMIN, Role.AUDITOR, Role.HANDLER, Role.GRID_WORKER, Role.SUPERVISOR)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    """A fragment's request without a session (a poll after it ended) sends the page to the sign-in, and back to
    the page (not the fragment) after it, instead of putting the sign-in form inside the fragment."""
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    to_login = reverse("web:login")
    if page.path and url_has_allowed_host_and_scheme(page.geturl(), allowed_hosts={request.get_host()}):
        to_login += "?" + urlencode({"next": urlunsplit(("", "", page.path, page.query, ""))})
    response = HttpResponse(status=204)
    response["HX-Redirect"] = to_login
    return response


def roles_required(*roles: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Signed in, and in one of ``roles``; anyone else gets a clear 403 page, not a silent redirect."""

    def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if is_htmx(request):
                    return _to_sign_in(request)
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                return render(request, "web/forbidden.html", {"needed": roles}, status=403)
            return view(request, *args, **kwargs)

        return inner

    return wrap


def duration_text(delta: timedelta, continuous: bool = False) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    # In clock time there are no working days to count: hours and minutes.
    day = minutes + 1 if continuous else max(1, int(get_calendar().day_length.total_seconds() // 60))
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


def countdown(due: datetime | None, at: datetime | None = None, continuous: bool = False) -> dict[str, Any] | None:
    """Time left before ``due`` (negative: overdue), as the command centre shows it: working time, or clock time
    for a deadline that runs continuously (an urgent condition's hours, an alarm's minutes)."""
    if due is None:
        return None
    at = at or clock.now()
    left = due - at if continuous else get_calendar().between(at, due)
    return {
        "due": due,
        "overdue": due < at,
        "text": duration_text(left, continuous),
        "minutes": int(left.total_seconds() // 60),
        "continuous": continuous,
    }


def continuous_conditions() -> frozenset[int]:
    """The 立案条件 whose time limits run in clock time (紧急)."""
    from jingwu.cases.models import FilingCondition

    return frozenset(FilingCondition.objects.filter(limit_unit="continuous_hours").values_list("id", flat=True))


def handling_is_continuous(case: Any, continuous: frozenset[int]) -> bool:
    """Whether the case's handling deadline runs in clock time: its 立案条件 says so (``continuous``, from
    ``continuous_conditions()``, read once per page), or the domain that raised it set one in minutes."""
    from jingwu.cases import origins

    if case.condition_id in continuous:
        return True
    origin = origins.of(case)
    return origin is not None and origin.continuous
