"""What supervision does: targets and actuals with their standing, tasks with their units, progress reports,
reminders and 督办, livelihood projects, and audit findings raised as cases.

Who may do what (docs/supervision.md): the supervising office (督查员) and the leaders set targets, give
tasks, confirm them done and read reports; a responsible unit's staff (部门处置人员) report on their own
unit's tasks and enter the actuals of their own unit's indicators; the command centre sees the board.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid, InvalidState, NotFound
from jingwu.lib.text import check as check_text
from jingwu.org import actors
from jingwu.org.choices import SEE_ALL, Role
from jingwu.org.models import Department, Person
from jingwu.org.services import has_role, person_of

from .choices import (
    ActualKind,
    Light,
    NoticeKind,
    Period,
    ProjectStatus,
    Standing,
    TaskSource,
    TaskStatus,
    UnitRole,
    months_in,
)
from .models import (
    Actual,
    AuditFinding,
    Indicator,
    Milestone,
    Notice,
    Project,
    ProjectUpdate,
    Report,
    ReportFile,
    Target,
    Task,
    TaskUnit,
)

# The supervising office and the leaders steer; the command centre and the units look on.
MANAGE = (Role.SUPERVISOR, Role.LEADER)
VIEW = (*sorted(SEE_ALL), Role.HANDLER)

AUDIT_CATEGORY = "matter:90007"
SUPERVISION = actors.register(
    actors.SystemActor(
        "supervision",
        "督查督办模块",
        "superior",
        steps=frozenset({"case:note"}),
        # An audit's finding is established already: it is filed at once and waits for dispatch.
        start_states=frozenset({"to_dispatch"}),
    )
)
AUDIT_ORIGIN = "supervision.audit"

MAX_FILE = 20 * 1024 * 1024
# Magic numbers of what a unit attaches to a progress report: PDF, Office (zip and the old compound file),
# JPEG and PNG. The name's extension must agree.
FILE_KINDS: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG",),
}


def may_manage(user: Any) -> bool:
    return has_role(user, *MANAGE)


def _manager(user: Any) -> None:
    if not may_manage(user):
        raise Forbidden(_("只有督查员和领导可以操作"), code="forbidden_role")


def own_department(user: Any) -> Department | None:
    person = person_of(user)
    return person.department if person is not None and has_role(user, Role.HANDLER) else None


# ---------------------------------------------------------------- numbers


# The largest magnitudes the decimal columns hold: (18, 4) for figures, (14, 2) for money in 万元, (8, 2) for rates.
FIGURE_MAX = 10**14 - 1
MONEY_MAX = 10**12 - 1


def number(value: Any, name: str, *, required: bool = False, low: float | None = None, high: float = FIGURE_MAX) -> Any:
    """A finite decimal from a form, the API or Excel, or None; a clear error otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(_("%(name)s不能为空") % {"name": name}, code="required")
        return None
    if isinstance(value, bool):
        raise Invalid(_("%(name)s须为数字") % {"name": name}, code="invalid_number")
    try:
        d = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise Invalid(_("%(name)s须为数字") % {"name": name}, code="invalid_number") from exc
    if not d.is_finite() or abs(d) > Decimal(str(high)) or (low is not None and d < Decimal(str(low))):
        raise Invalid(_("%(name)s超出范围") % {"name": name}, code="invalid_number")
    return d.quantize(Decimal("0.0001")) if d.as_tuple().exponent < -4 else d  # type: ignore[operator]


def year_of(value: Any) -> int:
    try:
        y = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise Invalid(_("年度无效"), code="invalid_year") from exc
    if not 1949 <= y <= 2100:
        raise Invalid(_("年度无效"), code="invalid_year")
    return y


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    check_text(text, name)
    if required and not text:
        raise Invalid(_("%(name)s不能为空") % {"name": name}, code="required")
    if len(text) > limit:
        raise Invalid(_("%(name)s过长") % {"name": name}, code="too_long")
    return text


# ---------------------------------------------------------------- indicators, targets, actuals


def find_indicator(name: str) -> Indicator | None:
    name = name.strip()
    found = Indicator.objects.filter(name=name).first()
    if found is not None:
        return found
    for ind in Indicator.objects.exclude(aliases=[]):
        if name in (ind.aliases or []):
            return ind
    return None


def indicator(name: str, unit: str = "", *, department: Department | None = None, cumulative: bool = True) -> Indicator:
    """The indicator of this name (or alias), made when new."""
    name = _text(name, "indicator", 64, required=True)
    found = find_indicator(name)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Indicator.objects.create(
                name=name,
                unit=(unit or "")[:16],
                department=department,
                cumulative=cumulative and unit not in ("%", "个百分点"),
                position=Indicator.objects.count() + 1,
            )
    except IntegrityError:
        return Indicator.objects.get(name=name)


