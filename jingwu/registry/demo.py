"""The demo's registry (一标三实 and 关爱服务): standard addresses with their houses in every village and
community, the households and people living there (registered, floating and a few from abroad), the care
groups in the proportions of a town of this size, a year of aid paid and of enrolments, a year of visits by
each person's grid worker (some late, so that some are overdue today; a few dozen finding a need that became
a case in the loop), and a few proposals waiting for review.

Everything here is made up for the demo (演示数据), marked so where a row has a place for it (a tag's 认定依据,
a payment's 来源, a veteran's note). Names come from the demo's generator; ID numbers are well formed (GB 11643,
with the check character) but invented. People are written in bulk for speed, with the keyed digests and
what the ID number says computed by ``services._derived`` exactly as a save would, and each record's "create"
``Change`` as ``services._change`` would write it; the visits that raise a case and the proposals go through
the services under a replayed clock.

The report (2019) gives the year's figures for the whole town — 4,373 new pension enrolments, 20,242 medical,
1,468 new jobs, aid of 1,007 万元 to 低保, 优抚, 残疾人, 特困 and 低收入 families — but not its population. The
demo takes the town as ``REPORT_PEOPLE`` people (an assumption) and scales the enrolments by its own count of
residents; the aid follows from monthly amounts near Tianjin's (低保 900–1,130 元 a person) and lands near the
report's figure scaled the same way (about 740 万元 for 20,600 residents against 690 万元).

The handler of 社会事务办公室 (B06) keeps the registry (``Steward``) and collects the veterans' records: the
demo's organisation has no 退役军人服务站 of its own.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from shapely.geometry import shape

from jingwu.cases.demo import GIVEN, SURNAMES, photo
from jingwu.geo.models import Grid, Region
from jingwu.geo.services import locate
from jingwu.lib import clock, idcard
from jingwu.org.models import Department
from jingwu.workcal.services import get_calendar

from . import services
from .choices import DisabilityKind, HouseUse, Left, Ownership, PersonKind, ProposalKind, Relation, Scheme
from .models import (
    Address,
    Benefit,
    CareGroup,
    CareTag,
    Change,
    Enrolment,
    Household,
    Residence,
    Resident,
    Steward,
    VeteranRecord,
    Visit,
)

MADE_UP = "演示数据（模拟）"
PEOPLE = 22_000
# The population the report's yearly figures are taken to be for (an assumption: the report gives none).
REPORT_PEOPLE = 30_000
REPORT = {Scheme.PENSION: 4373, Scheme.MEDICAL: 20242, Scheme.JOB: 1468}
REPORT_AID = Decimal("10070000")  # 1,007 万元
# Addresses per grid at PEOPLE residents (scaled with the number asked for).
ROOMS_PER_GRID, COURTYARDS_PER_GRID = 62, 28
# Visits that find a need and raise a case, at PEOPLE residents.
NEEDS_AT_FULL = 40

# Each community's street and the building heights of its estate (旧楼区 six floors, 示范镇 high-rises).
COMMUNITY_STREETS = {
    "智达里社区": ("精武路", (6, 6)),
    "燕南园社区": ("燕南路", (6, 7)),
    "民兴佳园社区": ("民兴路", (11, 18)),
    "聚兴佳园社区": ("聚兴道", (11, 18)),
    "盛兴佳园社区": ("盛兴路", (11, 18)),
    "常青藤社区": ("学府路", (6, 11)),
}
VILLAGE_ROADS = [
    "中心街",
    "前街",
    "后街",
    "东街",
    "西街",
    "南大街",
    "北大街",
    "幸福路",
    "振兴路",
    "富民路",
    "和平巷",
    "兴隆巷",
    "胜利巷",
    "东一巷",
    "东二巷",
    "西一巷",
    "西二巷",
    "新村路",
]
# Places of birth registration: the district for those born here, the rest of Tianjin, and where the
# town's floating population mostly comes from (Hebei, Shandong, Henan, Anhui, the north-east).
HOME_PREFIX = "120111"
TIANJIN = ["120104", "120110", "120112", "120113", "120114", "120115", "120116", "120221"]
ELSEWHERE = [
    "130423",
    "130524",
    "130627",
    "130922",
    "131121",
    "131181",
    "370883",
    "371423",
    "371526",
    "410523",
    "411421",
    "411526",
    "341221",
    "341322",
    "230125",
    "220282",
    "150125",
    "140621",
]
OVERSEAS_NAMES = [
    "金敏智",
    "朴秀妍",
    "佐藤美咲",
    "阮氏玲",
    "黎氏香",
    "李美善",
    "崔智勋",
    "山田健一",
    "陈美玲",
    "潘氏清",
]

DISABILITY_WEIGHTS = {
    DisabilityKind.LIMB: 29,
    DisabilityKind.HEARING: 24,
    DisabilityKind.MULTIPLE: 17,
    DisabilityKind.SIGHT: 14,
    DisabilityKind.MENTAL: 7,
    DisabilityKind.INTELLECT: 7,
    DisabilityKind.SPEECH: 2,
}
GRADE_WEIGHTS = {1: 10, 2: 22, 3: 28, 4: 40}
# (category, share of the group, birth years, receives 定期抚恤补助 per month (元) or None)
VETERANS: list[tuple[str, int, tuple[int, int], tuple[int, int] | None]] = [
    ("退役士兵", 76, (1962, 2004), None),
    ("参战参试退役人员", 9, (1945, 1966), (700, 900)),
    ("在乡复员军人", 3, (1930, 1942), (1700, 2100)),
    ("带病回乡退伍军人", 4, (1945, 1968), (1100, 1300)),
    ("残疾军人", 5, (1945, 1985), (1300, 3600)),
    ("烈士遗属", 3, (1938, 1965), (2200, 2700)),
    ("病故军人遗属", 4, (1938, 1965), (1800, 2200)),
]
# The group whose words a visit's record uses, for a person in several.
PRIMARY = ["key_person", "alone_elderly", "tekun", "dibao", "left_behind", "low_income", "veteran", "disabled"]
FOUND = {
    "alone_elderly": [
        "上门看望，老人身体状况良好，生活能自理",
        "老人血压偏高，已提醒按时服药、定期测量",
        "帮助老人检查燃气灶具和电器使用安全",
        "老人情绪稳定，子女每周电话联系",
        "陪老人聊天，了解饮食起居，家中整洁",
        "提醒老人防寒保暖、防范煤气中毒",
        "老人反映近期睡眠不好，已告知社区卫生服务站",
    ],
    "dibao": [
        "了解家庭收入和就业变化，暂无变化",
        "核实家庭成员情况，与登记一致",
        "宣传低保政策，告知年度复核材料",
        "家庭生活基本稳定，孩子正常上学",
    ],
    "tekun": ["供养对象生活正常，照料人照料到位", "检查居住环境，室内整洁，取暖正常"],
    "low_income": ["了解家庭收支变化，暂无明显困难", "宣传就业帮扶和临时救助政策"],
    "disabled": ["了解康复和辅具使用情况", "核实残疾人两项补贴到账情况", "家属照料到位，生活稳定"],
    "left_behind": [
        "询问孩子学习生活情况，监护人照料到位",
        "与孩子父母视频联系，告知近况",
        "提醒监护人注意防溺水、交通安全",
    ],
    "veteran": ["走访慰问，了解生活和就业情况", "核对退役军人信息采集内容", "宣传优抚政策，送达节日慰问品"],
    "key_person": ["见面谈话，近期情况稳定", "了解近期动向，无异常"],
}
# A need found on a visit: (what, category (kind, code), the department that answers it; None: the routing's).
NEEDS: list[tuple[str, tuple[str, str], str | None]] = [
    ("独居老人家中电线老化、插座松动，存在用电安全隐患，需协调电工上门检修", ("matter", "90008"), "B06"),
    ("老人反映取暖炉具损坏，冬季取暖困难，需帮助更换", ("matter", "90008"), "B06"),
    ("低保户房屋屋顶漏雨，需申请危房修缮救助", ("matter", "90008"), "B06"),
    ("残疾人家门口台阶过高，轮椅出入不便，申请无障碍改造", ("matter", "90008"), "B06"),
    ("留守儿童祖父母年老体弱，需协调学校和村委会加强关爱", ("matter", "90008"), "B06"),
    ("老人近期行动不便，申请居家养老上门服务", ("matter", "90008"), "B06"),
    ("退役军人反映优抚金发放信息有误，需核实", ("matter", "90008"), "B06"),
    ("残疾人证到期需换证，行动不便，申请上门评残", ("matter", "90008"), "B06"),
    ("家门口路灯不亮，老人夜间出行不便", ("part", "01015"), None),
    ("院外胡同堆放生活垃圾多日未清运", ("matter", "06010"), None),
]


@dataclass
class Person:
    relation: str
    born: date
    sex: str  # "M" / "F"
    name: str
    kind: str = PersonKind.REGISTERED
    prefix: str = HOME_PREFIX
    groups: list[str] = field(default_factory=list)
    row: Resident | None = None


@dataclass
class Home:
    address: Address
    village: bool
    kind: str  # "registered" / "floating"
    template: str
    people: list[Person]
    number: str = ""
    since: datetime | None = None  # moved in
    moved_at: datetime | None = None  # moved here from another house of the town during the year
    moved_from: Address | None = None
    row: Household | None = None


def _given(rng: random.Random) -> str:
    return "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


class _Maker:
    """People and their numbers, without repeats."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.ids: set[str] = set()

    def born(self, lo: int, hi: int) -> date:
        """A birthday for someone aged lo..hi today."""
        age = self.rng.uniform(lo, hi + 0.999)
        return self.today - timedelta(days=int(age * 365.25) + 1)

    def person(self, relation: str, lo: int, hi: int, sex: str = "", surname: str = "", **kw: Any) -> Person:
        rng = self.rng
        sex = sex or rng.choice("MF")
        name = (surname or rng.choice(SURNAMES)) + _given(rng)
        return Person(relation, self.born(lo, hi), sex, name, **kw)

    def id_number(self, p: Person) -> str:
        while True:
            seq = self.rng.randrange(1000)
            if (seq % 2 == 1) != (p.sex == "M"):
                seq = (seq + 1) % 1000
            body = f"{p.prefix}{p.born:%Y%m%d}{seq:03d}"
            number = body + idcard.check_character(body)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"


