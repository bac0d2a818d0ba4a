"""What every domain relies on: urgent time, isolated receivers with retries, sources from identity,
several roles, starting further along, cases without a place, the scheduler under a pinned clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from jingwu.cases import jobs, services
from jingwu.cases.models import Case, ScheduledRun, Transition
from jingwu.cases.signals import case_changed
from jingwu.lib.errors import Forbidden, Invalid
from jingwu.org import actors
from jingwu.org.models import PersonRole

from .conftest import IN_A, TZ
from .flows import act, to_state
from .test_api import Api

pytestmark = pytest.mark.django_db


# --- urgent time -----------------------------------------------------------------------------------


def test_an_urgent_case_runs_in_continuous_time_at_every_stage(cast: Any, at: Any) -> None:
    # Saturday 2026-10-03 02:00, inside the National Day holiday (10-01 to 10-07).
    at.move(datetime(2026, 10, 3, 2, 0, tzinfo=TZ))
    case = services.report_case(
        actor=actors.IOT, lon=IN_A[0], lat=IN_A[1], description="烟感告警", category="matter:90002"
    ).case
    assert case.status == "reported" and case.source == "iot"
    # Late for acceptance at 02:30 that night, not at 09:00 on the first working day (Thursday 10-08).
    assert case.due_at == datetime(2026, 10, 3, 2, 30, tzinfo=TZ)
    at.move(datetime(2026, 10, 3, 2, 10, tzinfo=TZ))
    case = act(case, "accept", cast["operator"])
    assert case.due_at == datetime(2026, 10, 3, 2, 40, tzinfo=TZ)  # 30 minutes to file
    case = act(case, "file", cast["shiftlead"])
    at.move(datetime(2026, 10, 3, 2, 20, tzinfo=TZ))
    case = act(case, "dispatch", cast["dispatcher"], department="B05")
    # 消防告警: 2 hours, continuous.
    assert case.handling_deadline == datetime(2026, 10, 3, 4, 20, tzinfo=TZ) == case.due_at


def test_an_ordinary_case_waits_for_working_time_over_the_holiday(cast: Any, at: Any) -> None:
    at.move(datetime(2026, 10, 3, 2, 0, tzinfo=TZ))
    case = services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="垃圾").case
    # 10-08 (Thursday) is the first working day after the holiday; 30 working minutes from 08:30.
    assert case.due_at == datetime(2026, 10, 8, 9, 0, tzinfo=TZ)


# --- events ----------------------------------------------------------------------------------------

CALLS: list[str] = []


def flaky_receiver(sender: Any, change: Any, **kwargs: Any) -> None:
    """Fails on its first call, as a subscriber whose database is briefly away would."""
    CALLS.append(change.action)
    if len(CALLS) == 1:
        raise RuntimeError("ledger offline")


def test_a_failing_receiver_does_not_fail_the_action_and_is_retried(cast: Any, at: Any) -> None:
    CALLS.clear()
    case = to_state(cast, "to_file")
    DBTaskResult.objects.all().delete()
    case_changed.connect(flaky_receiver)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            filed = act(case, "file", cast["shiftlead"])
        assert filed.status == "to_dispatch"
        assert Case.objects.get(pk=case.pk).status == "to_dispatch"  # committed, whatever the receiver did
        assert CALLS == ["file"]
        retry = DBTaskResult.objects.get()
        assert retry.task_path == "jingwu.cases.events.redeliver"
        args = retry.args_kwargs["args"]
        assert args[0] == "tests.test_engine.flaky_receiver" and args[1] == "case_changed"
        assert args[3]["action"] == "file" and args[3]["ref"] == case.number and args[4]["case_id"] == case.pk
        # The worker's run of the task delivers the same event again, and this time it goes through.
        assert retry.task.call(*args, **retry.args_kwargs["kwargs"]) == "delivered"
        assert CALLS == ["file", "file"]
    finally:
        case_changed.disconnect(flaky_receiver)


# --- sources and starts ----------------------------------------------------------------------------


def test_a_client_cannot_set_its_own_source(cast: Any, at: Any) -> None:
    body = {"lon": IN_A[0], "lat": IN_A[1], "description": "占道", "source": "superior"}
    for name in ("citizen", "gw_a"):
        resp = Api(cast[name]).post("/cases", body)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "source_not_allowed", resp.content
    assert Case.objects.count() == 0
    # Without a source, it follows from the caller.
    made = Api(cast["citizen"]).post("/cases", {k: v for k, v in body.items() if k != "source"})
    assert made.json()["case"]["source"] == "public"
    # Staff who take reports in name the channel it came by.
    hot = Api(cast["operator"]).post("/cases", body | {"source": "superior"})
    assert hot.status_code == 201 and hot.json()["case"]["source"] == "superior"
    # A system actor reports only as itself.
    with pytest.raises(Forbidden):
        services.report_case(actor=actors.OPEN311, lon=IN_A[0], lat=IN_A[1], description="x", source="superior")


def test_a_task_from_above_starts_at_dispatch_with_its_reason(cast: Any, at: Any) -> None:
    case = services.report_case(
        actor=cast["shiftlead"],
        lon=IN_A[0],
        lat=IN_A[1],
        description="区里交办：清理河道垃圾",
        category="matter:06010",
        source="superior",
        start="to_dispatch",
        start_reason="区城管委交办单 2026-117",
    ).case
    assert case.status == "to_dispatch" and case.condition is not None and case.version == 2
    rows = list(Transition.objects.filter(case=case).order_by("seq").values_list("action", "from_state", "to_state"))
    assert rows == [("report", "", "to_file"), ("file", "to_file", "to_dispatch")]
    assert Transition.objects.get(case=case, seq=1).note == "区城管委交办单 2026-117"
    # A citizen may not skip acceptance; nobody may skip without a reason.
    with pytest.raises(Forbidden):
        services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="x", start="to_file")
    with pytest.raises(Invalid):
        services.report_case(
            actor=cast["shiftlead"],
            lon=IN_A[0],
            lat=IN_A[1],
            description="x",
            category="matter:06010",
            start="to_dispatch",
        )


def test_a_petition_needs_no_place_but_a_street_problem_does(cast: Any, at: Any) -> None:
    case = services.report_case(
        actor=cast["operator"],
        description="反映拆迁补偿问题",
        category="matter:90005",
        source="petition",
        region="120111103201",
        origin=("petitions.petition", "1"),  # only the petitions register raises 信访 cases
    ).case
    assert case.lon is None and case.grid_id is None and case.region.name == "甲村" and case.kind == "petition"
    detail = Api(cast["operator"]).get(f"/cases/{case.number}").json()
    assert detail["lon"] is None and detail["grid"] is None and detail["region_name"] == "甲村"
    with pytest.raises(Invalid) as exc:
        services.report_case(actor=cast["operator"], description="垃圾", category="matter:06010")
    assert exc.value.code == "location_required"


# --- roles -----------------------------------------------------------------------------------------


def test_a_person_with_two_roles_acts_in_either(cast: Any, at: Any) -> None:
    # The dispatcher is also a leader (挂账 is a leader's step).
    person = cast["dispatcher"].person
    PersonRole.objects.create(person=person, role="leader")
    cast["dispatcher"].refresh_from_db()
    case = to_state(cast, "to_dispatch")
    case = act(case, "dispatch", cast["dispatcher"], department="W07")
    case = act(case, "suspend", cast["dispatcher"], reason="long_term")
    assert case.status == "suspended"
    roles = list(Transition.objects.filter(case=case).order_by("-seq").values_list("role", flat=True)[:2])
    assert roles == ["leader", "dispatcher"]
    # Both roles' steps are offered, and the pages let the person in as either.
    detail = Api(cast["dispatcher"]).get(f"/cases/{case.number}").json()
    assert "resume" in [a["action"] for a in detail["actions"]]
    # Without the second role the same step is refused.
    PersonRole.objects.filter(person=person).delete()
    cast["dispatcher"].refresh_from_db()
    with pytest.raises(Forbidden):
        act(case, "resume", cast["dispatcher"])


def test_a_grid_worker_who_is_also_river_chief_sees_both(cast: Any, at: Any) -> None:
    from django.contrib.auth import get_user_model

    from jingwu.org.models import Person

    user = get_user_model().objects.create_user("chief")
    Person.objects.create(user=user, name="河长", role="river_chief")
    mine = services.report_case(actor=user, lon=IN_A[0], lat=IN_A[1], description="河面漂浮物").case
    assert mine.source == "inspection"
    other = services.report_case(actor=cast["gw_b"], lon=IN_A[0], lat=IN_A[1], description="占道").case
    visible = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    # A river chief sees what they reported and what the public sees (uncategorised reports are not public).
    assert mine.pk in visible and other.pk not in visible
    from jingwu.geo.models import Grid
    from jingwu.org.models import GridAssignment

    PersonRole.objects.create(person=user.person, role="grid_worker")
    GridAssignment.objects.create(person=user.person, grid=Grid.objects.get(code="120111103201001"))
    user.refresh_from_db()
    assert {mine.pk, other.pk} <= set(Case.objects.visible_to(user).values_list("pk", flat=True))


# --- the scheduler ---------------------------------------------------------------------------------


def test_the_scheduler_warns_escalates_and_rolls_up_once_per_slot(cast: Any, at: Any) -> None:
    case = to_state(cast, "to_dispatch")  # due 30 working minutes after 09:00
    assert case.due_at == datetime(2026, 3, 2, 9, 30, tzinfo=TZ)
    at.move(datetime(2026, 3, 2, 9, 12, tzinfo=TZ))
    assert sorted(jobs.tick()) == [
        "audit_partitions",  # next months' partitions of the audit log (PostgreSQL)
        "audit_seal",
        "daily_rollup",
        "erase_personal_data",
        "escalate_overdue",
        "iot_offline",  # monitoring's: offline detection, the hourly rollup, next months' partitions
        "iot_partitions",
        "iot_rollup",
        "registry_visit_plans",  # the registry's visit plans as tags end and begin, daily
        "safety_plan_tasks",  # a domain's own job (the safety module's inspection tasks)
        "supervision_notices",  # supervision's reminders and 督办, hourly
        "warn_due_soon",
    ]
    assert jobs.tick() == []  # the same slot on another node: nothing more
    assert ScheduledRun.objects.filter(job="warn_due_soon").get().slot == datetime(2026, 3, 2, 9, 10, tzinfo=TZ)
    assert jobs.warn_due_soon() == 1 and jobs.warn_due_soon() == 0
    warning = Transition.objects.get(case=case, action="note")
    assert warning.actor.username == "sys:scheduler" and "18分钟" in warning.note
    assert jobs.escalate_overdue() == 0
    at.move(datetime(2026, 3, 2, 9, 45, tzinfo=TZ))
    assert jobs.tick() == ["warn_due_soon", "escalate_overdue", "audit_seal", "iot_offline"]
    assert jobs.escalate_overdue() == 1 and jobs.escalate_overdue() == 0
    case.refresh_from_db()
    assert case.escalation_count == 1 and case.status == "to_dispatch"
    assert case.due_at == datetime(2026, 3, 2, 9, 30, tzinfo=TZ)  # escalation moves no deadline
    esc = Transition.objects.get(case=case, action="escalate")
    assert (esc.role, esc.actor_name, esc.data["level"]) == ("system", "定时任务", 1)
    # The nightly rollup counts the day from its transitions.
    at.move(datetime(2026, 3, 3, 1, 5, tzinfo=TZ))
    assert "daily_rollup" in jobs.tick()
    from jingwu.stats.models import DailyStat
    from jingwu.stats.rollup import rollup_day, rollup_pending

    assert rollup_pending() == [datetime(2026, 3, 2).date()] and rollup_pending() == []
    day = DailyStat.objects.get(day="2026-03-02", dim="")
    assert (day.reported, day.filed, day.dispatched) == (1, 1, 0)
    rows = DailyStat.objects.count()
    assert rollup_day(datetime(2026, 3, 2).date()) == rows and DailyStat.objects.count() == rows


def test_the_workflows_are_published(cast: Any) -> None:
    names = [w["name"] for w in Api(cast["citizen"]).get("/workflows").json()]
    assert names[0] == "case" and "beacon" in names
    table = Api().get("/workflows/case").json()
    escalate = next(s for s in table["steps"] if s["action"] == "escalate")
    assert escalate["to"] == "(unchanged)" and escalate["roles"] == ["leader", "system"]
    assert Api().get("/workflows/nope").status_code == 404
