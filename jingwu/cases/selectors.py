"""Read-side queries: work queues and list filters, on top of ``Case.objects.visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Q

from jingwu.lib import clock
from jingwu.org.choices import Role
from jingwu.org.services import person_of, role_of

from .choices import CaseKind, State
from .models import Case, CaseQuerySet


def tasks_for(user: Any) -> CaseQuerySet:
    """Cases waiting for this user's hand now."""
    role = role_of(user)
    person = person_of(user)
    qs = Case.objects.visible_to(user)  # a queue never shows what its holder may not see (a petition)
    if role == Role.OPERATOR:
        return qs.filter(status=State.REPORTED)
    if role == Role.SHIFT_LEAD:
        return qs.filter(
            Q(status__in=[State.TO_FILE, State.TO_CLOSE])
            | Q(status=State.HANDLING, pending_extension__isnull=False, extension_count=0)
        )
    if role == Role.DISPATCHER:
        return qs.filter(status__in=[State.TO_DISPATCH, State.RETURNED])
    if role == Role.LEADER:
        return qs.filter(Q(status=State.SUSPENDED) | Q(status=State.HANDLING, pending_extension__isnull=False))
    if role == Role.GRID_WORKER and person is not None:
        from jingwu.org.services import grid_ids

        mine = grid_ids(person)
        return qs.filter(status__in=[State.VERIFYING, State.TO_CHECK], grid_id__in=mine)
    if role == Role.PETITION_CLERK:
        return qs.filter(
            kind__in=[CaseKind.PETITION, CaseKind.SUGGESTION],
            status__in=[
                State.REPORTED,
                State.TO_FILE,
                State.TO_DISPATCH,
                State.RETURNED,
                State.TO_CHECK,
                State.TO_CLOSE,
            ],
        )
    if role == Role.HANDLER and person is not None and person.department_id:
        return qs.filter(status=State.HANDLING, department_id=person.department_id)
    return qs.none()


@dataclass
class CaseFilter:
    status: list[str] | None = None
    category: str | None = None
    source: str | None = None
    region: str | None = None
    grid: str | None = None
    department: str | None = None
    overdue: bool | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    q: str | None = None


def apply_filter(qs: CaseQuerySet, f: CaseFilter, at: datetime | None = None) -> CaseQuerySet:
    at = at or clock.now()
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.category:
        kind, _, code = f.category.rpartition(":")
        qs = qs.filter(category__code=code, **({"category__kind": kind} if kind else {}))
    if f.source:
        qs = qs.filter(source=f.source)
    if f.region:
        qs = qs.filter(region__code=f.region)
    if f.grid:
        qs = qs.filter(grid__code=f.grid)
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.overdue is True:
        qs = qs.overdue(at)
    elif f.overdue is False:
        qs = qs.exclude(pk__in=Case.objects.overdue(at).values("pk"))
    if f.reported_after:
        qs = qs.filter(reported_at__gte=f.reported_after)
    if f.reported_before:
        qs = qs.filter(reported_at__lt=f.reported_before)
    if f.bbox:
        lon1, lat1, lon2, lat2 = f.bbox
        qs = qs.filter(lon__range=(min(lon1, lon2), max(lon1, lon2)), lat__range=(min(lat1, lat2), max(lat1, lat2)))
    if f.q:
        qs = text_search(qs, f.q)
    return qs


def text_search(qs: CaseQuerySet, q: str) -> CaseQuerySet:
    """A case number, or words of the description and address: on PostgreSQL the cases holding every word of
    the query (a full-text index over the words ``lib.textsearch`` cut), elsewhere a substring."""
    term = q.strip()
    if connections[qs.db].vendor != "postgresql":
        # Each word typed, in the description or the address, as the words index does on PostgreSQL.
        every = Q()
        for part in term.split():
            every &= Q(description__icontains=part) | Q(address__icontains=part)
        return qs.filter(Q(number=term) | every) if term else qs.filter(number=term)
    from jingwu.lib import textsearch

    words = textsearch.words(term)
    if not words:
        return qs.filter(number=term)
    return qs.filter(Q(number=term) | Q(search__words=" ".join(words)))
