"""The engine's step path, in process, on PostgreSQL: ``.venv/bin/python bench/engine.py [--cases N]``.

Each case is reported and taken through file → dispatch → feedback → check → close by the real actors
through ``cases.services`` (lock, version check, table, roles, scope, hook, transition, audit, event). The
baseline, in the same run on the same database, is the bare minimum those steps write: per step one
``SELECT … FOR UPDATE``, one case ``UPDATE``, one transition ``INSERT`` and one audit ``INSERT`` in a
transaction, by raw SQL.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import django_setup, line, reset_db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=300)
    args = ap.parse_args()
    reset_db()
    django_setup(migrate=True)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from jingwu.cases import services
    from jingwu.cases.models import Case
    from jingwu.geo.models import Grid
    from jingwu.geo.services import import_geojson
    from jingwu.lib import clock
    from jingwu.org.choices import DepartmentKind, Role
    from jingwu.org.models import Department, GridAssignment, Person
    from tests.conftest import IN_A, jpeg, territory

    import_geojson(territory())
    Department.objects.create(code="W07", name="环卫公司", kind=DepartmentKind.EXTERNAL)
    User = get_user_model()

    def make(name: str, role: str, dept: Department | None = None) -> object:
        u = User.objects.create_user(name)
        Person.objects.create(user=u, name=name, role=role, department=dept)
        return u

    lead, disp = make("lead", Role.SHIFT_LEAD), make("disp", Role.DISPATCHER)
    handler = make("h", Role.HANDLER, Department.objects.get(code="W07"))
    gw = make("gw", Role.GRID_WORKER)
    for g in Grid.objects.all():
        GridAssignment.objects.create(person=gw.person, grid=g)  # type: ignore[attr-defined]
    photo = jpeg().read()

    def step(c: Case, action: str, actor: object, **kw: object) -> Case:
        if "photos" in kw:
            from django.core.files.uploadedfile import SimpleUploadedFile

            kw["photos"] = [SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg")]
        return services.perform(c.pk, action, actor=actor, version=c.version, data=services.ActionInput(**kw))

    from contextlib import nullcontext

    from jingwu.notify.models import Notification
    from jingwu.notify.receivers import quiet

    def loop(n: int, tag: str, notifying: bool) -> float:
        """n cases through the loop; with ``notifying`` false the notification receiver stays silent."""
        with clock.frozen_at(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))), (
            nullcontext() if notifying else quiet()
        ):
            started = time.perf_counter()
            for i in range(n):
                c = services.report_case(actor=gw, lon=IN_A[0], lat=IN_A[1], description=f"垃圾 {tag}{i}",
                                         category="matter:06010").case
                c = step(c, "file", lead)
                c = step(c, "dispatch", disp, department="W07")
                c = step(c, "feedback", handler, photos=True)
                c = step(c, "check", gw, outcome="pass", photos=True)
                c = step(c, "close", lead)
            return time.perf_counter() - started

    steps = 5 * args.cases
    # Notifications: the same loop with the receiver silent (the baseline) and speaking, interleaved in
    # halves so that the machine's drift falls on both alike.
    half = max(1, args.cases // 2)
    silent_s = loop(half, "s", False) + loop(half, "t", False)
    told_before = Notification.objects.count()
    engine_s = loop(half, "n", True) + loop(half, "m", True)
    told = Notification.objects.count() - told_before
    ids = list(Case.objects.values_list("id", flat=True))[: args.cases]
    started = time.perf_counter()
    raw = 0
    with connection.cursor() as cur:
        for cid in ids:
            for seq in range(7, 12):
                with transaction.atomic():
                    cur.execute("SELECT version FROM cases_case WHERE id = %s FOR UPDATE", [cid])
                    cur.execute("UPDATE cases_case SET version = version + 1, updated_at = now() WHERE id = %s", [cid])
                    cur.execute(
                        "INSERT INTO cases_transition (case_id, seq, action, outcome, from_state, to_state, actor_name,"
                        " role, at, note, reason, public_note, data) VALUES (%s, %s, 'x', '', 'a', 'b', 'n', 'r', now(),"
                        " '', '', '', '{}')",
                        [cid, seq],
                    )
                    cur.execute(
                        "INSERT INTO audit_auditevent (at, actor_name, role, action, object_type, object_id, data)"
                        " VALUES (now(), 'n', 'r', 'x', 'case', %s, '{}')",
                        [str(cid)],
                    )
                raw += 1
    raw_s = time.perf_counter() - started
    line("engine steps (report + 5 steps per case, 2 with a photo)", f"{steps / engine_s:,.0f} steps/s",
         f"{args.cases} cases, {engine_s * 1000 / (steps + args.cases):.2f} ms per write, {told:,} notifications")
    line("the same with notifications silent", f"{steps / silent_s:,.0f} steps/s",
         f"notifying / silent = {engine_s / silent_s:.2f}× the time")
    line("raw lock + update + 2 inserts per step", f"{raw / raw_s:,.0f} steps/s",
         f"engine / raw = {(engine_s / steps) / (raw_s / raw):.1f}× the time per step")


if __name__ == "__main__":
    main()
