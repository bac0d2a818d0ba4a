"""One serialiser of a case per audience, used by the API, the pages and Open311.

Staff see the case as it is (personal data masked); the public see the same shape with personal and
internal fields emptied and the position rounded to about ten metres, so that a reporter's doorstep cannot
be read off a public map. Which cases each audience sees is ``Case.objects.visible_to``, never decided here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jingwu.lib.privacy import mask_name, mask_phone

from .choices import OPEN_STATES, State
from .models import Case
from .refs import refs

# Four decimals of a degree: about 11 m north–south.
PUBLIC_DECIMALS = 4


def public_point(lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    if lon is None or lat is None:
        return None, None
    return round(lon, PUBLIC_DECIMALS), round(lat, PUBLIC_DECIMALS)


# The columns a case's list row is made of: lists read them with ``values()``, no model instances.
FIELDS = (
    "number", "status", "kind", "category_id", "source", "lon", "lat", "address", "grid_id", "region_id",
    "description", "department_id", "reported_at", "updated_at", "due_at", "handling_deadline", "version",
)  # fmt: skip
STAFF_FIELDS = (
    "reporter_name", "reporter_phone", "condition_id", "extension_count", "pending_extension", "rework_count",
    "return_count",
)  # fmt: skip
_LABELS: dict[str, str] = {}


def _label(status: str) -> str:
    # Per language: the label is translated when read.
    from django.utils.translation import get_language

    key = f"{get_language()}:{status}"
    if key not in _LABELS:
        _LABELS[key] = str(State(status).label)
    return _LABELS[key]


def row(v: Any, at: datetime, staff: bool, merged_number: str | None = None) -> dict[str, Any]:
    """A case as its audience sees it, from a mapping of ``FIELDS`` (and ``STAFF_FIELDS`` for staff)."""
    r = refs()
    region_id, dept_id, status, due = v["region_id"], v["department_id"], v["status"], v["due_at"]
    region = r.regions.get(region_id) if region_id else None
    dept = r.departments.get(dept_id) if dept_id else None
    lon, lat = (v["lon"], v["lat"]) if staff else public_point(v["lon"], v["lat"])
    d: dict[str, Any] = {
        "number": v["number"],
        "status": status,
        "status_label": _label(status),
        "kind": v["kind"],
        "category": r.category_ref(v["category_id"]),
        "source": v["source"],
        "lon": lon,
        "lat": lat,
        "address": v["address"],
        "grid": r.grids.get(v["grid_id"]) if v["grid_id"] else None,
        "region": region[0] if region else None,
        "region_name": region[1] if region else None,
        "description": v["description"],
        "department": dept[0] if dept else None,
        "department_name": dept[1] if dept else None,
        "reported_at": v["reported_at"],
        "updated_at": v["updated_at"],
        "due_at": due,
        "handling_deadline": v["handling_deadline"],
        "overdue": status in OPEN_STATES and due is not None and due < at,
        "version": v["version"],
    }
    if staff:
        cond = v["condition_id"]
        d.update(
            {
                "reporter_name": mask_name(v["reporter_name"]),
                "reporter_phone": mask_phone(v["reporter_phone"]),
                "condition": r.conditions[cond][0] if cond else None,
                "extension_count": v["extension_count"],
                "pending_extension": v["pending_extension"],
                "rework_count": v["rework_count"],
                "return_count": v["return_count"],
                "merged_into": merged_number or v.get("merged_number"),
            }
        )
    return d


class _Attrs:
    """A model instance read as a mapping."""

    __slots__ = ("c",)

    def __init__(self, c: Case) -> None:
        self.c = c

    def __getitem__(self, name: str) -> Any:
        return getattr(self.c, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self.c, name, default)


def _case(c: Case, at: datetime, staff: bool, merged_number: str | None = None) -> dict[str, Any]:
    return row(_Attrs(c), at, staff, merged_number)


def _blank_staff(staff: bool) -> dict[str, Any]:
    # The public gets the same shape with personal and internal fields emptied.
    if staff:
        return {}
    return {
        "reporter_name": "",
        "reporter_phone": "",
        "condition": None,
        "extension_count": 0,
        "pending_extension": None,
        "rework_count": 0,
        "return_count": 0,
        "merged_into": None,
    }


def staff_case(c: Case, at: datetime, merged_number: str | None = None) -> dict[str, Any]:
    return _case(c, at, True, merged_number)


PUBLIC_BLANKS = _blank_staff(False)


def public_case(c: Case, at: datetime) -> dict[str, Any]:
    return _case(c, at, False) | _blank_staff(False)


def case_for(c: Case, at: datetime, staff: bool) -> dict[str, Any]:
    return staff_case(c, at) if staff else public_case(c, at)
