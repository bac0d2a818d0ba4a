"""A toy domain (tests/toy) plugs into the engine without touching it: its own model and three-step workflow,
a system actor, a case it raises and follows, driven through the generic API and the events."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import TestCase

from jingwu.audit.models import AuditEvent
from jingwu.cases.models import Case, ObjectTransition, Transition

from .conftest import IN_A
from .test_api import Api
from .toy import domain
from .toy.models import Beacon

pytestmark = pytest.mark.django_db


def test_a_toy_domain_runs_its_workflow_and_its_case_through_the_engine(cast: Any, at: Any) -> None:
    domain.RECEIVED.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        beacon, case = domain.raise_beacon("一号信标", *IN_A)
    # The case starts further along, names its origin and its system actor, and its source follows from it.
    assert case.status == "to_file" and case.source == "iot"
    assert (case.origin_kind, case.origin_id) == ("toy.beacon", str(beacon.pk))
    report = Transition.objects.get(case=case, seq=1)
    assert report.actor.username == "sys:toy_beacon" and report.actor_name == "测试信标" and report.role == "system"
    assert report.data == {"start": "to_file", "reason": "设备告警经规则确认"}
    assert AuditEvent.objects.get(action="case.report", object_id=case.number).actor.username == "sys:toy_beacon"
    # 消防告警 counts in continuous hours: the filing stage runs 30 minutes of calendar time.
    assert (case.due_at - at.now).total_seconds() == 30 * 60
    beacon.refresh_from_db()
    assert beacon.case_state == "to_file"  # learnt from the event, which carried the origin
    first = domain.RECEIVED[0]
    assert (first.workflow, first.ref, first.action, first.from_state, first.to_state) == (
        "case",
        case.number,
        "report",
        "",
        "to_file",
    )
    assert (first.actor, first.role, first.origin_kind) == ("sys:toy_beacon", "system", "toy.beacon")

    # The workflow is published like the case loop's.
    table = Api(cast["operator"]).get("/workflows/beacon").json()
    assert [s["action"] for s in table["steps"]] == ["acknowledge", "clear", "reopen"]
    assert table["states"][0] == {"state": "raised", "label": "告警", "open": True, "limit": "10 continuous_hours"}

    # A person takes a step through the generic API: same version check, transition and audit as a case.
    api = Api(cast["operator"])
    seen = api.get(f"/workflows/beacon/{beacon.pk}").json()
    assert seen["state"] == "raised" and [a["action"] for a in seen["actions"]] == ["acknowledge", "clear"]
    assert api.post(f"/workflows/beacon/{beacon.pk}/acknowledge", {"version": 99}).status_code == 409
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/workflows/beacon/{beacon.pk}/acknowledge", {"version": 1, "client_key": "k1"})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "acknowledged" and done.json()["version"] == 2
    again = api.post(f"/workflows/beacon/{beacon.pk}/acknowledge", {"version": 1, "client_key": "k1"})
    assert again.status_code == 200 and again.json()["version"] == 2  # a retry, not a second step
    # Roles are checked per step; people without a role in this workflow do not even see the object.
    assert Api(cast["dispatcher"]).post(f"/workflows/beacon/{beacon.pk}/clear", {"version": 2}).status_code == 403
    assert Api(cast["gw_a"]).get(f"/workflows/beacon/{beacon.pk}").status_code == 404

    # The device clears (its system actor), and the domain's receiver voids the case the beacon raised.
    from jingwu.cases import engine

    with TestCase.captureOnCommitCallbacks(execute=True):
        engine.perform(
            beacon, "clear", actor=domain.BEACON_ACTOR, version=2, data=engine.StepInput(reason="signal_lost")
        )
    beacon.refresh_from_db()
    case.refresh_from_db()
    assert beacon.status == "cleared" and beacon.due_at is None
    assert case.status == "voided" and beacon.case_state == "voided"
    void = Transition.objects.get(case=case, action="void")
    assert (void.actor.username, void.role, void.reason) == ("sys:toy_beacon", "system", "cleared")
    steps = list(
        ObjectTransition.objects.filter(workflow="beacon", object_id=str(beacon.pk))
        .order_by("seq")
        .values_list("seq", "action", "from_state", "to_state", "role", "actor_name")
    )
    assert steps == [
        (1, "acknowledge", "raised", "acknowledged", "operator", "operator姓名"),
        (2, "clear", "acknowledged", "cleared", "system", "测试信标"),
    ]
    audit = list(AuditEvent.objects.filter(object_type="beacon").order_by("id").values_list("action", "actor_name"))
    assert audit == [("beacon.acknowledge", "operator"), ("beacon.clear", "sys:toy_beacon")]
    assert Beacon.objects.get(pk=beacon.pk).version == 3


def test_a_system_actor_acts_only_where_it_is_allowed(cast: Any, at: Any) -> None:
    from jingwu.cases import engine, services
    from jingwu.lib.errors import Forbidden

    beacon, case = domain.raise_beacon("二号信标", *IN_A)
    other = services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="别人的案件").case
    # Not its own case: refused, though the step allows system actors.
    with pytest.raises(Forbidden) as exc:
        services.perform(
            other.pk,
            "void",
            actor=domain.BEACON_ACTOR,
            version=other.version,
            data=services.ActionInput(reason="cleared"),
        )
    assert exc.value.code == "not_raised_by_you"
    # A step its registration does not list: refused.
    with pytest.raises(Forbidden):
        services.perform(case.pk, "file", actor=domain.BEACON_ACTOR, version=case.version)
    # Another system actor may not take the beacon's steps.
    from jingwu.org import actors

    with pytest.raises(Forbidden):
        engine.perform(beacon, "clear", actor=actors.IOT, version=1, data=engine.StepInput(reason="x"))
    # No anonymous writes: every step names its actor.
    with pytest.raises(ValueError):
        services.perform(case.pk, "void", actor=None, version=case.version)
    assert Case.objects.get(pk=case.pk).status == "to_file"
