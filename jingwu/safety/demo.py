"""The demo town's registry of enterprises and places: a few hundred, among them the report's 62 key
fire-safety units and 108 VOC-emitting enterprises, each with a valid credit code (or none for 七小 shops),
placed inside the territory and entered through the registry's own service."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from PIL import Image, ImageDraw
from shapely.geometry import Point, shape

from jingwu.cases import services as cases
from jingwu.cases.demo import _name, _user, photo
from jingwu.cases.models import Case
from jingwu.geo.models import Grid
from jingwu.lib import clock
from jingwu.notify.receivers import quiet
from jingwu.org.choices import Role
from jingwu.workcal.services import get_calendar

from . import checklists, inspections, services, uscc
from .choices import Every, Result, RiskLevel, Tag, TaskState
from .models import Checklist, Company, Hazard, Inspector, Plan, Task

# (industry section, the town's class, name stem, tags)
KINDS: list[tuple[str, str, str, list[str]]] = [
    ("C", "家具制造", "家具厂", [Tag.VOC]),
    ("C", "金属制品", "五金制品厂", [Tag.VOC]),
    ("C", "塑料制品", "塑料制品有限公司", [Tag.VOC]),
    ("C", "印刷", "印刷厂", [Tag.VOC]),
    ("C", "化工", "化工有限公司", [Tag.VOC, Tag.HAZCHEM]),
    ("G", "仓储物流", "物流仓储中心", [Tag.FIRE_KEY]),
    ("F", "商场超市", "购物广场", [Tag.FIRE_KEY, Tag.CROWDED]),
    ("P", "学校", "学校", [Tag.FIRE_KEY, Tag.CROWDED]),
    ("Q", "养老机构", "养老院", [Tag.FIRE_KEY, Tag.CROWDED]),
    ("F", "加油站", "加油站", [Tag.FIRE_KEY, Tag.HAZCHEM]),
    ("D", "燃气", "燃气供应站", [Tag.GAS]),
    ("E", "建筑施工", "建设工地", [Tag.SITE]),
    ("H", "餐饮", "小饭馆", [Tag.SEVEN_SMALL]),
    ("O", "理发美容", "理发店", [Tag.SEVEN_SMALL]),
    ("F", "小超市", "便利店", [Tag.SEVEN_SMALL]),
    ("H", "小旅馆", "旅馆", [Tag.SEVEN_SMALL, Tag.CROWDED]),
]
PREFIXES: tuple[str, ...] = ("精武", "付村", "宁家房子", "姚村", "陈台子", "程村", "大南河", "小南河", "学府")
PREFIXES += ("南河", "东方", "华盛", "鑫源", "宏达", "永盛", "兴隆", "金桥", "福源")


def credit_code(rng: random.Random) -> str:
    """A well-formed code for Tianjin Xiqing (91 + 120111 + an organisation number + its check)."""
    body = "91120111" + "".join(rng.choice(uscc.CHARSET[:10] + "MA") for _ in range(9))
    return body + uscc.check_char(body)


def load_registry(admin: Any, fire: int = 62, voc: int = 108, others: int = 230, seed: int = 62108) -> int:
    rng = random.Random(seed)
    grids = list(Grid.objects.all())
    shapes = {g.pk: shape(g.geometry) for g in grids}

    def point() -> tuple[float, float]:
        g = rng.choice(grids)
        poly = shapes[g.pk]
        minx, miny, maxx, maxy = poly.bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if poly.contains(Point(x, y)):
                return x, y

    wanted = [("fire", fire), ("voc", voc), ("other", others)]
    made = 0
    with quiet():
        for group, count in wanted:
            pool = [
                k for k in KINDS if (group == "fire") == (Tag.FIRE_KEY in k[3]) and (group != "voc" or Tag.VOC in k[3])
            ]
            if group == "other":
                pool = [k for k in KINDS if Tag.FIRE_KEY not in k[3] and Tag.VOC not in k[3]]
            for _ in range(count):
                section, klass, stem, tags = rng.choice(pool)
                small = Tag.SEVEN_SMALL in tags
                lon, lat = point()
                risk = RiskLevel.BLUE if small else rng.choices(list(RiskLevel.values), weights=[4, 12, 34, 50])[0]
                services.save(
                    {
                        "name": f"{rng.choice(PREFIXES)}{stem}{made + 1:03d}",
                        "credit_code": "" if small and rng.random() < 0.7 else credit_code(rng),
                        "industry": section,
                        "industry_class": klass,
                        "address": f"精武镇{rng.choice(PREFIXES)}路{rng.randint(1, 199)}号",
                        "lon": lon,
                        "lat": lat,
                        "legal_rep": "".join(rng.choice("王李张刘陈杨赵黄周吴") + rng.choice("伟芳娜敏静丽强磊军洋")),
                        "contact_name": rng.choice("王李张刘陈") + rng.choice("建国志强海燕秀英"),
                        "contact_phone": f"13{rng.randrange(10**9):09d}",
                        "risk": risk,
                        "tags": [str(t) for t in tags],
                    },
                    actor=admin,
                )
                made += 1
    return made


# --- a year of inspections and hazards -------------------------------------------------------------------

COMPANIES = [
    ("天津安泰安全技术咨询有限公司", [Tag.FIRE_KEY]),
    ("天津市华安安全评价有限公司", [Tag.VOC]),
    ("天津众信安全科技有限公司", [Tag.HAZCHEM, Tag.GAS, Tag.SITE, Tag.SEVEN_SMALL]),
]


def _signature_png(seed: int) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", (300, 120), "white")
    draw = ImageDraw.Draw(img)
    points = [(20 + i * 26, 60 + rng.randint(-25, 25)) for i in range(11)]
    draw.line(points, fill="black", width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def load_inspections(town: Any, count: int = 2242, end: Any = None, seed: int = 2242) -> dict[str, int]:
    """A year of the report's safety work, through the services: companies and inspectors, checklists, monthly
    and quarterly plans, about ``count`` inspections done at working hours, each failed item a hazard case that
    the 应急办 dispatches, the place rectifies (with its evidence), the inspector re-checks (sometimes twice)
    and the shift lead closes — except the recent ones, still open today, and a few let run overdue."""
    rng = random.Random(seed)
    cal = get_calendar()
    end = end or clock.now()
    start = end - timedelta(days=365)
    checklists.install()
    lead, dispatcher, handler = town.users["shiftlead"], town.users["dispatcher"], town.handlers["B08"]
    staff: dict[int | None, list[Any]] = {}
    n = 0
    for name, _tags in [(None, []), *COMPANIES]:
        company = Company.objects.create(name=name, phone=f"022-2{rng.randrange(10**6):06d}") if name else None
        for _ in range(3 if name else 2):
            n += 1
            user = _user(f"ins{n:02d}", _name(rng), Role.INSPECTOR, phone=f"136{rng.randrange(10**8):08d}")
            Inspector.objects.create(person=user.person, company=company)
            staff.setdefault(company.pk if company else None, []).append(user)
    plans: list[Plan] = []
    by_tag = {str(t): c for c, tags in ((Company.objects.get(name=n_), tags) for n_, tags in COMPANIES) for t in tags}
    for tag, every in (
        (Tag.FIRE_KEY, Every.MONTH),
        (Tag.VOC, Every.MONTH),
        (Tag.HAZCHEM, Every.QUARTER),
        (Tag.GAS, Every.QUARTER),
        (Tag.SITE, Every.QUARTER),
        (Tag.SEVEN_SMALL, Every.HALF),
    ):
        checklist = checklists.for_place([str(tag)], "")
        assert checklist is not None  # installed above
        with clock.frozen_at(start):
            plan = inspections.save_plan(
                {
                    "name": f"{tag.label}{every.label}检查",
                    "checklist": checklist.pk,
                    "tag": str(tag),
                    "every": every,
                    "company": by_tag[str(tag)].pk,
                    "starts_on": start.astimezone(cal.tz).date(),
                },
                actor=lead,
            )
        plans.append(plan)
    # Tasks period by period, as the scheduler would have made them.
    day, last, made = start.astimezone(cal.tz).date(), end.astimezone(cal.tz).date(), set()
    while day <= last:
        for plan in plans:
            period = (plan.pk, inspections.period_of(plan.every, day)[0])
            if period not in made:
                made.add(period)
                with clock.frozen_at(datetime_at(day)):
                    inspections.generate_tasks(today=day, plan=plan)
        day += timedelta(days=7)
    # Most tasks of past periods were done; the rest were dropped when plans changed, but for a dozen of the
    # last period left undone (逾期未检). Of this period's, a third are done so far.
    today = end.astimezone(cal.tz).date()
    tasks = list(Task.objects.select_related("checklist", "enterprise").order_by("due_on", "id"))
    past = [t for t in tasks if t.due_on < today]
    current = [t for t in tasks if t.due_on >= today]
    rng.shuffle(past)
    rng.shuffle(current)
    early = current[: min(len(current) // 3, count // 10)]
    chosen = sorted(past[: max(0, count - len(early))] + early, key=lambda t: (t.period, t.pk))
    undone = sorted(past[max(0, count - len(early)) :], key=lambda t: t.due_on)
    late = {t.pk for t in undone[-12:]}
    Task.objects.filter(pk__in=[t.pk for t in undone if t.pk not in late]).update(status=TaskState.CANCELLED)
    items = {c.pk: list(c.items.all()) for c in Checklist.objects.all()}
    signature = _signature_png(seed)
    done = hazards = closed = 0
    with quiet():
        for i in range(0, len(chosen), 50):
            with transaction.atomic():
                for task in chosen[i : i + 50]:
                    period_end = min(task.due_on, end.astimezone(cal.tz).date())
                    span = max(0, (period_end - task.period).days)
                    when = cal.add(
                        datetime_at(task.period + timedelta(days=rng.randint(0, span))),
                        timedelta(minutes=rng.uniform(0, 420)),
                    )
                    if when >= end:
                        continue
                    inspector = rng.choice(staff[task.company_id])
                    given = []
                    for item in items[task.checklist_id]:
                        r = rng.random()
                        failed = r < 0.172
                        given.append(
                            inspections.ItemIn(
                                item=item.pk,
                                result=Result.FAIL if failed else (Result.NA if r > 0.97 else Result.PASS),
                                note=checklists.FINDINGS.get(item.text, "不符合要求") if failed else "",
                            )
                        )
                    with clock.frozen_at(when):
                        record = inspections.submit(
                            inspections.InspectionIn(
                                task=task.pk, items=given, signer_name=_name(rng), signature=signature
                            ),
                            actor=inspector,
                        )
                    done += 1
                    for hazard in record.hazards.all():
                        hazards += 1
                        closed += _rectify(hazard, when, end, rng, (dispatcher, handler, lead, inspector))
                    del record
    return {"inspections": done, "hazards": hazards, "closed": closed}


def _rectify(
    hazard: Hazard, found: datetime, end: datetime, rng: random.Random, people: tuple[Any, Any, Any, Any]
) -> int:
    """One hazard's life after it is found; stops where the clock stands today. Returns 1 if it was closed."""
    dispatcher, handler, lead, inspector = people
    cal = get_calendar()
    assert hazard.case is not None
    case: Case = hazard.case
    at = cal.add(found, timedelta(minutes=rng.uniform(10, 90)))

    def step(action: str, when: Any, actor: Any, **kw: Any) -> bool:
        nonlocal case
        if when >= end:
            return False
        with clock.frozen_at(when):
            case = cases.perform(case.pk, action, actor=actor, version=case.version, data=cases.ActionInput(**kw))
        return True

    if not step("dispatch", at, dispatcher, department="B08"):
        return 0
    # A few places do nothing, mostly among the recent: overdue on the ledgers today.
    if rng.random() < (0.12 if end - found < timedelta(days=45) else 0.004):
        return 0
    late = rng.random() < 0.04  # a few places let the deadline pass
    span = (hazard.rectify_by - at).total_seconds() / 86400
    fixed = at + timedelta(days=rng.uniform(0.3, max(0.5, span * (1.6 if late else 0.8))))
    if fixed >= end:
        return 0
    with clock.frozen_at(fixed):
        hazard.refresh_from_db()
        inspections.submit_evidence(
            hazard, text="已按要求完成整改", photos=[photo(hazard.pk)], actor=handler, by="企业安全员"
        )
        case.refresh_from_db()
    rounds = 2 if rng.random() < 0.08 else 1  # 复查 finds it not done, now and then
    when = fixed
    for r in range(rounds):
        if not step("feedback", cal.add(when, timedelta(minutes=30)), handler, note="企业已整改", photos=[photo(r)]):
            return 0
        when = cal.add(when, timedelta(hours=rng.uniform(4, 30)))
        if r < rounds - 1:
            if not step("check", when, inspector, outcome="fail", reason="整改不到位，需重新整改"):
                return 0
            when = cal.add(when, timedelta(hours=rng.uniform(8, 40)))
        elif not step("check", when, inspector, outcome="pass", photos=[photo(r + 1)]):
            return 0
    return 1 if step("close", cal.add(when, timedelta(minutes=rng.uniform(20, 200))), lead) else 0


def datetime_at(day: date) -> datetime:
    return datetime.combine(day, time(8, 30), tzinfo=get_calendar().tz)
