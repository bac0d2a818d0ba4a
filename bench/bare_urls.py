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
    """The rows of an Open311 list page: the cases, each with its latest public note and first report photo
    (``status_notes`` and ``media_url``)."""
    from django.db.models import OuterRef, Subquery

    from jingwu.cases.models import Attachment, Case, Transition

    limit = int(request.GET.get("limit", 50))
    notes = Transition.objects.filter(case=OuterRef("pk")).exclude(public_note="").order_by("-seq")
    photos = Attachment.objects.filter(case=OuterRef("pk"), kind="report").order_by("id")
    rows = (
        Case.objects.filter(category__is_public=True, origin_kind="")
        .exclude(status="voided")
        .order_by("-reported_at", "-id")
        .annotate(last_note=Subquery(notes.values("public_note")[:1]), first_photo=Subquery(photos.values("id")[:1]))
        .values("id", "number", "status", "department_id", "category_id", "description", "reported_at", "updated_at",
                "handling_deadline", "address", "lon", "lat", "last_note", "first_photo")[:limit]
    )  # fmt: skip
    return JsonResponse(list(rows), safe=False)


urlpatterns: list[Any] = [
    path("bench/bare/cases", bare_cases),
    path("bench/bare/requests", bare_requests),
    path("", include("jingwu.urls")),
]
