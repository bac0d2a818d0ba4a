"""Reader of a Chinese town government work report (政府工作报告).

``read(text)`` proposes every quantitative figure the report states and every concrete task of the
coming year's plan, for a person to review before anything is saved. It is pure standard-library
Python and rule-based on purpose: the output must be explainable to the reviewer sentence by
sentence, and the same text must always give the same proposals.

The text may come straight from a PDF, with spaces and line breaks inside words and numbers and a
page break in the middle of a sentence; ``clean`` undoes that first, and every offset refers to the
cleaned text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["DEFAULT_DEPARTMENTS", "Figure", "Reading", "Task", "clean", "read"]


@dataclass
class Figure:
    indicator: str
    value: int | float | None
    unit: str | None
    growth_pct: float | None
    year: int | None
    kind: str
    sentence: str
    start: int

    def as_json(self) -> dict[str, object]:
        return {
            "indicator": self.indicator,
            "value": self.value,
            "unit": self.unit,
            "growth_pct": self.growth_pct,
            "year": self.year,
            "kind": self.kind,
        }


@dataclass
class Task:
    sentence: str
    heading: str
    year: int
    numbers: list[Figure] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    department: str | None = None


@dataclass
class Reading:
    figures: list[Figure]
    tasks: list[Task]


DEFAULT_DEPARTMENTS: Sequence[tuple[str, Sequence[str]]] = (
    ("镇纪委", ("纪委", "纪检", "监察", "廉政", "腐败", "八项规定", "问责", "作风")),
    (
        "党政办公室",
        ("机构改革", "人大代表", "代表意见", "建议提案", "法治政府", "依法行政", "数字政府", "政务信息化", "办公"),
    ),
    ("党建工作办公室", ("党建", "党的建设", "党组织", "党员", "主题教育", "政治建设")),
    (
        "经济发展办公室",
        (
            "税收",
            "投资",
            "企业",
            "产业",
            "招商",
            "营商",
            "经济",
            "高新技术",
            "创新",
            "载体",
            "服务业",
            "电商",
            "民营",
            "商业",
            "固定资产",
            "生产总值",
            "财政",
            "工业总产值",
            "销售额",
            "到位额",
            "科技",
        ),
    ),
    (
        "农业农村办公室",
        ("村", "集体经济", "集体收入", "乡村振兴", "农", "人居环境", "扶贫", "宅基地", "棚长制", "脱贫"),
    ),
    (
        "城乡建设管理办公室",
        (
            "河",
            "生态",
            "大气",
            "扬尘",
            "植树",
            "造林",
            "绿化",
            "公园",
            "规划",
            "控规",
            "道路",
            "排水",
            "污水",
            "市容",
            "垃圾",
            "卫生镇",
            "燃煤",
            "水环境",
            "水质",
            "住宅",
            "拆迁",
            "示范镇",
            "老旧小区",
            "改造工程",
            "泵站",
            "立面",
            "环境",
            "污染",
            "蓝天",
            "碧水",
            "净土",
        ),
    ),
    (
        "社会事务办公室",
        (
            "养老",
            "就业",
            "教育",
            "学校",
            "幼儿园",
            "小学",
            "中学",
            "卫生服务",
            "医疗",
            "医养",
            "救助",
            "退役军人",
            "社会保障",
            "参保",
            "补贴",
            "文化",
            "旅游",
            "文明",
            "老年人",
            "托老所",
            "残疾",
            "低保",
            "民生",
        ),
    ),
    ("平安建设办公室", ("扫黑", "平安", "信访", "治安", "维稳", "普法", "枫桥")),
    ("应急管理办公室", ("安全生产", "消防", "应急", "隐患", "事故", "值班", "食品安全", "安全监管", "安全管理")),
    ("党群服务中心", ("党群", "志愿服务", "工会", "共青团", "妇联", "群团")),
    ("政务服务中心", ("政务服务", "审批", "一网通办", "便民服务", "社会事务服务大厅")),
    ("网格化管理中心", ("网格", "一体化社会治理", "一体化平台", "精细化", "城市管理")),
    ("综治中心", ("综治", "社会治理", "智慧平安社区", "矛盾纠纷", "社会矛盾", "综合治理")),
    ("农业综合服务中心", ("农业园", "都市型农业", "种植", "农技", "农地农用", "还地于农", "农业")),
    ("综合执法大队", ("违建", "拆违", "违法建设", "执法", "治乱", "散乱污", "七小行业", "占道", "取缔", "违法")),
)

# ---------------------------------------------------------------------------------------------
# Cleaning

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERMINAL = "。!?！？:;；："
_TOP_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}[、.]")
_SUB_HEADING = re.compile(r"^\([一二三四五六七八九十]{1,3}\)")
_HEADING_INLINE = re.compile(r"^(\s*\([一二三四五六七八九十]{1,3}\)[^。\n]{2,40}?)[ \t\u3000]+(?=\S)")


def _to_halfwidth(text: str) -> str:
    # Full-width ASCII forms (digits, Latin letters, ，（）：；％) become their ASCII twins so that one
    # set of patterns serves reports typed either way; Chinese-only marks (。、“”《》) are kept.
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _join_spaces(line: str) -> str:
    # A PDF puts spaces between the characters of a word and between a number and its unit; only a
    # space between two ASCII letters or digits can be meaningful (it keeps "1 2.5" two numbers).
    def repl(match: re.Match[str]) -> str:
        before = line[match.start() - 1] if match.start() > 0 else ""
        after = line[match.end()] if match.end() < len(line) else ""
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            return " "
        return ""

    return re.sub(r"[ \t]+", repl, line).strip()


def _is_heading(line: str) -> bool:
    if "。" in line or len(line) > 45:
        return False
    return bool(_TOP_HEADING.match(line) or _SUB_HEADING.match(line))


def clean(text: str) -> str:
    """Normalise a report's text: one paragraph or heading per line, words and numbers rejoined."""
    text = _to_halfwidth(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"PM_\{?(\d+(?:\.\d+)?)\}?", r"PM\1", text)
    blocks: list[str] = []
    for raw_block in re.split(r"\n[ \t]*\n", text):
        lines: list[str] = []
        for raw in raw_block.split("\n"):
            # A sub-heading and the first words of its paragraph sometimes share a line, separated
            # only by a space; once spaces are gone they could not be told apart.
            split = _HEADING_INLINE.match(raw)
            parts = [split.group(1), raw[split.end() :]] if split else [raw]
            for part in parts:
                line = _join_spaces(part)
                if not line:
                    continue
                if lines and not _ends_paragraph(lines[-1]) and not _is_heading(line):
                    lines[-1] += line
                else:
                    lines.append(line)
        if not lines:
            continue
        # A page break leaves a blank line inside a sentence: a long paragraph that stops without
        # its final mark continues in the next block.
        if blocks and not _ends_paragraph(blocks[-1]) and len(blocks[-1]) > 40 and not _is_heading(lines[0]):
            blocks[-1] += lines[0]
            lines = lines[1:]
        blocks.extend(lines)
    return "\n".join(blocks)


