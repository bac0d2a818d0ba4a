"""Every figure of the loop, defined once (DOMAIN.md §5, WORKFLOW.md "What the counts are made of").

A *measure* is a set of cases: a ``Q`` over ``Case`` for a period. The same ``Q`` counts the figure here and
filters the case list its link opens (``?measure=…&from=…&to=…``), so a figure and its list cannot disagree.
An *indicator* is a ratio of two measures. Measures count cases, not steps: a case dispatched twice in a
month is one dispatched case, and the list behind the figure has it once.

Definitions that the formulas leave open, and how they are settled here:

- 应结案 (= 应处置): the handling deadline (as extended) falls in the period and has passed; 挂账 cases are
  left out (DOMAIN §5), and so are cases voided after filing (a false alarm: it counts against 准确立案率) or
  merged (the surviving case is counted). 结案, 按期结案, 处置, 按期处置 are counted among them, so each rate is
  at most 100%; 按期 means fed back before the handling deadline.
- A stage's 应核实 / 应核查 / 应派遣: the stage ended in the period (its step was taken), or it is still
  waiting and its limit passed in the period; 按时 means the step came within the stage limit.
- 返工率: of the cases fed back in the period, those whose 核查 then failed.
- 准确派遣: dispatched in the period, and the case never returned (回退) or reworked (返工).
- 漏报率: of the cases filed in the period, those first reported by the public (公众举报, 12345, Open311).
- 有效上报率: of the cases grid workers reported in the period, those filed or fixed on the spot (自行处置).
- Hotline 三率 are over citizens' requests (公众举报, 12345, Open311) reported in the period: 响应 = the
  first step taken within its limit, 解决 = closed, 满意 = rated 满意 or 基本满意 among those rated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from jingwu.cases.choices import Action, CaseKind, Satisfaction, Source, State
from jingwu.cases.models import Case, Transition
from jingwu.lib import clock

CITIZEN_SOURCES = (Source.PUBLIC, Source.HOTLINE, Source.OPEN311)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    now: datetime

    @property
    def until(self) -> datetime:
        """Deadlines count once they have passed: a deadline later today is not yet missed."""
        return min(self.end, self.now)

    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _step(p: Period, *actions: str, actor: Any = None, **extra: Any) -> Q:
    # ``pk IN (steps of the period)``, not a correlated EXISTS: the planner then reads the period's steps by the
    # (action, at) index and joins the cases by key, instead of probing every case for a step.
    steps = Transition.objects.filter(action__in=actions, at__gte=p.start, at__lt=p.end, **extra)
    if actor is not None:
        steps = steps.filter(actor=actor)
    return Q(pk__in=steps.values("case_id"))


def _since(p: Period, *actions: str, **extra: Any) -> Q:
    """Cases with such a step at any time from the period's start on (what followed a step of the period: a
    report's filing, a dispatch's return). A set of ids read by the (action, at) index, hashed once, rather than
    a look-up per case."""
    steps = Transition.objects.filter(action__in=actions, at__gte=p.start, **extra)
    return Q(pk__in=steps.values("case_id"))


def _waiting(p: Period, *states: str) -> Q:
    return Q(status__in=states, due_at__gte=p.start, due_at__lt=p.until)


def _stage(p: Period, action: str, *states: str) -> Q:
    """A stage's cases: left by ``action`` in the period, or still waiting in ``states`` past a limit that fell
    in it. One set of ids (a UNION ALL of two index reads), not an OR that would make the planner read every
    case."""
    steps = Transition.objects.filter(action=action, at__gte=p.start, at__lt=p.end).order_by().values("case_id")
    waiting = Case.objects.filter(_waiting(p, *states)).order_by().values("id")
    return Q(pk__in=steps.union(waiting, all=True))


def _due(p: Period) -> Q:
    return Q(handling_deadline__gte=p.start, handling_deadline__lt=p.until) & ~Q(
        status__in=[State.SUSPENDED, State.VOIDED, State.MERGED]
    )


def _reported(p: Period) -> Q:
    return Q(reported_at__gte=p.start, reported_at__lt=p.end)


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    # Measures sharing a base are counted in one query: the base narrows the rows (by an index), and each
    # measure is the base and its own narrowing, counted within those rows.
    base: str
    narrow: Callable[[Period, Any], Q]  # (period, actor or None) → the measure within its base
    # Counted for one person's own steps (the positions' evaluation): the actor goes into the step filter.
    by_actor: bool = False

    def where(self, p: Period, actor: Any) -> Q:
        return BASES[self.base](p, actor) & self.narrow(p, actor)


def _m(
    key: str, label: Any, base: str, narrow: Callable[[Period, Any], Q] | None = None, by_actor: bool = False
) -> Measure:
    return Measure(key, label, base, narrow or (lambda p, a: Q()), by_actor)


GW = Q(source=Source.GRID_WORKER)
CITIZEN = Q(source__in=CITIZEN_SOURCES)
PLEASED = Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
ON = {"on_time": True}
# The operator's first step on a report: accept, send to verify, or void.
_FIRST_STEPS = (Action.ACCEPT, Action.SEND_TO_VERIFY, Action.VOID)


def _misdispatched(p: Period) -> Q:
    """Returned (回退) or reworked (返工) at any time: the case's own counters, no look-up of steps."""
    return Q(return_count__gt=0) | Q(rework_count__gt=0)


