"""/api/safety/: the registry, with the same auth and error shape as the rest of /api/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from jingwu.lib.errors import Forbidden, NotFound
from jingwu.lib.privacy import mask_name, mask_phone
from jingwu.org.auth import require_user
from jingwu.org.choices import SEE_ALL, Role
from jingwu.org.services import roles_of

from . import services
from .models import Enterprise

router = Router(tags=["safety"])
READERS = frozenset(SEE_ALL | {Role.INSPECTOR, Role.HANDLER})
# Who sees the legal representative and the safety contact in full: those who call them.
REVEAL = frozenset({Role.SHIFT_LEAD, Role.LEADER})


class EnterpriseIn(Schema):
    name: str = Field(max_length=100)
    credit_code: str = Field("", max_length=64, description="GB 32100; checked by the service (422 invalid_uscc)")
    industry: str = Field(max_length=1, description="GB/T 4754 section letter, A–T")
    industry_class: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84, gcj02 or bd09")
    legal_rep: str = Field("", max_length=32)
    contact_name: str = Field("", max_length=32)
    contact_phone: str = Field("", max_length=32)
    risk: str = "blue"
    tags: list[str] = []
    active: bool = True


class EnterpriseUpdate(Schema):
    """The fields to change with the version seen; a field left out, or a contact sent back masked, is kept."""

    version: int
    name: str | None = Field(None, max_length=100)
    credit_code: str | None = Field(None, max_length=64)
    industry: str | None = Field(None, max_length=1)
    industry_class: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=200)
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    legal_rep: str | None = Field(None, max_length=32)
    contact_name: str | None = Field(None, max_length=32)
    contact_phone: str | None = Field(None, max_length=32)
    risk: str | None = None
    tags: list[str] | None = None
    active: bool | None = None


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str | None
    industry: str
    industry_class: str
    address: str
    lon: float | None
    lat: float | None
    grid: str | None
    legal_rep: str
    contact_name: str
    contact_phone: str
    risk: str
    tags: list[str]
    active: bool
    version: int


def _reader(request: HttpRequest) -> Any:
    user = require_user(request)
    if not set(roles_of(user)) & READERS:
        raise Forbidden(gettext("无权查看企业登记"), code="forbidden_role")
    return user


def _out(e: Enterprise, user: Any) -> dict[str, Any]:
    full = bool(set(roles_of(user)) & REVEAL)
    return {
        "id": e.pk,
        "name": e.name,
        "credit_code": e.credit_code,
        "industry": e.industry,
        "industry_class": e.industry_class,
        "address": e.address,
        "lon": e.lon,
        "lat": e.lat,
        "grid": e.grid.code if e.grid_id and e.grid else None,
        "legal_rep": e.legal_rep if full else mask_name(e.legal_rep),
        "contact_name": e.contact_name if full else mask_name(e.contact_name),
        "contact_phone": e.contact_phone if full else mask_phone(e.contact_phone),
        "risk": e.risk,
        "tags": e.tags,
        "active": e.active,
        "version": e.version,
    }


class Filters(Schema):
    q: str = ""
    industry: str = ""
    risk: str = ""
    tag: str = ""
    grid: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


def filtered(params: Filters) -> Any:
    qs = Enterprise.objects.select_related("grid").order_by("id")
    if params.q:
        qs = qs.filter(name__icontains=params.q) | qs.filter(credit_code=params.q.upper())
    if params.industry:
        qs = qs.filter(industry=params.industry.upper())
    if params.risk:
        qs = qs.filter(risk=params.risk)
    if params.grid:
        qs = qs.filter(grid__code=params.grid)
    if params.tag:
        # JSON containment is not on SQLite: the tag list is short, so filter the candidates in Python.
        ids = [pk for pk, tags in qs.values_list("pk", "tags") if params.tag in (tags or [])]
        qs = qs.filter(pk__in=ids)
    return qs


@router.get("/safety/enterprises", response=list[EnterpriseOut], summary="The registry of enterprises and places")
def enterprise_list(request: HttpRequest, params: Query[Filters]) -> list[dict[str, Any]]:
    user = _reader(request)
    rows = filtered(params)[params.offset : params.offset + params.limit]
    return [_out(e, user) for e in rows]


@router.get("/safety/enterprises/{pk}", response=EnterpriseOut, summary="One enterprise or place")
def enterprise_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _reader(request)
    e = Enterprise.objects.select_related("grid").filter(pk=pk).first()
    if e is None:
        raise NotFound(gettext("企业不存在"))
    return _out(e, user)


@router.post(
    "/safety/enterprises",
    response={201: EnterpriseOut},
    summary="Register an enterprise (a bad credit code is 422 invalid_uscc)",
)
def enterprise_create(request: HttpRequest, body: EnterpriseIn) -> Status:
    user = require_user(request, write=True)
    e = services.save(body.dict(), actor=user)
    return Status(201, _out(e, user))


@router.patch("/safety/enterprises/{pk}", response=EnterpriseOut, summary="Change an enterprise (with its version)")
def enterprise_update(request: HttpRequest, pk: int, body: EnterpriseUpdate) -> dict[str, Any]:
    user = require_user(request, write=True)
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    e = services.save(data, actor=user, pk=pk, version=version)
    return _out(e, user)
