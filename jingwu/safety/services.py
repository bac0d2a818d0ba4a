"""The only writers of the registry: validation (GB 32100, GB/T 4754, the territory), change history in the
audit trail, grids derived from the location."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.geo.services import locate
from jingwu.lib import clock, coords
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from jingwu.org.actors import resolve
from jingwu.org.choices import Role

from . import uscc
from .choices import Industry, RiskLevel, Tag
from .models import Enterprise

# The town's staff change the registry; a third-party inspector and the system administrator do not.
EDITORS = frozenset({Role.SHIFT_LEAD, Role.LEADER})
# Fields whose old and new values go into the change history (personal data does not: only that it changed).
PLAIN = ("name", "credit_code", "industry", "industry_class", "address", "lon", "lat", "risk", "tags", "active")
PERSONAL = ("legal_rep", "contact_name", "contact_phone")


class Unprocessable(ServiceError):
    status = 422
    code = "invalid"


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """The registry's checks on one record; raises with a stable code naming the first thing wrong."""
    out: dict[str, Any] = {}
    name = textlib.check(str(data.get("name") or "").strip(), "name")
    if not name or len(name) > 100:
        raise Invalid(gettext("名称必填，最多100字"), code="name_required")
    out["name"] = name
    code = str(data.get("credit_code") or "").strip().upper()
    if code and not uscc.is_valid(code):
        raise Unprocessable(gettext("统一社会信用代码无效（GB 32100校验不通过）"), code="invalid_uscc")
    out["credit_code"] = code or None
    industry = str(data.get("industry") or "").strip().upper()[:1]
    if industry not in Industry.values:
        raise Invalid(gettext("行业门类未知（GB/T 4754门类A–T）"), code="unknown_industry")
    out["industry"] = industry
    out["industry_class"] = textlib.check(str(data.get("industry_class") or "").strip(), "industry_class")[:32]
    out["address"] = textlib.check(str(data.get("address") or "").strip(), "address")[:200]
    risk = str(data.get("risk") or RiskLevel.BLUE)
    if risk not in RiskLevel.values:
        raise Invalid(gettext("风险等级只能是红、橙、黄、蓝"), code="unknown_risk")
    out["risk"] = risk
    tags = data.get("tags") or []
    if not isinstance(tags, list) or any(t not in Tag.values for t in tags):
        raise Invalid(gettext("标签未知"), code="unknown_tag")
    out["tags"] = sorted(set(tags))
    for field in PERSONAL:
        out[field] = textlib.check(str(data.get(field) or "").strip(), field)[:32]
    lon, lat = data.get("lon"), data.get("lat")
    out["lon"] = out["lat"] = out["grid_id"] = out["region_id"] = None
    if (lon in (None, "")) != (lat in (None, "")):
        raise Invalid(gettext("经度和纬度须同时填写"), code="invalid_point")
    if lon not in (None, "") and lat not in (None, ""):
        try:
            w_lon, w_lat = coords.to_wgs84(float(lon), float(lat), str(data.get("crs") or "wgs84"))
        except ValueError as exc:
            raise Invalid(gettext("坐标无效"), code="invalid_point") from exc
        place = locate(w_lon, w_lat)
        if place is None:
            raise Invalid(gettext("位置不在本辖区内"), code="outside_territory")
        out["lon"], out["lat"] = round(w_lon, 7), round(w_lat, 7)
        out["grid_id"], out["region_id"] = place.grid_id, place.region_id
    active = data.get("active", True)
    out["active"] = active if isinstance(active, bool) else str(active).lower() not in ("false", "0", "否", "no")
    return out


def _check_editor(actor: Any) -> Any:
    acting = resolve(actor)
    if not set(acting.roles) & EDITORS:
        raise Forbidden(gettext("无权修改企业登记"), code="forbidden_role")
    return acting


def save(data: dict[str, Any], *, actor: Any, pk: int | None = None, version: int | None = None) -> Enterprise:
    """Create (``pk`` None) or update an enterprise; an update names the version it saw."""
    acting = _check_editor(actor)
    if pk is not None:
        data = _keep_unsaid(pk, data)
    values = clean(data)
    now = clock.now()
    with transaction.atomic():
        if values["credit_code"]:
            twin = Enterprise.objects.filter(credit_code=values["credit_code"]).exclude(pk=pk or 0)
            if twin.exists():
                raise Invalid(gettext("统一社会信用代码已登记"), code="duplicate_uscc")
        if pk is None:
            e = Enterprise.objects.create(**values, created_at=now, updated_at=now)
            changes = {f: [None, getattr(e, f)] for f in PLAIN}
            action = "safety.enterprise_create"
        else:
            found = Enterprise.objects.select_for_update().filter(pk=pk).first()
            if found is None:
                raise NotFound(gettext("企业不存在"))
            e = found
            if version is not None and version != e.version:
                raise Conflict(gettext("该记录已被他人修改，请刷新后再改"))
            changes = _diff(e, values)
            if not changes:
                return e  # nothing changed: no new version, no history line
            for k, v in values.items():
                setattr(e, k, v)
            e.version += 1
            e.updated_at = now
            e.save()
            action = "safety.enterprise_update"
        audit.record(action, "safety.enterprise", e.pk, actor=acting.user, role=acting.role, data={"changes": changes})
    return e


def _keep_unsaid(pk: int, data: dict[str, Any]) -> dict[str, Any]:
    """An update keeps what it does not say: a field left out (None), and a contact sent back masked as it
    was shown (王**, 139****5678) rather than typed anew."""
    stored = Enterprise.objects.filter(pk=pk).first()
    if stored is None:
        return data
    kept = dict(data)
    for f in (*PLAIN, *PERSONAL):
        value = kept.get(f)
        if value is None or (f in PERSONAL and "*" in str(value)):
            kept[f] = getattr(stored, f)
    return kept


def _diff(e: Enterprise, values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for k, v in values.items():
        old = getattr(e, k)
        if old != v:
            changes[k] = "changed" if k in PERSONAL else [old, v]
    return changes


def with_tag(qs: Any, tag: str) -> Any:
    """Places carrying ``tag``: JSON containment where the database has it (PostgreSQL ``@>``); SQLite has
    not, so there the short tag lists of the candidates are read in Python."""
    from django.db import connection

    if connection.features.supports_json_field_contains:
        return qs.filter(tags__contains=[tag])
    return qs.filter(pk__in=[pk for pk, tags in qs.values_list("pk", "tags") if tag in (tags or [])])


def relocate_all() -> int:
    """Derive every place's grid again (after grids are imported or redrawn); returns how many moved."""
    moved = 0
    for e in Enterprise.objects.exclude(lon=None).only("id", "lon", "lat", "grid_id", "region_id"):
        place = locate(e.lon, e.lat)  # type: ignore[arg-type]
        grid, region = (place.grid_id, place.region_id) if place else (None, None)
        if (grid, region) != (e.grid_id, e.region_id):
            Enterprise.objects.filter(pk=e.pk).update(grid_id=grid, region_id=region)
            moved += 1
    return moved
