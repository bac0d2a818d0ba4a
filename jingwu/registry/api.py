"""/api/registry/: people (search, one record, an audited reveal), visits, proposals and the counts.

A person outside the caller's reach answers 404, as one who does not exist. Lists are masked; one record is
masked too, and every open of it is audited; ``POST …/reveal`` gives the full ID number and phone to those
whose work needs it (the person's grid worker, the stewards) and is audited again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from jingwu.cases.api import _body_doc, _parse_body
from jingwu.lib.errors import Forbidden, Invalid, NotFound
from jingwu.lib.privacy import mask_id, mask_name, mask_phone
from jingwu.org.auth import require_user

from . import access, services
from .models import CareTag, Proposal, Resident

router = Router(tags=["registry"])


class PersonOut(Schema):
    id: int
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    sex: str
    birth_year: int | None
    kind: str
    relation: str
    household: str | None
    address: str | None
    grid: str | None
    region: str | None
    groups: list[str]
    visit_due: date | None
    last_visit_at: datetime | None
    left: str
    version: int


def person_out(r: Resident, groups: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": mask_name(r.name),
        "id_number": mask_id(r.id_number) if r.id_number else "",
        "phone": mask_phone(r.phone) if r.phone else "",
        "sex": r.sex,
        "birth_year": r.birth_year,
        "kind": r.kind,
        "relation": r.relation,
        "household": r.household.number if r.household_id and r.household else None,
        "address": r.address.label if r.address_id and r.address else None,
        "grid": r.grid.code if r.grid_id and r.grid else None,
        "region": r.region.code if r.region_id and r.region else None,
        "groups": groups
        if groups is not None
        else [
            t.group.code
            for t in getattr(r, "now", None) or CareTag.objects.current().filter(resident=r).select_related("group")
        ],
        "visit_due": r.visit_due,
        "last_visit_at": r.last_visit_at,
        "left": r.left,
        "version": r.version,
    }


class Search(Schema):
    q: str = Field("", max_length=40, description="a full name, an ID number or a phone (compared exactly)")
    grid: str = Field("", max_length=15)
    region: str = Field("", max_length=12)
    group: str = Field("", max_length=24, description="care group code (dibao, alone_elderly …)")
    kind: str = Field("", max_length=12)
    due: bool = Field(False, description="only people whose planned visit is overdue")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _scope(user: Any) -> access.Scope:
    scope = access.remember(user)
    if scope is None:
        raise Forbidden(gettext("无权查看基础信息"), code="forbidden_role")
    return scope


@router.get("/registry/people", response=list[PersonOut], summary="People you may see, masked (一标三实)")
def people(request: HttpRequest, params: Query[Search]) -> list[dict[str, Any]]:
    user = require_user(request)
    _scope(user)
    qs = services.search(
        user, params.q, grid=params.grid, region=params.region, group=params.group, kind=params.kind, due=params.due
    )
    current = Prefetch("tags", queryset=CareTag.objects.current().select_related("group"), to_attr="now")
    rows = list(
        qs.select_related("household", "address", "grid", "region")
        .defer("grid__geometry", "region__geometry")
        .prefetch_related(current)
        .order_by("id")[params.offset : params.offset + params.limit]
    )
    from .pages import searched

    searched(
        user,
        {
            "q": params.q,
            "grid": params.grid,
            "region": params.region,
            "group": params.group,
            "kind": params.kind,
            "due": "1" if params.due else "",
        },
        rows,
        "api",
    )
    return [person_out(r) for r in rows]


@router.get("/registry/people/{pk}", response=PersonOut, summary="One person, masked; the open is audited")
def person(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = require_user(request)
    access.remember(user)
    r = services.load(user, pk)
    services.viewed(user, r, how="api")
    return person_out(r)


class RevealOut(Schema):
    name: str
    id_number: str
    phone: str


@router.post("/registry/people/{pk}/reveal", response=RevealOut, summary="The full record (audited)")
def reveal(request: HttpRequest, pk: int) -> dict[str, str]:
    user = require_user(request, write=True)
    return services.reveal(user, services.load(user, pk))


class VisitIn(Schema):
    found: str = Field(max_length=2000, description="what the visit found")
    need: str = Field("", max_length=2000, description="a need to be handled: becomes a case in the loop")
    category: str | None = Field(None, max_length=20, description="the need's category code")
    at: datetime | None = Field(None, description="when the visit was made (a phone sends it later)")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    client_key: str | None = Field(None, max_length=64)


def visit_out(v: Any) -> dict[str, Any]:
    return {
        "id": v.pk,
        "resident": v.resident_id,
        "at": v.at,
        "found": v.found,
        "case": v.case.number if v.case_id and v.case else None,
        "photos": v.photos.count(),
    }


@router.post(
    "/registry/people/{pk}/visits",
    response={200: dict, 201: dict},
    openapi_extra=_body_doc(VisitIn),
    summary="Record a visit (走访), JSON or multipart with photos; a need found becomes a case",
)
def visit(request: HttpRequest, pk: int) -> Any:
    user = require_user(request, write=True)
    body, files = _parse_body(request, VisitIn)
    r = services.load(user, pk)
    result = services.record_visit(
        actor=user,
        resident=r,
        found=body.found,
        need=body.need,
        category=body.category,
        at=body.at,
        lon=body.lon,
        lat=body.lat,
        photos=files,
        client_key=body.client_key,
    )
    return Status(201 if result.created else 200, visit_out(result.visit))


class AddressIn(Schema):
    region: str = Field(max_length=64, description="village or community code or name")
    road: str = Field("", max_length=64)
    number: str = Field("", max_length=16)
    building: str = Field("", max_length=16)
    unit: str = Field("", max_length=8)
    room: str = Field("", max_length=16)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    grid: str = Field("", max_length=15)


class ProposalIn(Schema):
    kind: str = Field(description="add, edit or move")
    resident: int | None = Field(None, description="the person corrected or moved (edit, move)")
    name: str | None = Field(None, max_length=32)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=32)
    person_kind: str | None = Field(None, max_length=12, description="registered, floating or overseas")
    relation: str | None = Field(None, max_length=12)
    household: str = Field("", max_length=20)
    address: AddressIn | None = None
    client_key: str | None = Field(None, max_length=64)


def proposal_out(p: Proposal) -> dict[str, Any]:
    return {"id": p.pk, "kind": p.kind, "state": p.state, "resident": p.resident_id, "at": p.at, "note": p.review_note}


@router.post(
    "/registry/proposals",
    response={200: dict, 201: dict},
    summary="A grid worker adds or corrects a person in their own grid, for a steward to approve",
)
def propose(request: HttpRequest, body: ProposalIn) -> Any:
    user = require_user(request, write=True)
    resident = services.load(user, body.resident) if body.resident is not None else None
    data: dict[str, Any] = {
        k: v
        for k, v in {
            "name": body.name,
            "id_number": body.id_number,
            "phone": body.phone,
            "kind": body.person_kind,
            "relation": body.relation,
        }.items()
        if v is not None
    }
    if body.address is not None:
        data["address"] = body.address.dict()
    data["household"] = body.household
    p, made = services.propose(actor=user, kind=body.kind, data=data, resident=resident, client_key=body.client_key)
    return Status(201 if made else 200, proposal_out(p))


class DecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=500)


@router.post("/registry/proposals/{pk}/decide", summary="A steward approves (applies) or returns a proposal")
def decide(request: HttpRequest, pk: int, body: DecideIn) -> dict[str, Any]:
    user = require_user(request, write=True)
    p = Proposal.objects.filter(pk=pk).first()
    if p is None or access.scope_of(user) is None:
        raise NotFound(gettext("没有这条申请"))
    return proposal_out(services.decide(actor=user, proposal=p, approve=body.approve, note=body.note))


class CountsQuery(Schema):
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    by: str = Field("region", description="region or grid")


@router.get("/registry/counts", summary="People served by group, visits, overdue visits, aid paid, enrolments")
def counts(request: HttpRequest, q: Query[CountsQuery]) -> dict[str, Any]:
    user = require_user(request)
    end = q.end or services.today()
    start = q.start or end.replace(month=1, day=1)
    if start > end or end - start > timedelta(days=3700) or start.year < 2000 or end.year > services.today().year + 1:
        raise Invalid(gettext("统计期间不对"), code="invalid_period")
    if q.by not in ("region", "grid"):
        raise Invalid(gettext("只能按村/社区或网格统计"), code="invalid_slice")
    data = services.counts(user, start, end, q.by)
    data["groups"] = [{"code": c, "name": n} for c, n in data["groups"]]
    for row in [*data["rows"], data["total"]]:
        row["aid"] = str(row["aid"])
    return data
