"""The standard checklists a town starts with: the items its inspectors check at each kind of place, each with
its legal basis, the hazard type and the level a failure is proposed at. A town edits them in the admin;
``install()`` adds those missing and never changes one a town has edited."""

from __future__ import annotations

from django.db import transaction

from .choices import HazardType as T
from .choices import Severity as S
from .choices import Tag
from .models import Checklist, ChecklistItem

FIRE_LAW = "《中华人民共和国消防法》"
ORDER_61 = "《机关、团体、企业、事业单位消防安全管理规定》(公安部令第61号)"
SAFETY_LAW = "《中华人民共和国安全生产法》"
HAZCHEM_RULES = "《危险化学品安全管理条例》"
GAS_RULES = "《城镇燃气管理条例》"
SITE_STD = "JGJ 59-2011《建筑施工安全检查标准》"
SMALL = "《天津市消防条例》"

# (name, industry section or "", tag or "", [(text, basis, hazard type, severity)])
STANDARD: list[tuple[str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "重点消防单位检查表",
        "",
        Tag.FIRE_KEY,
        [
            ("消防控制室24小时双人值班，持证上岗", ORDER_61 + "第二十八条", T.FIRE, S.GENERAL),
            ("火灾自动报警系统运行正常，无故障、屏蔽点", FIRE_LAW + "第十六条", T.FIRE, S.MAJOR),
            ("自动喷水灭火系统、消火栓压力正常", FIRE_LAW + "第十六条", T.FIRE, S.MAJOR),
            ("疏散通道、安全出口畅通，未锁闭、占用", FIRE_LAW + "第二十八条", T.EXIT, S.MAJOR),
            ("应急照明、疏散指示标志完好有效", ORDER_61 + "第二十一条", T.EXIT, S.GENERAL),
            ("灭火器配置数量、类型正确且在有效期内", "GB 50140《建筑灭火器配置设计规范》", T.FIRE, S.GENERAL),
            ("每日防火巡查、每月防火检查记录完整", ORDER_61 + "第二十五、二十六条", T.MANAGEMENT, S.GENERAL),
            ("电气线路无私拉乱接，未超负荷用电", ORDER_61 + "第二十条", T.ELECTRIC, S.GENERAL),
        ],
    ),
    (
        "涉VOCs企业检查表",
        "C",
        Tag.VOC,
        [
            ("VOCs收集与治理设施正常运行，运行台账完整", "《大气污染防治法》第四十五条", T.ENVIRONMENT, S.GENERAL),
            ("含VOCs原辅材料密闭储存", "GB 37822《挥发性有机物无组织排放控制标准》", T.ENVIRONMENT, S.GENERAL),
            ("易燃易爆化学品专库存放，限量、分类", HAZCHEM_RULES + "第二十四条", T.HAZCHEM, S.MAJOR),
            ("喷涂作业场所防爆电气、通风良好", SAFETY_LAW + "第三十六条", T.WORKPLACE, S.MAJOR),
            ("员工经安全培训，特种作业持证", SAFETY_LAW + "第二十八、三十条", T.MANAGEMENT, S.GENERAL),
            ("安全出口数量足够且畅通", FIRE_LAW + "第二十八条", T.EXIT, S.GENERAL),
            ("灭火器材配置到位、完好", FIRE_LAW + "第十六条", T.FIRE, S.GENERAL),
        ],
    ),
    (
        "危险化学品与燃气检查表",
        "",
        Tag.HAZCHEM,
        [
            ("危险化学品储存场所符合国家标准，专人管理", HAZCHEM_RULES + "第二十四条", T.HAZCHEM, S.MAJOR),
            ("可燃气体报警装置完好并联动", "GB 50493《石油化工可燃气体和有毒气体检测报警设计标准》", T.GAS, S.MAJOR),
            ("安全警示标志、安全技术说明书齐全", HAZCHEM_RULES + "第十五条", T.HAZCHEM, S.GENERAL),
            ("应急预案已编制并演练", SAFETY_LAW + "第八十一条", T.MANAGEMENT, S.GENERAL),
            ("防雷防静电设施检测合格", "GB 50057《建筑物防雷设计规范》", T.ELECTRIC, S.GENERAL),
            ("燃气管道、阀门无泄漏，软管未超期", GAS_RULES + "第二十八条", T.GAS, S.MAJOR),
        ],
    ),
    (
        "建筑工地检查表",
        "E",
        Tag.SITE,
        [
            ("脚手架搭设符合方案，验收挂牌", SITE_STD + "第3.2节", T.WORKPLACE, S.MAJOR),
            ("临边洞口防护到位", SITE_STD + "第3.13节", T.WORKPLACE, S.GENERAL),
            ("施工用电三级配电两级保护", "JGJ 46《施工现场临时用电安全技术规范》", T.ELECTRIC, S.GENERAL),
            ("塔吊、施工升降机检验合格，司机持证", "《特种设备安全法》第三十三条", T.EQUIPMENT, S.MAJOR),
            ("裸土覆盖、车辆冲洗，扬尘控制到位", "《天津市大气污染防治条例》", T.ENVIRONMENT, S.GENERAL),
            ("动火作业审批，配备灭火器材", ORDER_61 + "第二十条", T.FIRE, S.GENERAL),
        ],
    ),
    (
        "“七小”场所检查表",
        "",
        Tag.SEVEN_SMALL,
        [
            ("未违规住人（“三合一”场所）", SMALL + "第二十四条", T.FIRE, S.MAJOR),
            ("电动自行车未在室内停放、充电", "《高层民用建筑消防安全管理规定》第三十七条", T.ELECTRIC, S.GENERAL),
            ("配置灭火器并会使用", FIRE_LAW + "第十六条", T.FIRE, S.GENERAL),
            ("燃气使用安全，安装燃气泄漏报警器", GAS_RULES + "第二十八条", T.GAS, S.GENERAL),
            ("电气线路规范，无私拉乱接", FIRE_LAW + "第二十七条", T.ELECTRIC, S.GENERAL),
            ("安全出口畅通", FIRE_LAW + "第二十八条", T.EXIT, S.GENERAL),
        ],
    ),
    (
        "生产经营单位通用检查表",
        "",
        "",
        [
            ("主要负责人、安全管理人员经培训合格", SAFETY_LAW + "第二十七条", T.MANAGEMENT, S.GENERAL),
            ("安全生产责任制、规章制度健全", SAFETY_LAW + "第四条", T.MANAGEMENT, S.GENERAL),
            ("设备设施安全防护装置完好", SAFETY_LAW + "第三十六条", T.EQUIPMENT, S.GENERAL),
            ("安全出口、疏散通道畅通", FIRE_LAW + "第二十八条", T.EXIT, S.GENERAL),
            ("消防器材配置到位、完好", FIRE_LAW + "第十六条", T.FIRE, S.GENERAL),
            ("用电设施规范，无私拉乱接", FIRE_LAW + "第二十七条", T.ELECTRIC, S.GENERAL),
        ],
    ),
]


