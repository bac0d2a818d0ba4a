"""Races between real connections. PostgreSQL only: SQLite serialises writers anyway."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from jingwu.cases import services
from jingwu.cases.models import Case, Transition
from jingwu.lib.errors import Conflict

from .conftest import IN_A
from .flows import to_state

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def race(n: int, fn: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_dispatchers_at_once_one_wins(cast: Any) -> None:
    case = to_state(cast, "to_dispatch")
    depts = ["B05", "W07"]
    results = race(
        2,
        lambda i: services.perform(
            case.pk,
            "dispatch",
            actor=cast["dispatcher"],
            version=case.version,
            data=services.ActionInput(department=depts[i]),
        ),
    )
    wins = [r for r in results if isinstance(r, Case)]
    assert len(wins) == 1 and sum(isinstance(r, Conflict) for r in results) == 1
    assert Transition.objects.filter(case=case, action="dispatch").count() == 1


def test_concurrent_retries_of_one_report_make_one_case(cast: Any) -> None:
    results = race(
        4,
        lambda i: services.report_case(
            actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="x", client_key="same-key"
        ),
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.case.pk for r in results}) == 1 and sum(r.created for r in results) == 1
    assert Case.objects.count() == 1
