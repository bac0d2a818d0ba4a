"""The registry's writes and reads: addresses, people, moves, care groups, visits, proposals, search, counts.

Every write records a ``Change`` (values sealed) in the caller's transaction; a move closes a ``Residence`` and
opens the next. Checks raise ``Invalid`` with a stable code, which the Excel import maps to its columns.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.lib import clock, idcard
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, InvalidState, NotFound
from jingwu.org.actors import resolve
from jingwu.org.services import person_of

from . import access
from .choices import DisabilityKind, Left, PersonKind, ProposalKind, ProposalState, Relation, Scheme
from .models import (
    Address,
    Benefit,
    CareGroup,
    CareTag,
    Change,
    Enrolment,
    Household,
    Proposal,
    Residence,
    Resident,
    VeteranRecord,
    Visit,
    VisitPhoto,
)

NAME_PURPOSE, ID_PURPOSE, PHONE_PURPOSE = "jingwu.registry.name", "jingwu.registry.id", "jingwu.registry.phone"
PHONE = re.compile(r"^\+?[0-9]{7,20}$")
VISIT_KIND = "registry.visit"
DISABLED = "disabled"  # the care group whose tags carry a disability's kind and grade
# Fields a person's record is made of, as the forms, the API, proposals and the import name them.
PERSON_FIELDS = ("name", "id_number", "phone", "kind", "relation", "household", "address")


def _tz() -> Any:
    from django.utils import timezone

    return timezone.get_default_timezone()


def today() -> date:
    return clock.now().astimezone(_tz()).date()


# --- keys and checks ------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    return idcard.keyed(NAME_PURPOSE, "".join(str(name or "").split()))


def id_key(id_number: str) -> str:
    return idcard.keyed(ID_PURPOSE, idcard.normalise(id_number))


def normalise_phone(phone: Any) -> str:
    """One form of a phone number for storing and for searching: compatibility digits made ASCII, spaces,
    dashes, dots and brackets dropped, and China's country code (+86, 0086) dropped."""
    import unicodedata

    text = re.sub(r"[\s\-().]", "", unicodedata.normalize("NFKC", str(phone or "")))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) > len(prefix) + 6:
            text = text[len(prefix) :]
    return text


def phone_key(phone: str) -> str:
    return idcard.keyed(PHONE_PURPOSE, normalise_phone(phone))


def _text(value: Any, field: str, limit: int, *, required: bool = False, label: str = "") -> str:
    text = textlib.check(" ".join(str(value or "").split()), field)
    if required and not text:
        raise Invalid(_("请填写%(name)s") % {"name": label or field}, code=f"{field}_required")
    if len(text) > limit:
        raise Invalid(_("%(name)s最长%(n)s个字") % {"name": label or field, "n": limit}, code=f"{field}_too_long")
    return text


def clean_person(data: dict[str, Any]) -> dict[str, Any]:
    """A person's fields checked and normalised: the one check the forms, the API, proposals and the import
    share."""
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", 32, required=True, label=_("姓名"))
    if "id_number" in data:
        number = idcard.normalise(data["id_number"])
        if number and not idcard.valid(number):
            raise Invalid(_("身份证号码无效（GB 11643校验不通过）"), code="invalid_id_number")
        out["id_number"] = number
    if "phone" in data:
        phone = normalise_phone(data["phone"])
        if phone and not PHONE.match(phone):
            raise Invalid(_("电话号码格式不对"), code="invalid_phone")
        out["phone"] = phone
    if data.get("kind"):  # blank keeps what there is (a new record: 户籍人口, the model's default)
        kind = str(data["kind"])
        if kind not in PersonKind.values:
            raise Invalid(_("人口类型只能是户籍人口、流动人口或境外人员"), code="unknown_kind")
        out["kind"] = kind
    if "relation" in data:
        relation = str(data["relation"] or "")
        if relation and relation not in Relation.values:
            raise Invalid(_("与户主关系不对"), code="unknown_relation")
        out["relation"] = relation
    return out


def _derived(fields: dict[str, Any]) -> dict[str, Any]:
    """The digests and what the ID number says (sex, year of birth), for the fields given."""
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name_key"] = name_key(fields["name"])
    if "id_number" in fields:
        number = fields["id_number"]
        out["id_key"] = id_key(number) if number else ""
        born = idcard.birth_date(number) if number else None
        out["sex"] = idcard.sex(number) if number else ""
        out["birth_year"] = born.year if born else None
    if "phone" in fields:
        out["phone_key"] = phone_key(fields["phone"]) if fields["phone"] else ""
    return out


