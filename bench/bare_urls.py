"""Bare views at ``/bench/bare/…`` that return the same rows as the list API and Open311 with nothing but
``values()`` and ``JsonResponse``: the baseline the real endpoints are measured against, served by the same
processes through the same middleware (``bench/city_bench.py``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

LIST_FIELDS = (
    "id", "number", "status", "kind", "category_id", "source", "lon", "lat", "address", "grid_id", "region_id",
    "description", "department_id", "reported_at", "updated_at", "due_at", "handling_deadline", "version",
    "reporter_name", "reporter_phone", "condition_id", "extension_count", "pending_extension", "rework_count",
    "return_count",
)  # fmt: skip


def bare_cases(request: HttpRequest) -> JsonResponse:
    from jingwu.cases.models import Case

    limit = int(request.GET.get("limit", 50))
    return JsonResponse({"items": list(Case.objects.order_by("-id").values(*LIST_FIELDS)[:limit])})


def bare_requests(request: HttpRequest) -> JsonResponse:
    from jingwu.cases.models import Case

    limit = int(request.GET.get("limit", 50))
    rows = (
        Case.objects.filter(category__is_public=True, origin_kind="")
        .exclude(status="voided")
        .order_by("-reported_at", "-id")
        .values("id", "number", "status", "department_id", "category_id", "description", "reported_at", "updated_at",
                "handling_deadline", "address", "lon", "lat")[:limit]
    )  # fmt: skip
    return JsonResponse(list(rows), safe=False)


urlpatterns: list[Any] = [
    path("bench/bare/cases", bare_cases),
    path("bench/bare/requests", bare_requests),
    path("", include("jingwu.urls")),
]
