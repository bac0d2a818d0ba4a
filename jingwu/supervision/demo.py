"""The demo's supervision: the seed report read by ``reader`` and confirmed as a reviewer would (the 2019
figures, the 2020 targets and the 2020 plan's tasks), the 2020 results, this year's targets and monthly figures,
this year's tasks in every state (some late, with their 督办), the livelihood projects (2019: 10 大类 29 个子项,
总投资 14.22 亿元; 2020: 计划投资 20 亿元; and this year's), and the villages' audit findings through the loop.

Everything after 2020's targets and tasks is made up for the demo and says so in its source.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape

from jingwu.cases import services as cases
from jingwu.cases.demo import _name, _user, photo
from jingwu.geo.models import Region
from jingwu.geo.services import locate
from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.models import Department
from jingwu.workcal.services import get_calendar

from . import reader, services
from .choices import TaskStatus
from .models import Indicator, Target, Task

REPORT = Path(__file__).parent / "data" / "jingwu-2019-report.txt"
MADE_UP = "演示数据（模拟）"

# name, unit, unit responsible, other names reports use
INDICATORS = [
    ("税收收入", "亿元", "B03", []),
    ("固定资产投资", "亿元", "B03", ["固定资产投入"]),
    ("规模工业总产值", "亿元", "B03", []),
    ("限上批零销售额", "亿元", "B03", []),
    ("津外内资到位额", "亿元", "B03", []),
    ("外资到位额", "万美元", "B03", []),
    ("新增就业", "人", "B06", []),
]
# How this year's figures run against the share of the year (some ahead, some behind: the board's warnings).
PACE = {
    "税收收入": 1.03,
    "固定资产投资": 0.81,
    "规模工业总产值": 0.97,
    "限上批零销售额": 1.06,
    "津外内资到位额": 0.88,
    "新增就业": 1.1,
}

# This year's tasks: title, lead, supporting, deadline as days from today (negative: past), state.
TASKS = [
    ("完成陈台子排河、程村排河水质治理工程", "B05", ["W03", "B04"], -40, "late"),
    ("完成9个小区智慧平安社区建设并接入一体化平台", "B07", ["Z04", "Z03"], -12, "late"),
    ("老旧工业聚集区关停整治（大卷子等4个）", "ZF1", ["B05", "B03"], -75, "late"),
    ("新建2个口袋公园", "B05", ["B04"], 2, "open"),
    ("启动金地医养项目建设", "B06", ["B03"], 3, "open"),
    ("兴办2所社区老年人食堂", "B06", ["Z01"], 20, "open"),
    ("增设金地1号地、燕南园社区卫生服务站", "B06", ["B05"], 35, "open"),
    ("镇内小学多媒体教学系统提升改造", "B06", [], 28, "open"),
    ("安兴路排水改造工程", "B05", ["W03"], 45, "open"),
    ("学府园区雨污水泵站建设", "B05", ["W03"], 60, "open"),
    ("垃圾分类示范村创建（宽河等3个村）", "B05", ["W07", "B04"], 25, "open"),
    ("高新技术企业倍增行动：新培育国家级高新技术企业", "B03", [], 31, "open"),
    ("编制全镇“十五五”规划", "B01", ["B03", "B05"], 31, "open"),
    ("完成宽河等3个村庄规划编制", "B04", ["B05"], -150, "done"),
    ("七小行业综合整治", "ZF1", ["B05"], -100, "done"),
    ("燃煤锅炉清零巩固检查", "B08", ["B05"], -60, "done"),
    ("网格员队伍管理“九全”工作机制考核", "Z03", ["Z04"], -30, "done"),
    ("扫黑除恶专项斗争线索核查", "B07", ["W01"], -20, "reported"),
    ("重点企业安全生产大检查", "B08", ["W06"], 10, "reported"),
    ("新增宽河等地块植树造林200亩", "B04", ["B05"], -200, "done"),
]

# (category, name, 万元, unit) — 2019: 29 sub-projects in 10 classes, 142,200 万元 in all (the report).
PROJECTS_2019 = [
    ("housing", "民兴佳园示范镇住宅建设（15万平米，1231套）", 41440, "B05"),
    ("housing", "和兴佳园示范镇一期（25万平米）", 30000, "B05"),
    ("housing", "广兴佳园示范镇二期（11万平米）", 16000, "B05"),
    ("housing", "瑞民里、聚贤里、恒益隆庭等5个旧楼区提升改造", 6800, "B05"),
    ("elderly", "盛兴佳园托老所", 900, "B06"),
    ("elderly", "和兴佳园托老所", 850, "B06"),
    ("elderly", "广兴佳园托老所", 800, "B06"),
    ("edu", "付村中学建设", 9000, "B06"),
    ("edu", "精武小学建设", 7000, "B06"),
    ("edu", "新建和改造幼儿园6所", 3600, "B06"),
    ("edu", "3所小学消防设施和校舍安全提升改造", 738, "B06"),
    ("culture", "精武文化公园", 9800, "B05"),
    ("culture", "格调松间文化中心", 600, "Z01"),
    ("culture", "村志编纂出版", 162, "Z01"),
    ("ecology", "滨河公园", 6500, "B05"),
    ("ecology", "毛条路片林、程村排河南岸绿化提升（造林650亩）", 2100, "B04"),
    ("ecology", "新建10座水冲式厕所", 300, "B04"),
    ("ecology", "马家寺等4个村农村生活污水治理", 1900, "B04"),
    ("travel", "民兴路人行道提升", 480, "B05"),
    ("travel", "富兴路排水改造", 1050, "B05"),
    ("travel", "高新区地铁站至学府园区班车线路", 120, "B03"),
    ("services", "武牛菜市场", 700, "B03"),
    ("services", "智能充电车棚", 150, "B05"),
    ("safety", "5个社区智慧平安社区改造", 286, "B07"),
    ("safety", "消防物联网系统二期", 320, "B08"),
    ("health", "村卫生室标准化建设", 104, "B06"),
    ("health", "社区卫生服务站提升", 300, "B06"),
    ("jobs", "百万福利技能培训", 120, "B06"),
    ("jobs", "退役军人服务站", 80, "B06"),
]
# 2020: 计划投资 20 亿元 (the report's plan).
PROJECTS_2020 = [
    ("edu", "付村中学投入使用", 6000, "B06"),
    ("edu", "精武小学项目全面竣工", 8000, "B06"),
    ("edu", "国办、公办幼儿园各1所，普惠园2所", 4200, "B06"),
    ("edu", "镇内小学多媒体教学系统提升改造", 500, "B06"),
    ("housing", "和兴佳园主体施工", 60000, "B05"),
    ("housing", "广兴佳园整体竣工", 40000, "B05"),
    ("housing", "聚兴佳园（示范镇二期）启动建设", 50000, "B05"),
    ("services", "盛兴佳园南侧配套商业", 12000, "B03"),
    ("services", "民兴佳园社区服务设施", 1500, "B05"),
    ("travel", "镇内主要道路修缮", 6000, "B05"),
    ("travel", "安兴路排水改造", 1300, "B05"),
    ("ecology", "学府园区雨污水泵站", 4500, "B05"),
    ("ecology", "滨河公园二期景观工程", 3500, "B05"),
    ("health", "金地1号地、燕南园社区卫生服务站", 900, "B06"),
    ("elderly", "社区老年人食堂2所", 260, "B06"),
    ("safety", "金牛花园等9个小区智慧平安社区", 340, "B07"),
    ("culture", "精武文化公园书吧、大学城文化长廊", 1000, "Z01"),
]
AUDIT_FINDINGS = [
    ("村集体资金收支未经民主理财小组审核", "部分大额支出未经民主理财小组审核签字，不符合村级财务管理规定。", 36.5),
    ("集体资产出租合同不规范", "部分集体厂房出租合同未经村民代表会议表决，租金标准低于同期市场价。", 120.0),
    ("工程项目未按规定招标", "村内道路硬化工程未按规定公开招标，直接发包。", 85.0),
    ("往来款项长期挂账未清理", "应收款项长期挂账，未及时催收清理。", 48.2),
    ("非生产性开支超标", "招待费等非生产性开支超过规定标准。", 6.8),
]


def _point_in(region: Region, rng: random.Random) -> dict[str, Any] | None:
    area = shape(region.geometry)
    minx, miny, maxx, maxy = area.bounds
    for _ in range(50):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p) and locate(p.x, p.y) is not None:
            return {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]}
    return None


def _region_for(name: str, category: str, regions: list[Region], j: int) -> Region:
    """The village or community the project's name gives (付村中学 in 付村), else one of the right kind."""
    for r in regions:
        stem = r.name.removesuffix("社区").removesuffix("村")
        if (stem if len(stem) >= 2 else r.name) in name:
            return r
    residential = category in ("housing", "elderly", "services", "health", "safety")
    pool = [r for r in regions if (r.level == "community") == residential] or regions
    return pool[j % len(pool)]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=get_calendar().tz)


