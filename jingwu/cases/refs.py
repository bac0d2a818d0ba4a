"""Small reference tables kept in each process: categories, conditions, departments, grids, regions.

Case lists and reports then read one table, not seven joined ones (whose planning alone costs more than
the query), and never drag polygon JSON along. Any change to these tables rebuilds the copy everywhere
(see ``jingwu.lib.cached``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models.signals import post_delete, post_save

from jingwu.geo.models import Grid, Region
from jingwu.lib.cached import SharedVersioned
from jingwu.org.models import Department

from .models import Category, FilingCondition


@dataclass
class Refs:
    categories: dict[int, Any] = field(default_factory=dict)
    category_by_code: dict[tuple[str, str], int] = field(default_factory=dict)
    category_objects: dict[int, Category] = field(default_factory=dict)
    conditions: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    departments: dict[int, tuple[str, str]] = field(default_factory=dict)
    grids: dict[int, str] = field(default_factory=dict)
    regions: dict[int, tuple[str, str]] = field(default_factory=dict)
    # Categories whose default 立案条件 counts in continuous hours (紧急): every stage runs in calendar time.
    urgent: set[int] = field(default_factory=set)

    def find_category(self, value: Any) -> Category | None:
        """By id, ``kind:code`` or bare code (事项 before 部件 when a bare code is ambiguous)."""
        text = str(value)
        if isinstance(value, int) or (text.isdigit() and len(text) != 5):
            cat = self.category_objects.get(int(text))
        else:
            kind, _, code = text.rpartition(":")
            kinds = [kind] if kind else ["matter", "part"]
            pk = next((self.category_by_code[(k, code)] for k in kinds if (k, code) in self.category_by_code), None)
            cat = self.category_objects.get(pk) if pk is not None else None
        return cat if cat is not None and cat.active else None

    def category_ref(self, pk: int | None) -> dict[str, str] | None:
        if pk is None:
            return None
        kind, code, name = self.categories[pk][:3]
        return {"kind": kind, "code": code, "name": name}


def _build() -> Refs:
    r = Refs()
    seen: set[int] = set()
    for cat in Category.objects.all():
        r.categories[cat.pk] = (cat.kind, cat.code, cat.name, cat.is_public)
        r.category_by_code[(cat.kind, cat.code)] = cat.pk
        r.category_objects[cat.pk] = cat
    r.conditions = {
        pk: (name, v, u)
        for pk, name, v, u in FilingCondition.objects.values_list("pk", "name", "limit_value", "limit_unit")
    }
    for cat_id, unit in FilingCondition.objects.order_by("category_id", "-is_default", "position", "id").values_list(
        "category_id", "limit_unit"
    ):
        if cat_id not in r.category_objects or cat_id in seen:
            continue
        seen.add(cat_id)
        if unit == "continuous_hours":
            r.urgent.add(cat_id)
    r.departments = {pk: (code, name) for pk, code, name in Department.objects.values_list("pk", "code", "name")}
    r.grids = dict(Grid.objects.values_list("pk", "code"))
    r.regions = {pk: (code, name) for pk, code, name in Region.objects.values_list("pk", "code", "name")}
    return r


refs_cache: SharedVersioned[Refs] = SharedVersioned("case-refs", _build)


def refs() -> Refs:
    return refs_cache.get()


def _changed(**kwargs: object) -> None:
    refs_cache.invalidate()


for _model in (Category, FilingCondition, Department, Grid, Region):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"refs-{_model.__name__}-save", weak=False)
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"refs-{_model.__name__}-delete", weak=False)
