"""Downloads of tables: CSV streamed row by row, Excel written in one pass (openpyxl's write-only mode)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO
from itertools import islice
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe(cell: Any) -> Any:
    """A cell starting with = + - @ is a formula to a spreadsheet (CSV injection): quote it as text. Numbers
    stay numbers, so a count can be summed."""
    if isinstance(cell, int | float):
        return cell
    cell = str(cell)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def csv_response(header: list[str], rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a BOM, so that Excel opens UTF-8 Chinese text correctly
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_csv(out: IO[bytes], header: list[str], rows: Iterable[list[str]]) -> None:
    """The same CSV as ``csv_response``, into a file (a background export)."""
    writer = csv.writer(_Echo())
    out.write("\ufeff".encode())
    out.write(writer.writerow(header).encode())
    for row in rows:
        out.write(writer.writerow([safe(v) for v in row]).encode())


def write_xlsx(out: IO[bytes], sheet_name: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    # The first rows set the column widths; the rest stream through as before.
    stream = iter(rows)
    head = [[safe(v) for v in row] for row in islice(stream, 2000)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    # Column widths from the text (a CJK character is about two Latin ones wide), capped so a long
    # description wraps rather than pushing the rest off screen; the header stays in view when scrolling.
    for i, title in enumerate(header):
        longest = max((_width(r[i]) for r in head if i < len(r)), default=0)
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(_width(title), longest) + 2, 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_bold(sheet, title, bold) for title in header])
    for row in head:
        sheet.append(row)
    for row in stream:
        sheet.append([safe(v) for v in row])
    book.save(out)


def xlsx_response(sheet_name: str, header: list[str], rows: Iterable[list[Any]], filename: str) -> HttpResponse:
    out = BytesIO()
    write_xlsx(out, sheet_name, header, rows)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _width(text: Any) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _bold(sheet: Any, value: str, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
