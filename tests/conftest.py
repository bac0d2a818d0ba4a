"""A fixed cast over a small territory, and a pinned clock.

Territory: town T with villages A and B; grids A1, A2 (village A) and B1, B2 (village B), each a
0.01° square around 117.10 E, 39.03 N. Cast: one person per role; grid worker ``gw_a`` owns A1 and A2,
``gw_b`` owns B1 and B2; handlers ``h_city`` (城建办) and ``h_env`` (环卫).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jingwu.cases.models import RoutingRule
from jingwu.geo.services import import_geojson
from jingwu.lib import clock
from jingwu.org.choices import DepartmentKind, Role
from jingwu.org.models import Department, GridAssignment, Person

TZ = ZoneInfo("Asia/Shanghai")
# Monday 2026-03-02 09:00, an ordinary working day.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if os.environ.get("JINGWU_REQUIRE_POSTGRES") == "1":
        assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "PostgreSQL run without DATABASE_URL"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Per-process caches start empty: a flushed test database sends no signals to drop them."""
    from jingwu.cases.refs import refs_cache
    from jingwu.geo.services import index_cache
    from jingwu.workcal.services import calendar_cache

    for cache in (refs_cache, index_cache, calendar_cache):
        cache.drop_local()


@pytest.fixture
def steady_caches(monkeypatch: Any) -> None:
    """Per-process caches check their shared version stamp only when they are empty.

    They look again every two seconds of real time, which costs a query: a test that counts queries
    would otherwise count one more whenever a slow machine crosses that boundary between its requests.
    """
    monkeypatch.setattr("jingwu.lib.cached.monotonic", lambda: 1e12)


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def territory() -> dict[str, Any]:
    town = {
        "type": "Feature",
        "properties": {"type": "region", "code": "120111103000", "name": "测试镇", "level": "town"},
        "geometry": square(117.10, 39.03, 0.02),
    }
    a = {
        "type": "Feature",
        "properties": {
            "type": "region",
            "code": "120111103201",
            "name": "甲村",
            "level": "village",
            "parent": "120111103000",
        },
        "geometry": square(117.10, 39.03, 0.02),
    }
    b = {
        "type": "Feature",
        "properties": {
            "type": "region",
            "code": "120111103202",
            "name": "乙村",
            "level": "village",
            "parent": "120111103000",
        },
        "geometry": square(117.11, 39.03, 0.01),
    }
    grids = []
    for code, region, lon, lat in [
        ("120111103201001", "120111103201", 117.10, 39.04),
        ("120111103201002", "120111103201", 117.10, 39.03),
        ("120111103202001", "120111103202", 117.11, 39.04),
        ("120111103202002", "120111103202", 117.11, 39.03),
    ]:
        grids.append(
            {
                "type": "Feature",
                "properties": {"type": "grid", "code": code, "name": code[-6:], "region": region},
                "geometry": square(lon, lat),
            }
        )
    return {"type": "FeatureCollection", "features": [town, a, b, *grids]}


# Points inside grids A1 and B1.
IN_A = (117.105, 39.045)
IN_B = (117.115, 39.045)
OUTSIDE = (117.30, 39.30)


@dataclass
class Cast:
    users: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.users[name]


def reference_data() -> None:
    """Categories and holidays as the data migrations load them. A transactional test's flush removes them
    (pytest-django's live server does not honour serialized_rollback), so put them back when missing."""
    from jingwu.cases.catalog import load
    from jingwu.cases.models import Category, FilingCondition
    from jingwu.workcal.models import Holiday
    from jingwu.workcal.official import rows

    if not Category.objects.exists():
        load(Category, FilingCondition)
    if not Holiday.objects.exists():
        Holiday.objects.bulk_create([Holiday(date=d, kind=k, name=n) for d, k, n in rows()])
    from jingwu.iot.alarms import forget_rules
    from jingwu.iot.defaults import install
    from jingwu.iot.models import Rule

    if not Rule.objects.exists():
        install(Rule, Category)
    forget_rules()


@pytest.fixture
def cast(db: Any) -> Cast:
    reference_data()
    import_geojson(territory())
    city = Department.objects.create(code="B05", name="城建办", kind=DepartmentKind.OFFICE)
    env = Department.objects.create(code="W07", name="环卫公司", kind=DepartmentKind.EXTERNAL)
    RoutingRule.objects.create(priority=10, category_kind="matter", category_major="06", department=env)
    RoutingRule.objects.create(priority=100, department=city)
    User = get_user_model()
    users: dict[str, Any] = {}

    def make(name: str, role: Role, dept: Department | None = None) -> Any:
        u = User.objects.create_user(name, password="pw-" + name)
        Person.objects.create(user=u, name=f"{name}姓名", role=role, department=dept, phone="13912345678")
        users[name] = u
        return u

    make("operator", Role.OPERATOR)
    make("shiftlead", Role.SHIFT_LEAD)
    make("dispatcher", Role.DISPATCHER)
    make("leader", Role.LEADER)
    make("auditor", Role.AUDITOR)
    make("admin", Role.ADMIN)
    make("secadmin", Role.SECURITY_ADMIN)
    make("citizen", Role.PUBLIC)
    make("h_city", Role.HANDLER, city)
    make("h_env", Role.HANDLER, env)
    gw_a = make("gw_a", Role.GRID_WORKER)
    gw_b = make("gw_b", Role.GRID_WORKER)
    from jingwu.geo.models import Grid

    for g in Grid.objects.all():
        owner = gw_a if g.code.startswith("120111103201") else gw_b
        GridAssignment.objects.create(person=owner.person, grid=g)
    return Cast(users)


@pytest.fixture
def at() -> Iterator[Any]:
    """Pin the clock; call the fixture's ``move(dt)`` to move it."""

    class Clock:
        def __init__(self) -> None:
            self.now = MONDAY
            self._cm = clock.frozen_at(self.now)
            self._cm.__enter__()

        def move(self, when: datetime) -> datetime:
            self._cm.__exit__(None, None, None)
            self.now = when
            self._cm = clock.frozen_at(when)
            self._cm.__enter__()
            return when

    c = Clock()
    yield c
    c._cm.__exit__(None, None, None)


def jpeg(
    color: tuple[int, int, int] = (200, 30, 30), name: str = "p.jpg", exif_gps: bool = False
) -> SimpleUploadedFile:
    img = Image.new("RGB", (32, 24), color)
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        img.save(out, "JPEG", exif=exif.tobytes())
    else:
        img.save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
