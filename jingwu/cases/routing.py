"""Routing: which department a case goes to (the first matching rule of the 权责清单)."""

from __future__ import annotations

from typing import Any

from jingwu.org.models import Department

from .models import RoutingRule


def suggest_department(category: Any, region_id: int | None, grid_id: int | None) -> Department | None:
    """First matching routing rule (权责清单) for a category at a place."""
    for rule in RoutingRule.objects.select_related("department").order_by("priority", "id"):
        if rule.category_id is not None and category is None:
            continue
        if rule.category_id is not None and rule.category_id != category.id:
            continue
        if rule.category_major and (
            category is None or rule.category_major != category.code[:2] or rule.category_kind != category.kind
        ):
            continue
        if rule.region_id is not None and rule.region_id != region_id:
            continue
        if rule.grid_id is not None and rule.grid_id != grid_id:
            continue
        if rule.department.active:
            return rule.department
    return None
