"""XML and JSON bodies exactly as GeoReport v2 clients expect them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

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


def xml_chunks(root: str, item: str, rows: list[dict[str, Any]]) -> Iterator[bytes]:
    """The list element by element: the first bytes leave before the last row is written, and a long list is
    never one tree in memory."""
    yield b'<?xml version="1.0" encoding="utf-8"?>\n<' + root.encode() + b">"
    for row in rows:
        el = ET.Element(item)
        _fill(el, row)
        yield ET.tostring(el, encoding="utf-8", xml_declaration=False)
    yield b"</" + root.encode() + b">"


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
