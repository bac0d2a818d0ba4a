"""The unread count, for the bell on the staff pages and the phone's 我的 tab."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("notify/_badge.html", takes_context=True)
def bell(context: Any) -> dict[str, Any]:
    from ..views import unread

    return {"unread_count": unread(context["request"].user)}


@register.simple_tag(takes_context=True)
def unread_count(context: Any) -> int:
    from ..views import unread

    return unread(context["request"].user)


@register.filter
def notify_title(n: Any) -> str:
    """The title in the reader's language (stored as it was sent, in Chinese, for the other channels)."""
    from django.utils.translation import gettext

    from ..rules import EVENTS

    return gettext(EVENTS[n.event][0]) if n.event in EVENTS else n.title