def _change(record: str, pk: int, action: str, before: dict[str, Any], after: dict[str, Any], actor: Any) -> None:
    names = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not names and action == "update":
        return
    values = {k: [_plain(before.get(k)), _plain(after.get(k))] for k in names}
    user = actor if getattr(actor, "is_authenticated", False) else None
    Change.objects.create(
        record=record,
        record_id=pk,
        action=action,
        fields=names,
        diff=json.dumps(values, ensure_ascii=False),
        by=user,
        at=clock.now(),
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    return value


def history(record: str, pk: int, last: int = 0) -> list[dict[str, Any]]:
    rows = []
    qs = Change.objects.filter(record=record, record_id=pk).select_related("by")
    changes = list(reversed(qs.order_by("-id")[:last])) if last else list(qs.order_by("id"))
    for c in changes:
        try:
            values = json.loads(c.diff) if c.diff else {}
        except ValueError:
            values = {}
        rows.append({"at": c.at, "action": c.action, "fields": c.fields, "values": values, "by": c.by})
    return rows


# --- addresses ------------------------------------------------------------------------------------------


def _region(value: Any) -> Any:
    from jingwu.geo.models import Region

    if hasattr(value, "pk"):
        return value
    text = str(value or "").strip()
    if not text:
        raise Invalid(_("请填写村/社区"), code="region_required")
    region = Region.objects.filter(Q(code=text) | Q(name=text)).first()
    if region is None:
        raise Invalid(_("没有这个村/社区：%(name)s") % {"name": text}, code="unknown_region")
    return region


def _grid(value: Any) -> Any:
    from jingwu.geo.models import Grid

    text = str(value or "").strip()
    if not text:
        return None
    grid = Grid.objects.filter(Q(code=text) | Q(name=text)).first()
    if grid is None:
        raise Invalid(_("没有这个网格：%(name)s") % {"name": text}, code="unknown_grid")
    return grid


def _point(lon: Any, lat: Any) -> tuple[float, float] | tuple[None, None]:
    if lon in (None, "") and lat in (None, ""):
        return None, None
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise Invalid(_("经纬度须为数字"), code="invalid_point") from exc
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise Invalid(_("经纬度超出范围"), code="invalid_point")
    return x, y


ADDRESS_PARTS = ("road", "number", "building", "unit", "room")


def clean_address(data: dict[str, Any]) -> dict[str, Any]:
    """Region, parts, point and grid: the grid follows from the point (and must be inside the territory);
    without a point a grid may be named."""
    from jingwu.geo.services import locate

    from .choices import HouseUse, Ownership

    region = _region(data.get("region"))
    out: dict[str, Any] = {"region": region}
    for part, limit in zip(ADDRESS_PARTS, (64, 16, 16, 8, 16), strict=True):
        out[part] = _text(data.get(part), part, limit)
    lon, lat = _point(data.get("lon"), data.get("lat"))
    out["lon"], out["lat"] = lon, lat
    if lon is not None and lat is not None:
        where = locate(lon, lat)
        if where is None:
            raise Invalid(_("位置不在辖区内"), code="outside_territory")
        if where.region_id != region.pk:
            raise Invalid(_("位置不在%(name)s范围内") % {"name": region.name}, code="outside_region")
        out["grid_id"] = where.grid_id
    else:
        grid = _grid(data.get("grid"))
        if grid is not None and grid.region_id != region.pk:
            raise Invalid(
                _("网格%(code)s不属于%(name)s") % {"code": grid.code, "name": region.name}, code="grid_region"
            )
        out["grid_id"] = grid.pk if grid else None
    # The house's columns only where given: the model's defaults cover a new address.
    if data.get("use") not in (None, ""):
        if str(data["use"]) not in HouseUse.values:
            raise Invalid(_("房屋用途不对"), code="unknown_use")
        out["use"] = str(data["use"])
    if data.get("ownership") not in (None, ""):
        if str(data["ownership"]) not in Ownership.values:
            raise Invalid(_("产权性质不对"), code="unknown_ownership")
        out["ownership"] = str(data["ownership"])
    if "rented" in data:
        out["rented"] = bool(data["rented"])
    area = data.get("area")
    if area not in (None, ""):
        try:
            out["area"] = float(area)
        except (TypeError, ValueError) as exc:
            raise Invalid(_("建筑面积须为数字"), code="invalid_area") from exc
        if not 0 < out["area"] < 1_000_000:
            raise Invalid(_("建筑面积超出范围"), code="invalid_area")
    return out


def save_address(data: dict[str, Any], *, actor: Any) -> tuple[Address, bool]:
    """The address with these parts in this village, made or brought up to date (an import upserts)."""
    clean = clean_address(data)
    keys = {"region": clean["region"], **{p: clean[p] for p in ADDRESS_PARTS}}
    now = clock.now()
    with transaction.atomic():
        found = Address.objects.select_for_update().filter(**keys).first()
        if found is None:
            a = Address(**clean, created_at=now, updated_at=now)
            a.label = a.compose()
            a.save()
            _change("address", a.pk, "create", {}, {k: _plain(v) for k, v in clean.items()}, actor)
            return a, True
        before = {k: _plain(getattr(found, k)) for k in clean}
        # A row without a point keeps the address's point; one without a point or a grid keeps its grid; a row
        # without the house's columns keeps them.
        old_grid = found.grid_id
        for k, v in clean.items():
            if k in ("lon", "lat"):
                if clean["lon"] is not None:
                    setattr(found, k, v)
            elif k == "grid_id":
                # A new point places it; a grid named by hand only places an address that has no point.
                if clean["lon"] is not None or (v is not None and found.lon is None):
                    found.grid_id = v
            elif v is not None:
                setattr(found, k, v)
        after = {k: _plain(getattr(found, k)) for k in clean}
        if before != after:
            found.updated_at = now
            found.save()
            _change("address", found.pk, "update", before, after, actor)
            if found.grid_id != old_grid:
                # The address was placed again: its people are now in another grid, each a move on their record.
                for r in Resident.objects.filter(address=found).current():
                    regrid(r, found, actor=actor, at=now)
        return found, False


def regrid(r: Resident, address: Address, *, actor: Any, at: datetime) -> None:
    """The person stays at the address, whose grid changed: the residence closes and reopens in the new grid."""
    before = {"grid": r.grid_id}
    Residence.objects.filter(resident=r, until__isnull=True).update(until=at)
    Residence.objects.create(resident=r, address=address, grid_id=address.grid_id, household=r.household, since=at)
    Resident.objects.filter(pk=r.pk).update(grid_id=address.grid_id, region_id=address.region_id, updated_at=at)
    _change("resident", r.pk, "move", before, {"grid": address.grid_id}, actor)


# --- people ---------------------------------------------------------------------------------------------


def _household(value: Any, address: Address | None) -> Household | None:
    if value in (None, ""):
        return None
    if isinstance(value, Household):
        return value
    number = _text(value, "household", 20)
    found = Household.objects.filter(number=number).first()
    if found is None:
        if address is None:
            raise Invalid(_("新户须有地址"), code="address_required")
        found = Household.objects.create(number=number, address=address, created_at=clock.now())
    return found


def save_person(
    data: dict[str, Any], *, actor: Any, resident: Resident | None = None, address: Address | None = None
) -> tuple[Resident, bool]:
    """A person made, or corrected. A new address is a move (history kept). An ID number already on another
    record is refused (``duplicate_person``): one person, one record."""
    clean = clean_person(data)
    now = clock.now()
    with transaction.atomic():
        if resident is None and clean.get("id_number"):
            resident = Resident.objects.exclude(id_key="").filter(id_key=id_key(clean["id_number"])).first()
            if resident is not None and data.get("_new_only"):
                raise Invalid(_("此人已登记"), code="duplicate_person")
        if resident is None and not clean.get("id_number") and address is not None and clean.get("name"):
            # Without an ID number, the same name at the same address is the same person (an import again).
            resident = Resident.objects.filter(address=address, name_key=name_key(clean["name"]), id_key="").first()
        if resident is None:
            if "name" not in clean:
                raise Invalid(_("请填写姓名"), code="name_required")
            r = Resident(**{k: v for k, v in clean.items()}, **_derived(clean), created_at=now, updated_at=now)
            r.save()
            _change("resident", r.pk, "create", {}, _personal(r), actor)
            made = True
        else:
            r = Resident.objects.select_for_update().get(pk=resident.pk)
            if "version" in data and str(data["version"]) != str(r.version):
                raise Conflict(_("记录已被他人修改，请刷新后再改"))
            number = clean.get("id_number")
            if number and Resident.objects.exclude(id_key="").filter(id_key=id_key(number)).exclude(pk=r.pk).exists():
                raise Invalid(_("这个身份证号已登记在另一人名下"), code="duplicate_person")
            before = _personal(r)
            for k, v in clean.items():
                setattr(r, k, v)
            for k, v in _derived(clean).items():
                setattr(r, k, v)
            after = _personal(r)
            if before != after:
                r.version += 1
                r.updated_at = now
                r.save()
                _change("resident", r.pk, "update", before, after, actor)
            made = False
        household = _household(data.get("household"), address or r.address) if "household" in data else None
        if address is not None and address.pk != r.address_id:
            move(r, address, actor=actor, household=household)
        elif household is not None and household.pk != r.household_id:
            before = {"household": r.household_id}
            r.household = household
            r.save(update_fields=["household"])
            _change("resident", r.pk, "update", before, {"household": household.pk}, actor)
    return r, made


def _personal(r: Resident) -> dict[str, Any]:
    return {
        "name": r.name,
        "id_number": r.id_number,
        "phone": r.phone,
        "kind": r.kind,
        "relation": r.relation,
        "left": r.left,
    }


def move(r: Resident, address: Address, *, actor: Any, household: Household | None = None, at: Any = None) -> None:
    """迁移: the current residence closed, the new one opened; the record's grid and village follow."""
    when = at or clock.now()
    with transaction.atomic():
        before = {"address": r.address_id, "grid": r.grid_id, "household": r.household_id}
        Residence.objects.filter(resident=r, until__isnull=True).update(until=when)
        Residence.objects.create(
            resident=r, address=address, grid_id=address.grid_id, household=household or r.household, since=when
        )
        r.address, r.grid_id, r.region_id = address, address.grid_id, address.region_id
        if household is not None:
            r.household = household
        r.updated_at = clock.now()
        r.version += 1
        r.save()
        after = {"address": r.address_id, "grid": r.grid_id, "household": r.household_id}
        _change("resident", r.pk, "move" if before["address"] else "settle", before, after, actor)


def remove(r: Resident, reason: str, *, actor: Any) -> Resident:
    if reason not in Left.values:
        raise Invalid(_("注销原因不对"), code="unknown_reason")
    with transaction.atomic():
        before = _personal(r)
        r.left = reason
        r.visit_due = None
        r.updated_at = clock.now()
        r.save()
        Residence.objects.filter(resident=r, until__isnull=True).update(until=clock.now())
        _change("resident", r.pk, "remove", before, _personal(r), actor)
    return r


def _year(value: Any, label: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1930 <= int(text) <= today().year:
        raise Invalid(_("%(name)s不对") % {"name": label}, code="invalid_year")
    return int(text)


def collect_veteran(
    r: Resident, *, actor: Any, category: str, enlisted: Any = "", discharged: Any = "", note: str = ""
) -> VeteranRecord:
    """退役军人服务站's information collection: one record per person, kept up to date, each save logged."""
    category = _text(category, "category", 32, required=True, label=_("优抚类别"))
    start, end = _year(enlisted, _("入伍年份")), _year(discharged, _("退役年份"))
    if start and end and end < start:
        raise Invalid(_("退役年份早于入伍年份"), code="invalid_year")
    with transaction.atomic():
        old = VeteranRecord.objects.filter(resident=r).values("category", "enlisted", "discharged", "note").first()
        record, _made = VeteranRecord.objects.update_or_create(
            resident=r,
            defaults={
                "category": category,
                "enlisted": start,
                "discharged": end,
                "note": _text(note, "note", 500),
                "collected_at": clock.now(),
                "collected_by": person_of(actor),
            },
        )
        new = {"category": category, "enlisted": start, "discharged": end, "note": record.note}
        _change("resident", r.pk, "veteran", dict(old or {}), new, actor)
    return record


# --- care groups and visits -----------------------------------------------------------------------------


def group(code: str) -> CareGroup:
    found = CareGroup.objects.filter(Q(code=code) | Q(name=code), active=True).first()
    if found is None:
        raise Invalid(_("没有这个人群：%(name)s") % {"name": code}, code="unknown_group")
    return found


def tag(
    r: Resident,
    care: CareGroup,
    *,
    since: date,
    actor: Any,
    until: date | None = None,
    disability: str = "",
    grade: int | None = None,
    evidence: str = "",
) -> CareTag:
    if disability and disability not in DisabilityKind.values:
        raise Invalid(_("残疾类别不对"), code="unknown_disability")
    if care.code == DISABLED and (not disability or grade is None):
        # GB/T 26341: a disability is recorded with its kind and grade (the 残疾人证 states both).
        raise Invalid(_("残疾人须登记残疾类别和等级"), code="disability_required")
    if grade is not None and not 1 <= int(grade) <= 4:
        raise Invalid(_("残疾等级须为一至四级"), code="invalid_grade")
    _in_range(since, _("起始日期"))
    if until is not None:
        _in_range(until, _("终止日期"))
        if until < since:
            raise Invalid(_("终止日期早于起始日期"), code="invalid_date")
    with transaction.atomic():
        t, _made = CareTag.objects.update_or_create(
            resident=r,
            group=care,
            since=since,
            defaults={
                "until": until,
                "disability": disability,
                "grade": grade,
                "evidence": _text(evidence, "evidence", 200),
                "created_at": clock.now(),
            },
        )
        _change(
            "resident", r.pk, "tag", {}, {"group": care.code, "since": str(since), "until": str(until or "")}, actor
        )
        reschedule([r.pk])
    return t


def untag(t: CareTag, *, actor: Any) -> bool:
    """A tag in force ended today (an ended one is left as it was: its end date is history)."""
    day = today()
    with transaction.atomic():
        done = CareTag.objects.filter(pk=t.pk).filter(Q(until__isnull=True) | Q(until__gt=day)).update(until=day)
        if done:
            _change("resident", t.resident_id, "untag", {"until": str(t.until or "")}, {"until": str(day)}, actor)
            reschedule([t.resident_id])
    return bool(done)


def _in_range(day: date, label: str) -> None:
    if not date(1900, 1, 1) <= day <= today() + timedelta(days=3660):
        raise Invalid(_("%(name)s超出范围") % {"name": label}, code="invalid_date")


def reschedule(resident_ids: list[int]) -> None:
    """Each person's next planned visit: the last visit (or the start of the earliest plan) plus the
    shortest cycle of their current groups."""
    day = today()
    plans: dict[int, tuple[int, date]] = {}
    for rid, days, since in (
        CareTag.objects.current(day)
        .filter(resident_id__in=resident_ids, group__visit_days__isnull=False, group__active=True)
        .values_list("resident_id", "group__visit_days", "since")
    ):
        best = plans.get(rid)
        cycle = int(days or 0)
        plans[rid] = (min(cycle, best[0]), min(since, best[1])) if best else (cycle, since)
    for r in Resident.objects.filter(pk__in=resident_ids).only("pk", "last_visit_at", "left"):
        plan = plans.get(r.pk)
        if plan is None or r.left:
            due = None
        else:
            # From the last visit, but never before the plan began (a visit before the tag does not count).
            last = r.last_visit_at.astimezone(_tz()).date() if r.last_visit_at else None
            start = max(last, plan[1]) if last else plan[1]
            due = start + timedelta(days=plan[0])
        Resident.objects.filter(pk=r.pk).update(visit_due=due)


def reschedule_ended(day: date | None = None) -> int:
    """The task worker's daily pass: people whose tag ended yesterday, or whose plan began today, get their
    next visit worked out again (a tag's end or start changes it without anyone touching the record)."""
    day = day or today()
    ids = set(
        CareTag.objects.filter(Q(until=day - timedelta(days=1)) | Q(since=day)).values_list("resident_id", flat=True)
    )
    for chunk in _chunks(sorted(ids), 500):
        reschedule(chunk)
    return len(ids)


def reschedule_group(group_id: int) -> None:
    """A group's cycle or state changed (in the admin): its people's visits again."""
    ids = sorted(set(CareTag.objects.filter(group_id=group_id).values_list("resident_id", flat=True)))
    for chunk in _chunks(ids, 500):
        reschedule(chunk)


def _chunks(items: list[int], size: int) -> Any:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class VisitResult:
    visit: Visit
    created: bool


def record_visit(
    *,
    actor: Any,
    resident: Resident,
    found: str,
    at: datetime | None = None,
    lon: Any = None,
    lat: Any = None,
    photos: Any = (),
    need: str = "",
    category: Any = None,
    client_key: str | None = None,
) -> VisitResult:
    """走访 by the person's grid worker (or a steward). A need found (``need``) becomes a case in the loop,
    reported by the visitor at the visit's place; a retry with the same key is one visit and one case."""
    from jingwu.cases import photos as photo_lib
    from jingwu.cases import services as cases

    acting = resolve(actor)
    scope = access.scope_of(acting.user)
    person = person_of(acting.user)
    if scope is None or person is None or scope.role not in ("grid_worker", "handler"):
        raise Forbidden(_("只有网格员和基础信息管理部门可以登记走访"), code="forbidden_role")
    if not access.grid_allowed(scope, resident.grid_id):
        raise NotFound(_("没有这个人员"))
    key = (client_key or "").strip() or None
    if key is not None:
        if len(key) > 64:
            raise Invalid(_("幂等键最长64个字符"), code="invalid_key")
        key = f"{acting.namespace}:{key}"
        first = Visit.objects.filter(client_key=key).first()
        if first is not None:
            return VisitResult(first, False)
    found = _text(found, "found", 2000, required=True, label=_("走访情况"))
    need = _text(need, "need", 2000)
    if need and scope.role != "grid_worker":
        # Cases are reported by the loop's reporters: a department's staff record the visit, and the need goes to
        # the person's grid worker or the hotline (the department would otherwise dispatch to itself unseen).
        raise Forbidden(_("诉求由网格员上报；请记录走访情况，并请网格员上报诉求"), code="need_by_grid_worker")
    x, y = _point(lon, lat)
    now = clock.now()
    when = at or now
    if when.tzinfo is None:  # a phone's local time without an offset: the town's time
        when = when.replace(tzinfo=_tz())
    if when > now + timedelta(minutes=5) or when < now - timedelta(days=31):
        raise Invalid(_("走访时间须在近一个月内"), code="invalid_time")
    processed = [photo_lib.process(p) for p in list(photos)[:6]]
    try:
        with transaction.atomic():
            v = Visit.objects.create(
                resident=resident,
                by=person,
                at=when,
                lon=x,
                lat=y,
                grid_id=resident.grid_id,
                found=found,
                client_key=key,
                created_at=now,
            )
            for p in processed:
                p.content.name = p.name
                VisitPhoto.objects.create(visit=v, file=p.content, content_type=p.content_type)
            if need:
                home = resident.address if resident.address_id else None
                if (x is None or y is None) and home is not None:
                    x, y = home.lon, home.lat
                result = cases.report_case(
                    actor=actor,
                    description=need,
                    lon=x,
                    lat=y,
                    category=category,
                    # A restricted group's person (重点人员): the case carries the place, not the address.
                    address=home.label if home is not None and not _restricted(resident) else "",
                    client_key=f"visit:{v.pk}",
                    origin=v,
                )
                v.case = result.case
                v.save(update_fields=["case"])
            Resident.objects.filter(pk=resident.pk).filter(
                Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=when)
            ).update(last_visit_at=when)
            reschedule([resident.pk])
            audit.record("registry.visit", "resident", resident.pk, actor=acting.user, role=scope.role)
    except IntegrityError:
        first = Visit.objects.filter(client_key=key).first() if key else None
        if first is None:
            raise
        return VisitResult(first, False)
    return VisitResult(v, True)


def _restricted(r: Resident) -> bool:
    return CareTag.objects.current().filter(resident=r, group__restricted=True).exists()


def visit_link(case: Any, user: Any) -> tuple[str, str] | None:
    v = Visit.objects.filter(case=case).only("resident_id").first()
    if v is None or not Resident.objects.filter(pk=v.resident_id).visible_to(user).exists():
        return None
    return (_("走访记录"), f"/registry/people/{v.resident_id}/")


# --- reads ----------------------------------------------------------------------------------------------


def load(user: Any, pk: Any) -> Resident:
    try:
        key = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("没有这个人员")) from exc
    r = (
        Resident.objects.visible_to(user)
        .select_related("address", "household", "grid", "region")
        .defer("grid__geometry", "region__geometry")
        .filter(pk=key)
    )
    found = r.first()
    if found is None:
        raise NotFound(_("没有这个人员"))
    return found


