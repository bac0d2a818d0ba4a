from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def default(value: Any) -> Any:
    """json.dumps ``default``: ISO-8601 datetimes (with their zone), numbers for decimals."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
