"""XML and JSON bodies exactly as GeoReport v2 clients expect them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import orjson
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from jingwu.lib import text
from jingwu.lib.jsonutil import default as json_default

# A list under one of these keys is written in XML as <key><singular>…</singular>…</key>.
SINGULAR = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format", "notes": "note"}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    # Refused at input; stripped here too, so that no stored row can break the feed.
    return text.strip(str(value))


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _fill(el, value)
        elif isinstance(value, list):
            tag = SINGULAR.get(key, "item")
            for item in value:
                child = ET.SubElement(el, tag)
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _text(item)
        else:
            el.text = _text(value)


def xml_bytes(root: str, item: str | None, payload: Any) -> bytes:
    top = ET.Element(root)
    if item is None:
        _fill(top, payload)
    else:
        for row in payload:
            _fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def _write(out: list[str], key: str, value: Any) -> None:
    """One element as ElementTree writes it (``<key />`` when empty), by string building: a page of 50 requests
    through ElementTree cost more than its query and JSON together."""
    if isinstance(value, dict | list) and not value:
        out.append(f"<{key} />")
    elif isinstance(value, dict):
        out.append(f"<{key}>")
        for k, v in value.items():
            _write(out, k, v)
        out.append(f"</{key}>")
    elif isinstance(value, list):
        tag = SINGULAR.get(key, "item")
        out.append(f"<{key}>")
        for item in value:
            if isinstance(item, dict):
                _write(out, tag, item)
            else:
                _leaf(out, tag, item)
        out.append(f"</{key}>")
    else:
        _leaf(out, key, value)


def _leaf(out: list[str], key: str, value: Any) -> None:
    t = _text(value)
    out.append(f"<{key}>{escape(t)}</{key}>" if t else f"<{key} />")


def xml_chunks(root: str, item: str, rows: list[dict[str, Any]], batch: int = 50) -> Iterator[bytes]:
    """The list in chunks of ``batch`` elements: the first bytes leave before the last row is written, a long
    list is never one string in memory, and a page is not one socket write per row."""
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>']
    for i, row in enumerate(rows, 1):
        _write(out, item, row)
        if i % batch == 0:
            yield "".join(out).encode()
            out = []
    out.append(f"</{root}>")
    yield "".join(out).encode()


def respond(
    fmt: str, root: str, item: str | None, payload: Any, status: int = 200, stream: bool = False
) -> HttpResponseBase:
    """``item`` None: ``payload`` is one object under ``root``; otherwise a list of ``item`` elements (streamed
    in XML with ``stream``)."""
    if fmt == "xml" and item is not None and stream:
        return StreamingHttpResponse(xml_chunks(root, item, payload), content_type=CONTENT_TYPES[fmt])
    body = xml_bytes(root, item, payload) if fmt == "xml" else orjson.dumps(payload, default=json_default)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, status: int, description: str) -> HttpResponseBase:
    return respond(
        fmt if fmt in CONTENT_TYPES else "json",
        "errors",
        "error",
        [{"code": status, "description": description}],
        status=status,
    )