def set_target(
    ind: Indicator,
    year: Any,
    *,
    value: Any = None,
    growth_pct: Any = None,
    actor: Any,
    source: str = "",
    department: Department | None = None,
) -> Target:
    _manager(actor)
    y = year_of(year)
    v, g = number(value, _("目标值")), number(growth_pct, _("目标增速"), low=-100, high=10000)
    if v is None and g is None:
        raise Invalid(_("目标须有目标值或目标增速"), code="required")
    target, _created = Target.objects.update_or_create(
        indicator=ind,
        year=y,
        defaults={
            "value": v,
            "growth_pct": g,
            "source": _text(source, "source", 200),
            "department": department or ind.department,
            "created_by": actor if getattr(actor, "pk", None) else None,
            "created_at": clock.now(),
        },
    )
    audit.record(
        "supervision.target", "indicator", ind.pk, actor=actor, data={"year": y, "value": str(v), "growth": str(g)}
    )
    return target


def targets_for(user: Any) -> QuerySet[Target]:
    """Every target for the office, leaders and the centre; a unit's own (by target or indicator) for its staff."""
    qs = Target.objects.all()
    if may_manage(user) or has_role(user, *SEE_ALL):
        return qs
    unit = own_department(user)
    return qs.filter(Q(department=unit) | Q(indicator__department=unit)) if unit is not None else qs.none()


def may_see_indicator(user: Any, ind: Indicator) -> bool:
    if may_manage(user) or has_role(user, *SEE_ALL):
        return True
    return targets_for(user).filter(indicator=ind).exists() or may_enter_actual(user, ind)


def may_see_project(user: Any, project: Project) -> bool:
    return has_role(user, *SEE_ALL) or may_update_project(user, project)


def may_enter_actual(user: Any, ind: Indicator) -> bool:
    if may_manage(user):
        return True
    unit = own_department(user)
    return unit is not None and ind.department_id == unit.pk


def record_actual(
    ind: Indicator,
    year: Any,
    period: Any = Period.YEAR,
    *,
    value: Any = None,
    growth_pct: Any = None,
    kind: str = ActualKind.ACTUAL,
    source: str,
    actor: Any,
) -> Actual:
    """An actual (or an estimate) for a year, quarter or month; entering it again corrects it."""
    if not may_enter_actual(actor, ind):
        raise Forbidden(_("只能填报本单位负责的指标"), code="forbidden_indicator")
    y = year_of(year)
    p = str(period or Period.YEAR).strip().upper()
    if p not in Period.values:
        raise Invalid(_("期间无效：%(p)s（全年Y、季度Q1—Q4、月份M01—M12）") % {"p": p}, code="invalid_period")
    if kind not in ActualKind.values:
        raise Invalid(_("性质须为实际或预计"), code="invalid_kind")
    v, g = number(value, _("数值")), number(growth_pct, _("同比增速"), low=-100, high=10000)
    if v is None and g is None:
        raise Invalid(_("须填写数值或同比增速"), code="required")
    src = _text(source, "source", 200, required=True)
    actual, _created = Actual.objects.update_or_create(
        indicator=ind,
        year=y,
        period=p,
        kind=kind,
        defaults={
            "value": v,
            "growth_pct": g,
            "source": src,
            "entered_by": actor if getattr(actor, "pk", None) else None,
            "entered_at": clock.now(),
        },
    )
    audit.record(
        "supervision.actual",
        "indicator",
        ind.pk,
        actor=actor,
        data={"year": y, "period": p, "kind": kind, "value": str(v)},
    )
    return actual


@dataclass
class ImportRow:
    line: int
    errors: list[str] = field(default_factory=list)


IMPORT_COLUMNS = ("指标", "年度", "期间", "数值", "同比增速(%)", "来源")
# A town's year of monthly figures is a few hundred rows; these bound what one upload may cost.
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000


def import_actuals(upload: Any, *, actor: Any) -> tuple[int, list[ImportRow]]:
    """Actuals from Excel (the columns of ``IMPORT_COLUMNS``), all or nothing: any bad row and nothing is saved;
    the report lists every row's errors."""
    from openpyxl import load_workbook

    if (getattr(upload, "size", 0) or 0) > IMPORT_MAX_BYTES:
        raise Invalid(_("Excel文件不能超过5MB"), code="file_too_large")
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(_("无法读取Excel文件：%(e)s") % {"e": exc.__class__.__name__}, code="invalid_file") from exc
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True, max_row=IMPORT_MAX_ROWS + 1))
    if not rows:
        raise Invalid(_("表格为空"), code="invalid_file")
    head = [str(c or "").strip() for c in rows[0]]
    missing = [c for c in IMPORT_COLUMNS if c not in head and c != "同比增速(%)"]
    if missing:
        raise Invalid(_("缺少列：%(cols)s") % {"cols": "、".join(missing)}, code="invalid_file")
    col = {name: head.index(name) for name in IMPORT_COLUMNS if name in head}
    report: list[ImportRow] = []
    parsed: list[tuple[Indicator, int, str, Any, Any, str]] = []
    seen: set[tuple[int, int, str]] = set()
    for i, raw in enumerate(rows[1:], start=2):
        cells = list(raw) + [None] * len(head)
        if all(c in (None, "") for c in cells[: len(head)]):
            continue
        row = ImportRow(i)
        report.append(row)

        def cell(name: str, cells: list[Any] = cells) -> Any:
            return cells[col[name]] if name in col else None

        ind = find_indicator(str(cell("指标") or ""))
        if ind is None:
            row.errors.append(_("未知指标：%(n)s") % {"n": cell("指标")})
        elif not may_enter_actual(actor, ind):
            row.errors.append(_("无权填报指标：%(n)s") % {"n": ind.name})
        try:
            y = year_of(cell("年度"))
        except Invalid as exc:
            row.errors.append(exc.message)
            y = 0
        p = str(cell("期间") or "Y").strip().upper()
        if p not in Period.values:
            row.errors.append(_("期间无效：%(p)s") % {"p": p})
        v = g = None
        try:
            v = number(cell("数值"), _("数值"))
            g = number(cell("同比增速(%)"), _("同比增速"), low=-100, high=10000)
            if v is None and g is None:
                row.errors.append(_("须填写数值或同比增速"))
        except Invalid as exc:
            row.errors.append(exc.message)
        src = str(cell("来源") or "").strip()
        if not src:
            row.errors.append(_("来源不能为空"))
        if ind is not None and y:
            key = (ind.pk, y, p)
            if key in seen:
                row.errors.append(_("与上方的行重复"))
            seen.add(key)
        if not row.errors and ind is not None:
            parsed.append((ind, y, p, v, g, src[:200]))
    if any(r.errors for r in report):
        return 0, report
    with transaction.atomic():
        for ind, y, p, v, g, src in parsed:
            record_actual(ind, y, p, value=v, growth_pct=g, source=src, actor=actor)
    return len(parsed), report


