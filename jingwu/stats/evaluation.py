"""综合评价: scores 0–100 and grades A–E for grid workers, the centre's positions, departments and villages.

A score is the weighted mean of its indicators' rates (a "lower is better" rate, 漏报率 or 返工率, counts as
1 − rate). An indicator with nothing to count in the period (no report to verify) is left out and the others'
weights share its part, so a quiet month neither rewards nor punishes. The weights are configuration
(``JINGWU_EVALUATION``, JSON); the default below is shipped and documented in docs/stats.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from jingwu.cases.models import Case
from jingwu.org.choices import Role

from . import indicators as ind

# subject → indicator → weight. The grid worker's first four are the published scheme's (40/20/20/20 over 有效
# 上报率, 1 − 漏报率, 按时核实率, 按时核查率), scaled to leave a tenth for patrols (巡查到点率).
DEFAULT_SCHEME: dict[str, dict[str, float]] = {
    "worker": {
        "valid_report_rate": 36,
        "missed_rate": 18,
        "verify_on_time_rate": 18,
        "check_on_time_rate": 18,
        "patrol_rate": 10,
    },
    "operator": {"accept_on_time_rate": 100},
    "shift_lead": {"filing_accuracy": 40, "filing_on_time_rate": 30, "closing_on_time_rate": 30},
    "dispatcher": {"dispatch_on_time_rate": 50, "dispatch_accuracy": 50},
    "department": {"handling_on_time_rate": 40, "handling_rate": 30, "rework_rate": 30},
    "region": {"closure_rate": 30, "closure_on_time_rate": 30, "missed_rate": 20, "check_on_time_rate": 20},
}
SUBJECTS = {
    "worker": _("网格员"),
    "operator": _("受理员"),
    "shift_lead": _("值班长"),
    "dispatcher": _("派遣员"),
    "department": _("责任单位"),
    "region": _("村/社区"),
}
# Subjects judged by what their own hand did (the steps they took), not by the cases of a territory or unit.
POSITIONS = {"operator": Role.OPERATOR, "shift_lead": Role.SHIFT_LEAD, "dispatcher": Role.DISPATCHER}
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))
PATROL = {"key": "patrol_rate", "label": _("巡查到点率")}


def scheme() -> dict[str, dict[str, float]]:
    configured = getattr(settings, "JINGWU_EVALUATION", None) or {}
    return {k: dict(configured.get(k) or v) for k, v in DEFAULT_SCHEME.items()}


def grade(score: float | None) -> str:
    if score is None:
        return "—"
    return next((g for floor, g in GRADES if score >= floor), "E")


@dataclass
class Part:
    key: str
    label: str
    weight: float
    rate: float | None  # percent
    num: int
    den: int
    num_link: str
    den_link: str


def _score(parts: list[Part]) -> float | None:
    counted = [p for p in parts if p.rate is not None and p.weight > 0]
    total = sum(p.weight for p in counted)
    if not total:
        return None
    value = 0.0
    for p in counted:
        rate = (p.rate or 0) / 100
        if p.key in ind.INDICATORS and ind.INDICATORS[p.key].lower_is_better:
            rate = 1 - rate
        value += p.weight * rate
    return round(100 * value / total, 1)


def _parts(table: ind.Table, row: Any, label: str, weights: dict[str, float]) -> list[Part]:
    parts = []
    for key, weight in weights.items():
        if key not in ind.INDICATORS:
            continue
        i = ind.INDICATORS[key]
        parts.append(
            Part(
                key,
                str(i.label),
                weight,
                table.rate(row, key),
                table.value(row, i.num),
                table.value(row, i.den),
                table.link(row, i.num, label),
                table.link(row, i.den, label),
            )
        )
    return parts


def scores(user: Any, subject: str, period: ind.Period) -> list[dict[str, Any]]:
    """Every scored subject's score, grade and parts, best first, with ranks (equal scores share a rank)."""
    weights = scheme()[subject]
    wanted = sorted({m for k in weights if k in ind.INDICATORS for m in (ind.INDICATORS[k].num, ind.INDICATORS[k].den)})
    cases = Case.objects.visible_to(user)
    out: list[dict[str, Any]] = []
    if subject in POSITIONS:
        from jingwu.org.models import Person

        people = Person.objects.filter(role=POSITIONS[subject]).select_related("user").order_by("user__username")
        for person in people:
            table = ind.count(cases, period, "", measures=wanted, actor=person.user)
            parts = _parts(table, "", "", weights)
            out.append(_entry(person.user.username, f"{person.name} ({person.user.username})", parts))
    else:
        table = ind.count(cases, period, subject, measures=wanted)
        with_patrols = subject == "worker" and bool(weights.get("patrol_rate"))
        patrols = _patrols(period) if with_patrols else {}
        keys = set(table.counts) | set(patrols)
        labels = ind.labels_for(subject, keys)
        for key in keys:
            if key in ("", None):
                continue
            value, name = labels[key]
            parts = _parts(table, key, value, weights)
            if with_patrols:
                met, due = patrols.get(key, (0, 0))
                # The patrol register's dates include their last day.
                last_day = _day(period.end - timedelta(microseconds=1))
                link = "/patrols/?" + urlencode({"from": _day(period.start), "to": last_day, "by": "person"})
                parts.append(
                    Part(
                        "patrol_rate",
                        str(PATROL["label"]),
                        weights["patrol_rate"],
                        round(100 * met / due, 2) if due else None,
                        met,
                        due,
                        link,
                        link,
                    )
                )
            out.append(_entry(value, name, parts))
    out.sort(key=lambda e: (-(e["score"] if e["score"] is not None else -1), e["name"]))
    rank, last = 0, None
    for n, e in enumerate(out, 1):
        if e["score"] != last:
            rank, last = n, e["score"]
        e["rank"] = rank if e["score"] is not None else None
    return out


def _entry(key: str, name: str, parts: list[Part]) -> dict[str, Any]:
    score = _score(parts)
    return {"key": key, "name": name, "score": score, "grade": grade(score), "parts": [p.__dict__ for p in parts]}


def _day(at: datetime) -> str:
    from jingwu.workcal.services import get_calendar

    return at.astimezone(get_calendar().tz).date().isoformat()


def _patrols(period: ind.Period) -> dict[str, tuple[int, int]]:
    """Checkpoints met and due on each grid worker's patrols in the period (巡查到点率)."""
    from jingwu.patrols.models import Patrol

    rows = (
        Patrol.objects.filter(started_at__gte=period.start, started_at__lt=period.end, person__role=Role.GRID_WORKER)
        .values("person__user__username")
        .annotate(met=Sum("checkpoints_met"), due=Sum("checkpoints_due"))
        .order_by()
    )
    return {r["person__user__username"]: (r["met"] or 0, r["due"] or 0) for r in rows}


def month_period(month: str, now: datetime) -> ind.Period:
    """``YYYY-MM`` → that month (this month when empty or unreadable)."""
    from jingwu.workcal.services import get_calendar

    tz = get_calendar().tz
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        first = now.astimezone(tz).date().replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return ind.Period(datetime.combine(first, time.min, tz), datetime.combine(following, time.min, tz), now)
