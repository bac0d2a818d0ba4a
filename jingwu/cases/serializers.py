"""One serialiser of a case per audience, used by the API, the pages and Open311.

Staff see the case as it is (personal data masked); the public see the same shape with personal and
internal fields emptied and the position rounded to about ten metres, so that a reporter's doorstep cannot
be read off a public map. Which cases each audience sees is ``Case.objects.visible_to``, never decided here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jingwu.lib.privacy import mask_name, mask_phone

from .choices import State
from .models import Case
from .refs import refs

# Four decimals of a degree: about 11 m north–south.
PUBLIC_DECIMALS = 4


def public_point(lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    if lon is None or lat is None:
        return None, None
    return round(lon, PUBLIC_DECIMALS), round(lat, PUBLIC_DECIMALS)


def _case(c: Case, at: datetime, staff: bool, merged_number: str | None = None) -> dict[str, Any]:
    r = refs()
    region = r.regions.get(c.region_id) if c.region_id else None
    dept = r.departments.get(c.department_id) if c.department_id else None
    d: dict[str, Any] = {
        "number": c.number,
        "status": c.status,
        "status_label": str(State(c.status).label),
        "kind": c.kind,
        "category": r.category_ref(c.category_id),
        "source": c.source,
        "lon": c.lon if staff else public_point(c.lon, c.lat)[0],
        "lat": c.lat if staff else public_point(c.lon, c.lat)[1],
        "address": c.address,
        "grid": r.grids.get(c.grid_id) if c.grid_id else None,
        "region": region[0] if region else None,
        "region_name": region[1] if region else None,
        "description": c.description,
        "department": dept[0] if dept else None,
        "department_name": dept[1] if dept else None,
        "reported_at": c.reported_at,
        "updated_at": c.updated_at,
        "due_at": c.due_at,
        "handling_deadline": c.handling_deadline,
        "overdue": c.is_overdue(at),
        "version": c.version,
    }
    if staff:
        d.update(
            {
                "reporter_name": mask_name(c.reporter_name),
                "reporter_phone": mask_phone(c.reporter_phone),
                "condition": r.conditions[c.condition_id][0] if c.condition_id else None,
                "extension_count": c.extension_count,
                "pending_extension": c.pending_extension,
                "rework_count": c.rework_count,
                "return_count": c.return_count,
                "merged_into": merged_number or getattr(c, "merged_number", None),
            }
        )
    return d


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


def public_case(c: Case, at: datetime) -> dict[str, Any]:
    return _case(c, at, False) | _blank_staff(False)


def case_for(c: Case, at: datetime, staff: bool) -> dict[str, Any]:
    return staff_case(c, at) if staff else public_case(c, at)
