"""The monthly and annual report: one set of figures (``report_data``) for the printable page and for the
Excel workbook the task worker writes (native charts, percentages as numbers formatted as percent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _

from jingwu.cases.models import Case
from jingwu.lib import clock

from . import evaluation, rollup
from . import indicators as ind

# The report's indicators, in the order a 综合评价 report lists them.
REPORT_INDICATORS = (
    "closure_rate",
    "closure_on_time_rate",
    "handling_rate",
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
BY_INDICATORS = ("closure_rate", "closure_on_time_rate", "handling_on_time_rate", "rework_rate")


@dataclass
class ReportPeriod:
    kind: str  # "month" or "year"
    value: str  # "2026-11" or "2026"
    period: ind.Period
    title: str


def report_period(kind: str, value: str, now: datetime | None = None) -> ReportPeriod:
    """A month (``YYYY-MM``) or a year (``YYYY``); an unreadable value means the current one."""
    from jingwu.workcal.services import get_calendar

    now = now or clock.now()
    tz = get_calendar().tz
    today = now.astimezone(tz).date()
    if kind == "year":
        try:
            year = int(value)
            date(year, 1, 1)
        except ValueError:
            year = today.year
        first, following = date(year, 1, 1), date(year + 1, 1, 1)
        value, title = str(year), _("%(year)s年度案件统计报告") % {"year": year}
    else:
        kind = "month"
        try:
            first = date.fromisoformat(f"{value}-01")
        except ValueError:
            first = today.replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        value = first.strftime("%Y-%m")
        title = _("%(year)s年%(month)s月案件统计报告") % {"year": first.year, "month": first.month}
    start, end = datetime.combine(first, time.min, tz), datetime.combine(following, time.min, tz)
    return ReportPeriod(kind, value, ind.Period(start, end, now), title)


def _measures() -> list[str]:
    wanted = {m for k in REPORT_INDICATORS for m in (ind.INDICATORS[k].num, ind.INDICATORS[k].den)}
    return sorted(wanted | set(ind.FLOW))


def report_data(user: Any, rp: ReportPeriod) -> dict[str, Any]:
    p = rp.period
    cases = Case.objects.visible_to(user)
    measures = _measures()
    whole = ind.count(cases, p, "", measures=measures)
    summary = [
        {
            "key": k,
            "label": str(ind.INDICATORS[k].label),
            "num": whole.value("", ind.INDICATORS[k].num),
            "den": whole.value("", ind.INDICATORS[k].den),
            "rate": whole.rate("", k),
            "link": whole.link("", ind.INDICATORS[k].num),
        }
        for k in REPORT_INDICATORS
    ]
    flow = [
        {"key": m, "label": str(ind.MEASURES[m].label), "value": whole.value("", m), "link": whole.link("", m)}
        for m in ind.FLOW
    ]
    slices = {}
    by_measures = sorted(
        {m for k in BY_INDICATORS for m in (ind.INDICATORS[k].num, ind.INDICATORS[k].den)} | {"reported"}
    )
    for by in ("region", "department", "category"):
        rows = ind.indicator_rows(ind.count(cases, p, by, measures=by_measures), by_measures)
        rows = [r for r in rows if r["key"]]
        rows.sort(key=lambda r: (-r["counts"]["reported"], r["name"]))
        slices[by] = rows[:20] if by == "category" else rows
    from jingwu.workcal.services import get_calendar

    tz = get_calendar().tz  # the days of the town's calendar, not of UTC
    first_day = p.start.astimezone(tz).date()
    last_day = (min(p.end, p.now) - timedelta(microseconds=1)).astimezone(tz).date()
    if rp.kind == "year":
        trend = [(m.strftime("%Y-%m"), f) for m, f in rollup.by_month(first_day, last_day, p.now)]
    else:
        trend = [(d.strftime("%m-%d"), f) for d, f in rollup.by_day(first_day, last_day, p.now)]
    return {
        "title": rp.title,
        "kind": rp.kind,
        "value": rp.value,
        "start": p.start,
        "end": p.end,
        "summary": summary,
        "flow": flow,
        "slices": slices,
        "trend": [{"label": k, "reported": f["reported"], "closed": f["closed"]} for k, f in trend],
        "workers": evaluation.scores(user, "worker", p),
        "departments": evaluation.scores(user, "department", p),
        "regions": evaluation.scores(user, "region", p),
    }


# --- the workbook ---------------------------------------------------------------------------------------


def build_report(job: Any, out: Any, tell: Callable[[int, int], None]) -> tuple[int, str]:
    """The task worker's writer for ``_kind = stats.report`` (see ``web.jobs.REPORTS``)."""
    rp = report_period(job.params.get("period", "month"), job.params.get("value", ""), clock.now())
    tell(1, 10)
    data = report_data(job.user, rp)
    tell(6, 10)
    write_workbook(out, data)
    tell(9, 10)
    return len(data["summary"]) + len(data["trend"]), f"report-{rp.value}"