def _ends_paragraph(line: str) -> bool:
    if _is_heading(line):
        return True
    stripped = line.rstrip('”"』」)）')
    return bool(stripped) and stripped[-1] in _TERMINAL


# ---------------------------------------------------------------------------------------------
# Numbers

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_BASE_UNITS = sorted(
    [
        "个百分点",
        "百分点",
        "%",
        "‰",
        "倍",
        "元",
        "美元",
        "欧元",
        "吨标准煤",
        "吨",
        "平方公里",
        "平方千米",
        "平方米",
        "平米",
        "立方米",
        "公里",
        "千米",
        "米",
        "亩",
        "公顷",
        "家次",
        "家",
        "人次",
        "人",
        "名",
        "户",
        "件",
        "处",
        "宗",
        "起",
        "场次",
        "场",
        "次",
        "所",
        "座",
        "条",
        "项",
        "套",
        "间",
        "辆",
        "台",
        "株",
        "棵",
        "份",
        "本",
        "期",
        "批",
        "栋",
        "幢",
        "片",
        "盏",
        "块",
        "张",
        "部",
        "支",
        "大类",
        "类",
        "千瓦时",
        "千瓦",
        "兆瓦",
        "公斤",
        "千克",
        "床",
        "个",
        "班",
        "篇",
        "箱",
        "组",
        "路",
        "站",
        "座次",
    ],
    key=len,
    reverse=True,
)
_MAGNITUDES = ("千万", "百万", "十万", "万", "亿", "千")
_UNIT_RE = re.compile(
    r"(?:余|多)?(?P<mag>"
    + "|".join(_MAGNITUDES)
    + r")?(?:余|多)?(?P<base>"
    + "|".join(re.escape(u) for u in _BASE_UNITS)
    + r")?"
)
_MEASURE_WORDS = "个所座家条处项名支台辆套栋幢间片张户"
_CN_NUM = "一二两三四五六七八九十百"
_ASCII_UNITS = re.compile(r"(?:km|kg|MW|kW|kWh|m2|m³|t)\b")
_NUMBER_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])")
_CN_NUMBER_RE = re.compile(
    r"(?:新建|建成|建设|新增|增设|兴办|改造|新开|开通|打造|培育|引进|完成|启动|实施|举办|创建|增加|新购置|购置|配备|设立|成立)"
    r"了?([" + _CN_NUM + r"]{1,3})([" + _MEASURE_WORDS + r"])(?![" + _CN_NUM + r"一])"
)
_GROWTH_VERB = re.compile(
    r"(?P<avg>年均|平均)?(?P<verb>增长|增加|上升|提高|提升|下降|减少|降低|回落|下滑|增幅为?|增速为?|降幅为?|增|降)了?"
    r"(?:约|近|超过|达)?$"
)
_NEGATIVE = ("下降", "减少", "降低", "回落", "下滑", "降幅", "降")
_PERCENT_UNITS = ("%",)
_GENERIC = {
    "总投资",
    "投资总额",
    "投资",
    "计划投资",
    "总额",
    "投入",
    "资金",
    "完成投资",
    "总投入",
    "投入资金",
    "计划总投资",
    "总投资额",
    "投资额",
}
_LEADING_FILLER = re.compile(
    r"^(?:\(下同\)|\d{4}年度?|全年|年内|今年|去年|明年|当年|一年来|全镇|全区|全县|全市|全乡|全街|我镇|我区|我县|其中|"
    r"累计|共计|合计|共|预计|实现了|实现|完成了|完成|力争|确保|计划(?!投资|总投资)|争取|目标是|目标为|主要|同比|为|对|"
    r"年|并|还|又|再|已|新引进了)"
)
_INNER_FILLER = re.compile(r"累计|各类|预计|全年|共计")
_TRAILING_FILLER = re.compile(
    r"(?:达到了|达到|达|(?<!行)为|是|完成|实现|突破|超过|超|近|约|累计|共|分别|合计|增至|各|均|的|等|了|有|至|到|力争|确保|争取|稳定在|保持在|控制在|"
    r"(?<!年均)(?<!平均)(?:提高|增长|下降|增加|减少|降低))$"
)
_AFTER_STOPS = re.compile(
    r"[,;:。、!?()\"“”《》\d]|(?<=.)农村|进行|开展|实现|全部|全面|投入|相继|加快|基本|正式|成为|住进|通过|进入|完成|建设|"
    r"实施|开通|提升|达到|分别|荣获|得到|纳入|入驻|参与|发放|有效|先后|成功|改造|治理|水质|已|均|并|和兴|的|"
    r"被|办理|列入|纳入|落实|获得|建成|建立|整治"
)
_NOUN_ENDS = re.compile(
    r"(?:单位|企业|社区|小区|村庄|村志|村|河道|房屋|校舍|项目|工程|学校|幼儿园|园|屏|网格|网络|站|点|户|区|厕所|公园|平台|基地|中心|"
    r"组织|地区|家庭|人员|干部|人才|负责人|人|所|桶|车|线路|地块|校|院|馆|室|楼|房|路|桥|团队|车棚|食堂|厂房|"
    r"设施|班|队|批|点位|窗口|镇|市场|池|井|泵站|景区|基站)"
)
_AFTER_VERBS = re.compile(
    r"(?:新建|建设|建成|改造|启动|完成|开展|接入|实施|引进|培育|投放|新购置|购置|增设|兴办|打造|认定|选派|涉及|"
    r"清理|关闭|取缔|整治|建立|成立|举办|开通|组织|转移|覆盖|帮扶|服务|推进|提升改造|推动|继续推进|对|在|为|给|向|"
    r"将|有|了|等|的|和|划分为|为了|出访|先后出访|接入了|新增|增加|选聘|配备了|新开|设立|完成了)$"
)
_DATE_AFTER = re.compile(r"^(?:年度?|月|日|号|周年|届|次会议|次全会)")
_YEAR_MENTION = re.compile(r"(?<![\d比较同与自])(?P<y>(?:19|20)\d{2})年(?!度?\d|月)")


