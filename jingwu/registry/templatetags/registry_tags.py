from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def keeps_registry(user: Any) -> bool:
    """Whether a handler's department keeps the registry (the navigation shows it only to them)."""
    from jingwu.registry.access import is_steward

    return is_steward(user)[0]
