"""The leader's overview: the loop's figures for today, this month and this year, by place and unit. Every
figure comes from ``jingwu.stats`` (one set of definitions) and opens the list of the cases it counts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jingwu.org.choices import Role
from jingwu.stats import figures

from .common import roles_required
from .views import tile_settings


@roles_required(Role.LEADER, Role.ADMIN, Role.SHIFT_LEAD)
def overview(request: HttpRequest) -> HttpResponse:
    data = figures.overview_shared()
    regions, departments, months = data["regions"], data["departments"], data["months"]
    chart = {
        # Each bar and point opens the list of the cases it counts.
        "links": {
            "months": [[m["links"]["reported"] for m in months], [m["links"]["closed"] for m in months]],
            "regions": [[x["links"]["reported"] for x in regions], [x["links"]["closed"] for x in regions]],
            "departments": [[d["links"]["due"] for d in departments], [d["links"]["closed"] for d in departments]],
        },
        "months": [m["month"] for m in months],
        "reported": [m["reported"] for m in months],
        "closed": [m["closed"] for m in months],
        "regions": [x["name"] for x in regions],
        "region_reported": [x["reported"] for x in regions],
        "region_closed": [x["closed"] for x in regions],
        "departments": [d["name"] for d in departments],
        "dept_due": [d["due"] for d in departments],
        "dept_closed": [d["closed"] for d in departments],
    }
    tiles = [{**t, "links": t["figures"]["links"]} for t in data["tiles"]]
    return render(
        request,
        "web/overview.html",
        {
            "tiles": tiles,
            "overdue": data["overdue"],
            "regions": regions,
            "departments": departments,
            "chart": chart,
            "map": tile_settings(),
        },
    )
