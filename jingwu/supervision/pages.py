"""Staff pages: the supervision board (targets with progress, tasks by unit with traffic lights, projects on the
map), an indicator's years, a task's page with its reports and notices, reading a work report for review, the
livelihood projects and the audit findings. A unit's staff see and report on their own unit's tasks only."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.org.models import Department
from jingwu.web.common import roles_required
from jingwu.web.views import tile_settings

from . import reader, services
from .choices import Light, Period, ProjectCategory, Standing, UnitRole
from .models import Actual, AuditFinding, Indicator, Project, ReportFile, Target, Task, TaskUnit

VIEW = services.VIEW
MAX_REPORT_BYTES = 2 * 1024 * 1024


def _today() -> date:
    from jingwu.workcal.services import get_calendar

    return clock.now().astimezone(get_calendar().tz).date()


def _year(request: HttpRequest, default: int) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 1949 <= int(raw) <= 2100 else default


def _default_year(today: date) -> int:
    """This year when it has targets, else the latest year that has."""
    if Target.objects.filter(year=today.year).exists():
        return today.year
    latest = Target.objects.order_by("-year").values_list("year", flat=True).first()
    return latest or today.year


def _task_rows(tasks: list[Task], today: date) -> list[dict[str, Any]]:
    rows = []
    for t in tasks:
        lead = next((u for u in t.unit_rows.all() if u.role == UnitRole.LEAD), None)
        rows.append(
            {
                "task": t,
                "light": services.light(t, today, list(t.milestones.all())),
                "lead": lead.department if lead else None,
                "supports": [u.department for u in t.unit_rows.all() if u.role == UnitRole.SUPPORT],
            }
        )
    return rows


def _tasks(user: Any, year: int) -> list[Task]:
    return list(
        services.tasks_for(user)
        .filter(year=year)
        .prefetch_related(
            Prefetch("unit_rows", queryset=TaskUnit.objects.select_related("department")),
            "milestones",
        )
        .order_by("deadline", "pk")
    )


@roles_required(*VIEW)
def board(request: HttpRequest) -> HttpResponse:
    today = _today()
    year = _year(request, _default_year(today))
    user = request.user
    manage = services.may_manage(user)
    unit = services.own_department(user)
    targets = Target.objects.filter(year=year).select_related("indicator", "department")
    if unit is not None and not manage:
        targets = targets.filter(Q(department=unit) | Q(indicator__department=unit))
    views = services.target_views(targets, today)
    rows = _task_rows(_tasks(user, year), today)
    lights = {k: sum(1 for r in rows if r["light"] == k) for k in Light.values}
    by_unit: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = r["lead"].name if r["lead"] else "—"
        entry = by_unit.setdefault(name, {"name": name, "rows": [], **{k: 0 for k in Light.values}})
        entry["rows"].append(r)
        entry[r["light"]] += 1
    units = sorted(by_unit.values(), key=lambda e: (-e[Light.RED], -e[Light.YELLOW], e["name"]))
    project_qs = Project.objects.filter(year=year).select_related("department", "region")
    if unit is not None and not manage:
        project_qs = project_qs.filter(department=unit)
    projects = list(project_qs)
    money = sum((p.budget for p in projects), Decimal(0))
    years = _years(today)
    return render(
        request,
        "supervision/board.html",
        {
            "nav": "supervision",
            "year": year,
            "years": years,
            "views": views,
            "behind": sum(1 for v in views if v.standing == Standing.BEHIND),
            "lights": lights,
            "units": units,
            "projects": projects,
            "project_money": money / 10000,
            "project_progress": round(sum(p.progress for p in projects) / len(projects)) if projects else None,
            "categories": len({p.category for p in projects}),
            "manage": manage,
            "unit": unit,
            "departments": Department.objects.order_by("code") if manage else [],
            "indicators": Indicator.objects.order_by("position", "pk") if manage else [],
            "tiles": tile_settings(),
            "map": _project_features(projects),
        },
    )


def _years(today: date) -> list[int]:
    """Every year with targets, figures, tasks or projects, and this one."""
    years = {today.year}
    for model in (Target, Task, Project):
        years.update(model.objects.values_list("year", flat=True).distinct())
    years.update(Actual.objects.values_list("year", flat=True).distinct())
    return sorted(years)


def _project_features(projects: list[Project]) -> dict[str, Any]:
    features = []
    for p in projects:
        if p.geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": p.geometry,
                "properties": {
                    "id": p.pk,
                    "name": p.name,
                    "category": p.get_category_display(),
                    "progress": p.progress,
                    "budget": float(p.budget),
                    "url": reverse("supervision:project", args=[p.pk]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@roles_required(*VIEW)
def indicator(request: HttpRequest, pk: int) -> HttpResponse:
    ind = get_object_or_404(Indicator.objects.select_related("department"), pk=pk)
    if not services.may_see_indicator(request.user, ind):
        raise Http404
    may_enter = services.may_enter_actual(request.user, ind)
    if request.method == "POST":
        if not may_enter:
            raise Http404
        form = request.POST
        try:
            services.record_actual(
                ind,
                form.get("year"),
                form.get("period") or Period.YEAR,
                value=form.get("value"),
                growth_pct=form.get("growth_pct"),
                kind=form.get("kind") or "actual",
                source=form.get("source", ""),
                actor=request.user,
            )
            messages.success(request, _("已保存"))
            return redirect("supervision:indicator", pk=ind.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    today = _today()
    views = services.target_views(
        services.targets_for(request.user).filter(indicator=ind).select_related("indicator").order_by("-year"), today
    )
    return render(
        request,
        "supervision/indicator.html",
        {
            "nav": "supervision",
            "ind": ind,
            "history": services.history(ind),
            "views": views,
            "actuals": ind.actuals.order_by("-year", "-period", "kind"),
            # 全年, 四季度末 and 1—12月 are one figure: the form offers 全年 for it.
            "periods": [(v, label) for v, label in Period.choices if v not in (Period.Q4, Period.M12)],
            "may_enter": may_enter,
            "this_year": today.year,
        },
    )


@roles_required(*services.MANAGE)
@require_POST
def set_target(request: HttpRequest) -> HttpResponse:
    """A target set by hand: the indicator (made when new, with its unit and department), the year, a value
    and/or a growth rate."""
    form = request.POST
    try:
        dept = form.get("department") or None
        department = Department.objects.filter(code=dept).first() if dept else None
        ind = services.indicator(form.get("indicator", ""), form.get("unit", ""), department=department)
        target = services.set_target(
            ind,
            form.get("year"),
            value=form.get("value"),
            growth_pct=form.get("growth_pct"),
            actor=request.user,
            source=form.get("source", "") or _("督查室录入"),
            department=department,
        )
        messages.success(request, _("已保存"))
        return redirect(f"{reverse('supervision:board')}?year={target.year}")
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("supervision:board")


@roles_required(*VIEW)
@require_POST
def import_actuals(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择Excel文件"))
        return redirect("supervision:board")
    try:
        saved, report = services.import_actuals(upload, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("supervision:board")
    if not saved:
        bad = [r for r in report if r.errors]
        return render(
            request,
            "supervision/import_report.html",
            {"nav": "supervision", "rows": bad, "total": len(report)},
            status=400,
        )
    messages.success(request, _("已导入%(n)s条实际完成数据") % {"n": saved})
    return redirect("supervision:board")


@roles_required(*VIEW)
def task(request: HttpRequest, ref: str) -> HttpResponse:
    try:
        t = services.get_task(request.user, ref)
    except ServiceError as exc:
        raise Http404 from exc
    user = request.user
    if request.method == "POST":
        form = request.POST
        try:
            if "confirm" in form:
                services.confirm(t, actor=user, accept=form["confirm"] == "1", note=form.get("note", ""))
            else:
                services.report_progress(
                    t,
                    actor=user,
                    text=form.get("text", ""),
                    percent=form.get("percent"),
                    finished=form.get("finished") == "1",
                    milestone=form.get("milestone") or None,
                    files=request.FILES.getlist("files"),
                    client_key=form.get("client_key") or None,
                )
            messages.success(request, _("已保存"))
            return redirect("supervision:task", ref=t.number)
        except ServiceError as exc:
            messages.error(request, exc.message)
    today = _today()
    marks = list(t.milestones.all())
    return render(
        request,
        "supervision/task.html",
        {
            "nav": "supervision",
            "t": t,
            "light": services.light(t, today, marks),
            "units": t.unit_rows.select_related("department").order_by("role", "pk"),
            "milestones": marks,
            "reports": t.reports.select_related("department", "author__person").prefetch_related("files"),
            "notices": t.notices.select_related("department")[:50],
            "role": services.unit_role(t, user),
            "manage": services.may_manage(user),
            "today": today,
        },
    )


@roles_required(*services.MANAGE)
def new_task(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.order_by("code")
    if request.method == "POST":
        form = request.POST
        marks = [
            (m, d) for m, d in zip(form.getlist("milestone"), form.getlist("milestone_due"), strict=False) if m.strip()
        ]
        try:
            t, _created = services.create_task(
                actor=request.user,
                title=form.get("title", ""),
                text=form.get("text", ""),
                deadline=form.get("deadline", ""),
                lead=form.get("lead", ""),
                supports=[s for s in form.getlist("supports") if s and s != form.get("lead")],
                milestones=marks,
                client_key=form.get("client_key") or None,
            )
            return redirect("supervision:task", ref=t.number)
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(request, "supervision/new_task.html", {"nav": "supervision", "departments": departments})


@roles_required(*VIEW)
def report_file(request: HttpRequest, pk: int) -> FileResponse:
    f = get_object_or_404(ReportFile.objects.select_related("report__task"), pk=pk)
    if not services.tasks_for(request.user).filter(pk=f.report.task_id).exists():
        raise Http404
    return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.name)


@roles_required(*services.MANAGE)
def read(request: HttpRequest) -> HttpResponse:
    """Upload or paste a report; the figures and tasks it states come back for review, and only what the person
    ticks is saved."""
    departments = list(Department.objects.order_by("code"))
    if request.method == "POST" and request.POST.get("step") == "save":
        return _save_reading(request)
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size and upload.size > MAX_REPORT_BYTES:
                messages.error(request, _("文件过大（上限2MB的文本）"))
                return redirect("supervision:read")
            try:
                text = reader.decode(upload.read())
            except ValueError as exc:
                if str(exc) == "pdf":
                    messages.error(request, _("请先将PDF转换为文本（例如 pdftotext），再上传或粘贴文本"))
                else:
                    messages.error(request, _("无法识别文件编码，请使用UTF-8文本"))
                return redirect("supervision:read")
        else:
            text = request.POST.get("text", "")
        if not text.strip():
            messages.error(request, _("请上传报告文本或粘贴报告内容"))
            return redirect("supervision:read")
        if len(text) > MAX_REPORT_BYTES:
            messages.error(request, _("文件过大（上限2MB的文本）"))
            return redirect("supervision:read")
        reading = reader.read(text)
        figures = [{**f.as_json(), "sentence": f.sentence, "suggested": _suggested(f)} for f in reading.figures]
        tasks = [
            {
                "sentence": t.sentence,
                "heading": t.heading,
                "year": t.year,
                "places": t.places,
                "projects": t.projects,
                "department": t.department,
                "numbers": [f"{n.value if n.value is not None else ''}{n.unit or ''}" for n in t.numbers],
            }
            for t in reading.tasks
        ]
        return render(
            request,
            "supervision/review.html",
            {
                "nav": "supervision",
                "figures": figures,
                "tasks": tasks,
                "payload": json.dumps({"figures": figures, "tasks": tasks}, ensure_ascii=False),
                "source": request.POST.get("source", "") or (upload.name if upload is not None else _("政府工作报告")),
                "departments": departments,
            },
        )
    return render(request, "supervision/read.html", {"nav": "supervision"})


def _suggested(f: reader.Figure) -> bool:
    """Ticked on the review page from the start: a target with a growth rate (the year's steering figures) or
    one of an indicator the town already follows; a report's other figures are there to tick by hand."""
    return f.kind == "target" and (f.growth_pct is not None or services.find_indicator(f.indicator) is not None)


def _save_reading(request: HttpRequest) -> HttpResponse:
    form = request.POST
    try:
        payload = json.loads(form.get("payload", "{}"))
        figures, tasks = list(payload.get("figures", [])), list(payload.get("tasks", []))
        if not all(isinstance(x, dict) for x in (*figures, *tasks)) or not all(
            isinstance(t.get("places", []), list) and isinstance(t.get("projects", []), list) for t in tasks
        ):
            raise ValueError("not a reading")
    except (ValueError, AttributeError, TypeError):
        messages.error(request, _("提交内容无效，请重新读取报告"))
        return redirect("supervision:read")
    chosen_figures = []
    for i in form.getlist("figure"):
        if i.isdigit() and int(i) < len(figures):
            f = dict(figures[int(i)])
            # The reviewer may correct the indicator's name before saving.
            name = form.get(f"indicator_{i}", "").strip()
            if name:
                f["indicator"] = name
            chosen_figures.append(f)
    chosen_tasks = []
    for i in form.getlist("task"):
        if i.isdigit() and int(i) < len(tasks):
            t = dict(tasks[int(i)])
            # The choice on the page: a unit, or 默认单位 (the setting's).
            t["department"] = form.get(f"department_{i}") or settings.JINGWU_TASK_DEFAULT_UNIT
            chosen_tasks.append(t)
    try:
        made = services.apply_reading(
            chosen_figures,
            chosen_tasks,
            actor=request.user,
            source=form.get("source", "")[:200] or _("政府工作报告"),
            deadline=form.get("deadline") or None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("supervision:read")
    text = _("已保存：目标%(t)s项，实际完成%(a)s项，新任务%(k)s项") % {
        "t": made["targets"],
        "a": made["actuals"],
        "k": made["tasks"],
    }
    if made["known_tasks"]:
        text += _("（%(n)s项任务此前已保存，未重复创建）") % {"n": made["known_tasks"]}
    messages.success(request, text)
    return redirect("supervision:board")


@roles_required(*VIEW)
def projects(request: HttpRequest) -> HttpResponse:
    today = _today()
    if request.method == "POST":
        if not services.may_manage(request.user):
            raise Http404
        form = request.POST
        try:
            lon, lat = form.get("lon", "").strip(), form.get("lat", "").strip()
            geometry = None
            if lon or lat:
                try:
                    geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
                except ValueError:
                    geometry = {"type": "Point", "coordinates": []}  # the service says what is wrong
            p = services.save_project(
                actor=request.user,
                year=form.get("year"),
                category=form.get("category", ""),
                name=form.get("name", ""),
                budget=form.get("budget"),
                department=form.get("department") or None,
                geometry=geometry,
                starts=form.get("starts") or None,
                ends=form.get("ends") or None,
            )
            messages.success(request, _("已保存"))
            return redirect("supervision:project", pk=p.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    year = _year(request, Project.objects.order_by("-year").values_list("year", flat=True).first() or today.year)
    own = Project.objects.filter(year=year)
    unit = services.own_department(request.user)
    manage = services.may_manage(request.user)
    if unit is not None and not manage:
        own = own.filter(department=unit)  # a unit sees the projects it answers for, as on the board
    rows = list(own.select_related("department", "region"))
    totals = own.values("category").annotate(n=Count("pk"), money=Sum("budget")).order_by("category")
    labels = dict(ProjectCategory.choices)
    return render(
        request,
        "supervision/projects.html",
        {
            "nav": "supervision",
            "year": year,
            "years": sorted(set(Project.objects.values_list("year", flat=True).distinct()) | {today.year}),
            "manage": manage,
            "categories": ProjectCategory.choices,
            "departments": Department.objects.order_by("code") if manage else [],
            "rows": rows,
            "totals": [
                {**t, "label": labels.get(t["category"], t["category"]), "yi": (t["money"] or 0) / 10000}
                for t in totals
            ],
            "money": sum((p.budget for p in rows), Decimal(0)) / 10000,
            "tiles": tile_settings(),
            "map": _project_features(rows),
        },
    )


@roles_required(*VIEW)
def project(request: HttpRequest, pk: int) -> HttpResponse:
    p = get_object_or_404(Project.objects.select_related("department", "region"), pk=pk)
    if not services.may_see_project(request.user, p):
        raise Http404
    may = services.may_update_project(request.user, p)
    if request.method == "POST":
        if not may:
            raise Http404
        try:
            services.update_project(
                p,
                actor=request.user,
                percent=request.POST.get("percent"),
                note=request.POST.get("note", ""),
                photo=request.FILES.get("photo"),
            )
            messages.success(request, _("已保存"))
            return redirect("supervision:project", pk=p.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "supervision/project.html",
        {
            "nav": "supervision",
            "p": p,
            "updates": p.updates.select_related("author__person"),
            "may": may,
            "tiles": tile_settings(),
            "map": _project_features([p]),
        },
    )


@roles_required(*VIEW)
def project_photo(request: HttpRequest, pk: int) -> FileResponse:
    from .models import ProjectUpdate

    u = get_object_or_404(ProjectUpdate.objects.select_related("project"), pk=pk)
    if not u.photo or not services.may_see_project(request.user, u.project):
        raise Http404
    return FileResponse(u.photo.open("rb"), content_type="image/jpeg")


@roles_required(*VIEW)
def audits(request: HttpRequest) -> HttpResponse:
    from jingwu.cases.models import Case
    from jingwu.geo.models import Region

    manage = services.may_manage(request.user)
    if request.method == "POST":
        if not manage:
            raise Http404
        form = request.POST
        try:
            services.raise_finding(
                actor=request.user,
                region=form.get("region", ""),
                audit_year=form.get("audit_year", ""),
                subject=form.get("subject", ""),
                title=form.get("title", ""),
                text=form.get("text", ""),
                amount=form.get("amount") or None,
                client_key=form.get("client_key") or None,
            )
            messages.success(request, _("已立案整改"))
            return redirect("supervision:audits")
        except ServiceError as exc:
            messages.error(request, exc.message)
    seen = Case.objects.visible_to(request.user).values("pk")
    rows = AuditFinding.objects.filter(case__in=seen).select_related("region", "case", "case__department")
    by_village: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "closed": 0})
    for f in rows:
        entry = by_village[f.region.name]
        entry["total"] += 1
        entry["closed"] += f.case.status == "closed"
    return render(
        request,
        "supervision/audits.html",
        {
            "nav": "supervision",
            "rows": rows,
            "villages": sorted(by_village.items()),
            "regions": Region.objects.filter(level__in=["village", "community"]).order_by("code"),
            "manage": manage,
            "this_year": _today().year,
        },
    )