@dataclass
class TargetView:
    target: Target
    goal: Decimal | None  # the value aimed at (from the growth rate and last year's figure when only a rate is set)
    latest: Actual | None
    percent: float | None  # of the goal reached
    expected: float  # share of the year the latest figure covers, in %
    elapsed: float  # share of the year gone by today, in %
    growth: Decimal | None  # year on year, as reported or computed from last year's same period
    standing: str

    def get_standing_display(self) -> str:
        return str(Standing(self.standing).label)

    @property
    def unit_name(self) -> str:
        unit = self.target.department or self.target.indicator.department
        return unit.name if unit is not None else "—"


def _annual(ind_id: int, year: int, actuals: Sequence[Actual]) -> Actual | None:
    for kind in (ActualKind.ACTUAL, ActualKind.ESTIMATE):
        for a in actuals:
            if a.indicator_id == ind_id and a.year == year and a.kind == kind and a.period in (Period.YEAR, Period.M12):
                return a
    return None


def target_views(targets: Iterable[Target], today: date) -> list[TargetView]:
    """Each target's standing: the latest figure against the goal, and against the share of the year it covers
    (a year-to-date total at the end of June should be about half the goal). Two queries whatever the rows."""
    targets = list(targets)
    ids = {t.indicator_id for t in targets}
    years = {t.year for t in targets} | {t.year - 1 for t in targets}
    actuals = list(Actual.objects.filter(indicator_id__in=ids, year__in=years))
    tolerance = float(settings.JINGWU_TARGET_TOLERANCE_PCT)
    out = []
    for t in targets:
        ind = t.indicator
        # A rate-only target is judged by rate-only figures too; a target with a value needs figures with one.
        own = [
            a
            for a in actuals
            if a.indicator_id == t.indicator_id and a.year == t.year and (a.value is not None or t.value is None)
        ]
        real = [a for a in own if a.kind == ActualKind.ACTUAL] or own
        latest = max(real, key=lambda a: (months_in(a.period), a.period == Period.YEAR), default=None)
        last_year = _annual(t.indicator_id, t.year - 1, actuals)
        goal: Decimal | None = t.value
        if goal is None and t.growth_pct is not None and last_year is not None and last_year.value is not None:
            goal = (last_year.value * (1 + t.growth_pct / 100)).quantize(Decimal("0.01"))
        start = date(t.year, 1, 1)
        elapsed = min(100.0, max(0.0, (today - start).days / ((date(t.year + 1, 1, 1) - start).days) * 100))
        percent = expected = None
        growth = latest.growth_pct if latest is not None else None
        if latest is not None and latest.value is not None:
            expected = months_in(latest.period) / 12 * 100 if ind.cumulative else 100.0
            if goal:
                percent = float(latest.value / goal * 100)
            if growth is None:
                before = next(
                    (
                        a
                        for a in actuals
                        if a.indicator_id == t.indicator_id
                        and a.year == t.year - 1
                        and a.period == latest.period
                        and a.value
                    ),
                    None,
                ) or (last_year if latest.period in (Period.YEAR, Period.M12) else None)
                if before is not None and before.value:
                    growth = ((latest.value / before.value - 1) * 100).quantize(Decimal("0.1"))
        if latest is None:
            standing = Standing.NO_DATA
        elif percent is None:
            # A rate-only target with no base: judge by the growth reached against the growth aimed at.
            aim = t.growth_pct
            standing = (
                Standing.NO_DATA
                if growth is None or aim is None
                else (Standing.ON_TRACK if growth >= aim else Standing.BEHIND)
            )
        elif percent >= 100:
            standing = Standing.DONE
        elif expected is not None and percent < expected - tolerance:
            standing = Standing.BEHIND
        elif expected is not None and percent < expected:
            standing = Standing.WATCH
        else:
            standing = Standing.ON_TRACK
        out.append(
            TargetView(
                t,
                goal,
                latest,
                None if percent is None else round(percent, 1),
                round(expected or 0, 1),
                round(elapsed, 1),
                growth,
                standing,
            )
        )
    return out