def _dispatched(p: Period, a: Any) -> Q:
    """Within the dispatch base, the cases actually dispatched (a person's base has nothing else)."""
    return Q() if a is not None else _step(p, Action.DISPATCH)


BASES: dict[str, Callable[[Period, Any], Q]] = {
    "reported": lambda p, a: _reported(p),
    "accepted": lambda p, a: _step(p, *_FIRST_STEPS, actor=a, from_state=State.REPORTED),
    "verify": lambda p, a: _stage(p, Action.VERIFY, State.VERIFYING),
    "filed": lambda p, a: _step(p, Action.FILE, actor=a),
    "dispatch": lambda p, a: (
        _step(p, Action.DISPATCH, actor=a)
        if a is not None
        else _stage(p, Action.DISPATCH, State.TO_DISPATCH, State.RETURNED)
    ),
    "due": lambda p, a: _due(p),
    "fed_back": lambda p, a: _step(p, Action.FEEDBACK),
    "returned": lambda p, a: _step(p, Action.RETURN),
    "check": lambda p, a: _stage(p, Action.CHECK, State.TO_CHECK),
    "closed": lambda p, a: _step(p, Action.CLOSE, Action.SELF_RESOLVE, actor=a),
    "suspended": lambda p, a: _step(p, Action.SUSPEND),
}

MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        # 上报
        _m("reported", _("上报数"), "reported"),
        _m("reported_gw", _("网格员上报数"), "reported", lambda p, a: GW),
        _m(
            "reported_gw_valid",
            _("有效上报数"),
            "reported",
            lambda p, a: GW & _since(p, Action.FILE, Action.SELF_RESOLVE),
        ),
        _m("citizen", _("群众诉求数"), "reported", lambda p, a: CITIZEN),
        _m(
            "citizen_responded",
            _("按时响应数"),
            "reported",
            lambda p, a: CITIZEN & _since(p, *_FIRST_STEPS, from_state=State.REPORTED, on_time=True),
        ),
        _m("citizen_resolved", _("已解决数"), "reported", lambda p, a: CITIZEN & Q(status=State.CLOSED)),
        _m("citizen_rated", _("评价数"), "reported", lambda p, a: CITIZEN & ~Q(satisfaction="")),
        _m("citizen_pleased", _("满意数"), "reported", lambda p, a: CITIZEN & PLEASED),
        # 受理 (the operator's first step on a report)
        _m("accepted", _("受理数"), "accepted", by_actor=True),
        _m(
            "accepted_on_time",
            _("按时受理数"),
            "accepted",
            lambda p, a: _step(p, *_FIRST_STEPS, actor=a, from_state=State.REPORTED, **ON),
            by_actor=True,
        ),
        # 核实
        _m("verify_due", _("应核实数"), "verify"),
        _m("verified_on_time", _("按时核实数"), "verify", lambda p, a: _step(p, Action.VERIFY, **ON)),
        # 立案
        _m("filed", _("立案数"), "filed", by_actor=True),
        _m("filed_on_time", _("按时立案数"), "filed", lambda p, a: _step(p, Action.FILE, actor=a, **ON), by_actor=True),
        _m("filed_kept", _("立案未作废数"), "filed", lambda p, a: ~Q(status=State.VOIDED), by_actor=True),
        _m("filed_voided", _("作废数"), "filed", lambda p, a: Q(status=State.VOIDED), by_actor=True),
        _m("filed_public", _("公众举报立案数"), "filed", lambda p, a: CITIZEN),
        # 派遣
        _m("dispatch_due", _("应派遣数"), "dispatch", by_actor=True),
        _m("dispatched", _("派遣数"), "dispatch", _dispatched, by_actor=True),
        _m(
            "dispatched_on_time",
            _("按时派遣数"),
            "dispatch",
            lambda p, a: _step(p, Action.DISPATCH, actor=a, **ON),
            by_actor=True,
        ),
        _m(
            "dispatched_right",
            _("准确派遣数"),
            "dispatch",
            lambda p, a: _dispatched(p, a) & ~_misdispatched(p),
            by_actor=True,
        ),
        # 处置 and 结案 against the handling deadline
        _m("due", _("应结案数"), "due"),
        _m("handled", _("处置数"), "due", lambda p, a: Q(feedback_at__isnull=False)),
        _m("handled_on_time", _("按期处置数"), "due", lambda p, a: Q(handled_on_time=True)),
        _m("closed_due", _("结案数"), "due", lambda p, a: Q(status=State.CLOSED)),
        _m("closed_on_time", _("按期结案数"), "due", lambda p, a: Q(status=State.CLOSED, handled_on_time=True)),
        _m("extended", _("延期数"), "due", lambda p, a: Q(extension_count__gt=0)),
        # 反馈 and 返工
        _m("fed_back", _("处置反馈数"), "fed_back"),
        _m("reworked", _("返工数"), "fed_back", lambda p, a: _since(p, Action.CHECK, outcome="fail")),
        _m("returned", _("回退数"), "returned"),
        # 核查
        _m("check_due", _("应核查数"), "check"),
        _m("checked_on_time", _("按时核查数"), "check", lambda p, a: _step(p, Action.CHECK, **ON)),
        # 结案 as a flow (closed in the period, whenever reported), and closing on time (the shift lead's step)
        _m("closed", _("结案数(当期)"), "closed", by_actor=True),
        _m(
            "closed_step_on_time",
            _("按时结案数"),
            "closed",
            lambda p, a: _step(p, Action.CLOSE, actor=a, **ON),
            by_actor=True,
        ),
        _m("close_steps", _("结案操作数"), "closed", lambda p, a: _step(p, Action.CLOSE, actor=a), by_actor=True),
        _m("self_resolved", _("自行处置数"), "closed", lambda p, a: _step(p, Action.SELF_RESOLVE)),
        _m("suspended", _("挂账数"), "suspended", lambda p, a: Q(status=State.SUSPENDED)),
    )
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Any
    num: str
    den: str
    # 漏报率 and 返工率: lower is better (a score uses 1 − rate).
    lower_is_better: bool = False


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator("closure_rate", _("结案率"), "closed_due", "due"),
        Indicator("closure_on_time_rate", _("按期结案率"), "closed_on_time", "due"),
        Indicator("handling_rate", _("处置率"), "handled", "due"),
        Indicator("handling_on_time_rate", _("按期处置率"), "handled_on_time", "due"),
        Indicator("rework_rate", _("返工率"), "reworked", "fed_back", lower_is_better=True),
        Indicator("valid_report_rate", _("有效上报率"), "reported_gw_valid", "reported_gw"),
        Indicator("missed_rate", _("漏报率"), "filed_public", "filed", lower_is_better=True),
        Indicator("verify_on_time_rate", _("按时核实率"), "verified_on_time", "verify_due"),
        Indicator("check_on_time_rate", _("按时核查率"), "checked_on_time", "check_due"),
        Indicator("filing_accuracy", _("准确立案率"), "filed_kept", "filed"),
        Indicator("dispatch_on_time_rate", _("按时派遣率"), "dispatched_on_time", "dispatch_due"),
        Indicator("dispatch_accuracy", _("准确派遣率"), "dispatched_right", "dispatch_due"),
        Indicator("accept_on_time_rate", _("按时受理率"), "accepted_on_time", "accepted"),
        Indicator("filing_on_time_rate", _("按时立案率"), "filed_on_time", "filed"),
        Indicator("closing_on_time_rate", _("按时结案率"), "closed_step_on_time", "close_steps"),
        Indicator("response_rate", _("响应率"), "citizen_responded", "citizen"),
        Indicator("resolution_rate", _("解决率"), "citizen_resolved", "citizen"),
        Indicator("satisfaction_rate", _("满意率"), "citizen_pleased", "citizen_rated"),
    )
}

