"""The registry in and out of Excel, with the same columns both ways. An import is all or nothing: every row
is checked first, and a report names each wrong cell and why; only a clean file is saved."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.lib.errors import ServiceError

from . import services
from .choices import Industry, RiskLevel, Tag
from .models import Enterprise

# (field, header): the template, the export and the import share them.
COLUMNS = (
    ("name", gettext_noop("名称")),
    ("credit_code", gettext_noop("统一社会信用代码")),
    ("industry", gettext_noop("行业门类")),
    ("industry_class", gettext_noop("行业类别")),
    ("address", gettext_noop("地址")),
    ("lon", gettext_noop("经度")),
    ("lat", gettext_noop("纬度")),
    ("legal_rep", gettext_noop("法定代表人")),
    ("contact_name", gettext_noop("安全联系人")),
    ("contact_phone", gettext_noop("联系电话")),
    ("risk", gettext_noop("风险等级")),
    ("tags", gettext_noop("标签")),
    ("active", gettext_noop("在营")),
)
# What an upload may unpack to, and how many rows it may have: an .xlsx is a zip of XML.
MAX_UNPACKED, MAX_RATIO, MAX_ROWS = 60 * 1024 * 1024, 100, 5000
PROGRESS_EVERY = 100
# Which column a service error's code points at.
CODE_COLUMN = {
    "name_required": "name",
    "invalid_uscc": "credit_code",
    "duplicate_uscc": "credit_code",
    "unknown_industry": "industry",
    "unknown_risk": "risk",
    "unknown_tag": "tags",
    "invalid_point": "lon",
    "outside_territory": "lon",
    "control_characters": "name",
}
RISK_WORDS = {"红": "red", "橙": "orange", "黄": "yellow", "蓝": "blue"}


def _words(choices: Any) -> dict[str, str]:
    """Label → value in Chinese and in English, whatever language this request is in."""
    from django.utils.translation import override

    words: dict[str, str] = {}
    for lang in ("zh-hans", "en"):
        with override(lang):
            words |= {str(label): value for value, label in choices}
    return words


def headers() -> list[str]:
    return [_(h) for _f, h in COLUMNS]


YES, NO = "是", "否"


def row_of(e: Enterprise) -> list[Any]:
    return [
        e.name,
        e.credit_code or "",
        f"{e.industry} {Industry(e.industry).label}",
        e.industry_class,
        e.address,
        e.lon,
        e.lat,
        e.legal_rep,
        e.contact_name,
        e.contact_phone,
        str(RiskLevel(e.risk).label),
        "、".join(str(Tag(t).label) for t in e.tags if t in Tag.values),
        YES if e.active else NO,
    ]


def export_rows(queryset: Any) -> Iterator[list[Any]]:
    from django.utils.translation import override

    with override("zh-hans"):  # one file format whatever the exporter's language; the import reads both
        for e in queryset.order_by("id").iterator(chunk_size=2000):
            yield row_of(e)


def workbook(rows: Any) -> bytes:
    from jingwu.web.export import write_xlsx

    out = io.BytesIO()
    write_xlsx(out, _("生产经营单位"), headers(), ([("" if v is None else str(v)) for v in r] for r in rows))
    return out.getvalue()


def _value(field_name: str, raw: Any) -> Any:
    text = "" if raw is None else str(raw).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # our own export's guard against spreadsheet formulas
    if field_name == "industry":
        return text[:1].upper()
    if field_name == "risk":
        return RISK_WORDS.get(text[:1]) or _words(RiskLevel.choices).get(text, text)
    if field_name == "tags":
        words = _words(Tag.choices)
        parts = [p.strip() for p in text.replace(",", "、").replace("，", "、").split("、") if p.strip()]
        return [words.get(p, p) for p in parts]
    if field_name == "active":
        return text.lower() not in (NO, "no", "false", "0", "停业")
    return text


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {row, column, value, message}

    @property
    def ok(self) -> bool:
        return not self.errors


def row_estimate(data: bytes) -> int:
    """How many rows a file says it has (its dimension), without reading them; 0 if it cannot say."""
    from openpyxl import load_workbook

    if not _safe_zip(data):
        return 0
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # not an Excel file: the import proper says so
        return 0
    return max(0, (sheet.max_row or 1) - 1)


# progress(phase, rows done, rows in all): "checking" as rows are checked, "saving" once all are good.
Progress = Callable[[str, int, int], None]


def import_file(data: bytes, *, actor: Any, progress: Progress | None = None) -> ImportReport:
    """Check every row; save all of them only if none is wrong."""
    from openpyxl import load_workbook

    report = ImportReport()
    if not _safe_zip(data):
        report.errors.append({"row": 0, "column": "", "value": "", "message": _("不是有效的Excel（.xlsx）文件")})
        return report
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # not an Excel file at all
        report.errors.append({"row": 0, "column": "", "value": "", "message": _("不是有效的Excel（.xlsx）文件")})
        return report
    rows = sheet.iter_rows(values_only=True)
    head = [str(h or "").strip() for h in next(rows, ())]
    by_header = {_(h): f for f, h in COLUMNS} | {h: f for f, h in COLUMNS}
    index = {by_header[h]: i for i, h in enumerate(head) if h in by_header}
    missing = [f for f, _h in COLUMNS[:3] if f not in index]
    if missing:
        names = "、".join(_(h) for f, h in COLUMNS if f in missing)
        report.errors.append({"row": 1, "column": names, "value": "", "message": _("缺少必需的列")})
        return report
    total = max(0, (sheet.max_row or 1) - 1)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen_codes: dict[str, int] = {}
    seen_places: dict[tuple[str, str], int] = {}
    for n, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if report.rows >= MAX_ROWS:
            report.errors.append(
                {"row": n, "column": "", "value": "", "message": _("一次最多导入%(n)s行") % {"n": MAX_ROWS}}
            )
            break
        record = {f: _value(f, values[i] if i < len(values) else None) for f, i in index.items()}
        report.rows += 1
        if progress is not None and report.rows % PROGRESS_EVERY == 0:
            progress("checking", report.rows, max(total, report.rows))
        try:
            clean = services.clean(record)
        except ServiceError as exc:
            column = CODE_COLUMN.get(exc.code, "")
            header = _(dict(COLUMNS).get(column, "")) if column else ""
            report.errors.append(
                {"row": n, "column": header, "value": str(record.get(column, "")), "message": exc.message}
            )
            continue
        code = clean["credit_code"]
        place = (clean["name"], clean["address"])
        if not code and place in seen_places:
            report.errors.append(
                {
                    "row": n,
                    "column": _("名称"),
                    "value": clean["name"],
                    "message": _("与第%(row)s行重复") % {"row": seen_places[place]},
                }
            )
            continue
        if not code:
            seen_places[place] = n
        if code and code in seen_codes:
            report.errors.append(
                {
                    "row": n,
                    "column": _("统一社会信用代码"),
                    "value": code,
                    "message": _("与第%(row)s行重复") % {"row": seen_codes[code]},
                }
            )
            continue
        if code:
            seen_codes[code] = n
        parsed.append((n, record))
    if report.errors:
        return report
    if progress is not None:
        progress("saving", report.rows, report.rows)
    try:
        with transaction.atomic():
            for n, record in parsed:
                _save_row(n, record, actor, report)
    except _RowFailed:
        report.created = report.updated = report.unchanged = 0  # rolled back: nothing was imported
    return report


class _RowFailed(Exception):
    pass


def _save_row(n: int, record: dict[str, Any], actor: Any, report: ImportReport) -> None:
    clean = services.clean(record)  # matched on the values as they will be stored
    code = clean["credit_code"]
    existing = Enterprise.objects.filter(credit_code=code).first() if code else None
    if existing is None and not code:
        existing = Enterprise.objects.filter(credit_code=None, name=clean["name"], address=clean["address"]).first()
    try:
        if existing is None:
            services.save(record, actor=actor)
            report.created += 1
            return
        before = existing.version
        after = services.save(record, actor=actor, pk=existing.pk)
        if after.version == before:
            report.unchanged += 1
        else:
            report.updated += 1
    except ServiceError as exc:  # changed by someone else between the check and the save
        report.errors.append({"row": n, "column": "", "value": "", "message": exc.message})
        raise _RowFailed from exc


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