def _cn_to_int(text: str) -> int | None:
    if text in ("十",):
        return 10
    if "百" in text:
        return None
    if "十" in text:
        head, _, tail = text.partition("十")
        tens = _CN_DIGITS.get(head, 1) if head else 1
        ones = _CN_DIGITS.get(tail, 0) if tail else 0
        if (head and head not in _CN_DIGITS) or (tail and tail not in _CN_DIGITS):
            return None
        return tens * 10 + ones
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


@dataclass
class _Token:
    start: int  # offset in the sentence
    end: int  # end of the number and its unit (and of 余/以上 around it)
    num_end: int
    value: int | float
    unit: str | None
    growth: bool = False  # a year-on-year rate, to attach to an amount or stand alone
    negative: bool = False
    flat: bool = False  # 持平: a rate of 0.0 with no number
    verb_start: int = -1  # where the rate's verb starts, so the indicator stops before it
    figure: Figure | None = None
    after_noun_end: int = -1
    pair_index: int = -1  # position among the amounts a "分别增长" rate belongs to


# ---------------------------------------------------------------------------------------------
# Structure of the report


@dataclass
class _Section:
    heading: str
    year: int | None
    plan: bool
    start: int


_PLAN_WORDS = re.compile(r"安排|计划|打算|任务|目标|展望|思路|部署|工作要点|重点工作")
_REVIEW_WORDS = re.compile(r"回顾|总结|成绩|完成情况|过去|工作报告|取得")


