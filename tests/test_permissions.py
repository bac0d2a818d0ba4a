"""Walk every action endpoint for every role: the allowed roles succeed, everyone else gets 403/404/401."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu.cases.workflow import STEPS, Step
from jingwu.org.choices import SEE_ALL, Role

from .conftest import IN_A, jpeg
from .flows import to_state, worker_report
from .test_api import Api

pytestmark = pytest.mark.django_db

ROLE_USER = {
    Role.GRID_WORKER: "gw_a",
    Role.OPERATOR: "operator",
    Role.SHIFT_LEAD: "shiftlead",
    Role.DISPATCHER: "dispatcher",
    Role.HANDLER: "h_env",
    Role.LEADER: "leader",
    Role.ADMIN: "admin",
    Role.AUDITOR: "auditor",
    Role.PUBLIC: "citizen",
}

SOURCE = {
    "accept": "reported",
    "send_to_verify": "reported",
    "verify": "verifying",
    "void": "reported",
    "file": "to_file",
    "dispatch": "to_dispatch",
    "return": "handling",
    "request_extension": "handling",
    "approve_extension": "handling_ext",
    "deny_extension": "handling_ext",
    "feedback": "handling",
    "check": "to_check",
    "close": "to_close",
    "suspend": "handling",
    "resume": "suspended",
    "self_resolve": "to_file",
    "merge": "reported",
    "escalate": "handling",
    "urge": "handling",
    "assign": "handling",
    "support_reply": "handling_supported",
    "revisit": "closed_unsatisfied",
}


def body_for(step: Step, cast: Any, version: int) -> dict[str, Any]:
    body: dict[str, Any] = {"version": version, "note": "说明", "reason": "spam"}
    if step.outcome:
        body["outcome"] = step.outcome
    if step.action == "dispatch":
        body["department"] = "W07"
    if step.action == "request_extension":
        body["extension"] = '{"value": 1, "unit": "work_days"}'
    if step.action == "assign":
        body["handler"] = cast["h_env"].person.pk
    if step.action == "merge":
        body["merge_into"] = to_state(cast, "to_dispatch").number
    if step.needs_photo:
        body["photos"] = [jpeg(), jpeg((1, 2, 3))]
    return body


CASES = [(step, role) for step in STEPS for role in [*ROLE_USER, None]]


@pytest.mark.parametrize(
    "step,role", CASES, ids=[f"{s.action}{'-' + s.outcome if s.outcome else ''}-{r or 'anonymous'}" for s, r in CASES]
)
def test_every_role_on_every_action(cast: Any, at: Any, step: Step, role: Role | None) -> None:
    source = SOURCE[step.action]
    if step.roles == {Role.SYSTEM}:  # a system actor's own step (a false alarm's void): where it applies
        source = sorted(step.sources)[0]
    case = worker_report(cast) if step.action == "self_resolve" else to_state(cast, source)
    api = Api(cast[ROLE_USER[role]] if role else None)
    resp = api.form(f"/cases/{case.number}/{step.action}", body_for(step, cast, case.version))
    if role is None:
        assert resp.status_code == 401
    elif role in step.roles:
        assert resp.status_code == 200, resp.content
        assert resp.json()["status"] == (step.target or case.status)
    elif role in SEE_ALL:
        assert resp.status_code == 403, resp.content
    else:
        # Outside the command centre a case you may not act on may also be one you may not see.
        assert resp.status_code in (403, 404), resp.content
    before = case.version
    case.refresh_from_db()
    # A refused action changes nothing.
    assert case.version == (before + 1 if role in step.roles else before)


def test_report_roles(cast: Any, at: Any) -> None:
    body = {"lon": IN_A[0], "lat": IN_A[1], "description": "x"}
    for role, name in ROLE_USER.items():
        resp = Api(cast[name]).post("/cases", body)
        expected = 201 if role in (Role.GRID_WORKER, Role.PUBLIC, Role.OPERATOR, Role.SHIFT_LEAD) else 403
        assert resp.status_code == expected, (role, resp.content)
    assert Api().post("/cases", body).status_code == 401


def test_scope_is_enforced_within_a_role(cast: Any, at: Any) -> None:
    case = to_state(cast, "verifying")
    r = Api(cast["gw_b"]).form(
        f"/cases/{case.number}/verify", {"version": case.version, "outcome": "confirmed", "photos": jpeg()}
    )
    assert r.status_code in (403, 404)
    case = to_state(cast, "handling")
    r = Api(cast["h_city"]).form(f"/cases/{case.number}/feedback", {"version": case.version, "photos": jpeg()})
    assert r.status_code in (403, 404)