def viewed(user: Any, r: Resident, *, how: str = "page") -> None:
    """Every open of a person's record is audited (PIPL art. 51; 等保 security audit)."""
    scope = access.scope_of(user)
    audit.record("registry.view", "resident", r.pk, actor=user, role=scope.role if scope else "", data={"via": how})


def reveal(user: Any, r: Resident) -> dict[str, str]:
    scope = access.scope_of(user)
    if scope is None or not scope.reveal or not access.grid_allowed(scope, r.grid_id):
        raise Forbidden(_("无权查看完整个人信息"), code="forbidden_reveal")
    audit.record("registry.reveal", "resident", r.pk, actor=user, role=scope.role)
    return {"name": r.name, "id_number": r.id_number, "phone": r.phone}


def query_kind(q: str) -> str:
    """What a search text is: "id", "phone" or "name" (or "" for none)."""
    text = "".join(str(q or "").split())
    if not text:
        return ""
    number = idcard.normalise(text)
    if len(number) == 18 and idcard.ID_NUMBER.match(number):
        return "id"
    if PHONE.match(normalise_phone(text)):
        return "phone"
    return "name"


def search(user: Any, q: str = "", **filters: Any) -> Any:
    """People this user may see, found by a name, an ID number or a phone compared through their digests
    (the sealed columns cannot be compared), and by grid, village, group, kind, due visits."""
    qs = Resident.objects.visible_to(user)
    kind = query_kind(q)
    if kind == "id":
        qs = qs.exclude(id_key="").filter(id_key=id_key(str(q)))  # the partial unique index, on SQLite too
    elif kind == "phone":
        qs = qs.filter(phone_key=phone_key(str(q)))
    elif kind == "name":
        qs = qs.filter(name_key=name_key(str(q)))
    if filters.get("grid"):
        qs = qs.filter(grid__code=filters["grid"])
    if filters.get("region"):
        qs = qs.filter(region__code=filters["region"])
    if filters.get("group"):
        gid = CareGroup.objects.filter(code=filters["group"]).values_list("pk", flat=True).first() or 0
        tagged = CareTag.objects.current().filter(resident=OuterRef("pk"), group_id=gid)
        qs = qs.filter(Exists(tagged))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if str(filters.get("due") or "").lower() not in ("", "0", "false", "no"):
        qs = qs.filter(visit_due__lt=today())
    if not filters.get("all"):
        qs = qs.current()
    return qs


