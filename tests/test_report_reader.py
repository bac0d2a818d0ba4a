"""The government work report reader: figures and tasks proposed from the text alone (no database).

The seed report (``jingwu/supervision/data/jingwu-2019-report.txt``, as extracted from its PDF) is read with
exact expectations; the texts in ``tests/data/reports`` are written in the style of other towns' and counties'
reports, so the reader is not tuned to one document.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jingwu.supervision.reader import DEFAULT_DEPARTMENTS, Figure, Reading, Task, clean, read

DATA = Path(__file__).parent / "data" / "reports"
SEED = Path(__file__).parent.parent / "jingwu" / "supervision" / "data" / "jingwu-2019-report.txt"


def _read(name: str) -> Reading:
    return read((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed() -> Reading:
    return read(SEED.read_text(encoding="utf-8"))


def find(reading: Reading, indicator: str, year: int | None = None, kind: str | None = None) -> Figure:
    matches = [
        f
        for f in reading.figures
        if f.indicator == indicator and (year is None or f.year == year) and (kind is None or f.kind == kind)
    ]
    assert len(matches) == 1, (indicator, year, kind, [(f.indicator, f.value, f.year, f.kind) for f in matches])
    return matches[0]


def values(reading: Reading) -> list[tuple[str, int | float | None, str | None, float | None, int | None, str]]:
    return [(f.indicator, f.value, f.unit, f.growth_pct, f.year, f.kind) for f in reading.figures]


def task_with(reading: Reading, fragment: str) -> Task:
    matches = [t for t in reading.tasks if fragment in t.sentence]
    assert len(matches) == 1, (fragment, [t.sentence for t in reading.tasks])
    return matches[0]


# --- the seed ------------------------------------------------------------------------------------

SEED_EXACT = [
    # indicator, year, kind, value, unit, growth
    ("税收收入", 2019, "estimate", 18, "亿元", 36.8),
    ("固定资产投入", 2019, "estimate", 118, "亿元", 84.5),
    ("规模工业总产值", 2019, "estimate", 151, "亿元", 9.3),
    ("津外内资到位额", 2019, "estimate", 100, "亿元", None),
    ("外资到位额", 2019, "estimate", 1120, "万美元", None),
    ("限上批零销售额", 2019, "estimate", 225, "亿元", None),
    ("全科网络", 2019, "actual", 125, "个", None),
    ("配备专职网格员", 2019, "actual", 100, "名", None),
    ("处理流转事件", 2019, "actual", 2570, "件", None),
    ("处理率", 2019, "actual", 100, "%", None),
    ("检查企业", 2019, "actual", 2242, "家次", None),
    ("整改隐患", 2019, "actual", 2642, "处", None),
    ("重点单位", 2019, "actual", 62, "家", None),
    ("社区LED屏", 2019, "actual", 15, "个", None),
    ("涉VOCs排放企业", 2019, "actual", 108, "家", None),
    ("镇级河长巡河", 2019, "actual", 538, "人次", None),
    ("治理问题", 2019, "actual", 59, "处", None),
    ("办理代表意见建议", 2019, "actual", 11, "件", None),
    ("答复率和满意率", 2019, "actual", 100, "%", None),
    ("民心工程总投资", 2019, "actual", 14.22, "亿元", None),
    ("PM2.5年均浓度", 2019, "actual", None, None, -16.4),
    ("新增就业", 2019, "actual", 1468, "人", None),
    ("办理养老保险", 2019, "actual", 4373, "人", None),
    ("办理了城乡居民医疗保险", 2019, "actual", 20242, "人", None),
    ("城乡居民医疗保险参保率", 2019, "actual", 100, "%", None),
    ("发放救助金", 2019, "actual", 1007, "万元", None),
    ("智慧平安社区投资", 2019, "actual", 286, "万元", None),
    ("社区", 2019, "actual", 5, "个", None),
    ("重点项目投资总额", 2019, "actual", 82.5, "亿元", None),
    ("商户持证率和规范经营率", 2019, "actual", 95, "%", None),
    ("走访企业", 2019, "actual", 850, "次", None),
    ("税收收入", 2020, "target", 18, "亿元", 0.0),
    ("固定资产投资", 2020, "target", 130, "亿元", 10.2),
    ("规模工业总产值", 2020, "target", 158, "亿元", 4.6),
    ("限上批零销售额", 2020, "target", 240, "亿元", 6.7),
    ("津外内资到位额", 2020, "target", 63, "亿元", None),
    ("河道", 2020, "target", 13, "条", None),
    ("小区", 2020, "target", 9, "个", None),
    ("智慧平安社区投资", 2020, "target", 340, "万元", None),
    ("民生实事项目计划投资", 2020, "target", 20, "亿元", None),
    ("新增就业", 2020, "target", 1100, "人", None),
    ("植树造林", 2020, "target", 200, "亩", None),
]


@pytest.mark.parametrize(("indicator", "year", "kind", "value", "unit", "growth"), SEED_EXACT)
def test_seed_figure(
    seed: Reading, indicator: str, year: int, kind: str, value: float | None, unit: str | None, growth: float | None
) -> None:
    figure = find(seed, indicator, year, kind)
    assert (figure.value, figure.unit, figure.growth_pct) == (value, unit, growth)
    assert type(figure.value) is type(value)  # int when written without a decimal point


def test_seed_figures_that_come_in_pairs(seed: Reading) -> None:
    # "拆除各类违法建设 219 宗 13.5 万平米": one indicator, two measures.
    demolished = [f for f in seed.figures if f.indicator == "拆除违法建设"]
    assert [(f.value, f.unit) for f in demolished] == [(219, "宗"), (13.5, "万平米")]
    livelihood = [(f.value, f.unit) for f in seed.figures if f.indicator == "子项民心工程"]
    assert livelihood == [(10, "大类"), (29, "个")]


def test_seed_counts_and_order(seed: Reading) -> None:
    assert len(seed.figures) == 126
    starts = [f.start for f in seed.figures]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)  # each figure once
    text = clean(SEED.read_text(encoding="utf-8"))
    for figure in seed.figures:
        if figure.value is not None:
            assert text[figure.start :].startswith(str(figure.value)), figure
        assert figure.sentence in text
    assert {f.kind for f in seed.figures if f.year == 2020} == {"target"}
    assert {f.year for f in seed.figures} == {2019, 2020}


def test_seed_not_figures(seed: Reading) -> None:
    for figure in seed.figures:
        # dates, the (2018—2022) range, the date line, anniversaries
        assert figure.value not in (2018, 2019, 2020, 2022), figure
        assert "70周年" not in figure.sentence
        # session ordinals and slogans
        assert figure.value not in (18, 19, 1511, 113) or figure.unit in ("亿元", "家", "个", "本"), figure
        for slogan in ("一三五五三", "1511", "三个着力", "十个一", "两城三带三区", "七小行业", "四个意识", "十九届"):
            assert slogan not in figure.indicator
    assert not [f for f in seed.figures if f.value == 2.5 and f.unit is None]  # PM2.5
    # the only figures with value 18 are the tax revenue, new enterprises and the villages
    eighteen = sorted(f.indicator for f in seed.figures if f.value == 18)
    assert eighteen == [
        "新增市级高新技术企业",
        "新增规模以上企业",
        "村",
        "村",
        "村志",
        "村级组织及下属企业",
        "税收收入",
        "税收收入",
    ]


def test_as_json_keys_in_order(seed: Reading) -> None:
    figure = find(seed, "固定资产投资", 2020, "target")
    assert list(figure.as_json()) == ["indicator", "value", "unit", "growth_pct", "year", "kind"]
    assert figure.as_json() == {
        "indicator": "固定资产投资",
        "value": 130,
        "unit": "亿元",
        "growth_pct": 10.2,
        "year": 2020,
        "kind": "target",
    }


def test_seed_tasks(seed: Reading) -> None:
    rivers = task_with(seed, "13条河道水质治理工程")
    assert rivers.year == 2020
    assert rivers.heading == "打造绿色生态宜居环境"
    assert rivers.places == ["陈台子排河", "程村排河"]
    assert rivers.projects == ["河道水质治理工程"]
    assert [(f.indicator, f.value, f.unit) for f in rivers.numbers] == [("河道", 13, "条")]
    assert rivers.department == "城乡建设管理办公室"

    safe = task_with(seed, "投资340万元对金牛花园等9个小区")
    assert safe.places == ["金牛花园"]
    assert "智慧平安社区" in safe.projects
    assert [(f.value, f.unit) for f in safe.numbers] == [(340, "万元"), (9, "个")]
    assert all(any(n is f for f in seed.figures) for n in safe.numbers)  # the same objects
    assert safe.department == "综治中心" or safe.department == "平安建设办公室"
    assert safe.heading == "深化平安精武建设"

    # The year's targets are figures (targets once confirmed), not a task.
    assert not [t for t in seed.tasks if "主要预期目标" in t.sentence]

    jobs = task_with(seed, "新增就业1100人")
    assert jobs.department == "社会事务办公室"
    assert jobs.heading == "持续提高社会保障水平"

    village = task_with(seed, "鼓励姚村、陈台子等有条件的村")
    assert village.places == ["姚村", "陈台子"]
    assert village.department == "农业农村办公室"

    parks = task_with(seed, "实施滨河公园二期景观工程")
    assert parks.places == ["滨河公园", "宽河"]
    assert parks.projects == ["滨河公园二期景观工程", "口袋公园"]


def test_seed_tasks_only_from_the_plan(seed: Reading) -> None:
    text = clean(SEED.read_text(encoding="utf-8"))
    plan_start = text.index("二、2020年工作安排")
    assert len(seed.tasks) == 29
    for task in seed.tasks:
        assert text.index(task.sentence) > plan_start
        assert task.year == 2020
    sentences = " ".join(t.sentence for t in seed.tasks)
    assert "坚持稳中求进工作总基调" not in sentences  # a slogan, not a task
    assert "2570" not in sentences


# --- other reports -------------------------------------------------------------------------------


def test_full_width_county_report() -> None:
    reading = _read("county_fullwidth_2022.txt")
    assert values(reading) == [
        ("地区生产总值", 325.6, "亿元", 5.2, 2022, "actual"),
        ("一般公共预算收入", 18.3, "亿元", -3.1, 2022, "actual"),  # 下降
        ("规模以上工业增加值", None, None, 0.0, 2022, "actual"),  # 同比持平
        # 城乡…分别达到 a 元和 b 元: split into its urban and rural figures
        ("城镇居民人均可支配收入", 52000, "元", None, 2022, "actual"),
        ("农村居民人均可支配收入", 26000, "元", None, 2022, "actual"),
        # A、B、C 分别增长 x%、y%、z%: paired by position, rates only
        ("社会消费品零售总额", None, None, 6.1, 2022, "actual"),
        ("固定资产投资", None, None, 8.4, 2022, "actual"),
        ("进出口总额", None, None, 12.0, 2022, "actual"),
        # percentage points, completion ratios, shares, multi-year averages, multiples: not growth
        ("城镇化率", 2, "个百分点", None, 2022, "actual"),
        ("城镇化率", 61.5, "%", None, 2022, "actual"),
        ("财政收入完成预算", 105, "%", None, 2022, "actual"),
        ("服务业增加值占比", 48.2, "%", None, 2022, "actual"),
        ("地区生产总值年均增长", 7.5, "%", None, 2022, "actual"),
        ("科技型企业数量", 2, "倍", None, 2022, "actual"),
        # a Chinese numeral with a measure word after a verb; 余 keeps the number
        ("新建学校", 3, "所", None, 2022, "actual"),
        ("改造农村公路", 120, "公里", None, 2022, "actual"),
        ("接待游客", 350, "万人次", None, 2022, "actual"),
        # the plan: every figure is a target of the plan year
        ("地区生产总值", None, None, 6.0, 2023, "target"),
        ("一般公共预算收入", 19, "亿元", None, 2023, "target"),
        ("村", 12, "个", None, 2023, "target"),
        ("投资", 2.8, "亿元", None, 2023, "target"),
        ("新增城镇就业", 3000, "人", None, 2023, "target"),
    ]
    # 翻一番 is no figure; 〔2023〕1号, 〔2022〕5号, (2018—2022年), 第十七届, 73周年, slogans: none either
    assert not [f for f in reading.figures if "翻" in f.indicator or f.value in (1, 5, 17, 73, 2018, 2022, 2023)]
    water = task_with(reading, "青龙河综合治理工程")
    assert water.heading == "推进河湖综合治理"
    assert water.places == ["青龙河", "李家庄村", "王家屯村"]
    assert water.projects == ["青龙河综合治理工程"]
    assert [(f.value, f.unit) for f in water.numbers] == [(12, "个")]  # not "3月"
    assert water.department is not None
    assert task_with(reading, "新增城镇就业").department == "社会事务办公室"
    assert len(reading.tasks) == 2


def test_estimate_carries_to_the_end_of_its_section() -> None:
    reading = _read("district_ascii_2019.txt")
    assert values(reading) == [
        ("地区生产总值", 86.5, "亿元", 6.8, 2019, "estimate"),
        ("社会消费品零售总额", 21, "亿元", 7.2, 2019, "estimate"),
        # "预计(下同)" holds across the sub-heading ...
        ("新增市场主体", 1200, "户", None, 2019, "estimate"),
        ("实际利用外资", 3200, "万美元", None, 2019, "estimate"),
        # ... and stops at the next top-level heading
        ("地区生产总值", None, None, 6.5, 2020, "target"),
        ("实际利用外资", 3500, "万美元", None, 2020, "target"),
        ("老旧小区", 6, "个", None, 2020, "target"),
        ("老旧小区改造工程计划投资", 4500, "万元", None, 2020, "target"),
        ("新建社区综治中心", 8, "个", None, 2020, "target"),
    ]
    assert [t.heading for t in reading.tasks] == ["完善城市功能", "深化平安河东建设"]
    old = reading.tasks[0]
    assert old.places == ["东湖小区", "幸福里社区"]
    assert old.projects == ["老旧小区改造工程"]
    assert old.department == "城乡建设管理办公室"
    assert reading.tasks[1].department == "平安建设办公室"


def test_pdf_breaks_inside_words_and_numbers() -> None:
    reading = _read("town_pdf_2021.txt")
    assert values(reading) == [
        ("固定资产投资", 23.6, "亿元", 4.5, 2021, "actual"),
        ("税收收入", 3.2, "亿元", -1.8, 2021, "actual"),
        ("发放补贴", 260, "万元", None, 2021, "actual"),
        ("建成高标准农田", 5000, "亩", None, 2021, "actual"),
        ("拆除违法建设", 42, "宗", None, 2021, "actual"),
        ("拆除违法建设", 1.2, "万平米", None, 2021, "actual"),
        ("村", 12, "个", None, 2021, "actual"),
        ("固定资产投资", 26, "亿元", None, 2022, "target"),  # 力争
        ("新建村级文化广场", 3, "处", None, 2022, "target"),
    ]
    (task,) = reading.tasks
    assert task.places == ["红星村", "向阳村"]
    assert task.projects == ["向阳村道路硬化工程", "村级文化广场"]


def test_review_figures_are_actual_without_an_estimate() -> None:
    reading = _read("county_review_actual_2020.txt")
    assert values(reading)[:6] == [
        ("地区生产总值", 412, "亿元", 3.9, 2020, "actual"),
        ("规上工业企业", 286, "家", None, 2020, "actual"),
        ("新增规上工业企业", 35, "家", None, 2020, "actual"),
        ("城镇居民人均可支配收入", None, None, 5.1, 2020, "actual"),
        ("农村居民人均可支配收入", None, None, 7.3, 2020, "actual"),
        ("粮食总产量", 48.6, "万吨", 0.0, 2020, "actual"),
    ]
    assert find(reading, "地区生产总值", 2021).growth_pct == 7.0
    assert find(reading, "粮食总产量", 2021).value == 48
    assert not [f for f in reading.figures if f.value in (13, 5) and f.unit is None]  # 十三五
    project = task_with(reading, "长丰现代农业产业园项目")
    assert project.places == ["双凤湖片区", "长丰现代农业产业园"]
    assert project.projects == ["长丰现代农业产业园项目"]


# --- small cases ---------------------------------------------------------------------------------


def test_clean_rejoins_words_and_numbers_but_not_two_numbers() -> None:
    assert clean("永威新材料智慧产 业基地,投 资总额 18 亿元") == "永威新材料智慧产业基地,投资总额18亿元"
    assert clean("共 1 2 个") == "共1 2个"
    assert clean("ＰＭ_{2.5}下降１６．４％，") == "PM2.5下降16.4%,"
    # a page break inside a sentence joins; a heading stays on its own line
    long_half = "这是一句很长的句子的前半部分还没有说完所以不能在这里分段而要接着下一块"
    assert clean(f"投入帮扶资金 950 余万{long_half}\n\n元,选派干部。\n\n二、2020年工作安排") == (
        f"投入帮扶资金950余万{long_half}元,选派干部。\n二、2020年工作安排"
    )
    assert clean("(二)全力以赴抓创新,持续引育发展新动能 持续优化创新生态。") == (
        "(二)全力以赴抓创新,持续引育发展新动能\n持续优化创新生态。"
    )


def _one_section(body: str) -> Reading:
    return read(f"一、2021年工作回顾\n\n{body}\n")


@pytest.mark.parametrize(
    "body",
    [
        "根据津政发〔2020〕3号文件和〔2020〕1号文件,2019年12月28日召开会议。",
        "在第十八届人民代表大会第九次会议上,落实十九届二中全会和市委十一届六次全会精神。",
        '实施"1511行动",坚持"一三五五三"总体思路,落实"三个着力"要求,开展"十个一"创建。',
        '制定《乡村振兴规划(2018—2022)》和《村级权力清单46条》,编制"十四五"规划。',
        '新中国成立70周年,拨打12345热线,落实"西青区民营经济提质20条"。',
        '树牢"四个意识",做到"两个维护",整治"七小行业",融入"两城三带三区"布局。',
        "是实现第一个百年奋斗目标的决胜之年,一是抓发展,二是抓民生。",
    ],
)
def test_never_figures(body: str) -> None:
    assert _one_section(body).figures == []


def test_levels_and_approximations() -> None:
    reading = _one_section(
        "城乡居民医疗保险参保率达到100%,商户持证率达95%以上,走访企业850余次,接待游客近10万人次,注册资金超过28亿元。"
    )
    assert values(reading) == [
        ("城乡居民医疗保险参保率", 100, "%", None, 2021, "actual"),
        ("商户持证率", 95, "%", None, 2021, "actual"),
        ("走访企业", 850, "次", None, 2021, "actual"),
        ("接待游客", 10, "万人次", None, 2021, "actual"),
        ("注册资金", 28, "亿元", None, 2021, "actual"),
    ]


def test_amounts_then_rates_respectively() -> None:
    reading = _one_section("全年实现工业产值 40 亿元、农业产值 12 亿元,分别增长 5.5%、3%。")
    assert values(reading) == [
        ("工业产值", 40, "亿元", 5.5, 2021, "actual"),
        ("农业产值", 12, "亿元", 3.0, 2021, "actual"),
    ]


def test_explicit_year_in_a_sentence_wins() -> None:
    reading = read(
        "一、2020年工作回顾\n\n2019年,全镇新增就业 900 人。全年新增就业 1000 人。\n\n"
        "二、今后五年工作安排\n\n到2025年力争税收收入达到 30 亿元。\n"
    )
    assert [(f.value, f.year, f.kind) for f in reading.figures] == [
        (900, 2019, "actual"),
        (1000, 2020, "actual"),
        (30, 2025, "target"),
    ]


def test_departments_are_scored_by_keywords() -> None:
    custom = [("水务站", ["河", "水"]), ("城管办", ["违建"])]
    reading = read(
        "一、2020年工作回顾\n\n二、2021年工作安排\n\n启动北运河综合治理工程,拆除违建 30 处,清理河道水面。\n", custom
    )
    (task,) = reading.tasks
    assert task.department == "水务站"
    names = [name for name, _ in DEFAULT_DEPARTMENTS]
    assert names == [
        "镇纪委",
        "党政办公室",
        "党建工作办公室",
        "经济发展办公室",
        "农业农村办公室",
        "城乡建设管理办公室",
        "社会事务办公室",
        "平安建设办公室",
        "应急管理办公室",
        "党群服务中心",
        "政务服务中心",
        "网格化管理中心",
        "综治中心",
        "农业综合服务中心",
        "综合执法大队",
    ]
    nothing = read("一、2020年工作回顾\n\n二、2021年工作安排\n\n完成甲乙丙项目 3 个。\n", [("水务站", ["河"])])
    assert nothing.tasks[0].department is None
