"""Reference categories following GB/T 47678.5-2026 (5 digits = 2-digit 大类 + 3-digit 小类).

Each entry: (kind, code, name, English name, case kind, [(立案条件, limit, unit, 结案条件)]).
Units: H = 工作时, D = 工作日, U = 紧急 (continuous hours). Local extensions sit in 大类 90
(事项) and are flagged ``is_local``. Limits follow published practice (DOMAIN.md §3) and are edited in
the admin to match each city's 立案结案标准.
"""

from __future__ import annotations

from typing import Any

UNITS = {"H": "work_hours", "D": "work_days", "U": "continuous_hours"}

PART_MAJORS = {"01": "市政公用设施", "02": "交通设施", "03": "市容环卫设施", "04": "园林绿化设施", "05": "其他设施"}
MATTER_MAJORS = {
    "01": "市政公用设施异常",
    "02": "交通设施异常",
    "03": "市容环卫设施异常",
    "04": "园林绿化设施异常",
    "05": "其他设施异常",
    "06": "市容环境",
    "07": "宣传广告",
    "08": "施工管理",
    "09": "街面秩序",
    "10": "其他事项",
    "90": "地方扩展",
}

_BROKEN = [("破损、缺失", 2, "D", "修复或补齐")]
_COVER = [("井盖缺失、破损、移位", 2, "H", "盖好或设置警示"), ("井盖松动、异响", 3, "D", "修复")]

PARTS: list[tuple[str, str, str, list[tuple[str, int, str, str]]]] = [
    ("01001", "上水井盖", "Water supply manhole cover", _COVER),
    ("01002", "污水井盖", "Sewage manhole cover", _COVER),
    ("01003", "雨水井盖", "Storm drain cover", _COVER),
    ("01006", "电力井盖", "Power manhole cover", _COVER),
    ("01010", "消防栓", "Fire hydrant", [("损坏、漏水", 1, "D", "修复")]),
    ("01015", "路灯", "Street light", [("不亮、损坏", 3, "D", "恢复照明")]),
    ("02001", "交通信号灯", "Traffic signal", [("故障、损坏", 4, "H", "恢复正常")]),
    ("02003", "交通标志牌", "Traffic sign", _BROKEN),
    ("02006", "护栏", "Guard rail", _BROKEN),
    ("02010", "公交站亭", "Bus shelter", _BROKEN),
    ("03001", "公共厕所", "Public toilet", [("设施损坏、不洁", 1, "D", "修复或清洁")]),
    ("03004", "垃圾箱", "Litter bin", [("破损、缺失", 2, "D", "修复或补齐")]),
    ("03006", "垃圾分类投放点", "Sorted waste point", _BROKEN),
    ("04001", "行道树", "Street tree", [("倒伏、断枝危及安全", 4, "U", "清除隐患"), ("缺株、死亡", 15, "D", "补植")]),
    ("04004", "绿地", "Green space", [("破坏、裸露", 5, "D", "恢复绿化")]),
    ("05001", "监控电子眼", "Surveillance camera", _BROKEN),
    ("05006", "健身设施", "Fitness equipment", _BROKEN),
]

MATTERS: list[tuple[str, str, str, str, list[tuple[str, int, str, str]]]] = [
    ("01001", "市政设施异常", "Municipal facility fault", "component", [("设施故障、损坏", 2, "D", "修复")]),
    ("02001", "交通设施异常", "Traffic facility fault", "component", [("设施故障、损坏", 1, "D", "修复")]),
    ("03001", "市容环卫设施异常", "Sanitation facility fault", "component", [("设施损坏", 2, "D", "修复")]),
    ("04001", "园林绿化设施异常", "Greening facility fault", "component", [("设施损坏", 3, "D", "修复")]),
    ("05001", "其他设施异常", "Other facility fault", "component", [("设施损坏", 3, "D", "修复")]),
    (
        "06001",
        "私搭乱建",
        "Illegal structure",
        "event",
        [("正在施工", 4, "H", "停工"), ("已建成，需处罚", 7, "D", "处罚到位"), ("需拆除", 20, "D", "拆除完毕")],
    ),
    ("06010", "暴露垃圾", "Exposed garbage", "event", [("少量暴露垃圾", 4, "H", "清除"), ("大量堆积", 1, "D", "清除")]),
    ("06012", "道路不洁", "Dirty road", "event", [("道路保洁不到位", 2, "H", "保洁到位")]),
    ("06025", "水域不洁", "Dirty water surface", "event", [("水面漂浮物", 15, "D", "清理干净")]),
    ("06026", "河道污染", "River pollution", "event", [("排污、污染水体", 3, "D", "排查并制止")]),
    ("06027", "油烟污染", "Cooking fume pollution", "event", [("餐饮油烟扰民", 5, "D", "整改到位")]),
    ("06028", "噪声扰民", "Noise nuisance", "event", [("施工或经营噪声", 4, "H", "制止")]),
    ("06041", "垃圾未分类", "Waste not sorted", "event", [("分类投放不规范", 1, "D", "整改")]),
    ("06042", "垃圾满溢", "Overflowing bins", "event", [("垃圾桶满溢", 2, "H", "清运")]),
    ("07001", "非法小广告", "Illegal flyers", "event", [("张贴、涂写、刻画", 1, "D", "清除")]),
    ("07003", "违规户外广告", "Unauthorised billboard", "event", [("未经审批设置", 10, "D", "拆除或补办")]),
    ("08004", "工地扬尘", "Construction dust", "event", [("未苫盖、未洒水", 4, "H", "落实抑尘措施")]),
    (
        "08016",
        "无证建设",
        "Unlicensed construction",
        "event",
        [("无证施工", 1, "D", "停工"), ("需拆除", 20, "D", "拆除")],
    ),
    ("09006", "占道经营", "Street vending", "event", [("占道经营", 2, "H", "清理")]),
    ("09009", "机动车乱停放", "Illegal parking", "event", [("乱停放", 2, "H", "驶离")]),
    ("09012", "占用消防通道", "Blocked fire lane", "event", [("占用、堵塞", 2, "U", "清除占用")]),
    ("10001", "其他事项", "Other matter", "event", [("其他问题", 5, "D", "处理完毕")]),
]