def history(ind: Indicator) -> list[dict[str, Any]]:
    """Year by year: the target, the estimate and the actual (2019 actual → 2020 target → 2020 actual)."""
    targets = {t.year: t for t in ind.targets.all()}
    actuals: dict[int, dict[str, Actual]] = {}
    for a in ind.actuals.filter(period__in=[Period.YEAR, Period.M12]):
        actuals.setdefault(a.year, {})[a.kind] = a
    rows = []
    for y in sorted(set(targets) | set(actuals)):
        t = targets.get(y)
        got = actuals.get(y, {}).get(ActualKind.ACTUAL)
        before = actuals.get(y - 1, {})
        base = before.get(ActualKind.ACTUAL) or before.get(ActualKind.ESTIMATE)
        growth = got.growth_pct if got is not None else None
        if growth is None and got is not None and got.value and base is not None and base.value:
            growth = ((got.value / base.value - 1) * 100).quantize(Decimal("0.1"))
        rows.append(
            {
                "year": y,
                "target": t,
                "estimate": actuals.get(y, {}).get(ActualKind.ESTIMATE),
                "actual": got,
                "growth": growth,
            }
        )
    return rows


# ---------------------------------------------------------------- tasks


def tasks_for(user: Any) -> QuerySet[Task]:
    if may_manage(user) or has_role(user, *SEE_ALL):
        return Task.objects.all()
    unit = own_department(user)
    if unit is None:
        return Task.objects.none()
    return Task.objects.filter(unit_rows__department=unit).distinct()


def get_task(user: Any, ref: Any) -> Task:
    task = tasks_for(user).filter(number=str(ref)).first()
    if task is None:
        raise NotFound(_("任务不存在"), code="not_found")
    return task


def _department(value: Any) -> Department:
    if isinstance(value, Department):
        return value
    text = str(value or "").strip()
    found = Department.objects.filter(Q(code=text) | Q(name=text)).first()
    if found is None:
        raise Invalid(_("未知单位：%(d)s") % {"d": text}, code="unknown_department")
    return found


def _date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        d = date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise Invalid(_("%(name)s须为日期（YYYY-MM-DD）") % {"name": name}, code="invalid_date") from exc
    if not 1949 <= d.year <= 2100:
        raise Invalid(_("%(name)s超出范围") % {"name": name}, code="invalid_date")
    return d


def create_task(
    *,
    actor: Any,
    title: str,
    deadline: Any,
    lead: Any,
    supports: Sequence[Any] = (),
    text: str = "",
    year: Any = None,
    heading: str = "",
    source: str = TaskSource.HAND,
    places: Sequence[str] = (),
    projects: Sequence[str] = (),
    milestones: Sequence[tuple[str, Any]] = (),
    client_key: str | None = None,
) -> tuple[Task, bool]:
    """A task for a lead unit and its supporting units. A retry with the same key returns the first."""
    _manager(actor)
    key = _text(client_key, "client_key", 64) or None
    # A task read from a report is one per report sentence and year, whoever saves the reading; others are one
    # per person and key.
    stored_key = (key if key.startswith("report:") else f"{actor.pk}:{key}") if key else None
    if stored_key is not None:
        found = Task.objects.filter(client_key=stored_key).first()
        if found is not None:
            return found, False
    title = _text(title, "title", 200, required=True)
    due = _date(deadline, _("完成时限"))
    lead_unit = _department(lead)
    support_units = [_department(s) for s in supports]
    if any(s.pk == lead_unit.pk for s in support_units):
        raise Invalid(_("牵头单位不能同时是配合单位"), code="invalid_units")
    marks = [(_text(m, "milestone", 200, required=True), _date(d, _("节点时限"))) for m, d in milestones]
    if source not in TaskSource.values:
        raise Invalid(_("来源无效"), code="invalid_source")
    now = clock.now()
    try:
        task = _insert_task(
            actor,
            stored_key,
            title,
            text,
            year,
            heading,
            source,
            places,
            projects,
            due,
            lead_unit,
            support_units,
            marks,
            now,
        )
    except IntegrityError:
        found = Task.objects.filter(client_key=stored_key).first() if stored_key else None
        if found is None:
            raise
        return found, False  # the same form sent twice at once: the first one made it
    from jingwu.notify.receivers import notify

    text = _("新任务“%(t)s”，完成时限%(d)s") % {"t": task.title, "d": task.deadline}
    for unit in [lead_unit, *support_units]:
        for person in _unit_people(unit.pk):
            notify(person.user, "task_new", f"task:{task.pk}:new", url=task_url(task), body=text)
    return task, True


