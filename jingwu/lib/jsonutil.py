from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise


def default(value: Any) -> Any:
    """json.dumps ``default``: ISO-8601 datetimes (with their zone), numbers for decimals."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Promise):  # a lazily translated label
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Fast JSON for API bodies (orjson): UTF-8, datetimes in ISO 8601 with ``Z`` for UTC as the API's schema
    writes them, decimals as numbers."""
    import orjson

    return orjson.dumps(value, default=default, option=orjson.OPT_UTC_Z)
