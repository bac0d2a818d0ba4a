"""Every hot request's statements on the big tables have an index to use (PostgreSQL).

The requests are ``ops.hotpaths.PATHS`` (the ones ``jingwu explain-hot`` documents on the benchmark city). With
sequential scans priced out (``enable_seqscan = off``) the planner still chooses one only where no index can
serve the query: that is what a city of ten million cases cannot afford, and what this test catches.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from jingwu.ops import hotpaths

from .flows import to_state

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def city(cast: Any, at: Any) -> Any:
    for state in ("reported", "verifying", "to_file", "to_dispatch", "handling", "handling_ext", "returned",
                  "suspended", "to_check", "to_close", "closed_unsatisfied"):  # fmt: skip
        to_state(cast, state)
    return cast


def _no_seqscan() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")


def test_every_hot_request_reads_the_big_tables_by_an_index(city: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's: run with DATABASE_URL=postgres://…")
    _no_seqscan()
    try:
        runs = hotpaths.run()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    by_name = {r.path.name: r for r in runs}
    assert set(by_name) == {p.name for p in hotpaths.PATHS}, "every hot request was made"
    bad = [f"{r.path.name}: HTTP {r.status}" for r in runs if r.status >= 400]
    assert not bad, bad
    # The capture works: the lists and the counts do read the cases.
    for name in ("centre: queue counts (polled every 10 s)", "API: newest 50", "Open311: requests.json, 50 rows",
                 "API: text search", "department desk"):  # fmt: skip
        assert by_name[name].statements, name
    scans = [
        f"{r.path.name} ({r.url}): {', '.join(s.seq_scans())}\n{s.sql}\n{s.plan}"
        for r in runs
        for s in r.statements
        if s.seq_scans()
    ]
    assert not scans, "\n\n".join(scans)


def test_text_search_finds_words_of_the_description_and_the_number(city: Any) -> None:
    """The words index (PostgreSQL) and the substring (SQLite) agree on what a user types."""
    from jingwu.cases import selectors
    from jingwu.cases.models import Case

    case = Case.objects.exclude(number=None).order_by("id").first()
    assert case is not None
    Case.objects.filter(pk=case.pk).update(description="幸福路东侧井盖破损存在安全隐患")
    case.refresh_from_db()
    case.save()  # the words are kept on save
    found = lambda q: set(selectors.text_search(Case.objects.all(), q).values_list("pk", flat=True))  # noqa: E731
    assert case.pk in found("井盖")
    assert case.pk in found("安全隐患")
    assert case.pk in found("幸福路 井盖")
    assert case.pk in found(case.number or "")
    assert case.pk not in found("路灯")
    assert found("，。") == (set() if connection.vendor == "postgresql" else found("，。"))


def test_explain_hot_writes_the_plans(city: Any, tmp_path: Any) -> None:
    out = tmp_path / "explain.md"
    call_command("explain_hot", "--write", str(out), "--only", "queue counts")
    text = out.read_text(encoding="utf-8")
    assert "centre: queue counts" in text
    if connection.vendor == "postgresql":
        assert "Index" in text and "cases_case" in text