def _insert_task(
    actor: Any,
    stored_key: str | None,
    title: str,
    text: str,
    year: Any,
    heading: str,
    source: str,
    places: Sequence[str],
    projects: Sequence[str],
    due: date,
    lead_unit: Department,
    support_units: list[Department],
    marks: list[tuple[str, date]],
    now: datetime,
) -> Task:
    with transaction.atomic():
        task = Task.objects.create(
            number=uuid.uuid4().hex[:20],
            title=title,
            text=_text(text, "text", 4000),
            # A task belongs to the year it is given in (its board), even when due next spring.
            year=year_of(year) if year not in (None, "") else _local_today(now).year,
            heading=_text(heading, "heading", 200),
            source=source,
            places=[str(p)[:64] for p in places][:20],
            projects=[str(p)[:100] for p in projects][:20],
            deadline=due,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            client_key=stored_key,
        )
        task.number = f"DB{task.year}{task.pk:05d}"
        task.save(update_fields=["number"])
        TaskUnit.objects.create(task=task, department=lead_unit, role=UnitRole.LEAD)
        seen = {lead_unit.pk}
        for s in support_units:
            if s.pk not in seen:
                TaskUnit.objects.create(task=task, department=s, role=UnitRole.SUPPORT)
                seen.add(s.pk)
        Milestone.objects.bulk_create([Milestone(task=task, title=m, due=d) for m, d in marks])
        audit.record("supervision.task", "task", task.number, actor=actor, data={"lead": lead_unit.code})
    return task


def _local_today(now: datetime) -> date:
    from jingwu.workcal.services import get_calendar

    return now.astimezone(get_calendar().tz).date()


def unit_role(task: Task, user: Any) -> str | None:
    unit = own_department(user)
    if unit is None:
        return None
    row = task.unit_rows.filter(department=unit).first()
    return row.role if row is not None else None


def _check_file(upload: Any) -> str:
    name = str(getattr(upload, "name", "") or "file")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in FILE_KINDS:
        raise Invalid(_("附件须为PDF、Word、Excel或图片：%(n)s") % {"n": name}, code="invalid_file")
    size = getattr(upload, "size", None) or 0
    if size > MAX_FILE:
        raise Invalid(_("附件不能超过20MB：%(n)s") % {"n": name}, code="file_too_large")
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(m) for m in FILE_KINDS[ext]):
        raise Invalid(_("附件内容与类型不符：%(n)s") % {"n": name}, code="invalid_file")
    return name[-200:]


def report_progress(
    task: Task,
    *,
    actor: Any,
    text: str,
    percent: Any,
    finished: bool = False,
    milestone: Any = None,
    files: Sequence[Any] = (),
    client_key: str | None = None,
) -> tuple[Report, bool]:
    """A unit reports progress. The lead unit may ask for the task to be confirmed done (申请办结)."""
    role = unit_role(task, actor)
    if role is None:
        raise Forbidden(_("只有责任单位可以报送进展"), code="forbidden_unit")
    key = _text(client_key, "client_key", 64) or None
    if key is not None:  # a retry answers with the first report, even after the task was confirmed
        found = Report.objects.filter(task=task, author=actor, client_key=key).first()
        if found is not None:
            return found, False
    if task.status == TaskStatus.DONE:
        raise InvalidState(_("任务已办结"), code="invalid_state")
    body = _text(text, "text", 4000, required=True)
    pct = number(percent, _("进度"), required=True, low=0, high=100)
    if finished and role != UnitRole.LEAD:
        raise Forbidden(_("只有牵头单位可以申请办结"), code="forbidden_unit")
    mark = None
    if milestone not in (None, ""):
        mark = task.milestones.filter(pk=int(milestone) if str(milestone).isdigit() else -1).first()
        if mark is None:
            raise Invalid(_("节点不存在"), code="invalid_milestone")
    names = [_check_file(f) for f in files]
    if len(files) > 10:
        raise Invalid(_("附件最多10个"), code="too_many_files")
    now = clock.now()
    unit = own_department(actor)
    assert unit is not None
    try:
        with transaction.atomic():
            report = Report.objects.create(
                task=task,
                department=unit,
                author=actor,
                text=body,
                percent=int(pct),
                finished=finished,
                milestone=mark,
                created_at=now,
                client_key=key,
            )
            for f, name in zip(files, names, strict=True):
                ReportFile.objects.create(report=report, file=f, name=name, size=getattr(f, "size", 0) or 0)
            if mark is not None and mark.done_at is None:
                mark.done_at = now
                mark.save(update_fields=["done_at"])
            # Only the lead unit's report moves the task, and only its own fields, read afresh under a lock.
            if role == UnitRole.LEAD:
                fresh = Task.objects.select_for_update().get(pk=task.pk)
                fresh.progress = 100 if finished else int(pct)
                if finished:
                    fresh.status, fresh.reported_at = TaskStatus.REPORTED, now
                elif fresh.status == TaskStatus.REPORTED:
                    fresh.status, fresh.reported_at = TaskStatus.OPEN, None  # not done after all: chased again
                fresh.save(update_fields=["progress", "status", "reported_at"])
                task.progress, task.status, task.reported_at = fresh.progress, fresh.status, fresh.reported_at
            audit.record(
                "supervision.report", "task", task.number, actor=actor, data={"percent": int(pct), "finished": finished}
            )
    except IntegrityError:
        found = Report.objects.filter(task=task, author=actor, client_key=key).first()
        if found is None:
            raise
        return found, False
    if finished:
        from jingwu.notify.receivers import notify

        for person in _people((Role.SUPERVISOR,)):
            notify(
                person.user,
                "task_reported",
                f"task:{task.pk}:reported:{report.pk}",
                url=task_url(task),
                body=task.title,
            )
    return report, True