def _family(m: _Maker, template: str, kind: str) -> list[Person]:
    """The people of one household of this template (the head first)."""
    rng = m.rng
    out: list[Person] = []

    def spouse_of(head: Person, lo: int, hi: int) -> Person:
        s = m.person(Relation.SPOUSE, lo, hi, sex="F" if head.sex == "M" else "M", kind=kind)
        if kind == PersonKind.REGISTERED and rng.random() < 0.25:
            s.prefix = rng.choice(TIANJIN + ELSEWHERE)  # married in from elsewhere
        return s

    def children(head: Person, n: int, lo: int, hi: int, relation: str = Relation.CHILD) -> None:
        surname = head.name[0] if head.sex == "M" else rng.choice(SURNAMES)
        for _ in range(n):
            out.append(m.person(relation, max(0, lo), max(0, hi), surname=surname, kind=kind))

    if template == "alone_old":
        out.append(m.person(Relation.HEAD, 70, 95, sex=rng.choice("MFF"), kind=kind))
    elif template == "single":
        out.append(m.person(Relation.HEAD, 20, 69, sex=rng.choice("MMF"), kind=kind))
    elif template == "old_couple":
        head = m.person(Relation.HEAD, 60, 88, sex="M", kind=kind)
        out += [head, spouse_of(head, 58, 86)]
    elif template == "couple":
        head = m.person(Relation.HEAD, 22, 59, sex="M" if rng.random() < 0.8 else "F", kind=kind)
        out += [head, spouse_of(head, 22, 59)]
    elif template in ("nuclear", "single_parent"):
        head = m.person(Relation.HEAD, 27, 52, sex="M" if rng.random() < 0.8 else "F", kind=kind)
        out.append(head)
        if template == "nuclear":
            out.append(spouse_of(head, 25, 52))
        age = int((m.today - head.born).days / 365.25)
        children(
            head,
            rng.choice((1, 1, 2, 2, 3)) if kind == PersonKind.REGISTERED else rng.choice((1, 1, 2)),
            age - 34,
            age - 23,
        )
    elif template == "three_gen":
        head = m.person(Relation.HEAD, 32, 56, sex="M" if rng.random() < 0.85 else "F", kind=kind)
        out += [head, spouse_of(head, 30, 56)]
        age = int((m.today - head.born).days / 365.25)
        children(head, rng.choice((1, 2, 2, 3)), age - 33, age - 22)
        both = rng.random() < 0.6
        for sex in "MF" if both else rng.choice("MFF"):
            surname = (head.name[0] if head.sex == "M" else "") if sex == "M" else ""
            out.append(m.person(Relation.PARENT, age + 22, min(95, age + 34), sex=sex, surname=surname, kind=kind))
    elif template == "left_behind":
        head = m.person(Relation.HEAD, 56, 78, sex="M", kind=kind)
        out.append(head)
        if rng.random() < 0.7:
            out.append(spouse_of(head, 54, 76))
        children(head, rng.choice((1, 1, 2)), 3, 15, relation=Relation.GRANDCHILD)
        for p in out[-2:]:
            if p.relation == Relation.GRANDCHILD:
                p.groups.append("left_behind")
    if kind == PersonKind.FLOATING:
        prefix = rng.choice(ELSEWHERE + ELSEWHERE + TIANJIN)
        for p in out:
            p.prefix = prefix if p.relation != Relation.SPOUSE or rng.random() < 0.6 else rng.choice(ELSEWHERE)
    return out