def load(town: Any, end: datetime | None = None, seed: int = 2020) -> dict[str, int]:
    """Creates the account ``ducha`` (督查员, in the 党政办公室's 督查室)."""
    rng = random.Random(seed)
    end = end or clock.now()
    today = end.astimezone(get_calendar().tz).date()
    depts = {d.code: d for d in Department.objects.all()}
    office = _user("ducha", "督查室" + _name(rng), Role.SUPERVISOR, depts.get("B01"), phone="13900002020")
    for i, (name, unit, code, aliases) in enumerate(INDICATORS, 1):
        Indicator.objects.create(name=name, unit=unit, department=depts.get(code), aliases=aliases, position=i)

    # The report, read and confirmed: every 2020 target, the 2019 figures of the steered indicators, the 2020 tasks.
    reading = reader.read(REPORT.read_text(encoding="utf-8"))
    steered = {name for name, *_ in INDICATORS}
    figures = []
    for f in reading.figures:
        row = f.as_json()
        known = services.find_indicator(f.indicator)
        # The reviewer keeps the steered indicators' figures; the report's other counts stay in the report.
        if known is not None and known.name in steered:
            figures.append(row)
    tasks = [
        {
            "sentence": t.sentence,
            "heading": t.heading,
            "year": t.year,
            "places": t.places,
            "projects": t.projects,
            "department": t.department,
        }
        for t in reading.tasks
    ]
    with clock.frozen_at(_at(date(2020, 1, 6))):
        made = services.apply_reading(
            figures, tasks, actor=office, source="2019年精武镇政府工作报告", deadline=date(2020, 12, 31)
        )

    # 2020 as it turned out (made up): the quarters and the year of each steered indicator, the tasks all done.
    for t in Target.objects.filter(year=2020, indicator__name__in=steered).select_related("indicator"):
        goal = t.value
        if goal is None:
            continue
        finish = Decimal(str(rng.uniform(0.97, 1.07)))
        for period, share, day in (
            ("Q1", 0.19, date(2020, 4, 15)),
            ("Q2", 0.46, date(2020, 7, 15)),
            ("Q3", 0.73, date(2020, 10, 15)),
            ("Y", 1.0, date(2021, 1, 20)),
        ):
            value = (
                goal * Decimal(str(share)) * (finish if period == "Y" else Decimal(str(rng.uniform(0.92, 1.05))))
            ).quantize(Decimal("0.01"))
            with clock.frozen_at(_at(day)):
                services.record_actual(
                    t.indicator, 2020, period, value=value, source=MADE_UP + "：镇统计站季报", actor=office
                )
    leads = {h.person.department_id: h for h in town.handlers.values()}
    for task in Task.objects.filter(year=2020).prefetch_related("unit_rows"):
        lead_row = next(u for u in task.unit_rows.all() if u.role == "lead")
        handler = leads.get(lead_row.department_id)
        if handler is None:
            continue
        with clock.frozen_at(_at(date(2020, 6, 20) + timedelta(days=rng.randrange(20)))):
            services.report_progress(
                task, actor=handler, text="按计划推进，已完成过半。", percent=rng.randrange(45, 70)
            )
        with clock.frozen_at(_at(date(2020, 12, 1) + timedelta(days=rng.randrange(20)))):
            services.report_progress(task, actor=handler, text="已全部完成，申请办结。", percent=100, finished=True)
        with clock.frozen_at(_at(date(2020, 12, 28))):
            services.confirm(Task.objects.get(pk=task.pk), actor=office, accept=True)

    # This year: targets a little above 2020's, and the months so far.
    year = today.year
    months = today.month - 1
    with clock.frozen_at(_at(date(year, 1, 8))):
        for t in Target.objects.filter(year=2020, indicator__name__in=steered).select_related("indicator"):
            if t.value is None:
                continue
            goal = (t.value * Decimal(str(rng.uniform(1.15, 1.35)))).quantize(Decimal("1"))
            services.set_target(
                t.indicator,
                year,
                value=goal,
                growth_pct=t.growth_pct,
                actor=office,
                source=MADE_UP + f"：{year}年政府工作报告",
            )
    for t in Target.objects.filter(year=year).select_related("indicator"):
        pace = Decimal(str(PACE.get(t.indicator.name, 1.0)))
        assert t.value is not None
        for m in range(1, months + 1):
            part = Decimal(m) / 12
            value = (t.value * part * pace * Decimal(str(rng.uniform(0.97, 1.03)))).quantize(Decimal("0.01"))
            entered = _at(date(year, m, 1) + timedelta(days=40)) if m < months else end
            with clock.frozen_at(entered):
                services.record_actual(
                    t.indicator, year, f"M{m:02d}", value=value, source=MADE_UP + "：镇统计站月报", actor=office
                )

    # This year's tasks, in every state.
    tasks_made = 0
    for i, (title, lead, supports, days, state) in enumerate(TASKS):
        deadline = today + timedelta(days=days)
        given = min(deadline - timedelta(days=60), today - timedelta(days=30))
        given = max(given, date(year, 1, 2)) if given.year == year else given
        with clock.frozen_at(_at(given)):
            task, _new = services.create_task(
                actor=office,
                title=title,
                text=title + "。",
                deadline=deadline,
                lead=lead,
                supports=supports,
                year=year,
                milestones=[("制定实施方案", given + (deadline - given) / 3)] if i % 3 == 0 else (),
                client_key=f"demo-task-{i}",
            )
        tasks_made += 1
        handler = town.handlers.get(lead)
        if handler is None:
            continue
        span = max(1, (min(deadline, today) - given).days)
        mid = given + timedelta(days=span // 2)
        if mid < today:
            with clock.frozen_at(_at(mid, 15)):
                mark = task.milestones.first()
                services.report_progress(
                    task,
                    actor=handler,
                    text="已制定实施方案，正在推进。",
                    percent=rng.randrange(30, 60),
                    milestone=mark.pk if mark else None,
                )
        if state in ("done", "reported"):
            when = min(deadline - timedelta(days=rng.randrange(1, 5)), today - timedelta(days=1))
            with clock.frozen_at(_at(when, 16)):
                services.report_progress(task, actor=handler, text="已全部完成，申请办结。", percent=100, finished=True)
            if state == "done":
                with clock.frozen_at(_at(min(when + timedelta(days=2), today), 9)):
                    services.confirm(Task.objects.get(pk=task.pk), actor=office, accept=True)
    # Reminders and 督办 as the worker would have sent them, a run a day over the last three months.
    for back in range(90, -1, -1):
        with clock.frozen_at(end - timedelta(days=back)):
            services.send_notices()

    # Livelihood projects: 2019 and 2020 done, this year's under way.
    regions = list(Region.objects.filter(level__in=["village", "community"]).order_by("code"))
    projects = 0
    plans = [(2019, PROJECTS_2019, 100), (2020, PROJECTS_2020, 100), (year, PROJECTS_2020[:12], None)]
    for y, rows, done in plans:
        for j, (category, name, money, unit) in enumerate(rows):
            region = _region_for(name, category, regions, j) if regions else None
            geometry = _point_in(region, rng) if region is not None else None
            pct = done if done is not None else min(100, max(0, int(rng.gauss(months / 12 * 100, 18))))
            with clock.frozen_at(_at(date(y, 12, 20)) if y < year else end):
                project = services.save_project(
                    actor=office,
                    year=y,
                    category=category,
                    name=name if y != year else f"{name}（{y}年续建）",
                    budget=money,
                    department=unit,
                    geometry=geometry,
                    starts=date(y, 3, 1),
                    ends=date(y, 12, 20),
                    progress=0,
                )
                if pct:
                    handler = town.handlers.get(unit)
                    if handler is not None:
                        services.update_project(
                            project, actor=handler, percent=pct, note="按计划推进" if pct < 100 else "已完工"
                        )
            projects += 1

    # Last year's economic-responsibility audits of the 18 villages: findings rectified through the loop.
    villages = [r for r in regions if r.level == "village"][:18]
    findings = closed = 0
    dispatcher, lead, handler = town.users["dispatcher"], town.users["shiftlead"], town.handlers.get("B04")
    cal = get_calendar()
    for k, village in enumerate(villages):
        for title, text, amount in rng.sample(AUDIT_FINDINGS, 1 + (k % 2)):
            raised = _at(today - timedelta(days=rng.randrange(30, 200)))
            with clock.frozen_at(raised):
                finding, _created = services.raise_finding(
                    actor=office,
                    region=village,
                    audit_year=year - 1,
                    subject=f"{village.name}党支部书记、村委会主任 {_name(rng)}",
                    title=title,
                    text=text,
                    amount=amount,
                    client_key=f"demo-audit-{k}-{title[:8]}",
                )
            findings += 1
            case = finding.case
            steps: list[tuple[str, Any, dict[str, Any]]] = [
                ("dispatch", dispatcher, {"department": "B04"}),
                ("feedback", handler, {"note": "已完成整改，补齐手续并追回资金", "photos": [photo(case.pk)]}),
                ("check", office, {"outcome": "pass", "photos": [photo(case.pk + 1)]}),
                ("close", lead, {}),
            ]
            when = raised
            finished = True
            for n, (action, actor, kw) in enumerate(steps):
                when = cal.add(when, timedelta(minutes=rng.uniform(60, 600) if n != 1 else 60 * 8 * rng.uniform(5, 25)))
                if when >= end or (k % 6 == 5 and action == "feedback"):
                    finished = False
                    break
                with clock.frozen_at(when):
                    case.refresh_from_db()
                    case = cases.perform(
                        case.pk, action, actor=actor, version=case.version, data=cases.ActionInput(**kw)
                    )
            closed += finished
    return {
        "targets": Target.objects.count(),
        "read_targets": made["targets"],
        "read_actuals": made["actuals"],
        "read_tasks": made["tasks"],
        "tasks": Task.objects.count(),
        "late": Task.objects.filter(status=TaskStatus.OPEN, deadline__lt=today).count(),
        "projects": projects,
        "findings": findings,
        "findings_closed": closed,
    }