LOCAL: list[tuple[str, str, str, str, bool, list[tuple[str, int, str, str]]]] = [
    (
        "90001",
        "安全隐患",
        "Safety hazard",
        "hazard",
        True,
        [("一般隐患", 5, "D", "整改完毕"), ("重大隐患", 24, "U", "停产整改到位")],
    ),
    ("90002", "消防告警", "Fire alarm", "alarm", False, [("火警/故障告警", 2, "U", "现场确认处置")]),
    ("90003", "环境告警", "Environmental alarm", "alarm", True, [("空气质量或VOCs超标", 4, "H", "查明原因并处置")]),
    ("90004", "河湖问题", "River and lake problem", "patrol", True, [("河长巡河发现问题", 5, "D", "治理完成")]),
    ("90005", "信访", "Petition", "petition", False, [("信访事项", 60, "D", "出具答复意见")]),
    ("90006", "代表建议", "Deputies' suggestion", "suggestion", False, [("人大代表意见建议", 60, "D", "答复代表")]),
    # An economic-responsibility audit's finding, rectified by the village (jingwu.supervision).
    (
        "90007",
        "审计整改",
        "Audit rectification",
        "event",
        False,
        [("审计发现问题整改", 30, "D", "整改到位并报审计复核")],
    ),
    # A need found on a care visit (走访): a repair, an allowance, a service at home (jingwu.registry).
    (
        "90008",
        "民生帮扶",
        "Care need",
        "event",
        False,
        [("走访发现困难诉求", 5, "D", "帮扶到位并回访")],
    ),
]


# Local categories about a matter, not a spot on the map (an audit finding concerns a village's books).
NO_LOCATION = frozenset({"90007"})


def entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for code, name, en, conds in PARTS:
        out.append(
            {
                "kind": "part",
                "code": code,
                "name": name,
                "name_en": en,
                "major_name": PART_MAJORS[code[:2]],
                "case_kind": "component",
                "is_local": False,
                "is_public": True,
                "conditions": conds,
            }
        )
    for code, name, en, ck, conds in MATTERS:
        out.append(
            {
                "kind": "matter",
                "code": code,
                "name": name,
                "name_en": en,
                "major_name": MATTER_MAJORS[code[:2]],
                "case_kind": ck,
                "is_local": False,
                "is_public": True,
                "conditions": conds,
            }
        )
    for code, name, en, ck, public, conds in LOCAL:
        out.append(
            {
                "kind": "matter",
                "code": code,
                "name": name,
                "name_en": en,
                "major_name": MATTER_MAJORS["90"],
                "case_kind": ck,
                "is_local": True,
                "is_public": public,
                # A petition or a suggestion is about a matter, not a spot on the map.
                "needs_location": ck not in ("petition", "suggestion") and code not in NO_LOCATION,
                "conditions": conds,
            }
        )
    return out


def load(category_model: Any, condition_model: Any) -> int:
    """Create missing categories and their conditions; never overwrite an administrator's edits."""
    created = 0
    # A data migration passes the model as it was then: leave out the fields it did not have yet.
    known = {f.name for f in category_model._meta.get_fields()}
    for e in entries():
        conds = e.pop("conditions")
        e = {k: v for k, v in e.items() if k in known}
        cat, new = category_model.objects.get_or_create(kind=e["kind"], code=e["code"], defaults=e)
        if new:
            created += 1
            for pos, (cname, value, unit, closing) in enumerate(conds):
                condition_model.objects.create(
                    category=cat,
                    name=cname,
                    limit_value=value,
                    limit_unit=UNITS[unit],
                    closing_condition=closing,
                    is_default=pos == 0,
                    position=pos,
                )
    return created