# What an inspector typically writes when an item fails (the demo's findings; a town's own are typed on site).
FINDINGS: dict[str, str] = {
    "消防控制室24小时双人值班，持证上岗": "夜间消防控制室仅一人值班，值班员无证",
    "火灾自动报警系统运行正常，无故障、屏蔽点": "报警主机有12个屏蔽点未恢复",
    "自动喷水灭火系统、消火栓压力正常": "喷淋末端试水压力不足0.05MPa",
    "疏散通道、安全出口畅通，未锁闭、占用": "二楼安全出口被货物堵塞并上锁",
    "应急照明、疏散指示标志完好有效": "走廊3处疏散指示灯不亮",
    "灭火器配置数量、类型正确且在有效期内": "4具灭火器压力不足、已过期",
    "每日防火巡查、每月防火检查记录完整": "近两个月无防火巡查记录",
    "电气线路无私拉乱接，未超负荷用电": "仓库内私拉电线，插排串接",
    "VOCs收集与治理设施正常运行，运行台账完整": "活性炭吸附装置停用，无运行台账",
    "含VOCs原辅材料密闭储存": "油漆桶敞口存放",
    "易燃易爆化学品专库存放，限量、分类": "稀释剂堆放在车间内，未入专库",
    "喷涂作业场所防爆电气、通风良好": "喷漆房使用普通照明灯具",
    "员工经安全培训，特种作业持证": "电焊工无特种作业操作证",
    "安全出口数量足够且畅通": "车间后门被封堵",
    "灭火器材配置到位、完好": "车间灭火器数量不足",
    "危险化学品储存场所符合国家标准，专人管理": "危化品仓库无专人管理，台账缺失",
    "可燃气体报警装置完好并联动": "可燃气体报警器故障未修复",
    "安全警示标志、安全技术说明书齐全": "储罐区无安全警示标志",
    "应急预案已编制并演练": "应急预案未备案，本年未演练",
    "防雷防静电设施检测合格": "防雷检测报告已过期",
    "燃气管道、阀门无泄漏，软管未超期": "燃气软管老化开裂",
    "脚手架搭设符合方案，验收挂牌": "外脚手架未验收即使用",
    "临边洞口防护到位": "三层楼板洞口无防护",
    "施工用电三级配电两级保护": "开关箱无漏电保护器",
    "塔吊、施工升降机检验合格，司机持证": "施工升降机检验合格证过期",
    "裸土覆盖、车辆冲洗，扬尘控制到位": "裸土未覆盖，出入口无冲洗设施",
    "动火作业审批，配备灭火器材": "动火作业无审批，现场无灭火器",
    "未违规住人（“三合一”场所）": "店铺阁楼住人，“三合一”",
    "电动自行车未在室内停放、充电": "电动自行车在店内充电",
    "配置灭火器并会使用": "未配置灭火器",
    "燃气使用安全，安装燃气泄漏报警器": "厨房未安装燃气泄漏报警器",
    "电气线路规范，无私拉乱接": "电线私拉乱接，未穿管保护",
    "安全出口畅通": "后门堆放杂物",
    "主要负责人、安全管理人员经培训合格": "主要负责人未经安全培训",
    "安全生产责任制、规章制度健全": "未建立安全生产责任制",
    "设备设施安全防护装置完好": "冲床防护罩缺失",
    "安全出口、疏散通道畅通": "疏散通道堆放杂物",
    "消防器材配置到位、完好": "灭火器过期未换",
    "用电设施规范，无私拉乱接": "配电箱门缺失，线路裸露",
}


def install() -> int:
    """Add the standard checklists a town lacks (by name); returns how many were added."""
    added = 0
    with transaction.atomic():
        for name, industry, tag, items in STANDARD:
            checklist, created = Checklist.objects.get_or_create(
                name=name, defaults={"industry": industry, "tag": str(tag)}
            )
            if not created:
                continue
            ChecklistItem.objects.bulk_create(
                ChecklistItem(checklist=checklist, position=i, text=text, basis=basis, hazard_type=kind, severity=level)
                for i, (text, basis, kind, level) in enumerate(items, start=1)
            )
            added += 1
    return added


def for_place(tags: list[str], industry: str) -> Checklist | None:
    """The checklist that fits a place best: one for its most specific tag, then its industry, then any."""
    candidates = list(Checklist.objects.filter(active=True))
    for c in candidates:
        if c.tag and c.tag in tags:
            return c
    for c in candidates:
        if not c.tag and c.industry and c.industry == industry:
            return c
    return next((c for c in candidates if not c.tag and not c.industry), None)
