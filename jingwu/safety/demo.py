"""The demo town's registry of enterprises and places: a few hundred, among them the report's 62 key
fire-safety units and 108 VOC-emitting enterprises, each with a valid credit code (or none for 七小 shops),
placed inside the territory and entered through the registry's own service."""

from __future__ import annotations

import random
from typing import Any

from shapely.geometry import Point, shape

from jingwu.geo.models import Grid
from jingwu.notify.receivers import quiet

from . import services, uscc
from .choices import RiskLevel, Tag

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
