"""The read replica: chosen only where asked (background exports and the statistics report), the primary
otherwise and for every write; in tests, a mirror of the default database rather than a second one."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from jingwu.cases.models import Case
from jingwu.dbrouter import REPLICA, ReplicaRouter, replica_alias, replica_reads
from jingwu.lib import clock

from .flows import public_report, worker_report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def replica(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """A ``replica`` alias set up as Django's test runner sets up a mirror: another connection to the test
    database of ``default`` (what ``TEST: {"MIRROR": "default"}`` in the settings asks for). Module-scoped so
    that it exists before a test's database access is checked against the aliases the test names."""
    cfg = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    cfg["TEST"] = {**cfg.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = cfg
    connections[REPLICA].creation.set_as_test_mirror(connections[DEFAULT_DB_ALIAS].settings_dict)
    yield REPLICA
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def _touches_cases(queries: Any) -> list[str]:
    return [q["sql"] for q in queries if '"cases_case"' in q["sql"]]


def test_the_alias_is_the_replica_when_one_is_configured(monkeypatch: Any) -> None:
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)
    assert replica_alias() == DEFAULT_DB_ALIAS
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert ReplicaRouter().db_for_read(Case) == DEFAULT_DB_ALIAS
    monkeypatch.setitem(connections.settings, REPLICA, {})
    assert replica_alias() == REPLICA
    router = ReplicaRouter()
    assert router.db_for_read(Case) is None  # outside the block: no opinion, so the primary
    with replica_reads() as alias:
        assert alias == REPLICA and router.db_for_read(Case) == REPLICA
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS  # writes never follow the reads
    assert router.db_for_read(Case) is None
    assert router.allow_migrate(REPLICA, "cases") is False and router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None


def test_the_settings_make_the_replica_a_test_mirror_of_default() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="jingwu.settings",
        DATABASE_URL="postgres://jingwu:pw@db-primary:5432/jingwu",
        DATABASE_REPLICA_URL="postgres://jingwu:pw@db-replica:5432/jingwu",
    )
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test.utils import get_unique_databases_and_mirrors\n"
        "made, mirrors = get_unique_databases_and_mirrors()\n"
        "print(json.dumps({'replica': settings.DATABASES['replica'], 'made': [v[1] for v in made.values()],"
        " 'mirrors': mirrors, 'routers': settings.DATABASE_ROUTERS}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got["replica"]["HOST"] == "db-replica" and got["replica"]["NAME"] == "jingwu"
    assert got["replica"]["TEST"]["MIRROR"] == "default"
    assert got["mirrors"] == {"replica": "default"}
    assert got["made"] == [["default"]]  # one test database, not two
    assert got["routers"] == ["jingwu.dbrouter.ReplicaRouter"]


# Committed rows: the replica is another connection, which does not see a rolled-back test's open transaction.
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_background_export_reads_the_replica_and_has_the_right_rows(cast: Any, at: Any, replica: str) -> None:
    from jingwu.web.jobs import build_export
    from jingwu.web.models import Export

    made = [worker_report(cast, description=f"占道经营 第{i}件") for i in range(3)]
    made.append(public_report(cast, description="路边暴露垃圾"))
    job = Export.objects.create(
        user=cast["operator"],
        fmt="csv",
        params={"_kind": "cases", "_lang": "zh-hans", "sort": "-number"},
        rows=len(made),
        created_at=clock.now(),
    )
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        assert build_export.call(job.pk) == "done"
    assert _touches_cases(on_replica), "the case list was not read from the replica"
    assert not _touches_cases(on_primary), _touches_cases(on_primary)
    job.refresh_from_db()
    assert job.status == "done" and job.rows == len(made) and job.progress == 100
    with job.file.open("rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [c.number for c in sorted(made, key=lambda c: c.pk, reverse=True)]
    # Outside the job, reads are the primary's again.
    with CaptureQueriesContext(connections[REPLICA]) as later:
        assert Case.objects.count() == len(made)
    assert not later.captured_queries


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_the_report_workbook_is_read_from_the_replica(cast: Any, at: Any, replica: str) -> None:
    from jingwu.web.jobs import build_export
    from jingwu.web.models import Export

    worker_report(cast)
    job = Export.objects.create(
        user=cast["leader"],
        fmt="xlsx",
        params={"_kind": "stats.report", "_lang": "zh-hans", "period": "month", "value": "2026-03"},
        rows=0,
        created_at=clock.now(),
    )
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        assert build_export.call(job.pk) == "done"
    assert _touches_cases(on_replica) and not _touches_cases(on_primary)
    # The job's own row is written to the primary, never to the replica.
    assert any(q["sql"].lstrip().upper().startswith("UPDATE") for q in on_primary)
    assert not [q for q in on_replica if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