REGISTERED_MIX = {
    True: {  # villages
        "nuclear": 30,
        "three_gen": 27,
        "old_couple": 13,
        "alone_old": 5,
        "couple": 7,
        "single": 4,
        "left_behind": 5,
        "single_parent": 3,
    },
    False: {  # communities
        "nuclear": 36,
        "three_gen": 14,
        "old_couple": 15,
        "alone_old": 5,
        "couple": 13,
        "single": 8,
        "left_behind": 1,
        "single_parent": 5,
    },
}
# A second household in a village courtyard: the old parents, or a married son's family (分户).
SECOND_MIX = {"old_couple": 4, "alone_old": 1, "nuclear": 3, "couple": 1}
FLOATING_MIX = {"single": 35, "couple": 25, "nuclear": 40}


def _pick(rng: random.Random, mix: dict[str, int]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _sample_points(geom: Any, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``n`` points well inside ``geom`` (a few metres from its edge, so that locate() agrees)."""
    inner = geom.buffer(-0.0002)
    if inner.is_empty:
        inner = geom
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        xs, ys = rng.uniform(minx, maxx, 4 * n + 8), rng.uniform(miny, maxy, 4 * n + 8)
        keep = shapely.contains_xy(inner, xs, ys)
        out += [(round(float(x), 6), round(float(y), 6)) for x, y in zip(xs[keep], ys[keep], strict=True)]
    return out[:n]


def _addresses(
    rng: random.Random, nprng: np.random.Generator, scale: float, when: datetime
) -> tuple[list[Address], dict[int, bool]]:
    """Standard addresses for every grid of every village and community, each with a point in its grid."""
    regions = {r.pk: r for r in Region.objects.filter(level__in=["village", "community"])}
    grids = list(Grid.objects.filter(region__in=list(regions)).order_by("code"))
    out: list[Address] = []
    village_of: dict[int, bool] = {}
    roads: dict[int, list[str]] = {}
    numbers: dict[tuple[int, str], int] = defaultdict(int)
    buildings: dict[int, int] = defaultdict(int)

    def add(region: Region, grid: Grid, x: float, y: float, **parts: Any) -> Address:
        a = Address(region=region, grid_id=grid.pk, lon=x, lat=y, created_at=when, updated_at=when, **parts)
        a.label = a.compose()
        out.append(a)
        return a

    for grid in grids:
        region = regions[grid.region_id]
        village = region.level == "village"
        geom = shape(grid.geometry)
        if village:
            if region.pk not in roads:
                roads[region.pk] = rng.sample(VILLAGE_ROADS, rng.randint(4, 7))
            n = max(2, round(COURTYARDS_PER_GRID * scale))
            points = _sample_points(geom, n + 3, nprng)
            mine = rng.sample(roads[region.pk], min(len(roads[region.pk]), rng.randint(1, 3)))
            for i, (x, y) in enumerate(points):
                road = rng.choice(mine)
                numbers[(region.pk, road)] += rng.choice((1, 1, 2))
                number = str(numbers[(region.pk, road)])
                if i >= n:  # the village's other houses: shops on the main street, a workshop, the committee
                    use = (HouseUse.SHOP, HouseUse.MIXED, HouseUse.FACTORY)[i - n]
                    own = Ownership.COLLECTIVE if use == HouseUse.FACTORY else Ownership.PRIVATE
                    a = add(
                        region,
                        grid,
                        x,
                        y,
                        road=road,
                        number=number,
                        use=use,
                        ownership=own,
                        area=round(rng.uniform(60, 900 if use == HouseUse.FACTORY else 160)),
                        rented=use != HouseUse.MIXED and rng.random() < 0.5,
                    )
                else:
                    a = add(
                        region,
                        grid,
                        x,
                        y,
                        road=road,
                        number=number,
                        use=HouseUse.HOME,
                        ownership=Ownership.PRIVATE,
                        area=round(rng.uniform(80, 220)),
                    )
                village_of[id(a)] = True
            if grid.code.endswith("001"):
                x, y = _sample_points(geom, 1, nprng)[0]
                road = mine[0]
                numbers[(region.pk, road)] += 1
                a = add(
                    region,
                    grid,
                    x,
                    y,
                    road=road,
                    number=str(numbers[(region.pk, road)]),
                    use=HouseUse.PUBLIC,
                    ownership=Ownership.COLLECTIVE,
                    area=round(rng.uniform(200, 600)),
                )
                village_of[id(a)] = True
        else:
            street, (lo, hi) = COMMUNITY_STREETS.get(region.name, ("精武路", (6, 11)))
            gate = str(2 * (list(COMMUNITY_STREETS).index(region.name) + 1) if region.name in COMMUNITY_STREETS else 1)
            want = max(2, round(ROOMS_PER_GRID * scale))
            made = 0
            while made < want:
                buildings[region.pk] += 1
                b = str(buildings[region.pk])
                x, y = _sample_points(geom, 1, nprng)[0]
                floors, units = rng.randint(lo, hi), rng.choice((2, 2, 3))
                old = hi <= 7
                for unit in range(1, units + 1):
                    for floor in range(1, floors + 1):
                        for door in (1, 2):
                            if made >= want:
                                break
                            own = Ownership.PUBLIC if old and rng.random() < 0.3 else Ownership.PRIVATE
                            a = add(
                                region,
                                grid,
                                x,
                                y,
                                road=street,
                                number=gate,
                                building=b,
                                unit=str(unit),
                                room=f"{floor}{door:02d}",
                                use=HouseUse.HOME,
                                ownership=own,
                                area=round(rng.uniform(48, 75) if old else rng.uniform(60, 125), 1),
                            )
                            village_of[id(a)] = False
                            made += 1
            # Shops along the street and the community's service station.
            for k in range(2):
                x, y = _sample_points(geom, 1, nprng)[0]
                numbers[(region.pk, street)] += 1
                a = add(
                    region,
                    grid,
                    x,
                    y,
                    road=street,
                    number=f"{gate}-{numbers[(region.pk, street)]}",
                    use=HouseUse.PUBLIC if k == 0 and grid.code.endswith("001") else HouseUse.SHOP,
                    ownership=Ownership.UNIT if k == 0 else Ownership.PRIVATE,
                    rented=k == 1 and rng.random() < 0.6,
                    area=round(rng.uniform(40, 300)),
                )
                village_of[id(a)] = False
    return out, village_of


def _change(
    record: str, pk: int, action: str, before: dict[str, Any], after: dict[str, Any], by: Any, at: datetime
) -> Change:
    """The row ``services._change`` would write, unsaved (for bulk_create)."""
    names = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    values = {k: [services._plain(before.get(k)), services._plain(after.get(k))] for k in names}
    return Change(
        record=record,
        record_id=pk,
        action=action,
        fields=names,
        diff=json.dumps(values, ensure_ascii=False),
        by=by,
        at=at,
    )


def _address_fields(a: Address) -> dict[str, Any]:
    fields = {
        "region": a.region_id,
        "grid_id": a.grid_id,
        "lon": a.lon,
        "lat": a.lat,
        "use": a.use,
        "ownership": a.ownership,
        "rented": a.rented,
        "area": a.area,
    }
    fields.update({p: getattr(a, p) for p in services.ADDRESS_PARTS})
    return fields


def _at_work(cal: Any, day: date, rng: random.Random, weekend_ok: float = 0.1) -> datetime:
    """A moment of the working day on ``day`` (or the next working day, mostly)."""
    if rng.random() > weekend_ok:
        for _ in range(10):
            if cal.is_working_day(day):
                break
            day += timedelta(days=1)
    return datetime.combine(day, time(8, 30), tzinfo=cal.tz) + timedelta(minutes=rng.randrange(0, 540))


def load(
    town: Any, end: datetime | None = None, people: int = PEOPLE, seed: int = 2025, batch: int = 2000
) -> dict[str, Any]:
    """The registry of the demo town; returns its figures. The handler ``h_b06`` (社会事务办公室) becomes a
    steward (基础信息管理部门)."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    cal = get_calendar()
    end = end or clock.now()
    today = end.astimezone(cal.tz).date()
    window = end - timedelta(days=365)
    collected = end - timedelta(days=rng.randint(400, 430))  # the registry's first collection (信息采集)
    scale = people / PEOPLE
    steward_user = town.handlers["B06"]
    steward_person = steward_user.person
    Steward.objects.get_or_create(department=Department.objects.get(code="B06"), defaults={"exports": True})
    groups = {g.code: g for g in CareGroup.objects.all()}

    with transaction.atomic():
        figures = _people(
            town,
            rng,
            nprng,
            cal,
            end,
            today,
            window,
            collected,
            scale,
            groups,
            batch,
            steward_user,
            steward_person,
        )
    figures.update(_needs(town, rng, cal, end, figures.pop("need_visits")))
    figures["visits"] += figures["visit_cases"]
    ids = list(Resident.objects.exclude(tags=None).values_list("pk", flat=True).distinct())
    for i in range(0, len(ids), 1000):
        with transaction.atomic():
            services.reschedule(ids[i : i + 1000])
    figures.update(_proposals(town, rng, end, steward_user))
    figures["overdue"] = Resident.objects.current().filter(visit_due__lt=services.today()).count()
    return figures


def _people(
    town: Any,
    rng: random.Random,
    nprng: np.random.Generator,
    cal: Any,
    end: datetime,
    today: date,
    window: datetime,
    collected: datetime,
    scale: float,
    groups: dict[str, CareGroup],
    batch: int,
    steward_user: Any,
    steward_person: Any,
) -> dict[str, Any]:
    m = _Maker(rng, today)
    addresses, village_of = _addresses(rng, nprng, scale, collected)
    # Each point where its grid is (locate() is what a save runs); a point on a border takes the answer.
    for a in addresses:
        where = locate(a.lon, a.lat)  # type: ignore[arg-type]
        if where is not None:
            a.grid_id = where.grid_id
    Address.objects.bulk_create(addresses, batch_size=batch)
    changes = [_change("address", a.pk, "create", {}, _address_fields(a), steward_user, collected) for a in addresses]

    # Households: who lives at each house.
    homes: list[Home] = []
    for a in addresses:
        village = village_of[id(a)]
        if a.use != HouseUse.HOME:
            continue
        roll = rng.random()
        if roll < (0.03 if village else 0.08):
            continue  # vacant
        if roll < (0.15 if village else 0.2):  # rented out (in a village, rooms of the courtyard to workers)
            a.rented = True
            if village:
                if rng.random() < 0.5:
                    tpl = _pick(rng, SECOND_MIX)
                    homes.append(Home(a, village, PersonKind.REGISTERED, tpl, _family(m, tpl, PersonKind.REGISTERED)))
                for _ in range(rng.randint(2, 6)):
                    tpl = _pick(rng, FLOATING_MIX)
                    homes.append(Home(a, village, PersonKind.FLOATING, tpl, _family(m, tpl, PersonKind.FLOATING)))
            else:
                tpl = _pick(rng, FLOATING_MIX)
                homes.append(Home(a, village, PersonKind.FLOATING, tpl, _family(m, tpl, PersonKind.FLOATING)))
            continue
        tpl = _pick(rng, REGISTERED_MIX[village])
        homes.append(Home(a, village, PersonKind.REGISTERED, tpl, _family(m, tpl, PersonKind.REGISTERED)))
        for share in (0.6, 0.12) if village else ():  # more households in the same courtyard (分户)
            if rng.random() < share:
                tpl = _pick(rng, SECOND_MIX)
                homes.append(Home(a, village, PersonKind.REGISTERED, tpl, _family(m, tpl, PersonKind.REGISTERED)))
    Address.objects.bulk_update([a for a in addresses if a.rented], ["rented"], batch_size=batch)
    # A few from abroad: spouses married into the town's families and tenants.
    registered_homes = [h for h in homes if h.kind == PersonKind.REGISTERED and h.template in ("nuclear", "couple")]
    for name in OVERSEAS_NAMES[: max(2, round(len(OVERSEAS_NAMES) * scale))]:
        if registered_homes and rng.random() < 0.6:
            h = rng.choice(registered_homes)
            spouse = next((p for p in h.people if p.relation == Relation.SPOUSE), None)
            if spouse is not None:
                spouse.kind, spouse.name = PersonKind.OVERSEAS, name
                continue
        rented = [h for h in homes if h.kind == PersonKind.FLOATING]
        if rented:
            h = rng.choice(rented)
            p = m.person(Relation.OTHER, 24, 45, kind=PersonKind.OVERSEAS)
            p.name = name
            h.people.append(p)

    # Household numbers (户号): the village or community's code and a sequence; 居住户 of tenants apart.
    # Registered families have lived there for years; tenants came within the last three, and some of them
    # moved here from another house of the town during the year.
    seq: dict[str, int] = defaultdict(int)
    homes_of: dict[int, list[Address]] = defaultdict(list)
    for a in addresses:
        if a.use == HouseUse.HOME:
            homes_of[a.region_id].append(a)
    for h in homes:
        code = h.address.region.code[-3:]
        seq[code] += 1
        h.number = f"{code}{seq[code]:06d}" if h.kind == PersonKind.REGISTERED else f"LD{code}{seq[code]:06d}"
        entered = collected + timedelta(minutes=rng.randrange(0, 60 * 24 * 25))
        if h.kind == PersonKind.REGISTERED:
            h.since = collected - timedelta(days=rng.randint(200, 30 * 365))
        else:
            h.since = end - timedelta(days=rng.randint(20, 3 * 365), minutes=rng.randrange(600))
            entered = max(entered, h.since)
            if rng.random() < 0.08:
                moved_at = end - timedelta(days=rng.randint(10, 330), minutes=rng.randrange(600))
                others = [a for a in homes_of[h.address.region_id] if a is not h.address]
                if moved_at > entered and others:
                    h.moved_at, h.moved_from = moved_at, rng.choice(others)
        h.row = Household(number=h.number, address=h.address, created_at=h.moved_at or entered)
    Household.objects.bulk_create([h.row for h in homes if h.row is not None], batch_size=batch)

    # People: the rows, their keys and what their ID number says, as a save computes them.
    everyone: list[tuple[Person, Home]] = [(p, h) for h in homes for p in h.people]
    rows: list[Resident] = []
    for p, h in everyone:
        id_number = "" if p.kind == PersonKind.OVERSEAS else m.id_number(p)
        age = (today - p.born).days / 365.25
        has_phone = (age >= 18 and rng.random() < (0.97 if age < 80 else 0.7)) or (
            14 <= age < 18 and rng.random() < 0.4
        )
        phone = m.phone() if has_phone else ""
        fields = {"name": p.name, "id_number": id_number, "phone": phone}
        assert h.row is not None and h.since is not None
        created = max(h.since, collected) + timedelta(minutes=rng.randrange(0, 60 * 24 * 25))
        born_at = datetime.combine(p.born, time(10), tzinfo=cal.tz)
        if born_at > collected:  # born since: registered some weeks after birth
            created = born_at + timedelta(days=rng.randint(20, 60))
        created = min(created, end - timedelta(hours=2))
        r = Resident(
            **fields,
            **services._derived(fields),
            kind=p.kind,
            household=h.row,
            relation=p.relation,
            address=h.address,
            grid_id=h.address.grid_id,
            region_id=h.address.region_id,
            created_at=created,
            updated_at=created,
        )
        p.row = r
        rows.append(r)
    Resident.objects.bulk_create(rows, batch_size=batch)
    for r in rows:
        changes.append(_change("resident", r.pk, "create", {}, services._personal(r), steward_user, r.created_at))

    # Where they live: one current residence each; some tenants moved within the town during the year, and a
    # few people left (died, moved away), their residence closed.
    residences: list[Residence] = []
    moved = left = 0
    for h in homes:
        assert h.row is not None and h.since is not None
        move_at, before = h.moved_at, h.moved_from
        for p in h.people:
            row = p.row
            assert row is not None
            start = max(h.since, datetime.combine(p.born, time(10), tzinfo=cal.tz))
            if move_at is not None and before is not None and move_at > start:
                residences.append(
                    Residence(
                        resident=row, address=before, grid_id=before.grid_id, household=None, since=start, until=move_at
                    )
                )
                residences.append(
                    Residence(
                        resident=row, address=h.address, grid_id=h.address.grid_id, household=h.row, since=move_at
                    )
                )
                changes.append(
                    _change(
                        "resident",
                        row.pk,
                        "move",
                        {"address": before.pk, "grid": before.grid_id, "household": None},
                        {"address": h.address.pk, "grid": h.address.grid_id, "household": h.row.pk},
                        steward_user,
                        move_at,
                    )
                )
                row.version, row.updated_at = 2, move_at
                moved += 1
                continue
            until = None
            age = (today - p.born).days / 365.25
            if not p.groups and h.kind == PersonKind.REGISTERED and rng.random() < (0.02 if age > 80 else 0.002):
                until = max(end - timedelta(days=rng.randint(5, 300)), row.created_at + timedelta(days=3))
                before_personal = services._personal(row)
                row.left = Left.DIED if age > 80 else Left.MOVED_AWAY
                changes.append(
                    _change("resident", row.pk, "remove", before_personal, services._personal(row), steward_user, until)
                )
                row.version, row.updated_at = 2, until
                left += 1
            residences.append(
                Residence(
                    resident=row,
                    address=h.address,
                    grid_id=h.address.grid_id,
                    household=h.row,
                    since=start,
                    until=until,
                )
            )
    Residence.objects.bulk_create(residences, batch_size=batch)
    Resident.objects.bulk_update(
        [r for r in rows if r.version > 1], ["left", "version", "updated_at"], batch_size=batch
    )

    # Care groups.
    current = [(p, h) for p, h in everyone if p.row is not None and not p.row.left]
    n = len(current)
    tags: list[CareTag] = []
    vets: list[VeteranRecord] = []
    tagged: dict[str, set[int]] = defaultdict(set)
    since_of: dict[tuple[int, str], date] = {}
    extra: dict[tuple[int, str], dict[str, Any]] = {}

    def age_of(p: Person) -> float:
        return (today - p.born).days / 365.25

    def tag(p: Person, code: str, since: date, **kw: Any) -> None:
        assert p.row is not None
        since = max(since, p.born + timedelta(days=30))
        since = min(since, today - timedelta(days=1))
        if code not in p.groups:
            p.groups.append(code)
        tagged[code].add(p.row.pk)
        since_of[(p.row.pk, code)] = since
        extra[(p.row.pk, code)] = kw
        created = max(datetime.combine(since, time(10), tzinfo=cal.tz), collected)
        tags.append(CareTag(resident=p.row, group=groups[code], since=since, created_at=min(created, end), **kw))
        changes.append(
            _change("tag", p.row.pk, "tag", {}, {"group": code, "since": str(since)}, steward_user, min(created, end))
        )

    def recognised(lo_years: float = 8) -> date:
        """When a status was recognised: mostly years ago, one in ten during the past year."""
        if rng.random() < 0.1:
            return (window + timedelta(days=rng.randint(0, 350))).astimezone(cal.tz).date()
        return today - timedelta(days=rng.randint(366, int(lo_years * 365)))

    registered = [h for h in homes if h.kind == PersonKind.REGISTERED]

    def current_people(h: Home) -> list[Person]:
        return [p for p in h.people if p.row is not None and not p.row.left and p.kind != PersonKind.OVERSEAS]

    # 独居老人: those aged 70 and over who live alone.
    for p, h in current:
        if h.template == "alone_old" and h.kind == PersonKind.REGISTERED and age_of(p) >= 70:
            tag(p, "alone_elderly", recognised(6), evidence="网格员摸排登记（" + MADE_UP + "）")
    # 低保 and 低收入: whole households, more often the old, the single parents, the left-behind.
    weights = {"alone_old": 5, "old_couple": 3, "single_parent": 6, "left_behind": 4, "single": 2}
    pool = sorted(registered, key=lambda h: rng.random() / weights.get(h.template, 1))
    i = 0
    for code, share in (("dibao", 0.015), ("low_income", 0.01)):
        want = round(share * n)
        count = 0
        while count < want and i < len(pool):
            h = pool[i]
            i += 1
            since = recognised(10)
            for p in current_people(h):
                tag(p, code, since, evidence=("低保证" if code == "dibao" else "低收入家庭认定") + f"（{MADE_UP}）")
                count += 1
    # 特困: the old living alone (or the severely disabled) with no one to support them, not on 低保.
    want = round(0.002 * n)
    alone = [
        p
        for p, h in current
        if h.template == "alone_old"
        and p.row is not None
        and p.row.pk not in tagged["dibao"]
        and p.row.pk not in tagged["low_income"]
    ]
    for p in rng.sample(alone, min(want, len(alone))):
        tag(p, "tekun", recognised(12), evidence="特困人员救助供养证（分散供养，" + MADE_UP + "）")
    # 残疾人: about 5 %, more among the old.
    want = round(0.05 * n)
    cands = [p for p, _h in current if p.kind != PersonKind.OVERSEAS]
    weights_d = [0.3 + (age_of(p) / 40) ** 2 for p in cands]
    chosen: dict[int, Person] = {}
    while len(chosen) < min(want, len(cands)):
        for p in rng.choices(cands, weights=weights_d, k=want - len(chosen)):
            assert p.row is not None
            chosen[p.row.pk] = p
    for p in list(chosen.values())[:want]:
        kind = rng.choices(list(DISABILITY_WEIGHTS), weights=list(DISABILITY_WEIGHTS.values()))[0]
        grade = rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
        since = max(p.born + timedelta(days=365 * 3), recognised(20))
        tag(
            p,
            "disabled",
            since,
            disability=kind,
            grade=grade,
            evidence=f"第二代残疾人证（{DisabilityKind(kind).label}{'一二三四'[grade - 1]}级，{MADE_UP}）",
        )
    # 留守儿童: the grandchildren whose parents work away (marked when the household was made).
    for p, _h in current:
        if "left_behind" in p.groups and age_of(p) < 16:
            p.groups.remove("left_behind")
            tag(p, "left_behind", recognised(4), evidence="村（居）委会摸排（" + MADE_UP + "）")
    # 退役军人/优抚对象, with the station's record (信息采集).
    want = round(0.015 * n)
    vet_weights = [w for _c, w, _y, _a in VETERANS]
    taken: set[int] = set()
    vet_pay: dict[int, tuple[int, int]] = {}
    by_year: dict[int, list[Person]] = defaultdict(list)
    for p, _h in current:
        if p.kind == PersonKind.REGISTERED and p.row is not None:
            by_year[p.born.year].append(p)
    tries = 0
    while len(taken) < want and tries < want * 50:
        tries += 1
        category, _w, (y0, y1), monthly = rng.choices(VETERANS, weights=vet_weights)[0]
        survivor = "遗属" in category
        pool_y = by_year.get(rng.randint(y0, min(y1, today.year - 19)), [])
        cands_v = [p for p in pool_y if (p.sex == "M") != survivor or (not survivor and rng.random() < 0.03)]
        if not cands_v:
            continue
        p = rng.choice(cands_v)
        assert p.row is not None
        if p.row.pk in taken:
            continue
        taken.add(p.row.pk)
        enlisted = discharged = None
        if not survivor:
            enlisted = p.born.year + rng.randint(17, 20)
            discharged = min(today.year, enlisted + rng.choice((2, 2, 3, 4, 5, 8, 12)))
            if discharged >= today.year:
                discharged = today.year - 1
        since = date(discharged or max(p.born.year + 30, 1985), rng.randint(1, 12), 1)
        tag(p, "veteran", since, evidence=category + "（" + MADE_UP + "）")
        vets.append(
            VeteranRecord(
                resident=p.row,
                category=category,
                enlisted=enlisted,
                discharged=discharged,
                note=MADE_UP,
                collected_by=steward_person,
                collected_at=collected + timedelta(days=rng.randint(30, 120), hours=rng.randint(0, 8)),
            )
        )
        if monthly is not None:
            vet_pay[p.row.pk] = monthly
    # 重点人员 (restricted: the steward and the person's own grid worker only).
    want = round(0.002 * n)
    cands = [p for p, _h in current if p.kind != PersonKind.OVERSEAS and 18 <= age_of(p) <= 60 and not p.groups]
    for p in rng.sample(cands, min(want, len(cands))):
        tag(p, "key_person", recognised(5), evidence="综治中心列管（" + MADE_UP + "）")
    CareTag.objects.bulk_create(tags, batch_size=batch)
    VeteranRecord.objects.bulk_create(vets, batch_size=batch)

    # A year of aid, by month: 低保金, 特困供养金, 低收入家庭救助, the disabled's two subsidies, 优抚金.
    months = []
    d = today.replace(day=1)
    for _ in range(12):
        months.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    months.reverse()
    benefits: list[Benefit] = []
    source = "民政综合业务系统导出（" + MADE_UP + "）"
    per_household: dict[int, Decimal] = {}

    def pay(pk: int, kind: str, amount: Decimal, since: date) -> None:
        for month in months:
            if since <= month + timedelta(days=27):
                benefits.append(Benefit(resident_id=pk, month=month, kind=kind, amount=amount, source=source))

    for p, h in current:
        assert p.row is not None
        pk = p.row.pk
        if pk in tagged["dibao"]:
            hh = id(h)
            if hh not in per_household:
                per_household[hh] = Decimal(rng.randrange(900, 1130, 10))
            pay(pk, "低保金", per_household[hh], since_of[(pk, "dibao")])
        if pk in tagged["tekun"]:
            pay(pk, "特困人员供养金", Decimal(rng.randrange(1400, 1560, 10)), since_of[(pk, "tekun")])
        if pk in tagged["low_income"]:
            pay(pk, "低收入家庭救助金", Decimal(rng.randrange(180, 320, 10)), since_of[(pk, "low_income")])
        if pk in tagged["disabled"]:
            grade = extra[(pk, "disabled")]["grade"]
            poor = pk in tagged["dibao"] or pk in tagged["tekun"] or pk in tagged["low_income"]
            if poor:
                pay(pk, "困难残疾人生活补贴", Decimal(100), since_of[(pk, "disabled")])
            if grade <= 2:
                pay(pk, "重度残疾人护理补贴", Decimal(200 if grade == 1 else 120), since_of[(pk, "disabled")])
        if pk in vet_pay:
            lo, hi = vet_pay[pk]
            pay(pk, "优抚金（定期抚恤补助）", Decimal(rng.randrange(lo, hi, 10)), since_of[(pk, "veteran")])
    Benefit.objects.bulk_create(benefits, batch_size=batch)

    # Enrolments over the year: the report's counts scaled to this town.
    factor = n / REPORT_PEOPLE
    enrolments: list[Enrolment] = []
    span = (today - window.astimezone(cal.tz).date()).days

    def enrol(scheme: str, cands: list[Person], want: int, season: tuple[int, int] | None = None) -> None:
        for p in rng.sample(cands, min(want, len(cands))):
            assert p.row is not None
            on = today - timedelta(days=rng.randrange(span))
            if season and rng.random() < 0.7:  # most sign up in the collection season
                for _ in range(40):
                    if season[0] <= on.month <= season[1]:
                        break
                    on = today - timedelta(days=rng.randrange(span))
            enrolments.append(Enrolment(resident=p.row, scheme=scheme, on=on))

    grown = [p for p, _h in current if p.kind == PersonKind.REGISTERED and 16 <= age_of(p) < 60]
    enrol(Scheme.PENSION, grown, round(REPORT[Scheme.PENSION] * factor), (1, 6))
    locals_ = [p for p, _h in current if p.kind == PersonKind.REGISTERED]
    enrol(Scheme.MEDICAL, locals_, round(REPORT[Scheme.MEDICAL] * factor), (9, 12))
    workers = [p for p, _h in current if p.kind != PersonKind.OVERSEAS and 18 <= age_of(p) < 55]
    enrol(Scheme.JOB, workers, round(REPORT[Scheme.JOB] * factor))
    Enrolment.objects.bulk_create(enrolments, batch_size=batch)

    # A year of visits by each person's grid worker, on the shortest cycle of their groups; some workers fall
    # behind. A few dozen visits, spread over the year, find a need: those go through the services later.
    cycle: dict[int, int] = {}
    first_since: dict[int, date] = {}
    for (pk, code), since in since_of.items():
        days = groups[code].visit_days
        if days:
            cycle[pk] = min(days, cycle.get(pk, days))
            first_since[pk] = min(since, first_since.get(pk, since))
    lax = {u.pk for u in rng.sample(town.workers, max(1, len(town.workers) // 8))} if town.workers else set()
    visits: list[Visit] = []
    person_of = {p.row.pk: (p, h) for p, h in current if p.row is not None}
    for pk, days in cycle.items():
        p, h = person_of[pk]
        worker = town.grid_worker.get(h.address.grid_id)
        if worker is None:
            continue
        late_p, late = (0.5, (1.1, 2.3)) if worker.pk in lax else (0.12, (1.05, 1.6))
        start = datetime.combine(first_since[pk], time(9), tzinfo=cal.tz)
        t = (
            window + timedelta(days=rng.uniform(0, days))
            if start < window
            else start + timedelta(days=rng.uniform(1, days * 0.8))
        )
        texts = FOUND[next((g for g in PRIMARY if g in p.groups), "disabled")]
        while True:
            at = _at_work(cal, t.astimezone(cal.tz).date(), rng)
            if at >= end:
                break
            assert p.row is not None
            visits.append(
                Visit(
                    resident=p.row,
                    by=worker.person,
                    at=at,
                    grid_id=h.address.grid_id,
                    lon=round((h.address.lon or 0) + rng.uniform(-1e-4, 1e-4), 6),
                    lat=round((h.address.lat or 0) + rng.uniform(-1e-4, 1e-4), 6),
                    found=rng.choice(texts),
                    created_at=at + timedelta(minutes=rng.randint(1, 90)),
                )
            )
            f = rng.uniform(*late) if rng.random() < late_p else rng.uniform(0.6, 1.0)
            t = at + timedelta(days=days * f)

    # The needs: visits of the past eleven months (a few of the last days, still in the loop today), none of
    # the restricted group (its people stay out of the centre's lists).
    def eligible(lo: datetime) -> list[int]:
        return [
            i
            for i, v in enumerate(visits)
            if lo < v.at < end - timedelta(hours=3) and v.resident_id not in tagged["key_person"]
        ]

    want = max(6, round(NEEDS_AT_FULL * scale))
    recent = eligible(end - timedelta(days=4))
    picked = set(rng.sample(recent, min(3, len(recent))))
    rest = [i for i in eligible(window + timedelta(days=30)) if i not in picked]
    picked |= set(rng.sample(rest, min(want - len(picked), len(rest))))
    need_visits = sorted(((visits[i].at, visits[i].resident_id) for i in picked), key=lambda x: x[0])
    plain = [v for i, v in enumerate(visits) if i not in picked]
    Visit.objects.bulk_create(plain, batch_size=batch)
    # The latest visit of each (a need's visit, recorded later through the services, moves it on if later).
    last: dict[int, datetime] = {}
    for v in plain:
        if v.resident_id not in last or v.at > last[v.resident_id]:
            last[v.resident_id] = v.at
    for pk, at in last.items():
        person_of[pk][0].row.last_visit_at = at  # type: ignore[union-attr]
    Resident.objects.bulk_update(
        [p.row for p, _h in current if p.row is not None and p.row.pk in last], ["last_visit_at"], batch_size=batch
    )
    Change.objects.bulk_create(changes, batch_size=batch)

    aid = sum((b.amount for b in benefits), Decimal(0))
    return {
        "addresses": len(addresses),
        "rented": sum(1 for a in addresses if a.rented),
        "households": len(homes),
        "residents": len(rows),
        "current": n,
        "floating": sum(1 for p, _h in current if p.kind == PersonKind.FLOATING),
        "overseas": sum(1 for p, _h in current if p.kind == PersonKind.OVERSEAS),
        "moved": moved,
        "left": left,
        "groups": {code: len(ids) for code, ids in tagged.items()},
        "cared": len({pk for ids in tagged.values() for pk in ids}),
        "veterans": len(vets),
        "visits": len(plain),
        "need_visits": need_visits,
        "benefits": len(benefits),
        "aid": aid,
        "aid_wan": round(aid / 10000),
        "report_aid_wan": round(REPORT_AID * Decimal(n / REPORT_PEOPLE) / 10000),
        "pension": sum(1 for e in enrolments if e.scheme == Scheme.PENSION),
        "medical": sum(1 for e in enrolments if e.scheme == Scheme.MEDICAL),
        "jobs": sum(1 for e in enrolments if e.scheme == Scheme.JOB),
        "changes": len(changes),
    }


def _needs(
    town: Any, rng: random.Random, cal: Any, end: datetime, need_visits: list[tuple[datetime, int]]
) -> dict[str, Any]:
    """The visits that found a need: recorded through ``services.record_visit`` at their time, so that each
    need is a case reported by the grid worker in their own grid; most have since run the loop to 结案."""
    from jingwu.cases import services as cases
    from jingwu.cases.models import Category
    from jingwu.notify.receivers import quiet

    categories = {(c.kind, c.code): c for c in Category.objects.all()}
    lead, dispatcher = town.users["shiftlead"], town.users["dispatcher"]
    made = closed = 0
    with quiet():  # a year of history is not news
        for k, (at, pk) in enumerate(need_visits):
            r = Resident.objects.select_related("address").get(pk=pk)
            worker = town.grid_worker[r.grid_id]
            need, cat_key, dept = NEEDS[k % len(NEEDS)]
            category = categories.get(cat_key)
            with clock.frozen_at(at):
                result = services.record_visit(
                    actor=worker,
                    resident=r,
                    found="上门走访，了解到以下需求：" + need[:40],
                    need=need,
                    category=category,
                    at=at,
                    client_key=f"demo-visit-{k}",
                )
            case = result.visit.case
            made += 1
            if case is None:
                continue
            steps: list[tuple[str, Any, dict[str, Any], float]] = [
                ("file", lead, {}, rng.uniform(30, 240)),
                ("dispatch", dispatcher, {"department": dept} if dept else {}, rng.uniform(20, 120)),
                (
                    "feedback",
                    None,
                    {"note": "已上门解决，群众表示满意", "photos": [photo(k)]},
                    60 * 8 * rng.uniform(0.5, 4),
                ),
                ("check", worker, {"outcome": "pass", "photos": [photo(k + 1)]}, rng.uniform(60, 480)),
                ("close", lead, {}, rng.uniform(30, 240)),
            ]
            when = at
            finished = True
            for action, actor, kw, minutes in steps:
                when = cal.add(when, timedelta(minutes=minutes))
                if when >= end:
                    finished = False
                    break
                case.refresh_from_db()
                if actor is None:
                    actor = town.handlers[case.department.code] if case.department else None
                    if actor is None:
                        finished = False
                        break
                with clock.frozen_at(when):
                    case = cases.perform(
                        case.pk, action, actor=actor, version=case.version, data=cases.ActionInput(**kw)
                    )
            closed += finished
    return {"visit_cases": made, "visit_cases_closed": closed}


def _proposals(town: Any, rng: random.Random, end: datetime, steward_user: Any) -> dict[str, Any]:
    """Grid workers' additions and corrections of the past days: most wait for the steward, one approved and
    one sent back."""
    workers = [w for w in town.workers[:12]]
    made = 0
    m = _Maker(rng, end.astimezone(get_calendar().tz).date())
    decided: list[Any] = []
    for k, worker in enumerate(workers[:8]):
        grids = list(worker.person.grids.values_list("pk", flat=True))
        people = list(
            Resident.objects.current()
            .filter(grid_id__in=grids, kind=PersonKind.REGISTERED, relation=Relation.HEAD)
            .select_related("address", "household")
            .order_by("pk")[:200]
        )
        if not people:
            continue
        r = rng.choice(people)
        at = end - timedelta(hours=rng.randint(2, 24 * 6))
        address = r.address
        assert address is not None
        where = {
            "region": address.region.code,
            "lon": address.lon,
            "lat": address.lat,
            "use": address.use,
            "ownership": address.ownership,
            "rented": address.rented,
            "area": address.area,
            **{p: getattr(address, p) for p in services.ADDRESS_PARTS},
        }
        kind = (ProposalKind.ADD, ProposalKind.EDIT, ProposalKind.MOVE)[k % 3]
        if kind == ProposalKind.ADD:
            baby = m.person(Relation.CHILD, 0, 0, surname=r.name[0])
            number = m.id_number(baby)
            while Resident.objects.filter(id_key=services.id_key(number)).exists():
                number = m.id_number(baby)
            data: dict[str, Any] = {
                "name": baby.name,
                "id_number": number,
                "relation": Relation.CHILD,
                "kind": PersonKind.REGISTERED,
                "address": where,
                "household": r.household.number if r.household else "",
            }
            subject = None
        elif kind == ProposalKind.EDIT:
            data, subject = {"phone": m.phone()}, r
        else:
            others = [p for p in people if p.address_id != r.address_id]
            if not others:
                continue
            to = rng.choice(others).address
            assert to is not None
            data = {
                "address": {
                    "region": to.region.code,
                    "lon": to.lon,
                    "lat": to.lat,
                    "use": to.use,
                    "ownership": to.ownership,
                    "rented": to.rented,
                    "area": to.area,
                    **{p: getattr(to, p) for p in services.ADDRESS_PARTS},
                }
            }
            subject = r
        with clock.frozen_at(at):
            p, _new = services.propose(
                actor=worker, kind=kind, data=data, resident=subject, client_key=f"demo-proposal-{k}"
            )
        made += 1
        if k in (1, 3):
            decided.append(p)
    approved = rejected = 0
    for p in decided:
        approve = p.kind == ProposalKind.EDIT
        with clock.frozen_at(min(end, p.at + timedelta(hours=3))):
            services.decide(
                actor=steward_user,
                proposal=p,
                approve=approve,
                note="已电话与本人核实" if approve else "请补充出生医学证明后重新申报",
            )
        approved += approve
        rejected += not approve
    return {"proposals": made, "proposals_pending": made - approved - rejected}
