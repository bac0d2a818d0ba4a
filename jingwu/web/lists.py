"""The command centre's case list as a day's work needs it: every filter, the sort and the page in the URL
(a refresh or a shared link shows the same list), a total, paging, and an export of exactly the filtered
rows as CSV or Excel.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.cases import selectors
from jingwu.cases.choices import OPEN_STATES, CaseKind, Source, State
from jingwu.cases.models import Case
from jingwu.cases.refs import refs
from jingwu.lib import clock
from jingwu.stats.indicators import MEASURES

from .export import csv_response, xlsx_response

FILTER_KEYS = (
    *("q", "region", "category", "source", "department", "status", "reported_after", "reported_before"),
    # A statistic's figure (``jingwu.stats``): the measure, its period and the slices it has no other filter for,
    # so that each figure on the overview, the statistics pages and the big screen opens exactly its cases.
    *("measure", "from", "to", "grid", "kind", "worker", "actor"),
)
FILTER_LABELS = {
    "queue": gettext_noop("队列"),
    "q": gettext_noop("搜索"),
    "region": gettext_noop("村/社区"),
    "category": gettext_noop("类别"),
    "source": gettext_noop("来源"),
    "department": gettext_noop("责任单位"),
    "status": gettext_noop("状态"),
    "reported_after": gettext_noop("上报起"),
    "reported_before": gettext_noop("上报止"),
    "measure": gettext_noop("统计口径"),
    "from": gettext_noop("统计起"),
    "to": gettext_noop("统计止"),
    "grid": gettext_noop("网格"),
    "kind": gettext_noop("业务领域"),
    "worker": gettext_noop("网格员"),
    "actor": gettext_noop("经办人"),
}
PAGE_SIZES = (20, 50, 100)
# An Excel sheet holds 1,048,576 rows, the header included; a CSV has no such limit and none is set here.
XLSX_LIMIT = 1_048_575

# key → (label, ordering); "-key" in the URL sorts descending. Ties are broken by id so pages never overlap.
SORTS: dict[str, tuple[str, ...]] = {
    "number": ("id",),
    "reported": ("reported_at", "id"),
    "due": ("due_at", "id"),
    "status": ("status", "id"),
}


def queue_filter(key: str) -> Q:
    from .views import QUEUES

    if key == "overdue":
        return Q(status__in=OPEN_STATES, due_at__lt=clock.now())
    for k, _label, cond in QUEUES:
        if k == key:
            return cond
    return Q()


def _date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        from jingwu.workcal.services import get_calendar

        value = value.replace(tzinfo=get_calendar().tz)
    return value


@dataclass
class CaseList:
    params: dict[str, str]  # every filter as given, for the form and the links
    queryset: QuerySet[Case]
    sort: str

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.params.items() if v and k in (*FILTER_KEYS, "queue")]

    def described_filters(self) -> list[dict[str, str]]:
        """Each active filter as the person sees it ("村/社区: 甲村"), with the key that removes it."""
        from .views import QUEUES

        r = refs()
        regions = dict(r.regions.values())
        departments = dict(r.departments.values())
        categories = {f"{v[0]}:{v[1]}": v[2] for v in r.categories.values()}
        queues = {k: _(label) for k, label, _c in QUEUES} | {"overdue": _("超时")}
        out = []
        shown: str
        for key, value in self.active_filters:
            shown = {
                "queue": lambda v: queues.get(v, v),
                "region": lambda v: regions.get(v, v),
                "department": lambda v: departments.get(v, v),
                "category": lambda v: categories.get(v, v),
                "source": lambda v: str(Source(v).label) if v in Source.values else v,
                "status": lambda v: "、".join(str(State(s).label) for s in v.split(",") if s in State.values),
                "measure": lambda v: str(MEASURES[v].label) if v in MEASURES else v,
                "kind": lambda v: (
                    _("%(kind)s除外") % {"kind": CaseKind(v[1:]).label}
                    if v[1:] in CaseKind.values and v.startswith("!")
                    else str(CaseKind(v).label)
                    if v in CaseKind.values
                    else v
                ),
            }.get(key, str)(value) or value
            if key.endswith(("_after", "_before")):
                shown = value[:10]  # the day; the time and zone are the URL's business
            if key in ("from", "to"):
                continue  # shown with the measure, and removed with it
            drop = key
            if key == "measure":
                shown += self._period_text()
                drop = "measure,from,to"
            if key == "worker":
                from jingwu.org.models import Person

                name = Person.objects.filter(user__username=value).values_list("name", flat=True).first()
                shown = f"{name} ({value})" if name else value
            out.append({"key": key, "label": _(FILTER_LABELS[key]), "value": shown, "drop": drop})
        return out

    def _period_text(self) -> str:
        """The measure's period as days, its end shown as the last day it includes."""
        from datetime import timedelta

        from jingwu.workcal.services import get_calendar

        tz = get_calendar().tz
        start, end = _date(self.params.get("from", "")), _date(self.params.get("to", ""))
        first = start.astimezone(tz).date().isoformat() if start else ""
        last = (end - timedelta(microseconds=1)).astimezone(tz).date().isoformat() if end else ""
        return f" · {first} — {last}" if first or last else ""