def confirm(task: Task, *, actor: Any, accept: bool, note: str = "") -> Task:
    """The supervising office confirms a task done, or sends it back to the lead unit with a reason."""
    _manager(actor)
    if task.status != TaskStatus.REPORTED:
        raise InvalidState(_("任务尚未申请办结"), code="invalid_state")
    reason = _text(note, "note", 500)
    if not accept and not reason:
        raise Invalid(_("退回须说明理由"), code="reason_required")
    now = clock.now()
    with transaction.atomic():
        # Two people deciding at once: the first decides, the second is told it is decided already.
        locked = Task.objects.select_for_update().filter(pk=task.pk, status=TaskStatus.REPORTED).first()
        if locked is None:
            raise InvalidState(_("任务尚未申请办结"), code="invalid_state")
        task = locked
        if accept:
            task.status, task.confirmed_by, task.confirmed_at = TaskStatus.DONE, actor, now
        else:
            task.status, task.reported_at = TaskStatus.OPEN, None
            task.progress = min(task.progress, 90)
        task.office_note = reason
        task.save(update_fields=["status", "confirmed_by", "confirmed_at", "reported_at", "progress", "office_note"])
        audit.record("supervision.confirm", "task", task.number, actor=actor, data={"accept": accept, "note": reason})
    if not accept:
        from jingwu.notify.receivers import notify

        lead = task.unit_rows.filter(role=UnitRole.LEAD).first()
        for person in _unit_people(lead.department_id if lead else None):
            notify(
                person.user,
                "task_returned",
                f"task:{task.pk}:back:{int(now.timestamp())}",
                url=task_url(task),
                body=f"{task.title}：{reason}",
            )
    return task


def light(task: Task, today: date, marks: Sequence[Milestone] | None = None) -> str:
    """The board's traffic light: done; red when late (or a milestone is); yellow when the deadline is near."""
    if task.status == TaskStatus.DONE:
        return Light.DONE
    if task.status == TaskStatus.REPORTED and task.reported_at is not None:
        # Reported done in time: waiting for the office is not the unit's lateness.
        return Light.GREEN if _local_today(task.reported_at) <= task.deadline else Light.RED
    marks = list(task.milestones.all()) if marks is None else marks
    if task.deadline < today or any(m.done_at is None and m.due < today for m in marks):
        return Light.RED
    near = timedelta(days=settings.JINGWU_TASK_REMIND_DAYS)
    if task.deadline - today <= near or any(m.done_at is None and m.due - today <= near for m in marks):
        return Light.YELLOW
    return Light.GREEN


def task_url(task: Task) -> str:
    return f"/supervision/tasks/{task.number}/"


def _people(roles: Sequence[str]) -> list[Person]:
    from jingwu.org.models import PersonRole

    extra = PersonRole.objects.filter(role__in=roles).values("person_id")
    return list(
        Person.objects.filter(user__is_active=True).filter(Q(role__in=roles) | Q(pk__in=extra)).select_related("user")
    )


def _unit_people(department_id: int | None) -> list[Person]:
    if department_id is None:
        return []
    return [p for p in _people((Role.HANDLER,)) if p.department_id == department_id]