def write_workbook(out: Any, data: dict[str, Any]) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    pct = "0.00%"

    sheet = book.active
    sheet.title = _("概况")
    sheet.append([data["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    tz_start, tz_end = data["start"], data["end"] - timedelta(seconds=1)
    sheet.append([_("统计期间"), f"{tz_start:%Y-%m-%d} — {tz_end:%Y-%m-%d}"])
    sheet.append([])
    sheet.append([_("流转环节"), _("件数")])
    for row in data["flow"]:
        sheet.append([row["label"], row["value"]])
    sheet.append([])
    sheet.append([_("指标"), _("分子"), _("分母"), _("比率")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in data["summary"]:
        sheet.append([row["label"], row["num"], row["den"], None if row["rate"] is None else row["rate"] / 100])
        sheet.cell(sheet.max_row, 4).number_format = pct
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 24

    trend = book.create_sheet(_("趋势"))
    trend.append([_("日期") if data["kind"] == "month" else _("月份"), _("上报"), _("结案")])
    for row in data["trend"]:
        trend.append([row["label"], row["reported"], row["closed"]])
    if data["trend"]:
        chart = LineChart()
        chart.title = _("上报与结案")
        chart.height, chart.width = 8, 18
        chart.add_data(Reference(trend, min_col=2, min_row=1, max_col=3, max_row=trend.max_row), titles_from_data=True)
        chart.set_categories(Reference(trend, min_col=1, min_row=2, max_row=trend.max_row))
        trend.add_chart(chart, "E2")

    names = {"region": _("村/社区"), "department": _("责任单位"), "category": _("类别")}
    for by, rows in data["slices"].items():
        ws = book.create_sheet(str(names[by]).replace("/", "·"))  # "/" may not stand in a sheet's name
        ws.append([str(names[by]), _("上报"), *[str(ind.INDICATORS[k].label) for k in BY_INDICATORS]])
        for r in rows:
            rates = [None if r["rates"].get(k) is None else r["rates"][k] / 100 for k in BY_INDICATORS]
            ws.append([r["name"], r["counts"]["reported"], *rates])
            for col in range(3, 3 + len(BY_INDICATORS)):
                ws.cell(ws.max_row, col).number_format = pct
        ws.column_dimensions["A"].width = 28
        if rows:
            chart = BarChart()
            chart.type = "bar"
            chart.title = _("上报件数")
            chart.height, chart.width = max(8, len(rows) * 0.5), 16
            chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=ws.max_row), titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=ws.max_row))
            ws.add_chart(chart, "H2")

    for key, title in (("workers", _("网格员评价")), ("departments", _("部门评价")), ("regions", _("村社区评价"))):
        ws = book.create_sheet(str(title))
        entries = data[key]
        labels = [p["label"] for p in entries[0]["parts"]] if entries else []
        ws.append([_("排名"), _("名称"), _("得分"), _("等级"), *labels])
        for e in entries:
            rates = [None if p["rate"] is None else p["rate"] / 100 for p in e["parts"]]
            ws.append([e["rank"], e["name"], e["score"], e["grade"], *rates])
            for col in range(5, 5 + len(rates)):
                ws.cell(ws.max_row, col).number_format = pct
        ws.column_dimensions["B"].width = 28
    book.save(out)
