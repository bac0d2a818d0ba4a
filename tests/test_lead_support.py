"""主办/协办, 承办人 and 催办: the lead department carries the case, supporting departments give their part,
a leader's reminder reaches the desk; and pages offer only the steps the service would take."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client

from jingwu.cases import services
from jingwu.cases.models import Case, CaseSupport
from jingwu.lib.errors import Forbidden, Invalid
from jingwu.org.choices import Role
from jingwu.org.models import Department, Person

from .flows import act, public_report, to_state


def signed_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def to_dispatch_with_support(cast: Any, *supporting: str) -> Case:
    c = to_state(cast, "to_dispatch")
    return act(c, "dispatch", cast["dispatcher"], department="W07", supporting=list(supporting))


def test_dispatch_names_a_lead_and_supporting_departments(cast: Any) -> None:
    c = to_dispatch_with_support(cast, "B05")
    assert c.department.code == "W07"
    assert list(c.supports.values_list("department__code", flat=True)) == ["B05"]
    dispatch = c.transitions.get(action="dispatch")
    assert dispatch.data == {"supporting": ["B05"]} and dispatch.department.code == "W07"
    # The supporting department's handler now sees the case; before the dispatch they did not.
    assert Case.objects.visible_to(cast["h_city"]).filter(pk=c.pk).exists()
    # They may give their part but not act for the lead department.
    with pytest.raises(Forbidden):
        act(c, "feedback", cast["h_city"], photos=[])
    with pytest.raises(Invalid):  # a part needs words
        act(c, "support_reply", cast["h_city"])
    c = act(c, "support_reply", cast["h_city"], note="已配合清理路面", reason="已配合完成")
    assert CaseSupport.objects.get(case=c).replied_at is not None
    assert c.status == "handling" and c.transitions.last().department.code == "B05"
    # The lead department is not a supporting one.
    with pytest.raises(Forbidden):
        act(c, "support_reply", cast["h_env"], reason="x")


def test_supporting_departments_are_checked(cast: Any) -> None:
    c = to_state(cast, "to_dispatch")
    for bad, code in ((["W07"], "lead_is_supporting"), (["NOPE"], "unknown_department")):
        with pytest.raises(Invalid) as err:
            act(c, "dispatch", cast["dispatcher"], department="W07", supporting=bad)
        assert err.value.code == code
    Department.objects.filter(code="B05").update(active=False)
    with pytest.raises(Invalid):
        act(c, "dispatch", cast["dispatcher"], department="W07", supporting=["B05"])
    assert Case.objects.get(pk=c.pk).status == "to_dispatch"  # nothing half-done


def test_a_redispatch_replaces_the_supporting_departments_and_clears_the_handler(cast: Any) -> None:
    c = to_dispatch_with_support(cast, "B05")
    c = act(c, "assign", cast["h_env"], handler=cast["h_env"].person.pk)
    assert c.handler == cast["h_env"].person
    c = act(c, "return", cast["h_env"], reason="not_ours")
    assert c.handler is None
    c = act(c, "dispatch", cast["dispatcher"], department="B05")
    assert not c.supports.exists() and c.handler is None


def test_the_lead_department_names_its_own_handler(cast: Any) -> None:
    c = to_dispatch_with_support(cast)
    with pytest.raises(Invalid) as err:  # a person of another department
        act(c, "assign", cast["h_env"], handler=cast["h_city"].person.pk)
    assert err.value.code == "unknown_handler"
    with pytest.raises(Invalid):  # not a handler at all
        act(c, "assign", cast["h_env"], handler=cast["operator"].person.pk)
    with pytest.raises(Forbidden):  # only the lead department assigns
        act(c, "assign", cast["h_city"], handler=cast["h_city"].person.pk)
    from django.contrib.auth import get_user_model

    u = get_user_model().objects.create_user("h_env2", password="pw-h_env2")
    second = Person.objects.create(user=u, name="环卫二", role=Role.HANDLER, department=c.department)
    c = act(c, "assign", cast["h_env"], handler=second.pk)
    assert c.handler == second
    t = c.transitions.last()
    assert t.action == "assign" and t.data == {"handler": second.pk, "handler_name": "环卫二"}
    # The desk filters 我承办的; the case file names the handler as the one who acts next.
    desk = signed_in(u).get("/desk/?mine=1")
    assert desk.context["page"].paginator.count == 1
    assert signed_in(cast["h_env"]).get("/desk/?mine=1").context["page"].paginator.count == 0
    page = signed_in(cast["h_env"]).get(f"/cases/{c.number}/").content.decode()
    assert 'id="case-handler">环卫二<' in page and "承办人 环卫二" in page


def test_a_reminder_reaches_the_desk_first_and_changes_no_deadline(cast: Any) -> None:
    first = to_dispatch_with_support(cast)
    urged = to_dispatch_with_support(cast)
    due = urged.due_at
    with pytest.raises(Forbidden):  # a handler does not remind itself
        act(urged, "urge", cast["h_env"], reason="x")
    urged = act(urged, "urge", cast["leader"], reason="群众催问")
    assert urged.due_at == due and urged.status == "handling"
    desk = signed_in(cast["h_env"]).get("/desk/").content.decode()
    order = re.findall(r'<tr class="[^"]*" data-number="([^"]+)"', desk)
    assert order[:2] == [urged.number, first.number] and 'class="badge bg-orange text-white urged"' in desk
    # The desk's export is the desk, in its order.
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(signed_in(cast["h_env"]).get("/desk/export?format=csv").streaming_content).decode("utf-8-sig")
            )
        )
    )
    assert [r[0] for r in rows[1:]] == order


def test_the_supporting_department_sees_its_part_on_its_desk(cast: Any) -> None:
    c = to_dispatch_with_support(cast, "B05")
    desk = signed_in(cast["h_city"]).get("/desk/")
    assert [r["case"].number for r in desk.context["support_rows"]] == [c.number]
    page = signed_in(cast["h_city"]).get(f"/cases/{c.number}/").content.decode()
    assert 'data-action="support_reply"' in page and 'data-action="feedback"' not in page
    act(c, "support_reply", cast["h_city"], reason="已配合完成")
    assert signed_in(cast["h_city"]).get("/desk/").context["support_rows"] == []
    page = signed_in(cast["dispatcher"]).get(f"/cases/{c.number}/").content.decode()
    assert 'data-department="B05"' in page and "已反馈" in page


def test_pages_and_the_api_offer_only_what_the_service_allows(cast: Any) -> None:
    filed = to_state(cast, "to_file")
    offered = {s.action for s in services.offered_steps(filed, cast["operator"])}
    assert "void" not in offered and "merge" in offered  # an operator voids spam at 待受理 only
    assert "void" in {s.action for s in services.offered_steps(public_report(cast), cast["operator"])}
    assert "void" in {s.action for s in services.offered_steps(filed, cast["shiftlead"])}
    handling = to_state(cast, "handling")
    assert {s.action for s in services.offered_steps(handling, cast["h_city"])} == set()  # not their case
    assert {"feedback", "return", "assign"} <= {s.action for s in services.offered_steps(handling, cast["h_env"])}
    detail = signed_in(cast["operator"]).get(f"/api/cases/{filed.number}").json()
    assert "void" not in {a["action"] for a in detail["actions"]}
    # The grid worker of another grid is not offered the check of this one.
    to_check = to_state(cast, "to_check")
    assert {s.action for s in services.offered_steps(to_check, cast["gw_b"])} == set()
    assert {s.action for s in services.offered_steps(to_check, cast["gw_a"])} == {"check"}


def test_the_api_carries_the_lead_the_supports_and_the_handler(cast: Any) -> None:
    c = to_state(cast, "to_dispatch")
    api = signed_in(cast["dispatcher"])
    r = api.post(
        f"/api/cases/{c.number}/dispatch",
        {"version": c.version, "department": "W07", "supporting": ["B05"]},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    r = signed_in(cast["h_env"]).post(
        f"/api/cases/{c.number}/assign",
        {"version": r.json()["version"], "handler": cast["h_env"].person.pk},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    detail = api.get(f"/api/cases/{c.number}").json()
    assert detail["handler_name"] == "h_env姓名"
    assert [(s["department"], s["replied_at"]) for s in detail["supporting"]] == [("B05", None)]


def test_stored_reason_codes_read_as_words(cast: Any) -> None:
    case = public_report(cast)
    act(case, "void", cast["operator"], reason="spam")
    page = signed_in(cast["shiftlead"]).get(f"/cases/{case.number}/").content.decode()
    assert "[明显无效信息]" in page and "[spam]" not in page