def send_notices(now: datetime | None = None) -> int:
    """Reminders before a deadline and 督办 after it, each once per task, unit, deadline and level.

    A reminder goes to every unit on the task ``JINGWU_TASK_REMIND_DAYS`` days before the deadline (and to the
    lead unit before a milestone). From the day after the deadline the lead and supporting units get a 督办
    notice, and another every ``JINGWU_TASK_ESCALATE_DAYS`` days while the task stays late; from the second the
    leaders are told too. A run that finds a task several rounds late sends only the current round. A task the
    lead unit has reported done waits for the office, so it is not chased.
    """
    from jingwu.notify.receivers import notify
    from jingwu.workcal.services import get_calendar

    now = now or clock.now()
    today = now.astimezone(get_calendar().tz).date()
    remind = timedelta(days=settings.JINGWU_TASK_REMIND_DAYS)
    step = max(1, int(settings.JINGWU_TASK_ESCALATE_DAYS))
    sent = 0
    tasks = Task.objects.filter(status=TaskStatus.OPEN, deadline__lte=today + remind).prefetch_related("unit_rows")
    due_marks = Milestone.objects.filter(
        task__status=TaskStatus.OPEN, done_at__isnull=True, due__gte=today, due__lte=today + remind
    ).select_related("task")

    def tell(task: Task, unit_id: int, kind: str, level: int, due: date, text: str, event: str) -> int:
        try:
            with transaction.atomic():
                Notice.objects.create(
                    task=task, department_id=unit_id, kind=kind, level=level, due=due, text=text[:300], sent_at=now
                )
        except IntegrityError:
            return 0
        key = f"task:{task.pk}:{kind}:{unit_id}:{due.isoformat()}:{level}"
        for person in _unit_people(unit_id):
            notify(person.user, event, key, url=task_url(task), body=text)
        if level >= 2:  # once per task and level, however many units it has
            told = f"task:{task.pk}:{kind}:leaders:{due.isoformat()}:{level}"
            for person in _people((Role.LEADER, Role.SUPERVISOR)):
                notify(person.user, event, told, url=task_url(task), body=text)
        return 1

    for task in tasks:
        units = list(task.unit_rows.all())
        if task.deadline >= today:
            days = (task.deadline - today).days
            text = _("任务“%(t)s”将于%(d)s到期（还有%(n)s天）") % {"t": task.title, "d": task.deadline, "n": days}
            for u in units:
                sent += tell(task, u.department_id, NoticeKind.REMINDER, 0, task.deadline, text, "task_due")
            continue
        late = (today - task.deadline).days
        level = 1 + (late - 1) // step  # the n-th 督办: one more every ``step`` days while it stays late
        text = _("督办：任务“%(t)s”已超期%(n)s天（时限%(d)s），请抓紧办理并报送进展") % {
            "t": task.title,
            "n": late,
            "d": task.deadline,
        }
        for u in units:
            sent += tell(task, u.department_id, NoticeKind.DUCHA, level, task.deadline, text, "ducha")
    for mark in due_marks:
        lead = next((u for u in mark.task.unit_rows.all() if u.role == UnitRole.LEAD), None)
        if lead is None:
            continue
        text = _("任务“%(t)s”的节点“%(m)s”将于%(d)s到期") % {"t": mark.task.title, "m": mark.title, "d": mark.due}
        sent += tell(mark.task, lead.department_id, NoticeKind.REMINDER, 0, mark.due, text, "task_due")
    return sent


# ---------------------------------------------------------------- the report reader's proposals


def apply_reading(
    figures: Sequence[dict[str, Any]],
    tasks: Sequence[dict[str, Any]],
    *,
    actor: Any,
    source: str,
    deadline: Any = None,
) -> dict[str, int]:
    """Save what a person confirmed of a report's reading: figures become targets (``kind`` target) or annual
    actuals and estimates; tasks become tasks for their suggested (or chosen) lead unit, due by ``deadline``
    (the end of their year when not given). All or nothing."""
    _manager(actor)
    made = {"targets": 0, "actuals": 0, "tasks": 0, "known_tasks": 0}
    with transaction.atomic():
        for f in figures:
            ind = indicator(str(f.get("indicator") or ""), str(f.get("unit") or ""))
            value, growth, kind = f.get("value"), f.get("growth_pct"), f.get("kind")
            if value is None and growth is None:
                continue
            if kind == "target":
                set_target(ind, f.get("year"), value=value, growth_pct=growth, actor=actor, source=source)
                made["targets"] += 1
            elif kind in (ActualKind.ACTUAL, ActualKind.ESTIMATE):
                record_actual(
                    ind,
                    f.get("year"),
                    Period.YEAR,
                    value=value,
                    growth_pct=growth,
                    kind=kind,
                    source=source,
                    actor=actor,
                )
                made["actuals"] += 1
            else:
                raise Invalid(_("未知的数据性质：%(k)s") % {"k": kind}, code="invalid_kind")
        for t in tasks:
            y = year_of(t.get("year"))
            # The reader suggests a unit by the demo town's names; another town's may differ: the default then.
            lead = t.get("department") or settings.JINGWU_TASK_DEFAULT_UNIT
            if not Department.objects.filter(Q(code=lead) | Q(name=lead)).exists():
                lead = settings.JINGWU_TASK_DEFAULT_UNIT
            sentence = str(t.get("sentence") or "")
            _task, new = create_task(
                actor=actor,
                title=sentence[:200],
                text=sentence,
                year=y,
                heading=str(t.get("heading") or ""),
                deadline=t.get("deadline") or deadline or date(y, 12, 31),
                lead=lead,
                source=TaskSource.REPORT,
                places=list(t.get("places") or []),
                projects=list(t.get("projects") or []),
                client_key=f"report:{y}:{uuid.uuid5(uuid.NAMESPACE_URL, sentence).hex[:32]}",
            )
            made["tasks" if new else "known_tasks"] += 1
    return made


# ---------------------------------------------------------------- projects


def save_project(
    *,
    actor: Any,
    year: Any,
    category: str,
    name: str,
    budget: Any,
    department: Any = None,
    geometry: dict[str, Any] | None = None,
    starts: Any = None,
    ends: Any = None,
    progress: Any = 0,
) -> Project:
    from jingwu.geo.services import locate

    _manager(actor)
    from .choices import ProjectCategory

    if category not in ProjectCategory.values:
        raise Invalid(_("类别无效"), code="invalid_category")
    lon = lat = None
    region_id = None
    if geometry:
        lon, lat = _representative_point(geometry)
        where = locate(lon, lat)
        if where is None:
            raise Invalid(_("位置不在辖区内"), code="outside_territory")
        region_id = where.region_id
    pct = int(number(progress, _("进度"), low=0, high=100) or 0)
    project, _created = Project.objects.update_or_create(
        year=year_of(year),
        name=_text(name, "name", 200, required=True),
        defaults={
            "category": category,
            "budget": number(budget, _("总投资"), required=True, low=0, high=MONEY_MAX),
            "department": _department(department) if department else None,
            "geometry": geometry,
            "lon": lon,
            "lat": lat,
            "region_id": region_id,
            "starts": _date(starts, _("开工时间")) if starts else None,
            "ends": _date(ends, _("计划完工")) if ends else None,
            "progress": pct,
            "status": ProjectStatus.DONE
            if pct >= 100
            else ProjectStatus.BUILDING
            if pct > 0
            else ProjectStatus.PLANNED,
            "updated_at": clock.now(),
        },
    )
    return project