# --- proposals ------------------------------------------------------------------------------------------


def propose(
    *,
    actor: Any,
    kind: str,
    data: dict[str, Any],
    resident: Resident | None = None,
    client_key: str | None = None,
) -> tuple[Proposal, bool]:
    """A grid worker's addition or correction in their own grid: checked now, applied when a steward approves."""
    acting = resolve(actor)
    scope = access.scope_of(acting.user)
    person = person_of(acting.user)
    if scope is None or person is None or scope.role != "grid_worker":
        raise Forbidden(_("只有网格员提交信息变更申请"), code="forbidden_role")
    if kind not in ProposalKind.values:
        raise Invalid(_("申请类型不对"), code="unknown_kind")
    key = (client_key or "").strip() or None
    if key is not None:
        if len(key) > 64:
            raise Invalid(_("幂等键最长64个字符"), code="invalid_key")
        key = f"{acting.namespace}:{key}"
        first = Proposal.objects.filter(client_key=key).first()
        if first is not None:
            return first, False
    fields: dict[str, Any] = {k: data[k] for k in ("name", "id_number", "phone", "kind", "relation") if k in data}
    clean = clean_person(fields)
    address_data = data.get("address")
    grid_id: int | None
    if kind == ProposalKind.ADD:
        # A person already registered elsewhere is the steward's to find on approval: telling the worker now
        # would tell them whether an ID number is registered anywhere in the town.
        if "name" not in clean:
            raise Invalid(_("请填写姓名"), code="name_required")
    elif resident is None:
        raise Invalid(_("请选择人员"), code="resident_required")
    elif not access.grid_allowed(scope, resident.grid_id):
        raise NotFound(_("没有这个人员"))
    if address_data:
        try:
            addr = clean_address(address_data)
        except Invalid as exc:
            # The phone's position is only a help: standing elsewhere (registering a neighbour from the lane), the
            # village and grid the worker chose decide, and the point is left out.
            if exc.code not in ("outside_region", "outside_territory") or not address_data.get("grid"):
                raise
            addr = clean_address({**address_data, "lon": None, "lat": None})
        known = Address.objects.filter(region=addr["region"], **{p: addr[p] for p in ADDRESS_PARTS}).first()
        if known is not None:
            # An address on the registry keeps its own place: the proposal names it, and is judged by its grid.
            grid_id = known.grid_id
            payload_address = {"region": addr["region"].code, **{p: addr[p] for p in ADDRESS_PARTS}}
        else:
            grid_id = addr.get("grid_id")
            # The grid goes by its code, as ``clean_address`` reads it when the proposal is applied.
            payload_address = {k: _plain(v) if k != "region" else v.code for k, v in addr.items() if k != "grid_id"}
        if known is None and grid_id is not None:
            from jingwu.geo.models import Grid

            payload_address["grid"] = Grid.objects.filter(pk=grid_id).values_list("code", flat=True).first() or ""
    else:
        grid_id = resident.grid_id if resident else None
        payload_address = None
        if kind != ProposalKind.EDIT:
            raise Invalid(_("请填写地址"), code="address_required")
    if grid_id is None:
        raise Invalid(_("请选择网格或附上位置"), code="grid_required")
    if not access.grid_allowed(scope, grid_id):
        raise Forbidden(_("只能登记本网格的人员"), code="outside_grid")
    payload = {"person": clean, "address": payload_address, "household": _text(data.get("household"), "household", 20)}
    try:
        with transaction.atomic():
            p = Proposal.objects.create(
                kind=kind,
                resident=resident,
                grid_id=grid_id,
                payload=json.dumps(payload, ensure_ascii=False),
                by=person,
                at=clock.now(),
                client_key=key,
            )
    except IntegrityError:
        first = Proposal.objects.filter(client_key=key).first() if key else None
        if first is None:
            raise
        return first, False
    return p, True