# The figures shown as the loop's flow ("counts by stage").
FLOW = ("reported", "filed", "dispatched", "fed_back", "closed", "returned", "reworked", "suspended", "self_resolved")


# --- slices ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    key: str
    label: Any
    field: str  # the Case column grouped by ("" for the whole)
    param: str  # the case list's filter that selects one row


SLICES: dict[str, Slice] = {
    s.key: s
    for s in (
        Slice("", _("合计"), "", ""),
        Slice("region", _("村/社区"), "region_id", "region"),
        Slice("grid", _("网格"), "grid_id", "grid"),
        Slice("worker", _("网格员"), "grid_id", "worker"),
        Slice("department", _("责任单位"), "department_id", "department"),
        Slice("category", _("类别"), "category_id", "category"),
        Slice("source", _("来源"), "source", "source"),
        Slice("kind", _("业务领域"), "kind", "kind"),
    )
}


NULLABLE = {"region": "region_id", "grid": "grid_id", "department": "department_id", "category": "category_id"}


def filter_cases(qs: QuerySet[Case], filters: Mapping[str, str]) -> QuerySet[Case]:
    """The slice filters, as the case list reads them (``region=<code>``, ``worker=<username>`` …)."""
    from jingwu.cases.refs import refs

    r = refs()
    for key, column in NULLABLE.items():
        if filters.get(key) == "-":
            qs = qs.filter(**{f"{column}__isnull": True})
    filters = {k: v for k, v in filters.items() if v != "-"}
    if value := filters.get("region"):
        qs = qs.filter(region_id__in=[pk for pk, v in r.regions.items() if v[0] == value] or [0])
    if value := filters.get("grid"):
        qs = qs.filter(grid_id__in=[pk for pk, code in r.grids.items() if code == value] or [0])
    if value := filters.get("worker"):
        from jingwu.org.models import GridAssignment

        qs = qs.filter(grid_id__in=GridAssignment.objects.filter(person__user__username=value).values("grid_id"))
    if value := filters.get("department"):
        qs = qs.filter(department_id__in=[pk for pk, v in r.departments.items() if v[0] == value] or [0])
    if value := filters.get("category"):
        kind, _sep, code = value.rpartition(":")
        qs = qs.filter(
            category_id__in=[pk for pk, v in r.categories.items() if v[1] == code and (not kind or v[0] == kind)] or [0]
        )
    if value := filters.get("source"):
        qs = qs.filter(source=value)
    if value := filters.get("kind"):
        # "!petition": every kind but that one (the overview's figures leave the petitions out).
        qs = qs.exclude(kind=value[1:]) if value.startswith("!") else qs.filter(kind=value)
    return qs


