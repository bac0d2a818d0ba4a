"""Downloads of tables: CSV streamed row by row, Excel written in one pass (openpyxl's write-only mode)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe(cell: str) -> str:
    """A cell starting with = + - @ is a formula to a spreadsheet (CSV injection): quote it as text."""
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


def xlsx_response(sheet_name: str, header: list[str], rows: Iterable[list[str]], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    sheet.append(header)
    for row in rows:
        sheet.append([safe(v) for v in row])
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