def proposal_payload(p: Proposal) -> dict[str, Any]:
    try:
        return dict(json.loads(p.payload))
    except ValueError:
        return {}


def decide(*, actor: Any, proposal: Proposal, approve: bool, note: str = "") -> Proposal:
    acting = resolve(actor)
    scope = access.scope_of(acting.user)
    if scope is None or not scope.edit:
        raise Forbidden(_("只有基础信息管理部门可以审核"), code="forbidden_role")
    note = _text(note, "note", 500)
    if not approve and not note:
        raise Invalid(_("退回须说明原因"), code="reason_required")
    with transaction.atomic():
        p = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if p.state != ProposalState.PENDING:
            raise InvalidState(_("这条申请已审核"), code="already_decided")
        if approve:
            body = proposal_payload(p)
            address = None
            if body.get("address"):
                address, _made = save_address(body["address"], actor=acting.user)
            data = dict(body.get("person") or {})
            if body.get("household"):
                data["household"] = body["household"]
            if p.kind == ProposalKind.ADD:
                data["_new_only"] = True
                r, _made = save_person(data, actor=acting.user, address=address)
                if address is not None and r.address_id is None:
                    move(r, address, actor=acting.user)
                p.resident = r
            else:
                if p.resident is None:
                    raise InvalidState(_("人员已不存在"), code="resident_gone")
                save_person(data, actor=acting.user, resident=p.resident, address=address)
        p.state = ProposalState.APPROVED if approve else ProposalState.REJECTED
        p.reviewed_by = acting.person
        p.reviewed_at = clock.now()
        p.review_note = note
        p.save()
        audit.record(
            "registry.proposal", "proposal", p.pk, actor=acting.user, role=scope.role, data={"approve": approve}
        )
    return p