def case_list(request: HttpRequest) -> CaseList:
    return case_list_for(request.user, request.GET)


def case_list_for(user: Any, query: Mapping[str, str]) -> CaseList:
    """The list a person sees for these filters (the page's query string, or an export's stored one)."""
    params = {k: str(query.get(k, "")).strip() for k in (*FILTER_KEYS, "queue")}
    if params["measure"] and params["measure"] not in MEASURES:
        params["measure"] = params["from"] = params["to"] = ""  # an unknown figure filters nothing: no chip
    qs = Case.objects.visible_to(user).filter(queue_filter(params["queue"]))
    statuses = [s for s in params["status"].split(",") if s in State.values] or None

    def given(key: str) -> str | None:
        return params[key] if params[key] not in ("", "-") else None  # "-" (none): ``_measure_filter``'s

    f = selectors.CaseFilter(
        q=params["q"] or None,
        region=given("region"),
        category=given("category"),
        source=given("source"),
        department=given("department"),
        status=statuses,
        reported_after=_date(params["reported_after"]),
    )
    qs = selectors.apply_filter(qs, f, clock.now())
    before = _date(params["reported_before"])
    if before is not None:
        qs = qs.filter(reported_at__lt=before)
    listed = _measure_filter(qs, params)
    sort = str(query.get("sort", "")) or ("due" if params["queue"] else "-number")
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = "-number", "number"
    desc = sort.startswith("-")
    # NULLS LAST only where a column can be null (a case with no deadline sorts after every dated one); on
    # the others a plain direction keeps PostgreSQL walking the index instead of sorting every row.
    ordering = [
        (F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True)) if f == "due_at" else f"{'-' * desc}{f}"
        for f in SORTS[key]
    ]
    return CaseList(params=params, queryset=listed.order_by(*ordering), sort=sort)


def _measure_filter(qs: QuerySet[Case], params: dict[str, str]) -> QuerySet[Case]:
    """Exactly the cases a statistic counts: its measure over its period (``jingwu.stats.indicators``)."""
    from jingwu.stats import indicators

    chosen = {k: params[k] for k in ("grid", "kind", "worker")}
    chosen |= {k: "-" for k in ("region", "department", "category") if params[k] == "-"}
    qs = indicators.filter_cases(qs, chosen)
    if params["measure"] not in indicators.MEASURES:
        return qs
    start, end = _date(params["from"]), _date(params["to"])
    period = indicators.period_of(start, end)
    actor = indicators.actor_of(params["actor"]) if params["actor"] else None
    if params["actor"] and actor is None:
        return qs.none()
    return qs.filter(indicators.measure_q(params["measure"], period, actor))


class CappedPaginator(Paginator):
    """Counts up to ``CAP`` rows and says "more" beyond: an exact count of a city's years of cases reads them
    all, and nobody pages past the ten thousandth row (they filter)."""

    CAP = 10_000
    capped = False

    def __init__(self, object_list: Any, per_page: int, cap: int = CAP) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        n = cast(Any, self.object_list)[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)


def page_of(listing: CaseList, request: HttpRequest) -> Page[Any]:
    try:
        size = int(request.GET.get("size", 50))
    except ValueError:
        size = 50
    size = size if size in PAGE_SIZES else 50
    # A common word matches a city's cases by the hundred thousand, checked row by row newest first: count
    # fewer of them.
    cap = 500 if listing.params.get("q") else CappedPaginator.CAP
    return CappedPaginator(listing.queryset, size, cap).get_page(request.GET.get("page"))


