"""Pages: 统计分析 (indicators by any slice, time per stage), 综合评价 (scores and rankings), 统计报告 (monthly
and annual, printable and as Excel), and the big screen (数据大屏)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jingwu.cases.choices import CaseKind
from jingwu.cases.models import Case
from jingwu.cases.refs import refs
from jingwu.lib import clock
from jingwu.web.common import roles_required

from . import evaluation, reports
from . import indicators as ind
from .api import READERS, SCREEN

# The columns of the indicator table: the flow, then the rates of DOMAIN §5 and the hotline's.
TABLE_MEASURES = ("reported", "filed", "dispatched", "fed_back", "closed", "due")
TABLE_RATES = (
    "closure_rate",
    "closure_on_time_rate",
    "handling_on_time_rate",
    "rework_rate",
    "valid_report_rate",
    "missed_rate",
    "verify_on_time_rate",
    "check_on_time_rate",
    "filing_accuracy",
    "dispatch_on_time_rate",
    "dispatch_accuracy",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
)


def _tz() -> Any:
    from jingwu.workcal.services import get_calendar

    return get_calendar().tz


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _period_from(request: HttpRequest) -> tuple[ind.Period, date, date]:
    """``from`` and ``to`` as days (the last one included), this month so far by default."""
    now = clock.now()
    tz = _tz()
    today = now.astimezone(tz).date()
    # By default the last 30 days, today included (a month to date is empty on the 1st).
    first = _day(request.GET.get("from"), today - timedelta(days=29))
    last = _day(request.GET.get("to"), today)
    for key in ("from", "to"):
        text = request.GET.get(key)
        if text and _day(text, date.min) == date.min:
            from django.contrib import messages

            messages.error(request, _("日期“%(text)s”无法识别，已改用默认日期") % {"text": text[:20]})
    if last < first:
        first, last = last, first
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    return ind.Period(start, end, now), first, last


def _last_month(now: datetime) -> str:
    """The last whole month: what a ranking or a monthly report is about by default (on the 1st, this month has a
    few hours in it)."""
    first = now.astimezone(_tz()).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


FILTERS = ("region", "grid", "worker", "department", "category", "source", "kind")


@roles_required(*READERS)
def indicators(request: HttpRequest) -> HttpResponse:
    period, first, last = _period_from(request)
    by = request.GET.get("by", "region")
    by = by if by in ind.SLICES else "region"
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    cases = Case.objects.visible_to(request.user)
    measures = sorted(
        set(TABLE_MEASURES) | {m for k in TABLE_RATES for m in (ind.INDICATORS[k].num, ind.INDICATORS[k].den)}
    )
    whole = ind.indicator_rows(ind.count(cases, period, "", filters, measures), measures)
    rows = ind.indicator_rows(ind.count(cases, period, by, filters, measures), measures) if by else []
    rows = [r for r in rows if any(r["counts"].values())]
    r = refs()
    return render(
        request,
        "stats/indicators.html",
        {
            "nav": "stats",
            "first": first,
            "last": last,
            "by": by,
            "slices": [(s.key, s.label) for s in ind.SLICES.values() if s.key],
            "filters": filters,
            "regions": sorted(r.regions.values()),
            "kinds": CaseKind.choices,
            "departments": sorted(r.departments.values()),
            "whole": whole[0] if whole else None,
            "rows": rows,
            "columns": [(m, ind.MEASURES[m].label) for m in TABLE_MEASURES],
            "rates": [(k, ind.INDICATORS[k].label, ind.INDICATORS[k].num, ind.INDICATORS[k].den) for k in TABLE_RATES],
            "stages": ind.stage_times(cases, period, filters) if (last - first).days < ind.STAGE_DAYS else None,
            "stage_days": ind.STAGE_DAYS,
        },
    )


@roles_required(*READERS)
def scores(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    subject = request.GET.get("subject", "worker")
    subject = subject if subject in evaluation.SUBJECTS else "worker"
    period = evaluation.month_period(request.GET.get("month", "") or _last_month(now), now)
    month = period.start.astimezone(_tz()).date()
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    entries = evaluation.scores(request.user, subject, period)
    return render(
        request,
        "stats/scores.html",
        {
            "nav": "stats",
            "subject": subject,
            "subjects": list(evaluation.SUBJECTS.items()),
            "month": month.strftime("%Y-%m"),
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m") if following <= now.astimezone(_tz()).date() else "",
            "entries": entries,
            "weights": [
                (ind.INDICATORS[k].label if k in ind.INDICATORS else evaluation.PATROL["label"], w)
                for k, w in evaluation.scheme()[subject].items()
            ],
        },
    )


@roles_required(*READERS)
def report(request: HttpRequest) -> HttpResponse:
    """The report's printable page (the browser prints it); the same figures as the Excel file."""
    kind = request.GET.get("period", "month")
    chosen = request.GET.get("value", "") or (_last_month(clock.now()) if kind == "month" else "")
    rp = reports.report_period(kind, chosen, clock.now())
    data = reports.report_data(request.user, rp) if request.GET.get("value") else None
    if data is not None:
        data["last"] = data["end"] - timedelta(seconds=1)
        data["evaluations"] = [
            (_("网格员"), data["workers"]),
            (_("责任单位"), data["departments"]),
            (_("村/社区"), data["regions"]),
        ]
    today = clock.now().astimezone(_tz()).date()
    months = []
    m = today.replace(day=1)
    for _i in range(24):
        months.append(m.strftime("%Y-%m"))
        m = (m - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "stats/report.html",
        {
            "nav": "stats",
            "rp": rp,
            "data": data,
            "pickers": [
                ("month", _("月度报告"), months),
                ("year", _("年度报告"), [str(today.year - i) for i in range(5)]),
            ],
        },
    )


@require_POST
@roles_required(*READERS)
def report_excel(request: HttpRequest) -> HttpResponse:
    """Queue the report's workbook; it is made by the task worker and fetched from 我的导出."""
    from jingwu.web.jobs import start_export

    rp = reports.report_period(request.POST.get("period", "month"), request.POST.get("value", ""), clock.now())
    return start_export(request.user, "stats.report", {"period": rp.kind, "value": rp.value}, 0, "xlsx")


@roles_required(*SCREEN)
@never_cache
def screen(request: HttpRequest) -> HttpResponse:
    """The command-centre wall: full screen, dark, refreshing its data every 30 seconds without reloading."""
    from jingwu.web.views import tile_settings

    return render(request, "stats/screen.html", {"map": tile_settings(), "title": _("智慧精武 · 城市运行数据大屏")})


@roles_required(*SCREEN)
@never_cache
def screen_data(request: HttpRequest) -> JsonResponse:
    """The wall's data under the pages' session rules: in the page's language, and a refresh (``X-Jingwu-Poll``)
    does not count as activity, so an unattended wall signs out after the idle timeout as every page does
    (等保 2.0); ``GET /api/stats/screen`` is the same data for API clients."""
    from . import figures

    return JsonResponse(figures.screen_shared(request.user))