def new_client_key() -> str:
    return uuid.uuid4().hex


# --- money ----------------------------------------------------------------------------------------------


def amount(value: Any) -> Decimal:
    try:
        out = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError) as exc:
        raise Invalid(_("金额须为数字"), code="invalid_amount") from exc
    if not out.is_finite() or out <= 0 or out >= Decimal("100000000"):
        raise Invalid(_("金额超出范围"), code="invalid_amount")
    return out.quantize(Decimal("0.01"))


# --- counts for the report ------------------------------------------------------------------------------


def counts(user: Any, start: date, end: date, by: str = "region") -> dict[str, Any]:
    """People served per group, visits made and overdue, aid paid and enrolments, per village or grid, for
    [start, end]: the figures a report quotes (and the statistics module reads)."""
    from jingwu.geo.models import Grid, Region

    if by not in ("region", "grid"):
        raise Invalid(_("只能按村/社区或网格统计"), code="invalid_slice")
    scope = access.scope_of(user)
    if scope is None:
        raise Forbidden(_("无权查看"), code="forbidden_role")
    key = "resident__region_id" if by == "region" else "resident__grid_id"
    # Aggregates over everyone the reader's grids hold: oversight roles count the restricted groups' people too
    # (in the other columns; the restricted groups' own columns are left out below), so totals are the town's.
    mine: dict[str, Any] = {} if scope.grids is None else {"resident__grid_id__in": scope.grids}
    people = Resident.objects.all() if scope.grids is None else Resident.objects.filter(grid_id__in=scope.grids)
    tz = _tz()
    t0 = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    t1 = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows: dict[int | None, dict[str, Any]] = {}

    def row(k: int | None) -> dict[str, Any]:
        return rows.setdefault(k, {"groups": {}, "visits": 0, "overdue": 0, "aid": Decimal(0), "schemes": {}})

    served = (
        CareTag.objects.filter(**mine, since__lte=end)
        .filter(Q(until__isnull=True) | Q(until__gte=start))
        .values(key, "group__code")
        .annotate(n=Count("resident", distinct=True))
    )
    for r in served:
        row(r[key])["groups"][r["group__code"]] = r["n"]
    # A visit counts where it was made (the grid at the time), not where the person lives now.
    where = "grid__region_id" if by == "region" else "grid_id"
    made = Visit.objects.filter(at__gte=t0, at__lt=t1)
    if scope.grids is not None:
        made = made.filter(grid_id__in=scope.grids)
    for r in made.values(where).annotate(n=Count("pk")):
        row(r[where])["visits"] = r["n"]
    home = key.removeprefix("resident__")
    for r in people.current().filter(visit_due__lt=today()).values(home).annotate(n=Count("pk")):
        row(r[home])["overdue"] = r["n"]
    paid = Benefit.objects.filter(**mine, month__gte=start.replace(day=1), month__lte=end)
    for r in paid.values(key).annotate(s=Sum("amount")):
        row(r[key])["aid"] = r["s"] or Decimal(0)
    for r in Enrolment.objects.filter(**mine, on__gte=start, on__lte=end).values(key, "scheme").annotate(n=Count("pk")):
        row(r[key])["schemes"][r["scheme"]] = r["n"]
    model = Region if by == "region" else Grid
    names = dict(model.objects.filter(pk__in=[k for k in rows if k]).values_list("pk", "name"))
    codes = dict(model.objects.filter(pk__in=[k for k in rows if k]).values_list("pk", "code"))
    groups = list(CareGroup.objects.filter(active=True).values_list("code", "name"))
    if not scope.restricted:
        restricted = set(CareGroup.objects.filter(restricted=True).values_list("code", flat=True))
        groups = [g for g in groups if g[0] not in restricted]
    out_rows = []
    for k, r in sorted(rows.items(), key=lambda kv: codes.get(kv[0] or 0, "~")):
        out_rows.append(
            {
                "code": codes.get(k or 0, ""),
                "name": names.get(k or 0, _("未定位")),
                "groups": {g: r["groups"].get(g, 0) for g, _n in groups},
                "visits": r["visits"],
                "overdue": r["overdue"],
                "aid": r["aid"],
                "schemes": {s: r["schemes"].get(s, 0) for s in Scheme.values},
            }
        )
    total = {
        "groups": {g: sum(x["groups"][g] for x in out_rows) for g, _n in groups},
        "visits": sum(x["visits"] for x in out_rows),
        "overdue": sum(x["overdue"] for x in out_rows),
        "aid": sum((x["aid"] for x in out_rows), Decimal(0)),
        "schemes": {s: sum(x["schemes"][s] for x in out_rows) for s in Scheme.values},
    }
    return {"by": by, "start": start, "end": end, "groups": groups, "rows": out_rows, "total": total}