def actor_of(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first() if username else None


def measure_q(key: str, period: Period, actor: Any = None) -> Q:
    m = MEASURES[key]
    return m.where(period, actor if m.by_actor else None)


# --- counting ------------------------------------------------------------------------------------------


@dataclass
class Table:
    """Counts of measures by the keys of one slice ("" for the whole)."""

    slice: Slice
    period: Period
    filters: dict[str, str]
    counts: dict[Any, dict[str, int]] = field(default_factory=dict)
    actor: str = ""

    def value(self, row: Any, measure: str) -> int:
        return self.counts.get(row, {}).get(measure, 0)

    def rate(self, row: Any, indicator: str) -> float | None:
        i = INDICATORS[indicator]
        den = self.value(row, i.den)
        return round(100 * self.value(row, i.num) / den, 2) if den else None

    def link(self, row: Any, measure: str, label: str = "") -> str:
        params = {"measure": measure, **self.period.params(), **self.filters}
        if self.slice.param:
            # "-": the cases with no value in that slice (no department yet, no grid).
            params[self.slice.param] = "-" if row in ("", None) else (label or str(row))
        if self.actor:
            params["actor"] = self.actor
        return "/centre/?" + urlencode(params)


def count(
    cases: QuerySet[Case],
    period: Period,
    by: str = "",
    filters: Mapping[str, str] | None = None,
    measures: Iterable[str] | None = None,
    actor: Any = None,
) -> Table:
    """Count ``measures`` over ``cases`` (already the caller's visible cases) by the slice ``by``: one query per
    group of measures sharing a base, whatever the number of rows."""
    sl = SLICES[by]
    filters = {k: v for k, v in (filters or {}).items() if v}
    qs = filter_cases(cases, filters)
    wanted = [k for k in (measures or MEASURES) if actor is None or MEASURES[k].by_actor]
    groups: dict[str, list[str]] = {}
    for key in wanted:
        groups.setdefault(MEASURES[key].base, []).append(key)
    table = Table(sl, period, filters, actor=getattr(actor, "username", "") or "")
    for keys in groups.values():
        group = MEASURES[keys[0]].base
        # Within the base's rows each measure is only its narrowing (the base's subquery is not repeated).
        # Named apart from the model's fields (``handled_on_time`` is both a measure and a column).
        aggregates = {}
        for k in keys:
            narrow = MEASURES[k].narrow(period, actor if MEASURES[k].by_actor else None)
            # COUNT(1), not COUNT(id): the id is in no statistics index, and reading it would defeat an
            # index-only scan.
            aggregates[f"m_{k}"] = Count(Value(1), filter=narrow) if narrow else Count(Value(1))
        rows = qs.filter(BASES[group](period, actor))
        if sl.field:
            result = rows.values(sl.field).annotate(**aggregates).order_by()
            for row in result:
                values = dict(row)
                key = values.pop(sl.field)
                table.counts.setdefault(key, {}).update({k[2:]: v for k, v in values.items()})
        else:
            values = rows.aggregate(**aggregates)
            table.counts.setdefault("", {}).update({k[2:]: v for k, v in values.items()})
    if by == "worker":
        table.counts = _by_worker(table.counts)
    return table


def _by_worker(by_grid: dict[Any, dict[str, int]]) -> dict[Any, dict[str, int]]:
    """A grid worker answers for the grids assigned to them: their row is the sum of those grids' rows."""
    from jingwu.org.models import GridAssignment

    out: dict[Any, dict[str, int]] = {}
    for username, grid_id in GridAssignment.objects.values_list("person__user__username", "grid_id"):
        row = out.setdefault(username, {})
        for k, v in by_grid.get(grid_id, {}).items():
            row[k] = row.get(k, 0) + v
    return out


def labels_for(by: str, keys: Iterable[Any]) -> dict[Any, tuple[str, str]]:
    """Each row key's (filter value, display name)."""
    from jingwu.cases.refs import refs

    r = refs()
    out: dict[Any, tuple[str, str]] = {}
    for k in keys:
        if k in ("", None):
            out[k] = ("", str(_("未指定")) if by else str(_("合计")))
        elif by == "region":
            out[k] = r.regions.get(k, (str(k), str(k)))
        elif by == "grid":
            out[k] = (r.grids.get(k, str(k)), r.grids.get(k, str(k)))
        elif by == "department":
            out[k] = r.departments.get(k, (str(k), str(k)))
        elif by == "category":
            cat = r.categories.get(k)
            out[k] = (f"{cat[0]}:{cat[1]}", f"{cat[1]} {cat[2]}") if cat else (str(k), str(k))
        elif by == "source":
            out[k] = (k, str(Source(k).label) if k in Source.values else k)
        elif by == "kind":
            out[k] = (k, str(CaseKind(k).label) if k in CaseKind.values else k)
        else:
            out[k] = (str(k), str(k))
    if by == "worker":
        from jingwu.org.models import Person

        names = dict(Person.objects.filter(user__username__in=list(out)).values_list("user__username", "name"))
        out = {k: (k, f"{names.get(k, k)} ({k})") for k in out}
    return out


def indicator_rows(table: Table, measures: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows for a page or the API: each count with its link, each rate with its parts."""
    wanted = list(measures or MEASURES)
    labels = labels_for(table.slice.key, table.counts.keys())
    rows = []
    for key, (value, name) in labels.items():
        row: dict[str, Any] = {"key": value, "name": name, "counts": {}, "links": {}, "rates": {}}
        for m in wanted:
            row["counts"][m] = table.value(key, m)
            row["links"][m] = table.link(key, m, value)
        for i in INDICATORS.values():
            if i.num in wanted and i.den in wanted:
                row["rates"][i.key] = table.rate(key, i.key)
        rows.append(row)
    # The most cases first (上报 when counted), the row of no value (未指定) last.
    first = "reported" if "reported" in wanted else wanted[0]
    rows.sort(key=lambda r: (r["key"] == "", -r["counts"].get(first, 0), r["name"]))
    return rows


def period_of(start: datetime | None, end: datetime | None, now: datetime | None = None) -> Period:
    """A period from the query (defaults: this month so far)."""
    from datetime import time

    from jingwu.workcal.services import get_calendar

    now = now or clock.now()
    tz = get_calendar().tz
    local = now.astimezone(tz)
    if start is None:
        start = datetime.combine(local.date().replace(day=1), time.min, tzinfo=tz)
    if end is None:
        end = now
    return Period(start, end, now)


# --- time per stage --------------------------------------------------------------------------------------

# A stage is the time a case spent in these states, measured from the step that brought it in to the step that
# took it out; the stages of the standard's loop (受理, 核实, 立案, 派遣, 处置, 核查, 结案).
STAGES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "accept": (_("受理"), (State.REPORTED,)),
    "verify": (_("核实"), (State.VERIFYING,)),
    "file": (_("立案"), (State.TO_FILE,)),
    "dispatch": (_("派遣"), (State.TO_DISPATCH, State.RETURNED)),
    "handle": (_("处置"), (State.HANDLING,)),
    "check": (_("核查"), (State.TO_CHECK,)),
    "close": (_("结案"), (State.TO_CLOSE,)),
}


# Time per stage reads every step of the period's cases: a quarter at most (a month of a prefecture city's
# 20,000 cases takes about a second at a million cases).
STAGE_DAYS = 92


def stage_times(
    cases: QuerySet[Case], period: Period, filters: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """For each stage left in the period: how many times, and the mean and 90th percentile in working hours
    (calendar time for the urgent categories is not singled out: the working calendar measures every stage).

    One query: each step leaving a stage in the period, with the time of the step before it on the same case."""
    from django.db.models import F, Window
    from django.db.models.functions import Lag

    from jingwu.workcal.services import get_calendar

    qs = filter_cases(cases, {k: v for k, v in (filters or {}).items() if v})
    states = [s for _label, group in STAGES.values() for s in group]
    # The previous step of each case (by seq): the window runs over the cases' steps up to the period's end,
    # then the outer filter keeps the steps that left a stage inside the period.
    left = Transition.objects.filter(at__gte=period.start, at__lt=period.end, from_state__in=states)
    steps = (
        Transition.objects.filter(case__in=qs.filter(pk__in=left.values("case_id")), at__lt=period.end)
        .exclude(to_state="")
        .exclude(to_state=F("from_state"))
        .annotate(entered=Window(Lag("at"), partition_by=[F("case_id")], order_by=F("seq").asc()))
        .values_list("from_state", "at", "entered")
    )
    cal = get_calendar()
    spans: dict[str, list[float]] = {k: [] for k in STAGES}
    of_state = {s: key for key, (_label, group) in STAGES.items() for s in group}
    for state, at, entered in steps:
        if entered is None or at < period.start or state not in of_state:
            continue
        spans[of_state[state]].append(cal.between(entered, at).total_seconds() / 3600)
    out = []
    for key, (label, _group) in STAGES.items():
        values = sorted(spans[key])
        n = len(values)
        out.append(
            {
                "key": key,
                "label": str(label),
                "count": n,
                "mean_hours": round(sum(values) / n, 2) if n else None,
                "p90_hours": round(values[min(n - 1, max(0, -(-9 * n // 10) - 1))], 2) if n else None,
            }
        )
    return out