def _sentences(paragraph: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start = 0
    i = 0
    n = len(paragraph)
    while i < n:
        ch = paragraph[i]
        end_here = ch in "。!?！？"
        if ch == "." and i > 0 and re.match(f"[{_CJK}]", paragraph[i - 1]) and not paragraph[i + 1 : i + 2].isdigit():
            end_here = True
        if end_here:
            j = i + 1
            while j < n and paragraph[j] in '”"』」)）':
                # A closing quote right after the full stop belongs to this sentence, but an ASCII
                # quote is ambiguous: take it only when the quotes before it are unbalanced.
                if paragraph[j] == '"' and paragraph[start:j].count('"') % 2 == 0:
                    break
                j += 1
            out.append((start, paragraph[start:j]))
            start = j
            i = j
            continue
        i += 1
    if start < n and paragraph[start:].strip():
        out.append((start, paragraph[start:]))
    return out


def _quoted_spans(paragraph: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in re.finditer(
        r"“[^“”]*”|《[^《》]*》|「[^「」]*」|『[^『』]*』|〔[^〔〕]*〕|\[[^\[\]]*\]|【[^【】]*】", paragraph
    ):
        spans.append((match.start(), match.end()))
    positions = [m.start() for m in re.finditer('"', paragraph)]
    for a, b in zip(positions[0::2], positions[1::2], strict=False):
        spans.append((a, b + 1))
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


# ---------------------------------------------------------------------------------------------
# Figures within one sentence


def _clause_start(sentence: str, pos: int, list_comma: bool = True) -> int:
    marks = ",;:。!?，；：" + ("、" if list_comma else "")
    best = 0
    for i in range(pos - 1, -1, -1):
        if sentence[i] in marks:
            best = i + 1
            break
    return best


def _strip_indicator(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_FILLER.sub("", text)
        text = _TRAILING_FILLER.sub("", text)
    text = _INNER_FILLER.sub("", text)
    if "等" in text:
        # "…、B 等地块植树造林": the list before 等 names members, the indicator follows it.
        head, _, tail = text.rpartition("等")
        tail = re.sub(r"^(?:地块|村|社区|小区|企业|单位|园区|项目|河道)", "", tail)
        text = tail or head
    return text.strip("、,的 ")


def _after_noun(sentence: str, pos: int, spans: list[tuple[int, int]]) -> tuple[str, int]:
    rest = sentence[pos:].lstrip("的")
    pos = len(sentence) - len(rest)
    quoted = re.match(r"[“\"]([^”\"]{1,20})[”\"]", rest)
    if quoted:
        return quoted.group(1), pos + quoted.end()
    stop = _AFTER_STOPS.search(rest)
    if stop is not None and stop.start() == 0 and not re.match(r"[,;:。、!?()\d]", rest):
        # "为 52 人发放补助资金": no noun follows the measure word, the action does.
        stop = re.search(r"[,;:。、!?()\"“”《》\d]", rest)
        bounded = (rest[: stop.start()] if stop else rest)[:12]
        return bounded, pos + len(bounded)
    bounded = rest[: stop.start()] if stop else rest
    bounded = bounded[:16]
    best = 0
    for match in _NOUN_ENDS.finditer(bounded):
        best = match.end()
    noun = bounded[:best] if best else bounded
    return noun, pos + len(noun)


def _subject_near(sentence: str, pos: int, spans: list[tuple[int, int]]) -> str | None:
    """The project or programme a generic amount (总投资, 投资总额) belongs to."""
    # Search the clause around the number, then the clause before, then the one after: "…115 个重点
    # 项目, 投资总额达到…" and "计划投资 20 亿元, 继续实施民生实事项目" both occur.
    bounds = [m.start() for m in re.finditer(r"[,;:，；：]", sentence)]
    edges = [0, *[b + 1 for b in bounds], len(sentence) + 1]
    clauses = [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]
    index = next((i for i, (a, b) in enumerate(clauses) if a <= pos <= b), 0)
    order = [index, index - 1, index + 1]
    for i in order:
        if not 0 <= i < len(clauses):
            continue
        a, b = clauses[i]
        chunk = sentence[a:b]
        names = [m.group(1) for m in re.finditer(r"[“\"]([^”\"]{2,20})[”\"](?:建设|工程|项目|行动)", chunk)]
        for _, name in _names_before(chunk, re.compile("工程|项目"), _PROJECT_STOPS, 10, []):
            if name not in ("工程", "项目", "投资项目"):
                names.append(name)
        if names:
            # In the number's own clause, the name nearest after it; before it, the nearest one.
            return names[0] if i >= index else names[-1]
    return None


_NAME_STOPS = re.compile(
    r"镇域内|域内|启动|推进|实施|建设|开展|加快|完成|提升改造|提升|改造|新建|增设|打造|推动|鼓励|继续|全面|深入|加大|"
    r"新增|增加|完善|启用|用好|充分|融合|策划|支持|引导|积极|培育|壮大|建立|举办|投资|位于|对|在|和|与|及|、|等|的|"
    r"子项|了|将|从|把|由|为|是|向|给|于|以|到|至|其中|一批|重点项目|各|新|加强|做好|抓好|落实|"
    r"优化|规范|聚焦|依托|围绕|承接|成功|相继|正式|投入使用|投入|使用|竣工|主体|施工|已|均|都|也|还|再|又|更|"
    r"进一步|大力|着力|努力|认真|切实|扎实|全力|持续|不断|配套|整体|完成了"
)


# A project's name may itself contain 提升, 改造, 建设 ("校舍安全提升改造工程"): cut only at words that
# cannot be inside a name.
_PROJECT_STOPS = re.compile(
    r"镇域内|域内|启动|推进|实施|开展|加快|完成|推动|鼓励|继续|全面|深入|加大|对|在|和|与|及|、|等|的|子项|"
    r"了|将|从|把|由|为|是|给|于|以|到|至|其中|一批|各|加强|做好|抓好|落实|依托|围绕|承接|投入|"
    r"新建|启用|打造|精心培育|培育|引进|建成|提升改造|扶持|支持|发展|融入|举办|用好|充分|融合|实行|应用|利用|狠抓|"
    r"加快推进|推进|大力|积极|进一步|持续|不断|深化|强化|健全|完善|巩固|增设|兴办|大型|一批|全力|着力"
)


def _trim_name(text: str, limit: int, stops: re.Pattern[str] = _NAME_STOPS) -> str:
    last = 0
    for match in stops.finditer(text[:-2] if len(text) > 2 else ""):
        last = match.end()
    name = text[last:]
    if len(name) > limit + 2:
        name = name[-(limit + 2) :]
    return name


def _is_year_like(value: float) -> bool:
    return float(value).is_integer() and 1900 <= value <= 2100


def _tokens(sentence: str, spans: list[tuple[int, int]]) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _NUMBER_RE.finditer(sentence):
        a, b = match.start(), match.end()
        raw = match.group(0)
        if _inside(a, spans):
            continue
        before = sentence[max(0, a - 3) : a]
        after = sentence[b : b + 6]
        if before[-1:].isascii() and before[-1:].isalpha():
            continue  # PM2.5, G20: part of a code
        if after[:1].isascii() and after[:1].isalpha() and not _ASCII_UNITS.match(after):
            continue  # 5G, 3D
        if before.endswith("第") or before.endswith("第 "):
            continue
        if _DATE_AFTER.match(after) or re.match(r"^(?:日|时|分|点)", after):
            continue
        if re.match(r"^\s*[—–\-~至到]+\s*(?:19|20)\d{2}", after) or re.search(
            r"(?:19|20)\d{2}\s*[—–\-~至到]+\s*$", before
        ):
            continue  # 2018—2022
        if before.endswith("(") and after.startswith(")"):
            continue  # (1), (2020)
        if a == 0 and re.match(r"^[、.)]", after):
            continue  # a numbered list item
        if "." in raw and a > 0 and sentence[a - 1] == ".":
            continue
        value: int | float = float(raw) if "." in raw else int(raw)
        unit_match = _UNIT_RE.match(sentence, b)
        end = b
        unit: str | None = None
        if unit_match and (unit_match.group("mag") or unit_match.group("base")):
            unit = (unit_match.group("mag") or "") + (unit_match.group("base") or "")
            end = unit_match.end()
        elif unit_match and unit_match.end() > b:
            end = unit_match.end()
        if unit is None:
            follow = sentence[end : end + 1]
            # A bare count is a figure only where the sentence states it: "…为 12," not "12345 热线".
            if follow and follow not in ',;:。、!?)”"和及与':
                continue
            if not re.search(r"(?:为|达到|达|是|至|到|共|计)\s*$", sentence[max(0, a - 3) : a]):
                continue
        if _is_year_like(value) and unit is None:
            continue
        if (unit == "%" and sentence[end : end + 2] == "以上") or (unit == "%" and sentence[end : end + 2] == "以下"):
            end += 2
        elif unit and re.match(r"以上的|以下的", sentence[end : end + 3]):
            continue  # a threshold: "注册资本在 1000 万元以上的企业"
        elif unit and sentence[end : end + 2] in ("以上", "左右"):
            end += 2
        tok = _Token(start=a, end=end, num_end=b, value=value, unit=unit)
        if unit in _PERCENT_UNITS:
            verb = _GROWTH_VERB.search(sentence[max(0, a - 8) : a])
            if verb and not verb.group("avg"):
                tok.growth = True
                tok.negative = verb.group("verb").startswith(_NEGATIVE)
                tok.verb_start = max(0, a - 8) + verb.start("verb")
        tokens.append(tok)
    for match in _CN_NUMBER_RE.finditer(sentence):
        if _inside(match.start(), spans):
            continue
        number = _cn_to_int(match.group(1))
        if number is None:
            continue
        tokens.append(
            _Token(start=match.start(1), end=match.end(2), num_end=match.end(1), value=number, unit=match.group(2))
        )
    for match in re.finditer(r"持平", sentence):
        if _inside(match.start(), spans):
            continue
        verb_start = (
            match.start() - 2 if sentence[max(0, match.start() - 2) : match.start()] == "同比" else match.start()
        )
        tokens.append(
            _Token(
                start=match.start(),
                end=match.end(),
                num_end=match.end(),
                value=0,
                unit=None,
                growth=True,
                flat=True,
                verb_start=verb_start,
            )
        )
    tokens.sort(key=lambda t: t.start)
    return tokens


def _growth_value(tok: _Token) -> float:
    if tok.flat:
        return 0.0
    return -float(tok.value) if tok.negative else float(tok.value)


def _split_subjects(text: str) -> list[str]:
    parts = [p for p in re.split(r"、|和|及|与|以及", text) if p]
    prefixes = ("城镇", "农村", "城市", "城乡", "进口", "出口", "一产", "二产", "三产", "第一产业", "第二产业")
    last = parts[-1] if parts else ""
    shared = next((last[len(p) :] for p in prefixes if last.startswith(p) and len(last) > len(p)), "")
    if shared:
        parts = [p + shared if p in prefixes else p for p in parts]
    return parts


# ---------------------------------------------------------------------------------------------
# The reader


class _Reader:
    def __init__(self, text: str, departments: Sequence[tuple[str, Sequence[str]]]) -> None:
        self.text = clean(text)
        self.departments = departments
        self.figures: list[Figure] = []
        self.tasks: list[Task] = []

    def run(self) -> Reading:
        lines: list[tuple[int, str]] = []
        offset = 0
        for line in self.text.split("\n"):
            lines.append((offset, line))
            offset += len(line) + 1
        has_top = any(_TOP_HEADING.match(line) and _is_heading(line) for _, line in lines)
        section: _Section | None = None
        if not has_top:
            year = self._title_year()
            section = _Section(heading="", year=year, plan=False, start=0)
        review_year: int | None = None
        estimate_from: int | None = None
        sub_heading = ""
        for start, line in lines:
            if _is_heading(line) and _TOP_HEADING.match(line):
                section = self._section(line, start, section, review_year)
                if not section.plan and section.year is not None:
                    review_year = section.year
                estimate_from = None
                sub_heading = ""
                continue
            if section is None:
                continue  # the cover letter and title page before the first part
            if _is_heading(line):
                sub_heading = line
                continue
            carry = re.search(r"预计\s*\(下同\)", line)
            if carry is not None:
                estimate_from = start + carry.start()
            self._paragraph(start, line, section, sub_heading, estimate_from)
        return Reading(figures=self.figures, tasks=self.tasks)

    def _title_year(self) -> int | None:
        match = re.search(r"((?:19|20)\d{2})年", self.text)
        return int(match.group(1)) if match else None

    def _section(self, line: str, start: int, previous: _Section | None, review_year: int | None) -> _Section:
        year_match = re.search(r"((?:19|20)\d{2})年", line)
        year = int(year_match.group(1)) if year_match else None
        if _PLAN_WORDS.search(line):
            plan = True
        elif _REVIEW_WORDS.search(line):
            plan = False
        elif year is not None and review_year is not None:
            plan = year > review_year
        elif previous is not None:
            # "三、加强政府自身建设" continues whatever part came before it.
            return _Section(heading=line, year=previous.year, plan=previous.plan, start=start)
        else:
            plan = False
        if year is None:
            if plan and review_year is not None:
                year = review_year + 1
            elif previous is not None:
                year = previous.year
        return _Section(heading=line, year=year, plan=plan, start=start)

    # -- one paragraph ---------------------------------------------------------------------

    def _paragraph(
        self, start: int, paragraph: str, section: _Section, sub_heading: str, estimate_from: int | None
    ) -> None:
        spans = _quoted_spans(paragraph)
        sentences = _sentences(paragraph)
        lead = ""
        if sentences:
            first = sentences[0][1].strip()
            if len(first) <= 24 and not re.search(r"\d", first) and first.endswith("。"):
                lead = first.rstrip("。")
        for s_start, sentence in sentences:
            local_spans = [(a - s_start, b - s_start) for a, b in spans if b > s_start and a < s_start + len(sentence)]
            figures = self._figures(sentence, start + s_start, local_spans, section, estimate_from)
            self.figures.extend(figures)
            if section.plan and sentence.strip().rstrip("。") != lead:
                task = self._task(sentence, local_spans, section, lead or sub_heading or section.heading, figures)
                if task is not None:
                    self.tasks.append(task)

    def _figures(
        self,
        sentence: str,
        offset: int,
        spans: list[tuple[int, int]],
        section: _Section,
        estimate_from: int | None,
    ) -> list[Figure]:
        tokens = _tokens(sentence, spans)
        if not tokens:
            return []
        consumed = [False] * len(tokens)
        made: list[tuple[_Token, Figure]] = []

        def new_figure(tok: _Token, indicator: str, value: int | float | None, growth: float | None) -> Figure:
            fig = Figure(
                indicator=indicator,
                value=value,
                unit=None if value is None else tok.unit,
                growth_pct=growth,
                year=self._year(sentence, tok.start, spans, section),
                kind=self._kind(sentence, tok.start, offset, section, estimate_from),
                sentence=sentence.strip(),
                start=offset + tok.start,
            )
            tok.figure = fig
            made.append((tok, fig))
            return fig

        # "A、B、C 分别增长 x%、y%、z%", "城乡居民…分别达到 a 元和 b 元": paired by position.
        for match in re.finditer("分别", sentence):
            group = [i for i, t in enumerate(tokens) if t.start > match.end() and not consumed[i] and not t.flat]
            chain: list[int] = []
            cursor = match.end()
            for i in group:
                gap = sentence[cursor : tokens[i].start]
                if chain and not re.fullmatch(r"\s*(?:、|和|及|与|,)\s*", gap):
                    break
                if not chain and len(gap) > 8:
                    break
                chain.append(i)
                cursor = tokens[i].end
            if len(chain) < 2:
                continue
            clause = sentence[_clause_start(sentence, match.start(), list_comma=False) : match.start()]
            subjects = [_strip_indicator(s) for s in _split_subjects(_strip_indicator(clause))]
            subjects = [s for s in subjects if s]
            if len(subjects) == 1 and len(chain) == 2 and "城乡" in subjects[0]:
                subjects = [subjects[0].replace("城乡", "城镇", 1), subjects[0].replace("城乡", "农村", 1)]
            is_rate = all(tokens[i].unit == "%" for i in chain) and bool(
                re.match(r"(?:同比)?(?:增长|下降|增加|减少|提高|降低)", sentence[match.end() :])
            )
            if is_rate:
                for i in chain:
                    tokens[i].growth = True
                    tokens[i].negative = sentence[match.end() : match.end() + 2] in ("下降", "减少", "降低")
            if len(subjects) == len(chain):
                for i, subject in zip(chain, subjects, strict=True):
                    tok = tokens[i]
                    if tok.growth:
                        new_figure(tok, subject, None, _growth_value(tok))
                    else:
                        new_figure(tok, subject, tok.value, None)
                    consumed[i] = True
            elif is_rate:
                amounts = [
                    t for t in tokens if t.start < match.start() and t.figure is None and not t.growth and t.unit != "%"
                ]
                if len(amounts) == len(chain):
                    # "A 40 亿元、B 12 亿元, 分别增长 5.5%、3%": the rates go to the amounts in order.
                    for position, i in enumerate(chain):
                        tokens[i].pair_index = position

        last_indicator = ""
        previous_end = 0
        for i, tok in enumerate(tokens):
            if consumed[i]:
                previous_end = max(previous_end, tok.end)
                continue
            if tok.growth:
                target = self._growth_target(sentence, tokens, i)
                if tok.pair_index >= 0:
                    paired = [fig for t, fig in made if not t.growth]
                    if tok.pair_index < len(paired):
                        paired[tok.pair_index].growth_pct = _growth_value(tok)
                        continue
                if target is not None:
                    target.growth_pct = _growth_value(tok)
                    previous_end = max(previous_end, tok.end)
                    continue
                start = max(_clause_start(sentence, tok.verb_start), previous_end)
                indicator = _strip_indicator(sentence[start : tok.verb_start]) or last_indicator
                new_figure(tok, indicator, None, _growth_value(tok))
                previous_end = tok.end
                continue
            clause_start = max(_clause_start(sentence, tok.start), previous_end)
            before_raw = sentence[clause_start : tok.start]
            before = _strip_indicator(before_raw)
            measure = (
                tok.unit is not None
                and tok.unit not in ("%", "个百分点", "倍")
                and not any(
                    tok.unit.endswith(u) for u in ("元", "美元", "亩", "平米", "平方米", "吨", "公里", "米", "公顷")
                )
            )
            wants_after = measure and (
                not before or _AFTER_VERBS.search(before_raw.strip()) is not None or before_raw.rstrip().endswith("等")
            )
            indicator = before
            if wants_after:
                noun, noun_end = _after_noun(sentence, tok.end, spans)
                if not noun and i + 1 < len(tokens) and tokens[i + 1].start == tok.end:
                    noun, noun_end = _after_noun(sentence, tokens[i + 1].end, spans)
                verb = re.search(r"(?:新建|新增|增设|兴办|新购置|引进)$", before_raw.strip())
                if not noun and before and len(before) <= 3 and last_indicator:
                    noun = before + last_indicator  # "规上工业企业 286 家, 新增 35 家"
                    verb = None
                if noun:
                    indicator = (verb.group(0) if verb else "") + noun
                    tok.after_noun_end = noun_end
            if not indicator:
                indicator = last_indicator
            if indicator in _GENERIC:
                owner = _subject_near(sentence, tok.start, spans)
                if owner:
                    indicator = owner + indicator
            if not indicator:
                continue
            new_figure(tok, indicator, tok.value, None)
            last_indicator = indicator
            previous_end = max(tok.end, tok.after_noun_end)
        made.sort(key=lambda pair: pair[0].start)
        return [fig for _, fig in made]

    def _growth_target(self, sentence: str, tokens: list[_Token], i: int) -> Figure | None:
        tok = tokens[i]
        if i == 0:
            return None
        prev = tokens[i - 1]
        if prev.figure is None or prev.growth or prev.unit == "%" or prev.figure.growth_pct is not None:
            return None
        gap = sentence[prev.end : tok.verb_start]
        # Only connectives may stand between an amount and its rate; a noun there starts a new indicator.
        if not re.fullmatch(
            r"[\s,、]*(?:同比|比上年同期|比上年|较上年|比去年|较去年|与上年相比|比\d{4}年)?[\s,]*", gap
        ):
            return None
        return prev.figure

    def _year(self, sentence: str, pos: int, spans: list[tuple[int, int]], section: _Section) -> int | None:
        year = section.year
        for match in _YEAR_MENTION.finditer(sentence[:pos]):
            if _inside(match.start(), spans):
                continue
            if re.search(r"(?:比|较|与|同|自|从)\s*$", sentence[max(0, match.start() - 2) : match.start()]):
                continue
            year = int(match.group("y"))
        return year

    def _kind(self, sentence: str, pos: int, offset: int, section: _Section, estimate_from: int | None) -> str:
        if section.plan:
            return "target"
        head = sentence[:pos]
        if re.search(r"力争|预期目标|目标是|目标为", head):
            return "target"
        if "预计" in head or (estimate_from is not None and offset + pos >= estimate_from):
            return "estimate"
        return "actual"

    # -- tasks -------------------------------------------------------------------------------

    def _task(
        self,
        sentence: str,
        spans: list[tuple[int, int]],
        section: _Section,
        heading: str,
        figures: list[Figure],
    ) -> Task | None:
        text = sentence.strip()
        if re.search(r"总要求|总基调|指导思想|基本思路", text):
            return None  # the plan's guiding line, not a task
        if re.search(r"预期目标|主要目标", text):
            return None  # the year's targets: its figures become targets, not a task
        if not re.search(
            r"实施|推进|启动|完成|建设|新建|确保|开展|打造|提升|改造|增设|兴办|实现|引进|培育|编制|整治|加快|推动|"
            r"新增|投资|举办|建立|开通|启用|增加|治理|落实|改建|扩建|竣工|拆迁|创建",
            text,
        ):
            return None
        places = _places(text, spans)
        projects = _projects(text, spans)
        if not (places or projects or figures):
            return None
        return Task(
            sentence=text,
            heading=heading,
            year=section.year or 0,
            numbers=list(figures),
            places=places,
            projects=projects,
            department=_department(text, self.departments),
        )


# ---------------------------------------------------------------------------------------------
# Places, projects, departments

_PLACE_SUFFIX = re.compile(
    r"(?:排河|社区|小区|园区|片区|工业区|聚集区|集聚区|公园|景区|地块|花园|佳园|家园|村(?![级庄民委居集落镇务])|"
    r"里(?![程])|园(?![区])|河(?![道长湖清流水岸畔堤])|湖(?![泊]))"
)
_GENERIC_PLACES = {
    "农村",
    "乡村",
    "各村",
    "全村",
    "村居",
    "入河",
    "河湖",
    "城乡",
    "这里",
    "邻里",
    "村庄",
    "口袋公园",
    "幼儿园",
    "公办园",
    "普惠园",
    "农业园",
    "产业园",
    "公办幼儿园",
    "老旧小区",
    "民办幼儿园",
    "聚集区",
    "集聚区",
    "夜间经济聚集区",
    "工业园区",
    "老旧园区",
    "老旧工业园区",
    "工业区",
    "老旧工业区",
    "社区",
    "小区",
    "公里",
    "千里",
    "万里",
}
_PLACE_STOPS = re.compile(
    _NAME_STOPS.pattern
    + r"|整治|巩固|打好|确保|指导|营造|实现|提高|管控|利用|服务|覆盖|走访|深化|强化|保持|鼓励|支持|引导|组织|"
    r"带动|帮助|结合|包括|涉及|形成|成为|作为|通过|经过|进行|争创|创成|获评|评为|命名|入选|位于|关停|取缔|拆除|"
    r"清理|搬迁|治理|疏浚|绿化|美化|亮化|净化|覆盖|连通|贯通|打通"
)
_ENUM_PLACES = re.compile(
    f"((?:[{_CJK}\\d]{{2,10}}、)*[{_CJK}\\d]{{2,10}})等(?:\\s*\\d+\\s*[个条家座处所片])?(?:有条件的)?"
    f"(?:村|社区|小区|河道|园区|片区|地块|工业区|聚集区|集聚区|工业聚集区|村庄)"
)
_PROJECT_SUFFIX = re.compile(
    r"(?:工程|项目|(?<!宅)基地|广场|中心|(?<![花佳家公])园(?![区])|平台|小镇|新城|大厦|泵站|服务站|工作站|示范区)"
)
_GENERIC_PROJECTS = {
    "重点项目",
    "产业项目",
    "文化产业重点项目",
    "商业项目",
    "住宅项目",
    "品牌项目",
    "建设项目",
    "一批重点项目",
    "幼儿园",
    "公办园",
    "普惠园",
    "公办幼儿园",
    "工作站",
    "服务站",
    "现代化新城",
    "新城",
    "投资项目",
    "民生工程",
    "惠民工程",
    "平台",
    "中心",
    "基地",
    "工程",
    "项目",
    "广场",
    "园",
    "小镇",
    "大厦",
    "泵站",
}


def _names_before(
    sentence: str, suffixes: re.Pattern[str], stops: re.Pattern[str], limit: int, spans: list[tuple[int, int]]
) -> list[tuple[int, str]]:
    """Names ending in one of the suffixes: the run of characters before it, cut after the last stop word."""
    found: list[tuple[int, str]] = []
    for match in suffixes.finditer(sentence):
        if _inside(match.start(), spans):
            continue
        begin = match.start()
        while begin > 0 and match.start() - begin < limit + 4 and re.match(f"[{_CJK}A-Za-z·]", sentence[begin - 1]):
            begin -= 1
        if begin > 0 and sentence[begin - 1].isdigit() and sentence[begin] in _MEASURE_WORDS + "年条":
            begin += 1  # "2 所社区老年人食堂": the measure word belongs to the number
        prefix = sentence[begin : match.start()]
        # A short name right after a list mark is a list item ("红星村、向阳村"): a one-character
        # stop word inside it (向, 对, 在) is part of the name.
        whole_item = (begin == 0 or sentence[begin - 1] in '、,;:。"“”(') and len(prefix) <= 3
        cut = max(
            (
                stop.end()
                for stop in stops.finditer(prefix)
                if stop.end() < len(prefix) and not (whole_item and len(stop.group(0)) == 1)
            ),
            default=0,
        )
        name = prefix[cut:] + match.group(0)
        if len(prefix) - cut < 1 or len(prefix) - cut > limit or len(name) < 2:
            continue
        if re.search(r"(?:等|的|和|与|及)$", prefix):
            continue  # "宽河等地块", "建设和项目": the suffix is a category word, not a name's end
        found.append((begin + cut, name))
    return found


def _places(sentence: str, spans: list[tuple[int, int]]) -> list[str]:
    found: list[tuple[int, str]] = []
    for pos, name in _names_before(sentence, _PLACE_SUFFIX, _PLACE_STOPS, 8, spans):
        if name in _GENERIC_PLACES or re.search(r"农村|乡村|[各个的农乡全本该每一]村$", name):
            continue
        found.append((pos, name))
    for match in _ENUM_PLACES.finditer(sentence):
        for item in match.group(1).split("、"):
            name = _trim_name(item, 8, _PLACE_STOPS)
            if len(name) >= 2 and name not in _GENERIC_PLACES:
                found.append((sentence.find(name, match.start()), name))
    return _distinct(found)


def _projects(sentence: str, spans: list[tuple[int, int]]) -> list[str]:
    found: list[tuple[int, str]] = []
    for match in re.finditer(r"[“\"]([^”\"]{2,20})[”\"]\s*(建设|工程|项目)?", sentence):
        name = match.group(1)
        if match.group(2) or re.search(r"(?:工程|项目|基地|广场|中心|园|小镇|平台)$", name):
            found.append((match.start(), name))
    for match in re.finditer(r"《([^》]{2,30})》", sentence):
        if re.search(r"(?:工程|项目)$", match.group(1)):
            found.append((match.start(), match.group(1)))
    places = _places(sentence, spans)
    for pos, name in _names_before(sentence, _PROJECT_SUFFIX, _PROJECT_STOPS, 14, spans):
        if name in _GENERIC_PROJECTS or len(name) < 3 or any(name in place for place in places):
            continue
        found.append((pos, name))
    return _distinct(found)


def _distinct(found: list[tuple[int, str]]) -> list[str]:
    found.sort(key=lambda item: (item[0], -len(item[1])))
    out: list[str] = []
    for _, name in found:
        if name in out or any(name in other for other in out):
            continue
        out = [o for o in out if o not in name]
        out.append(name)
    return out


def _department(sentence: str, departments: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    best: str | None = None
    best_score = 0
    for name, keywords in departments:
        score = sum(sentence.count(k) * (2 if len(k) > 1 else 1) for k in keywords)
        if score > best_score:
            best, best_score = name, score
    return best


def decode(data: bytes) -> str:
    """A report file's text: UTF-8 (with or without a byte-order mark), else GB 18030, as many government files
    still are. ValueError when it is neither, or a PDF (its text must be extracted first)."""
    if data[:5] == b"%PDF-":
        raise ValueError("pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ValueError("encoding") from exc


def read(text: str, departments: Sequence[tuple[str, Sequence[str]]] = DEFAULT_DEPARTMENTS) -> Reading:
    """Propose the report's figures and the coming year's tasks, for a person to review."""
    return _Reader(text, departments).run()
