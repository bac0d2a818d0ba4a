"""The demo year of petitions and deputies' suggestions, replayed through the services under a controlled clock:
about two hundred petitions (some people and matters coming back, a few left overdue — the 积案), most replied
to and rated; one congress session with its 11 suggestions, all answered and rated satisfied, one after a
second reply (the report: 办理代表意见建议 11 件，答复率和满意率 100%)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from jingwu.cases.demo import _name, _user
from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.workcal.services import get_calendar

from . import services
from .models import CongressSession, Deputy

SUBJECTS = [
    ("拆迁补偿", "反映拆迁补偿款未按协议足额发放", "B05"),
    ("宅基地纠纷", "反映与邻居宅基地界址不清，要求调处", "B04"),
    ("物业服务", "反映小区物业不作为，电梯长期故障", "B05"),
    ("噪声扰民", "反映附近工厂夜间生产噪声扰民", "B05"),
    ("拖欠工资", "反映务工单位拖欠工资三个月", "B03"),
    ("低保申请", "反映低保申请长期未获答复", "B06"),
    ("道路积水", "反映村内道路雨后积水严重，出行困难", "B05"),
    ("土地流转", "反映土地流转费用未按时支付", "B04"),
    ("违章建筑", "反映邻居违章加盖影响采光", "B05"),
    ("养老保险", "反映养老保险转移接续困难", "B06"),
    ("治安问题", "反映小区周边夜间聚集滋事", "B07"),
    ("环境污染", "反映企业排放异味影响居民生活", "B05"),
]
SUGGESTIONS = [
    ("关于增设甲村公交站点的建议", "B05"),
    ("关于加强老旧小区改造的建议", "B05"),
    ("关于完善农村垃圾分类设施的建议", "B05"),
    ("关于提升社区养老服务水平的建议", "B06"),
    ("关于规范占道经营管理的建议", "B05"),
    ("关于加强中小学周边交通安全的建议", "B07"),
    ("关于扶持特色农业发展的建议", "B04"),
    ("关于加快河道综合治理的建议", "B05"),
    ("关于增加社区卫生服务站的建议", "B06"),
    ("关于加强企业安全生产监管的建议", "B08"),
    ("关于优化营商环境服务企业的建议", "B03"),
]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
    body = f"120111{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def _at(cal: Any, day: date, rng: random.Random) -> datetime:
    """A moment in working hours on ``day`` or the next working day."""
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, 0), tzinfo=cal.tz) + timedelta(minutes=rng.randrange(0, 420))


def load(town: Any, end: datetime | None = None, count: int = 200, seed: int = 1110) -> dict[str, int]:
    """Petitions and suggestions over the year before ``end``. Creates the accounts ``petition`` (信访专员) and
    ``deputy01`` … ``deputy11`` (人大代表)."""
    rng = random.Random(seed)
    cal = get_calendar()
    end = end or clock.now()
    start = end - timedelta(days=365)
    clerk = _user("petition", "信访专员" + _name(rng)[:1], Role.PETITION_CLERK, phone="13900001110")
    leader = town.users["leader"]
    handlers = town.handlers
    people = [(_name(rng), _id_number(rng), f"135{rng.randrange(10**8):08d}") for _ in range(150)]
    regulars = people[:12]  # the ones who come back (重复信访)
    figures = {"petitions": 0, "rejected": 0, "replied": 0, "overdue": 0, "reviews": 0, "suggestions": 0}

    def at(moment: datetime) -> Any:
        return clock.frozen_at(min(moment, end))

    days = sorted(start.date() + timedelta(days=rng.randrange(365)) for _ in range(count))
    for i, day in enumerate(days):
        received = _at(cal, day, rng)
        if received >= end:
            continue
        name, id_number, phone = rng.choice(regulars) if rng.random() < 0.2 else people[12 + i % 138]
        subject, matter, dept = rng.choice(SUBJECTS[:4] if rng.random() < 0.15 else SUBJECTS)
        with at(received):
            p, _ = services.register_petition(
                actor=clerk,
                channel=rng.choice(["visit", "visit", "letter", "phone", "online", "online", "transferred"]),
                petitioner_name=name,
                petitioner_id_number=id_number,
                petitioner_phone=phone,
                petitioner_address="精武镇",
                subject=subject,
                matter=matter,
                leader=leader.person,
                department=dept,
                client_key=f"demo-petition-{i}",
            )
        figures["petitions"] += 1
        decided = cal.add(received, timedelta(hours=8 * rng.uniform(0.5, 12)))
        if decided >= end:
            continue
        if rng.random() < 0.07:
            with at(decided):
                services.decide(p, actor=clerk, accept=False, reason="已通过诉讼程序处理，不属于信访受理范围")
            figures["rejected"] += 1
            continue
        with at(decided):
            p = services.decide(p, actor=clerk, accept=True)
        late = rng.random() < 0.04
        replied = cal.add(decided, timedelta(hours=8 * (rng.uniform(62, 80) if late else rng.uniform(5, 55))))
        if replied >= end or late:
            figures["overdue"] += 1 if late or (p.handle_due and p.handle_due < end) else 0
            continue  # still being handled today (late ones are the 积案)
        with at(replied):
            services.reply(p, actor=handlers[dept], text=f"经调查核实，已就“{subject}”问题依法依规处理并书面答复。")
        delivered = cal.add(replied, timedelta(hours=8 * rng.uniform(0.5, 3)))
        if delivered >= end:
            continue
        with at(delivered):
            p = services.deliver(p, actor=clerk)
        figures["replied"] += 1
        rated = cal.add(delivered, timedelta(hours=8 * rng.uniform(1, 5)))
        if rated >= end:
            continue
        rating = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[70, 22, 8])[0]
        with at(rated):
            p = services.rate(p, actor=clerk, rating=rating)
        if rating == "unsatisfied" and rng.random() < 0.6:
            asked = cal.add(rated, timedelta(hours=8 * rng.uniform(2, 10)))
            decided_review = cal.add(asked, timedelta(hours=8 * rng.uniform(5, 25)))
            if decided_review >= end:
                continue
            with at(asked):
                p = services.request_review(p, actor=clerk, note="信访人对处理意见不服，申请复查")
            with at(decided_review):
                services.decide_review(p, actor=clerk, result="upheld", note="原处理意见认定事实清楚，予以维持")
            figures["reviews"] += 1

    figures["suggestions"] = _suggestions(town, clerk, end, rng)
    return figures


def _suggestions(town: Any, clerk: Any, end: datetime, rng: random.Random) -> int:
    """The session at the start of the year: 11 suggestions, assigned within days, answered within the limit,
    all rated satisfied — the third after a second reply."""
    cal = get_calendar()
    opened = (end - timedelta(days=330)).astimezone(cal.tz).date()
    session = CongressSession.objects.create(
        name=f"精武镇第十七届人民代表大会第{opened.year - 2018}次会议", opened_on=opened
    )
    made = 0
    for n, (title, dept) in enumerate(SUGGESTIONS, 1):
        user = _user(f"deputy{n:02d}", _name(rng), Role.DEPUTY, phone=f"133{rng.randrange(10**8):08d}")
        deputy = Deputy.objects.create(person=user.person, constituency=f"第{(n + 1) // 2}选区")
        t = _at(cal, opened + timedelta(days=2), rng)
        with clock.frozen_at(t):
            s, _ = services.register_suggestion(
                actor=clerk, session=session, deputy=deputy, title=title, text=f"{title[2:-3]}，建议有关部门统筹推进。"
            )
        t = cal.add(t, timedelta(hours=8 * 3))
        with clock.frozen_at(t):
            s = services.assign(s, actor=clerk, lead=dept, supporting=["B01"] if dept != "B01" else [])
        handler = town.handlers[dept]
        for round_ in (1, 2):
            t = cal.add(t, timedelta(hours=8 * rng.uniform(15, 40)))
            with clock.frozen_at(t):
                s = services.answer(s, actor=handler, text=f"关于“{title}”的答复：已列入年度工作计划并推进落实。")
            t = cal.add(t, timedelta(hours=8))
            with clock.frozen_at(t):
                s = services.send_reply(s, actor=clerk)
            t = cal.add(t, timedelta(hours=8 * 5))
            unhappy = n == 3 and round_ == 1
            with clock.frozen_at(t):
                s = services.assess(s, actor=user, rating="unsatisfied" if unhappy else "satisfied")
            if not unhappy:
                break
            t = cal.add(t, timedelta(hours=8))
            with clock.frozen_at(t):
                s = services.reassign(s, actor=clerk, note="代表认为落实进度慢，再次交办")
        made += 1
    return made