COLUMN_HEADS = (
    ("number", gettext_noop("编号")),
    ("status", gettext_noop("状态")),
    ("", gettext_noop("类别")),
    ("", gettext_noop("村/社区")),
    ("", gettext_noop("来源")),
    ("", gettext_noop("描述")),
    ("", gettext_noop("责任单位")),
    ("reported", gettext_noop("上报时间")),
    ("due", gettext_noop("时限")),
)


def columns(listing: CaseList) -> list[dict[str, Any]]:
    """The table's headers; a sortable one sorts by its key, and a second click reverses it."""
    out = []
    descending = listing.sort.startswith("-")
    for key, label in COLUMN_HEADS:
        current = bool(key) and listing.sort.lstrip("-") == key
        out.append(
            {
                "key": key,
                "label": _(label),
                "current": current,
                "descending": current and descending,
                "next": f"-{key}" if current and not descending else key,
                "narrow_hide": label == COLUMN_HEADS[4][1],  # the source: shown on wide screens only
            }
        )
    return out


# --- export ---------------------------------------------------------------------------------------

COLUMNS = (
    gettext_noop("编号"),
    gettext_noop("状态"),
    gettext_noop("类别"),
    gettext_noop("村/社区"),
    gettext_noop("网格"),
    gettext_noop("来源"),
    gettext_noop("描述"),
    gettext_noop("地址"),
    gettext_noop("责任单位"),
    gettext_noop("上报时间"),
    gettext_noop("时限"),
    gettext_noop("结案时间"),
    gettext_noop("超时"),
)


def export_rows(listing: CaseList, limit: int | None = None) -> Iterator[list[str]]:
    """The filtered cases, in the list's order. No personal data: reporters are not in an export."""
    from jingwu.workcal.services import get_calendar

    tz = get_calendar().tz
    r = refs()
    now = clock.now()
    yes, no = _("是"), _("否")

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    fields = [
        *("id", "number", "status", "category_id", "region_id", "grid_id", "source", "description", "address"),
        *("department_id", "reported_at", "due_at", "closed_at"),
    ]
    qs = listing.queryset.only(*fields)
    for c in (qs[:limit] if limit else qs).iterator(chunk_size=5000):
        cat = r.categories.get(c.category_id) if c.category_id else None
        region = r.regions.get(c.region_id) if c.region_id else None
        dept = r.departments.get(c.department_id) if c.department_id else None
        yield [
            c.number or "",
            str(State(c.status).label),
            cat[2] if cat else "",
            region[1] if region else "",
            r.grids.get(c.grid_id, "") if c.grid_id else "",
            str(Source(c.source).label) if c.source in Source.values else c.source,
            c.description,
            c.address,
            dept[1] if dept else "",
            when(c.reported_at),
            when(c.due_at),
            when(c.closed_at),
            yes if c.is_overdue(now) else no,
        ]


def export(
    listing: CaseList, fmt: str, user: Any, later: Mapping[str, Any] | None = None
) -> HttpResponse | StreamingHttpResponse:
    """The list as a download; with ``later`` (the list's query), one larger than JINGWU_EXPORT_SYNC_ROWS is
    built by the task worker instead, and the person is sent to 我的导出 to fetch it."""
    from django.conf import settings
    from django.shortcuts import redirect
    from django.utils.translation import get_language

    from jingwu.audit import services as audit
    from jingwu.org.services import role_of

    stamp = clock.now().strftime("%Y%m%d-%H%M")
    header = [_(c) for c in COLUMNS]
    rows = listing.queryset.count()
    background = later is not None and rows > settings.JINGWU_EXPORT_SYNC_ROWS
    audit.record(
        "case.export",
        "case",
        "",
        actor=user,
        role=role_of(user),
        data={"format": fmt, "filters": dict(listing.active_filters), "rows": rows, "background": background},
    )
    if background:
        from .jobs import build_export
        from .models import Export

        assert later is not None
        params = {k: str(v) for k, v in later.items() if k not in ("format", "page")}
        params["_lang"] = get_language() or settings.LANGUAGE_CODE
        job = Export.objects.create(user=user, fmt=fmt, params=params, rows=rows, created_at=clock.now())
        build_export.enqueue(job.pk)
        return redirect(f"/exports/?new={job.pk}")
    if fmt == "xlsx":
        return xlsx_response(_("案件"), header, export_rows(listing), f"jingwu-cases-{stamp}.xlsx")
    return csv_response(header, export_rows(listing), f"jingwu-cases-{stamp}.csv")
