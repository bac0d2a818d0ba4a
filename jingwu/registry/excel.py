"""Excel import of the registry, one sheet per kind (addresses, people, benefits, enrolments), all or nothing:
every row is checked first against the same rules the forms use, and the report names each wrong cell and why
(an ID number failing the GB 11643 check, a person twice, an address outside the territory, an unknown grid).
Only a clean file is saved, in one transaction."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from jingwu.lib import idcard
from jingwu.lib.errors import ServiceError

from . import services
from .choices import HouseUse, Ownership, PersonKind, Relation, Scheme
from .models import Benefit, Enrolment, Resident

MAX_ROWS, MAX_BYTES = 5000, 10 * 1024 * 1024
MAX_UNPACKED, MAX_RATIO = 60 * 1024 * 1024, 100

ADDRESS = (
    ("region", gettext_noop("村/社区")),
    ("road", gettext_noop("街路巷")),
    ("number", gettext_noop("门牌号")),
    ("building", gettext_noop("楼栋")),
    ("unit", gettext_noop("单元")),
    ("room", gettext_noop("户室")),
    ("lon", gettext_noop("经度")),
    ("lat", gettext_noop("纬度")),
    ("grid", gettext_noop("网格")),
)
KINDS: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    # kind: (label, columns, required columns)
    "addresses": (
        gettext_noop("标准地址与房屋"),
        (
            *ADDRESS,
            ("use", gettext_noop("房屋用途")),
            ("ownership", gettext_noop("产权性质")),
            ("rented", gettext_noop("出租房屋")),
            ("area", gettext_noop("建筑面积(平方米)")),
        ),
        ("region",),
    ),
    "people": (
        gettext_noop("实有人口"),
        (
            ("name", gettext_noop("姓名")),
            ("id_number", gettext_noop("身份证号")),
            ("phone", gettext_noop("联系电话")),
            ("kind", gettext_noop("人口类型")),
            ("household", gettext_noop("户号")),
            ("relation", gettext_noop("与户主关系")),
            *ADDRESS,
        ),
        ("name", "region"),
    ),
    "benefits": (
        gettext_noop("救助发放"),
        (
            ("id_number", gettext_noop("身份证号")),
            ("name", gettext_noop("姓名")),
            ("month", gettext_noop("月份")),
            ("kind", gettext_noop("类别")),
            ("amount", gettext_noop("金额(元)")),
        ),
        ("id_number", "month", "kind", "amount"),
    ),
    "enrolments": (
        gettext_noop("参保就业"),
        (
            ("id_number", gettext_noop("身份证号")),
            ("name", gettext_noop("姓名")),
            ("scheme", gettext_noop("类别")),
            ("on", gettext_noop("日期")),
        ),
        ("id_number", "scheme", "on"),
    ),
}
# Which column a service error's code points at.
CODE_COLUMN = {
    "name_required": "name",
    "name_too_long": "name",
    "invalid_id_number": "id_number",
    "duplicate_person": "id_number",
    "unknown_person": "id_number",
    "name_mismatch": "name",
    "invalid_phone": "phone",
    "unknown_kind": "kind",
    "unknown_relation": "relation",
    "region_required": "region",
    "unknown_region": "region",
    "unknown_grid": "grid",
    "grid_region": "grid",
    "invalid_point": "lon",
    "outside_territory": "lon",
    "outside_region": "lon",
    "unknown_use": "use",
    "unknown_ownership": "ownership",
    "invalid_area": "area",
    "invalid_month": "month",
    "invalid_amount": "amount",
    "unknown_scheme": "scheme",
    "invalid_date": "on",
    "duplicate_row": "",
    "household_too_long": "household",
    "control_characters": "",
}
YES = {"是", "yes", "true", "1", "出租", "y"}


def _words(choices: Any) -> dict[str, str]:
    words: dict[str, str] = {}
    for lang in ("zh-hans", "en"):
        with override(lang):
            words |= {str(label): value for value, label in choices}
    return words | {value: value for value, _l in choices}


def headers(kind: str) -> list[str]:
    return [_(h) for _f, h in KINDS[kind][1]]


# What each column takes, for the template's second sheet (说明): the first sheet stays a header row only, so
# that nothing made up is ever imported by mistake.
HINTS: dict[str, Any] = {
    "region": gettext_noop("村/社区的名称或12位区划代码（必填）"),
    "grid": gettext_noop("15位网格编码；有经纬度时可不填（按位置确定）"),
    "lon": gettext_noop("WGS-84经度，如117.105"),
    "lat": gettext_noop("WGS-84纬度，如39.045"),
    "name": gettext_noop("必填"),
    "id_number": gettext_noop("18位公民身份号码，按GB 11643校验；已登记的人按此号码更新"),
    "phone": gettext_noop("手机或固定电话，可带+86、空格或短横线"),
    "month": gettext_noop("如2026-01"),
    "on": gettext_noop("如2026-01-31"),
    "amount": gettext_noop("元，最多两位小数"),
    "rented": gettext_noop("是/否"),
}
CHOICES = {"kind": PersonKind, "relation": Relation, "use": HouseUse, "ownership": Ownership, "scheme": Scheme}


def template(kind: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _(KINDS[kind][0])[:31]
    sheet.append(headers(kind))
    notes = book.create_sheet(_("说明"))
    notes.append([_("列"), _("填写说明")])
    required = KINDS[kind][2]
    for f, h in KINDS[kind][1]:
        hint = _(HINTS[f]) if f in HINTS else ""
        if f in CHOICES:
            hint = "、".join(str(label) for _v, label in CHOICES[f].choices)
        if f in required and f != "name" and f != "region":
            hint = (hint + "；" if hint else "") + _("必填")
        notes.append([_(h), hint])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _safe_zip(data: bytes) -> bool:
    """An .xlsx that unpacks to a sane size (a zip bomb would exhaust the server's memory)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError):
        return False
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    return total <= MAX_UNPACKED and total / packed <= MAX_RATIO


def _cell(raw: Any) -> Any:
    if isinstance(raw, datetime | date | int | float):
        return raw
    text = "" if raw is None else str(raw).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _month(raw: Any) -> date:
    if isinstance(raw, datetime | date):
        return date(raw.year, raw.month, 1)
    text = str(raw).strip().replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError as exc:
        raise services.Invalid(_("月份应写作2026-01"), code="invalid_month") from exc


def _day(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip().replace("/", "-"))
    except ValueError as exc:
        raise services.Invalid(_("日期应写作2026-01-31"), code="invalid_date") from exc


class _People:
    """ID number → resident, looked up once per file through the digest."""

    def __init__(self) -> None:
        self.cache: dict[str, Resident | None] = {}

    def get(self, number: str, name: str = "") -> Resident:
        number = idcard.normalise(number)
        if not idcard.valid(number):
            raise services.Invalid(_("身份证号码无效（GB 11643校验不通过）"), code="invalid_id_number")
        if number not in self.cache:
            self.cache[number] = Resident.objects.exclude(id_key="").filter(id_key=services.id_key(number)).first()
        r = self.cache[number]
        if r is None:
            raise services.Invalid(_("登记中没有这个人"), code="unknown_person")
        if name and services.name_key(name) != r.name_key:
            raise services.Invalid(_("姓名与登记的不一致"), code="name_mismatch")
        return r


def _given(rec: dict[str, Any]) -> dict[str, Any]:
    """A person's columns that the file has and fills: a blank or missing cell leaves what the registry has."""
    return {k: rec[k] for k in ("name", "id_number", "phone", "kind", "relation") if k == "name" or rec.get(k)}


def _check(kind: str, rec: dict[str, Any], people: _People) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(the row's identity within the file, what to save)."""
    if kind == "addresses":
        rec["use"] = _words(HouseUse.choices).get(str(rec.get("use") or ""), rec.get("use") or "")
        rec["ownership"] = _words(Ownership.choices).get(str(rec.get("ownership") or ""), rec.get("ownership") or "")
        if rec.get("rented") not in (None, ""):
            rec["rented"] = str(rec["rented"]).lower() in YES
        else:
            rec.pop("rented", None)
        clean = services.clean_address(rec)
        return ("a", clean["region"].pk, *(clean[p] for p in services.ADDRESS_PARTS)), rec
    if kind == "people":
        rec["kind"] = _words(PersonKind.choices).get(str(rec.get("kind") or ""), rec.get("kind") or "")
        rec["relation"] = _words(Relation.choices).get(str(rec.get("relation") or ""), rec.get("relation") or "")
        person = services.clean_person(_given(rec))
        place = services.clean_address(rec)
        if len(str(rec.get("household") or "")) > 20:
            raise services.Invalid(_("户号最长20个字"), code="household_too_long")
        if person.get("id_number"):
            ident: tuple[Any, ...] = ("p", person["id_number"])
        else:  # without an ID number: one name at one address is one person
            ident = (
                "n",
                services.name_key(person["name"]),
                place["region"].pk,
                *(place[p] for p in services.ADDRESS_PARTS),
            )
        return ident, rec
    if kind == "benefits":
        r = people.get(str(rec.get("id_number") or ""), str(rec.get("name") or ""))
        month = _month(rec.get("month"))
        what = services._text(rec.get("kind"), "kind", 32, required=True, label=_("类别"))
        money = services.amount(rec.get("amount"))
        return ("b", r.pk, month, what), {"resident": r, "month": month, "kind": what, "amount": money}
    r = people.get(str(rec.get("id_number") or ""), str(rec.get("name") or ""))
    scheme = _words(Scheme.choices).get(str(rec.get("scheme") or ""), "")
    if not scheme:
        raise services.Invalid(_("类别只能是养老保险、医疗保险或新增就业"), code="unknown_scheme")
    on = _day(rec.get("on"))
    return ("e", r.pk, scheme, on), {"resident": r, "scheme": scheme, "on": on}


def import_file(kind: str, data: bytes, *, actor: Any, source: str = "") -> ImportReport:
    """Check every row; save all of them only if none is wrong."""
    from openpyxl import load_workbook

    if kind not in KINDS:
        raise services.Invalid(_("不支持的导入类型"), code="unknown_import")
    report = ImportReport(kind)
    bad = {"row": 0, "column": "", "value": "", "message": _("不是有效的Excel（.xlsx）文件")}
    if len(data) > MAX_BYTES or not _safe_zip(data):
        report.errors.append(bad)
        return report
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # not an Excel file at all
        report.errors.append(bad)
        return report
    _label, columns, required = KINDS[kind]
    rows = sheet.iter_rows(values_only=True)
    head = [str(h or "").strip() for h in next(rows, ())]
    by_header = {_(h): f for f, h in columns} | {h: f for f, h in columns}
    with override("en"):
        by_header |= {_(h): f for f, h in columns}
    index = {by_header[h]: i for i, h in enumerate(head) if h in by_header}
    missing = [f for f in required if f not in index]
    if missing:
        names = "、".join(_(h) for f, h in columns if f in missing)
        report.errors.append({"row": 1, "column": names, "value": "", "message": _("缺少必需的列")})
        return report
    labels = {f: _(h) for f, h in columns}
    people = _People()
    seen: dict[tuple[Any, ...], int] = {}
    good: list[dict[str, Any]] = []
    for n, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if report.rows >= MAX_ROWS:
            report.errors.append(
                {"row": n, "column": "", "value": "", "message": _("一次最多导入%(n)s行") % {"n": MAX_ROWS}}
            )
            break
        report.rows += 1
        rec = {f: _cell(values[i] if i < len(values) else None) for f, i in index.items()}
        try:
            ident, clean = _check(kind, rec, people)
        except ServiceError as exc:
            column = CODE_COLUMN.get(exc.code, "")
            value = rec.get(column, "") if column else ""
            report.errors.append(
                {"row": n, "column": labels.get(column, ""), "value": str(value), "message": exc.message}
            )
            continue
        if ident in seen:
            column = "id_number" if kind == "people" else ""
            message = (_("与第%(row)s行是同一个人") if kind == "people" else _("与第%(row)s行重复")) % {
                "row": seen[ident]
            }
            report.errors.append(
                {
                    "row": n,
                    "column": labels.get(column, ""),
                    "value": str(rec.get(column, "")) if column else "",
                    "message": message,
                }
            )
            continue
        seen[ident] = n
        good.append(clean)
    if report.errors:
        return report
    with transaction.atomic():
        for rec in good:
            _save(kind, rec, actor, report, source)
    return report


def _save(kind: str, rec: dict[str, Any], actor: Any, report: ImportReport, source: str) -> None:
    if kind == "addresses":
        _a, made = services.save_address(rec, actor=actor)
    elif kind == "people":
        address, _made = services.save_address(rec, actor=actor)
        person = _given(rec)
        if rec.get("household"):
            person["household"] = rec["household"]
        _r, made = services.save_person(person, actor=actor, address=address)
    elif kind == "benefits":
        _b, made = Benefit.objects.update_or_create(
            resident=rec["resident"],
            month=rec["month"],
            kind=rec["kind"],
            defaults={"amount": rec["amount"], "source": source[:100]},
        )
    else:
        _e, made = Enrolment.objects.get_or_create(**rec)
    if made:
        report.created += 1
    else:
        report.updated += 1
