"""Template helpers shared by the staff pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

register = template.Library()

# One colour per stage of the loop (Tabler's light badge colours): waiting on the centre in blue, with a
# department in orange, to be checked in purple, ended in green or grey.
STATE_COLOURS = {
    "reported": "blue",
    "verifying": "cyan",
    "to_file": "azure",
    "to_dispatch": "indigo",
    "returned": "red",
    "handling": "orange",
    "suspended": "secondary",
    "to_check": "purple",
    "to_close": "teal",
    "closed": "green",
    "voided": "secondary",
    "merged": "secondary",
}


@register.filter
def state_badge(state: str) -> str:
    return f"badge bg-{STATE_COLOURS.get(str(state), 'secondary')}-lt state s-{state}"


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: object) -> str:
    """The current page's query string with ``changes`` applied (``None`` or "" removes a key): paging and
    sorting links that keep every filter."""
    request = context["request"]
    params = {k: v for k, v in request.GET.items()}
    drop = changes.pop("drop", None)
    for key in str(drop or "").split(","):  # "measure,from,to": a chip that stands for several keys
        params.pop(key, None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


@register.filter
def get_item(mapping: dict[str, object], key: object) -> object:
    return mapping.get(str(key), ()) if isinstance(mapping, dict) else ()


@register.filter
def reason_label(reason: str) -> str:
    """A stored reason code (``spam``) as words; typed reasons as they are."""
    from jingwu.cases.notes import reason_text

    return reason_text(reason or "")