def _representative_point(geometry: dict[str, Any]) -> tuple[float, float]:
    from shapely.geometry import shape

    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several kinds for a malformed GeoJSON geometry
        raise Invalid(_("位置须为GeoJSON点或面"), code="invalid_geometry") from exc
    if geom.geom_type not in ("Point", "Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise Invalid(_("位置须为GeoJSON点或面"), code="invalid_geometry")
    p = geom.representative_point()
    if not (math.isfinite(p.x) and math.isfinite(p.y)):
        raise Invalid(_("位置须为GeoJSON点或面"), code="invalid_geometry")
    return float(p.x), float(p.y)


def may_update_project(user: Any, project: Project) -> bool:
    if may_manage(user):
        return True
    unit = own_department(user)
    return unit is not None and project.department_id == unit.pk


def update_project(project: Project, *, actor: Any, percent: Any, note: str = "", photo: Any = None) -> ProjectUpdate:
    from jingwu.cases import photos as photo_lib

    if not may_update_project(actor, project):
        raise Forbidden(_("只有责任单位可以报送工程进展"), code="forbidden_unit")
    pct = int(number(percent, _("进度"), required=True, low=0, high=100))
    cleaned = None
    if photo is not None:
        # The re-encoded image is what is kept: no EXIF (a phone's position, its make), a name of our own.
        processed = photo_lib.process(photo)
        cleaned = processed.content
        cleaned.name = processed.name
    now = clock.now()
    with transaction.atomic():
        update = ProjectUpdate.objects.create(
            project=project, percent=pct, note=_text(note, "note", 2000), photo=cleaned or "", author=actor, at=now
        )
        project.progress = pct
        project.status = (
            ProjectStatus.DONE if pct >= 100 else ProjectStatus.BUILDING if pct > 0 else ProjectStatus.PLANNED
        )
        project.updated_at = now
        project.save(update_fields=["progress", "status", "updated_at"])
    return update


# ---------------------------------------------------------------- audit findings


def raise_finding(
    *,
    actor: Any,
    region: Any,
    audit_year: Any,
    title: str,
    text: str,
    subject: str = "",
    amount: Any = None,
    client_key: str | None = None,
) -> tuple[AuditFinding, bool]:
    """An audit finding, rectified as a case of the loop: filed at once (the audit established it), waiting
    for the dispatcher to send it to the unit that answers for the village's books."""
    from jingwu.cases import services as cases
    from jingwu.geo.models import Region

    _manager(actor)
    reg = (
        region
        if isinstance(region, Region)
        else Region.objects.filter(Q(code=str(region)) | Q(name=str(region))).first()
    )
    if reg is None:
        raise Invalid(_("未知村居"), code="unknown_region")
    y = year_of(audit_year)
    title = _text(title, "title", 200, required=True)
    body = _text(text, "text", 3000, required=True)
    money = number(amount, _("涉及金额"), low=0, high=MONEY_MAX)
    key = _text(client_key, "client_key", 48) or None
    with transaction.atomic():
        result = cases.report_case(
            actor=SUPERVISION,
            description=f"【{reg.name}{y}年度经济责任审计整改】{title}：{body}",
            category=AUDIT_CATEGORY,
            region=reg,
            start="to_dispatch",
            start_reason=_("审计发现问题，立案整改"),
            source_detail=_("经济责任审计"),
            client_key=f"audit:{actor.pk}:{key}" if key else None,
            origin=(AUDIT_ORIGIN, 0),
        )
        if not result.created:
            return AuditFinding.objects.get(case=result.case), False
        finding = AuditFinding.objects.create(
            region=reg,
            audit_year=y,
            subject=_text(subject, "subject", 64),
            title=title,
            text=body,
            amount=money,
            case=result.case,
            created_by=actor,
            created_at=clock.now(),
        )
        from jingwu.cases.models import Case

        Case.objects.filter(pk=result.case.pk).update(origin_id=finding.pk)
    return finding, True


def finding_link(case: Any, user: Any) -> tuple[str, str] | None:
    finding = AuditFinding.objects.filter(case_id=case.pk).first()
    if finding is None:
        return None
    return (
        _("审计整改 · %(v)s %(y)s年度") % {"v": finding.region.name, "y": finding.audit_year},
        "/supervision/audits/",
    )


def office_checks(case: Any, acting: Any) -> bool:
    """An audit finding's rectification is checked (核查) by the supervising office, not a grid's worker."""
    return Role.SUPERVISOR in acting.roles
