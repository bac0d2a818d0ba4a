"""The demo town: Jingwu's grids, organisation, people and one year of cases.

Every case is made by the service functions under a replayed clock, so timelines, deadlines, on-time
flags and overdue cases are what the engine itself computed.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image
from shapely.geometry import Point, shape

from jingwu.cases.models import RoutingRule
from jingwu.cases.routing import suggest_department
from jingwu.geo import town
from jingwu.geo.models import Grid, MapFeature
from jingwu.geo.services import import_geojson
from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org import actors
from jingwu.org.choices import DepartmentKind, Role
from jingwu.org.models import Department, GridAssignment, Person
from jingwu.workcal.services import get_calendar

from . import services
from .choices import Source, State
from .models import Case, Category

DEMO_PASSWORD = "jingwu-demo-2026"

DEPARTMENTS: list[tuple[str, str, str]] = [
    ("C01", "镇纪委", DepartmentKind.COMMITTEE),
    ("B01", "党政办公室", DepartmentKind.OFFICE),
    ("B02", "党建工作办公室", DepartmentKind.OFFICE),
    ("B03", "经济发展办公室", DepartmentKind.OFFICE),
    ("B04", "农业农村办公室", DepartmentKind.OFFICE),
    ("B05", "城乡建设管理办公室", DepartmentKind.OFFICE),
    ("B06", "社会事务办公室", DepartmentKind.OFFICE),
    ("B07", "平安建设办公室", DepartmentKind.OFFICE),
    ("B08", "应急管理办公室", DepartmentKind.OFFICE),
    ("Z01", "党群服务中心", DepartmentKind.CENTER),
    ("Z02", "政务服务中心", DepartmentKind.CENTER),
    ("Z03", "网格化管理中心", DepartmentKind.CENTER),
    ("Z04", "综治中心", DepartmentKind.CENTER),
    ("Z05", "农业综合服务中心", DepartmentKind.CENTER),
    ("ZF1", "综合执法大队", DepartmentKind.ENFORCEMENT),
    ("W01", "精武派出所", DepartmentKind.EXTERNAL),
    ("W02", "精武供电所", DepartmentKind.EXTERNAL),
    ("W03", "精武水务站", DepartmentKind.EXTERNAL),
    ("W04", "燃气公司精武站", DepartmentKind.EXTERNAL),
    ("W05", "交警精武中队", DepartmentKind.EXTERNAL),
    ("W06", "精武消防救援站", DepartmentKind.EXTERNAL),
    ("W07", "环卫作业公司", DepartmentKind.EXTERNAL),
]

# (category kind, exact code or 2-digit major, department code): the 权责清单, first match wins.
ROUTING: list[tuple[str, str, str]] = [
    ("part", "01001", "W03"),
    ("part", "01002", "W03"),
    ("part", "01006", "W02"),
    ("part", "01010", "W06"),
    ("matter", "06001", "ZF1"),
    ("matter", "06025", "W03"),
    ("matter", "06026", "W03"),
    ("matter", "06027", "ZF1"),
    ("matter", "06028", "ZF1"),
    ("matter", "08004", "B05"),
    ("matter", "09009", "W05"),
    ("matter", "09012", "W06"),
    ("matter", "90001", "B08"),
    ("matter", "90002", "W06"),
    ("matter", "90003", "B05"),
    ("matter", "90004", "W03"),
    ("matter", "90005", "Z04"),
    ("matter", "90006", "B01"),
    ("matter", "90007", "B04"),
    ("matter", "90008", "B06"),
    ("part", "01", "B05"),
    ("part", "02", "W05"),
    ("part", "03", "W07"),
    ("part", "04", "B05"),
    ("part", "05", "Z04"),
    ("matter", "01", "B05"),
    ("matter", "02", "W05"),
    ("matter", "03", "W07"),
    ("matter", "04", "B05"),
    ("matter", "05", "B05"),
    ("matter", "06", "W07"),
    ("matter", "07", "ZF1"),
    ("matter", "08", "ZF1"),
    ("matter", "09", "ZF1"),
    ("matter", "10", "B05"),
]

STAFF: list[tuple[str, str, Role, str | None]] = [
    ("operator", "王晓燕", Role.OPERATOR, None),
    ("operator2", "李静", Role.OPERATOR, None),
    ("shiftlead", "张建国", Role.SHIFT_LEAD, None),
    ("dispatcher", "刘洋", Role.DISPATCHER, None),
    ("dispatcher2", "陈磊", Role.DISPATCHER, None),
    ("leader", "赵志强", Role.LEADER, None),
    ("secadmin", "钱伟", Role.SECURITY_ADMIN, None),
    ("auditor", "孙丽", Role.AUDITOR, None),
    ("citizen", "市民周先生", Role.PUBLIC, None),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌宇浩凯鹏飞丹宁雪梅海波"

# (kind, code, weight): the town's mix, heavy on street-level 市容 problems as 数字城管 data is.
MIX: list[tuple[str, str, int]] = [
    ("matter", "06010", 160),
    ("matter", "09006", 120),
    ("matter", "09009", 110),
    ("matter", "07001", 100),
    ("matter", "06012", 70),
    ("matter", "06042", 70),
    ("matter", "06001", 45),
    ("matter", "06041", 40),
    ("matter", "08004", 35),
    ("matter", "06028", 25),
    ("matter", "06027", 20),
    ("matter", "06025", 15),
    ("matter", "06026", 10),
    ("matter", "07003", 15),
    ("matter", "08016", 12),
    ("matter", "09012", 15),
    ("part", "01002", 20),
    ("part", "01003", 20),
    ("part", "01015", 35),
    ("part", "03004", 25),
    ("part", "04001", 15),
    ("part", "02003", 10),
    ("part", "02006", 10),
    ("part", "05006", 8),
    ("matter", "90001", 30),
    ("matter", "90002", 12),
    ("matter", "90003", 12),
    ("matter", "90004", 15),
    # 信访 (90005) and 代表建议 (90006) come from their own registers (jingwu.petitions.demo).
    ("matter", "10001", 15),
]

DESCRIPTIONS = {
    "06010": ["路边有暴露垃圾未清运", "空地堆放生活垃圾", "村口垃圾点周边散落垃圾"],
    "09006": ["商户占道经营摆摊", "早市摊贩占用人行道", "水果摊占用机动车道"],
    "09009": ["车辆乱停放堵塞路口", "机动车占用盲道停放", "车辆停放在小区消防车道旁"],
    "07001": ["电线杆张贴小广告", "墙面喷涂办证小广告", "楼道内大量小广告"],
    "06012": ["道路有泥土遗撒", "路面油污未清理"],
    "06042": ["垃圾桶满溢未及时清运", "分类垃圾箱满溢"],
    "06001": ["村民在道路旁私搭彩钢房", "屋顶违规加建"],
    "08004": ["工地裸土未苫盖，扬尘严重", "渣土车未密闭运输"],
    "90001": ["企业车间消防通道堆放杂物", "小作坊电线私拉乱接", "液化气瓶存放不规范"],
    "90002": ["烟感报警器告警", "消防主机故障告警"],
    "90003": ["空气质量监测站PM2.5超标", "VOCs在线监测超标"],
    "90004": ["河道水面漂浮垃圾", "河岸有违规排污口"],
}


def _photo_bytes(seed: int) -> bytes:
    rnd = random.Random(seed)
    img = Image.new("RGB", (64, 48), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


_PHOTOS = [_photo_bytes(i) for i in range(12)]


def photo(n: int = 0) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"photo{n}.jpg", _PHOTOS[n % len(_PHOTOS)], content_type="image/jpeg")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@functools.cache
def _demo_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _user(username: str, name: str, role: Role, department: Department | None = None, phone: str = "") -> Any:
    User = get_user_model()
    user = User(username=username)
    # Hashing is deliberately slow (PBKDF2); one hash shared by all demo accounts keeps loading quick.
    user.password = _demo_hash()
    user.save()
    Person.objects.create(user=user, name=name, role=role, department=department, phone=phone)
    return user


@dataclass
class Town:
    users: dict[str, Any] = field(default_factory=dict)
    workers: list[Any] = field(default_factory=list)
    handlers: dict[str, Any] = field(default_factory=dict)
    grid_worker: dict[int, Any] = field(default_factory=dict)


def build_town(seed: int = 2019) -> Town:
    """Grids, departments, routing rules and people. Fast, deterministic; needs an empty territory."""
    rng = random.Random(seed)
    features = town.build(settings.JINGWU_DISTRICT_CODE, settings.JINGWU_TOWNSHIP_CODE, grids=125, seed=seed)
    import_geojson({"type": "FeatureCollection", "features": features})
    MapFeature.objects.bulk_create(MapFeature(**f) for f in town.base_features(features, seed=seed))
    depts = {code: Department.objects.create(code=code, name=name, kind=kind) for code, name, kind in DEPARTMENTS}
    categories = {(c.kind, c.code): c for c in Category.objects.all()}
    for prio, (kind, code, dept_code) in enumerate(ROUTING, 1):
        if len(code) == 5:
            RoutingRule.objects.create(
                priority=prio * 10, category=categories[(kind, code)], department=depts[dept_code]
            )
        else:
            RoutingRule.objects.create(
                priority=prio * 10, category_kind=kind, category_major=code, department=depts[dept_code]
            )
    RoutingRule.objects.create(priority=10_000, department=depts["B05"], note="未匹配时由城建办兜底")
    t = Town()
    t.users["admin"] = _user("admin", "吴刚", Role.ADMIN)
    for username, name, role, _ in STAFF:
        t.users[username] = _user(username, name, role, phone=f"139{rng.randrange(10**8):08d}")
    for code, dept in depts.items():
        user = _user(
            f"h_{code.lower()}", f"{dept.name}{_name(rng)}", Role.HANDLER, dept, phone=f"138{rng.randrange(10**8):08d}"
        )
        t.handlers[code] = user
    t.users["handler"] = t.handlers["B05"]
    grids = list(Grid.objects.order_by("code"))
    for i in range(100):
        t.workers.append(_user(f"gw{i + 1:03d}", _name(rng), Role.GRID_WORKER, phone=f"137{rng.randrange(10**8):08d}"))
    # 125 grids, 100 workers: every worker one grid, and 25 of them a neighbouring second grid.
    for i, grid in enumerate(grids):
        worker = t.workers[i] if i < 100 else t.workers[(i - 100) * 4]
        GridAssignment.objects.create(person=worker.person, grid=grid)
        t.grid_worker[grid.pk] = worker
    t.users["gridworker"] = t.workers[0]
    return t


def load_town_from_db() -> Town:
    User = get_user_model()
    t = Town()
    for u in User.objects.select_related("person", "person__department"):
        t.users[u.username] = u
        if hasattr(u, "person") and u.person.role == Role.HANDLER and u.person.department:
            t.handlers[u.person.department.code] = u
    for a in GridAssignment.objects.select_related("person__user").order_by("grid_id", "id"):
        t.grid_worker.setdefault(a.grid_id, a.person.user)
    return t


class _Stalled(Exception):
    """The case stops here: nobody takes the next step (how overdue cases come about)."""

    def __init__(self, case: Case) -> None:
        self.case = case


class Simulator:
    """Plays one case through the loop at plausible times."""

    def __init__(self, t: Town, rng: random.Random) -> None:
        self.t = t
        self.rng = rng
        self.cal = get_calendar()
        self.grids = list(Grid.objects.all())
        self.shapes = {g.pk: shape(g.geometry) for g in self.grids}
        self.categories = {(c.kind, c.code): c for c in Category.objects.all()}
        self.weights = [w for _, _, w in MIX]

    def point_in(self, grid: Grid) -> tuple[float, float]:
        geom = self.shapes[grid.pk]
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(200):
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if geom.contains(Point(x, y)):
                return x, y
        p = geom.representative_point()
        return p.x, p.y

    def later(self, at: datetime, minutes: float) -> datetime:
        return self.cal.add(at, timedelta(minutes=minutes))

    def act(self, at: datetime, case: Case, action: str, actor: Any, **kw: Any) -> Case:
        with clock.frozen_at(at):
            return services.perform(case.pk, action, actor=actor, version=case.version, data=services.ActionInput(**kw))

    def play(self, reported: datetime, horizon: datetime, finish: bool = True, stop_after: str = "") -> Case | None:
        """One case from report to close (or as far as ``horizon`` allows when ``finish`` is false)."""
        rng, t = self.rng, self.t
        kind, code, _ = rng.choices(MIX, weights=self.weights)[0]
        cat = self.categories[(kind, code)]
        grid = rng.choice(self.grids)
        lon, lat = self.point_in(grid)
        desc = rng.choice(DESCRIPTIONS.get(code, [f"{cat.name}问题，请尽快处理"]))
        worker = t.grid_worker[grid.pk]
        r = rng.random()
        if code in ("90002", "90003"):
            source, reporter = Source.IOT, actors.IOT
        elif r < 0.68:
            source, reporter = Source.GRID_WORKER, worker
        elif r < 0.80:
            source, reporter = Source.PUBLIC, t.users["citizen"]
        elif r < 0.94:
            source, reporter = Source.HOTLINE, t.users["operator"]
        else:
            source, reporter = Source.INSPECTION, actors.INSPECTION
        with clock.frozen_at(reported):
            result = services.report_case(
                actor=reporter,
                lon=lon,
                lat=lat,
                description=desc,
                category=cat,
                source=source,
                address=f"{grid.region.name}附近" if hasattr(grid, "region") else "",
                reporter_name=_name(rng) if source in (Source.PUBLIC, Source.HOTLINE) else "",
                reporter_phone=f"13{rng.randrange(10**9):09d}" if source in (Source.PUBLIC, Source.HOTLINE) else "",
                photos=[photo(rng.randrange(12))] if source == Source.GRID_WORKER else [],
            )
        case = result.case
        at = reported
        ops = t.users["operator"]
        lead, disp, leader = t.users["shiftlead"], t.users["dispatcher"], t.users["leader"]

        def go(minutes: float, action: str, actor: Any, **kw: Any) -> bool:
            nonlocal at, case
            nxt = self.later(at, minutes)
            if not finish and nxt > horizon:
                return False
            at = nxt
            case = self.act(at, case, action, actor, **kw)
            if action == stop_after:
                raise _Stalled(case)
            return True

        def late(limit: float, p_late: float = 0.02) -> float:
            return limit * rng.uniform(1.05, 1.8) if rng.random() < p_late else limit * rng.uniform(0.1, 0.9)

        stage = settings.JINGWU_STAGE_LIMITS
        if (
            case.status == State.TO_FILE
            and source == Source.GRID_WORKER
            and rng.random() < 0.12
            and code in ("06010", "07001", "06042", "06012", "09009", "06041")
        ):
            go(late(20), "self_resolve", reporter, photos=[photo(1), photo(2)], note="现场处置完毕")
            return case
        if case.status == State.REPORTED:
            roll = rng.random()
            if roll < 0.04:
                go(late(stage["reported"]), "void", ops, reason="spam", note="重复或无效信息")
                return case
            if roll < 0.60 and worker is not None:
                if not go(late(stage["reported"]), "send_to_verify", ops):
                    return case
                if rng.random() < 0.07:
                    go(
                        late(stage["verifying"]),
                        "verify",
                        worker,
                        outcome="not_found",
                        reason="not_found",
                        note="现场未发现该问题",
                    )
                    return case
                if not go(late(stage["verifying"]), "verify", worker, outcome="confirmed", photos=[photo(3)]):
                    return case
            elif not go(late(stage["reported"]), "accept", ops):
                return case
        if rng.random() < 0.025:
            go(late(stage["to_file"]), "void", lead, reason="not_in_scope", note="不属于城市管理范围")
            return case
        if rng.random() < 0.02:
            others = Case.objects.filter(category=case.category, status__in=[State.HANDLING, State.TO_DISPATCH])
            target = others.exclude(pk=case.pk).order_by("-pk").first()
            if target is not None:
                go(late(stage["to_file"]), "merge", lead, merge_into=target.number, note="重复上报")
                return case
        if not go(late(stage["to_file"]), "file", lead):
            return case
        # A side stream of chance, so that 主办/协办 and 承办人 leave the rest of the town as it was.
        side = random.Random(case.pk)
        support: list[str] = []
        if side.random() < 0.06:
            lead_dept = suggest_department(case.category, case.region_id, case.grid_id)
            support = [side.choice([c for c in t.handlers if lead_dept is None or c != lead_dept.code])]
        if not go(late(stage["to_dispatch"]), "dispatch", disp, supporting=support):
            return case
        assert case.condition is not None
        if case.department is not None and side.random() < 0.35:
            named = t.handlers[case.department.code]
            if not go(side.uniform(5, 60), "assign", named, handler=named.person.pk):
                return case
        for code in support:
            if not go(side.uniform(60, 600), "support_reply", t.handlers[code], reason="已配合完成"):
                return case
        if rng.random() < 0.04 and case.department is not None:
            handler = t.handlers.get(case.department.code)
            if not go(rng.uniform(10, 120), "return", handler, reason="not_ours", note="不属于本单位职责"):
                return case
            other = rng.choice([c for c in t.handlers if c != (case.department.code if case.department else "")])
            if not go(late(stage["returned"]), "dispatch", disp, department=other, note="改派"):
                return case
        handler = t.handlers[case.department.code] if case.department else None
        limit = self.cal.between(at, self.cal.add_limit(at, case.condition.limit)).total_seconds() / 60
        if limit <= 0:
            limit = case.condition.limit_value * 60
        if rng.random() < 0.01:
            go(limit * 0.5, "suspend", leader, reason="long_term", note="需列入专项整治，挂账")
            if rng.random() < 0.5:
                go(rng.uniform(600, 4000), "resume", leader, note="专项整治启动")
            else:
                return case
        if rng.random() < 0.05:
            if not go(
                limit * 0.6,
                "request_extension",
                handler,
                reason="weather",
                note="需协调多部门",
                extension=Limit(2, LimitUnit.WORK_DAYS),
            ):
                return case
            if not go(rng.uniform(10, 60), "approve_extension", lead):
                return case
        minutes = limit * (rng.uniform(0.2, 0.95) if rng.random() > 0.015 else rng.uniform(1.05, 1.5))
        if not go(minutes, "feedback", handler, photos=[photo(4)], note="已处置"):
            return case
        if rng.random() < 0.05:
            if not go(
                late(stage["to_check"]),
                "check",
                self.t.grid_worker[grid.pk],
                outcome="fail",
                reason="not_done",
                note="现场仍有问题",
            ):
                return case
            if not go(rng.uniform(30, 240), "feedback", handler, photos=[photo(5)], note="已重新处置"):
                return case
        if not go(late(stage["to_check"]), "check", self.t.grid_worker[grid.pk], outcome="pass", photos=[photo(6)]):
            return case
        if go(late(stage["to_close"]), "close", lead) and source in (Source.PUBLIC, Source.HOTLINE):
            self.rate(case, at, horizon, random.Random(case.pk * 7))
        return case

    def rate(self, case: Case, at: datetime, horizon: datetime, side: random.Random) -> None:
        """Most reporters rate; a few are not satisfied, and the centre calls nearly all of them back."""
        if side.random() > 0.65:
            return
        rating = side.choices(["satisfied", "basic", "unsatisfied"], weights=[80, 14, 6])[0]
        when = self.later(at, side.uniform(60, 3000))
        if when > horizon:
            return
        with clock.frozen_at(when):
            services.rate_case(case.pk, rating=rating, note="处理及时" if rating == "satisfied" else "")
        if rating == "unsatisfied" and side.random() < 0.9:
            later = self.later(when, side.uniform(30, 600))
            if later <= horizon:
                fresh = Case.objects.get(pk=case.pk)
                self.act(
                    later, fresh, "revisit", self.t.users["operator"], outcome="explained", note="已电话回访并解释"
                )


def load_cases(
    t: Town,
    count: int = 2570,
    end: datetime | None = None,
    open_today: int = 18,
    overdue: int = 6,
    fresh: int = 6,
    seed: int = 2570,
    progress: Callable[[int], None] | None = None,
) -> int:
    """``count`` cases reported over the year before ``end``; then a few reported today.

    No step is dated after ``end``: a case whose handling would run past it (a petition's 60 working days)
    is left where the clock stands, as it would be on a real platform on that day.
    """
    rng = random.Random(seed)
    sim = Simulator(t, rng)
    end = end or clock.now()
    cal = sim.cal
    start = end - timedelta(days=365)
    # Reports cluster in daytime; patrols report in working hours, the public at any waking hour.
    times = sorted(start + timedelta(days=rng.uniform(0, 355), hours=rng.uniform(0, 12)) for _ in range(count))
    times = [t0.astimezone(cal.tz).replace(hour=rng.randint(7, 19), minute=rng.randrange(60)) for t0 in times]
    times.sort()
    made = 0
    from jingwu.notify.receivers import quiet

    with quiet():  # a year of history is not news: today's work below notifies as it would
        made = _load_year(sim, times, end, progress)
    return made + _load_today(sim, rng, cal, end, open_today, overdue, fresh)


def _load_year(sim: Simulator, times: list[datetime], end: datetime, progress: Callable[[int], None] | None) -> int:
    made = 0
    for i in range(0, len(times), 100):
        with transaction.atomic():
            for at in times[i : i + 100]:
                try:
                    sim.play(at, end, finish=False)
                    made += 1
                except ServiceError:
                    continue
        if progress:
            progress(made)
    return made


def _last_working(cal: Any, end: datetime) -> datetime:
    """The latest moment at or before ``end`` that is working time (``end`` itself during working hours)."""
    t, step = end, timedelta(minutes=10)
    for _ in range(24 * 6 * 10):  # ten days back at most (a long holiday)
        if cal.between(t - step, t) > timedelta(0):
            return t
        t -= step
    return end


def _load_today(
    sim: Simulator, rng: random.Random, cal: Any, end: datetime, open_today: int, overdue: int, fresh: int
) -> int:
    made = 0
    # Today's open work: reported during the last working day, stopped wherever the clock stands now; and a
    # few dispatched days ago that their departments let run past the deadline, so the overdue views show.
    with transaction.atomic():
        for _ in range(open_today):
            at = end - timedelta(minutes=rng.uniform(30, 60 * 30))
            try:
                sim.play(at, end, finish=False)
                made += 1
            except _Stalled:
                made += 1
            except ServiceError:
                continue
        # Work that has just come in: reports minutes old (待受理, or 待立案 from a grid worker) and cases filed
        # but not yet dispatched, so the command centre's first queues are not empty when the demo opens.
        # Counted back from the last working minute: a demo loaded in the evening or on a Sunday still opens
        # with work filed that day and waiting for dispatch (filing takes working time).
        last = _last_working(cal, end)
        for i in range(fresh):
            at = (
                (last - timedelta(minutes=rng.uniform(40, 120)))
                if i % 2
                else end - timedelta(minutes=rng.uniform(1, 4))
            )
            try:
                sim.play(at, end, finish=False, stop_after="file" if i % 2 else "")
            except _Stalled:
                pass
            except ServiceError:
                continue
            made += 1
        for i in range(overdue):
            at = cal.add(end - timedelta(days=7), timedelta(hours=rng.uniform(0, 16)))
            try:
                sim.play(at, end, finish=False, stop_after="dispatch" if i % 3 else "send_to_verify")
            except _Stalled:
                made += 1
            except ServiceError:
                continue
    return made
