"""Inspections and hazards end to end: a plan makes a task, an inspection with a failed item raises one hazard
case, the enterprise's evidence goes on the case, a failed 复查 is rework, the second passes and the hazard
is closed (销号) — with the ledgers counted at every step, and their query counts fixed."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from jingwu.cases.choices import AttachmentKind, State
from jingwu.cases.models import Attachment, Case
from jingwu.notify.models import Notification
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.safety import checklists, inspections, ledgers, services
from jingwu.safety.models import Checklist, Company, Enterprise, Hazard, Inspector, Task

from .conftest import IN_A, jpeg
from .test_api import Api, err


def signature_png() -> str:
    img = Image.new("RGB", (300, 120), "white")
    for x in range(40, 260):
        img.putpixel((x, 60 + (x % 20) - 10), (0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    import base64

    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def inspector(name: str, company: Company | None) -> Any:
    u = get_user_model().objects.create_user(name, password="pw-" + name)
    p = Person.objects.create(user=u, name=f"{name}姓名", role=Role.INSPECTOR, phone="13800000000")
    Inspector.objects.create(person=p, company=company)
    return u


@pytest.fixture
def town(cast: Any) -> dict[str, Any]:
    checklists.install()
    place = services.save(
        {"name": "精武化工有限公司", "industry": "C", "lon": IN_A[0], "lat": IN_A[1], "tags": ["voc"]},
        actor=cast["leader"],
    )
    other = services.save({"name": "另一家厂", "industry": "C", "lon": IN_A[0], "lat": IN_A[1]}, actor=cast["leader"])
    acme = Company.objects.create(name="天津安评技术有限公司")
    rival = Company.objects.create(name="另一家安评公司")
    return {
        "place": place,
        "other": other,
        "acme": acme,
        "ins": inspector("ins_a", acme),
        "rival": inspector("ins_r", rival),
    }


def ledger_row(api: Api) -> dict[str, Any]:
    body = api.get("/safety/ledgers/hazards").json()
    return body["totals"]  # type: ignore[no-any-return]


def place_row(api: Api, pk: int) -> dict[str, Any]:
    rows = api.get("/safety/ledgers/places", limit=500).json()["results"]
    return next(r for r in rows if r["id"] == pk)


def test_plan_inspection_hazard_rework_and_close(
    town: dict[str, Any], cast: Any, at: Any, django_capture_on_commit_callbacks: Any
) -> None:
    leader, ins, rival = Api(cast["leader"]), Api(town["ins"]), Api(town["rival"])
    voc = Checklist.objects.get(tag="voc")
    # A plan: every VOC enterprise, monthly, done by the company. Its task for this month is made at once,
    # and again is made once only.
    r = leader.post(
        "/safety/plans",
        {"name": "VOCs企业月检", "checklist": voc.pk, "tag": "voc", "every": "month", "company": town["acme"].pk},
    )
    assert r.status_code == 201, r.content
    assert r.json()["places"] == 1 and r.json()["tasks_made"] == 1
    assert inspections.generate_tasks() == 0
    tasks = ins.get("/safety/tasks").json()
    assert [t["enterprise_name"] for t in tasks] == ["精武化工有限公司"]
    assert rival.get("/safety/tasks").json() == []  # another company's inspector sees none of them
    task = ins.get(f"/safety/tasks/{tasks[0]['id']}").json()
    items = task["items"]
    assert len(items) == 7 and items[0]["basis"]
    assert err(rival.get(f"/safety/tasks/{task['id']}"), 404)

    # The inspection: item 3 fails (a major hazard by its checklist), one is not applicable, the rest pass.
    results = [{"item": i["id"], "result": "pass"} for i in items]
    results[2] = {"item": items[2]["id"], "result": "fail", "note": "稀释剂堆放在车间内，未入专库", "days": 10}
    results[5] = {"item": items[5]["id"], "result": "na"}
    body = {
        "task": task["id"],
        "items": results,
        "signer_name": "王厂长",
        "signature": signature_png(),
        "client_key": "k1",
    }
    missing = dict(body, items=results[:-1])
    assert err(ins.post("/safety/inspections", missing), 400, "items_missing")["details"]["positions"] == [7]
    unsigned = dict(body, signature="")
    err(ins.post("/safety/inspections", unsigned), 400, "signature_required")
    no_note = dict(body, items=[*results[:2], {"item": items[2]["id"], "result": "fail"}, *results[3:]])
    err(ins.post("/safety/inspections", no_note), 400, "note_required")
    err(rival.post("/safety/inspections", body), 403, "not_your_task")
    assert Case.objects.count() == 0 and Hazard.objects.count() == 0  # refusals leave nothing behind

    form = {"data": json.dumps(body), f"photo_{items[2]['id']}": jpeg()}
    with django_capture_on_commit_callbacks(execute=True):
        r = ins.form("/safety/inspections", form)
    assert r.status_code == 201, r.content
    record = r.json()
    assert record["failed"] == 1 and record["passed"] == 5 and len(record["hazards"]) == 1
    again = ins.form("/safety/inspections", {"data": json.dumps(body)})  # the phone's retry
    assert again.status_code == 201 and again.json()["id"] == record["id"]
    assert Hazard.objects.count() == 1 and Case.objects.count() == 1
    assert Task.objects.get(pk=task["id"]).status == "done"

    hazard = Hazard.objects.get()
    case = hazard.case
    assert case is not None and case.status == State.TO_DISPATCH and case.category.name == "安全隐患"
    assert case.source == "inspection" and "天津安评技术有限公司" in case.source_detail
    assert case.attachments.filter(kind=AttachmentKind.REPORT).count() == 1  # the item's photo
    assert hazard.level == "major" and hazard.status == State.TO_DISPATCH
    # 重大隐患 go to the leaders at once.
    assert Notification.objects.filter(user=cast["leader"], event="for_leaders").count() == 1
    assert ledger_row(leader) | {} == {"total": 1, "major": 1, "open": 1, "overdue": 0, "closed": 0, "closed_late": 0}
    assert place_row(leader, town["place"].pk)["open_hazards"] == 1
    figures = leader.get("/safety/figures").json()
    assert (figures["inspections"], figures["found"], figures["rectified"]) == (1, 1, 0)

    # The loop: dispatched to a department, whose deadline is the hazard's own 整改期限.
    d = Api(cast["dispatcher"])
    r = d.post(f"/cases/{case.number}/dispatch", {"version": case.version, "department": "B05"})
    assert r.status_code == 200, r.content
    case.refresh_from_db()
    assert case.handling_deadline == hazard.rectify_by
    assert hazard.rectify_by.date() == (at.now + timedelta(days=10)).date()

    # The enterprise's evidence, passed on by the department that holds it, goes on the case.
    h = Api(cast["h_city"])
    err(h.form(f"/safety/hazards/{hazard.pk}/evidence", {"text": "已清理"}), 400, "photo_required")
    r = h.form(
        f"/safety/hazards/{hazard.pk}/evidence", {"text": "稀释剂已移入危化品专库", "photos": jpeg(), "by": "王厂长"}
    )
    assert r.status_code == 201, r.content
    assert Attachment.objects.filter(case=case, kind=AttachmentKind.EVIDENCE).count() == 1
    assert "企业整改材料（王厂长）" in case.transitions.order_by("-seq").first().note

    def step(api: Api, action: str, **data: Any) -> None:
        case.refresh_from_db()
        form = {"version": case.version, **data}
        resp = api.form(f"/cases/{case.number}/{action}", form)
        assert resp.status_code == 200, resp.content

    with django_capture_on_commit_callbacks(execute=True):
        step(h, "feedback", note="整改完毕", photos=jpeg())
    hazard.refresh_from_db()
    assert hazard.status == State.TO_CHECK
    # The 复查 waits for the inspector who found it, and is theirs (or their company's) to do.
    assert Notification.objects.filter(user=town["ins"], event="task").count() == 1
    case.refresh_from_db()
    err(
        rival.form(f"/cases/{case.number}/check", {"version": case.version, "outcome": "pass", "photos": jpeg()}), 404
    )  # not even seen
    step(ins, "check", outcome="fail", reason="专库未设防爆灯")
    hazard.refresh_from_db()
    case.refresh_from_db()
    assert hazard.status == State.HANDLING and hazard.rechecks == 1 and case.rework_count == 1
    assert ledger_row(leader)["open"] == 1

    # Past the deadline while still open: overdue in both ledgers.
    at.move(hazard.rectify_by + timedelta(hours=1))
    assert ledger_row(leader)["overdue"] == 1
    assert place_row(leader, town["place"].pk)["overdue_hazards"] == 1
    assert leader.get("/safety/ledgers/places").json()["results"][0]["id"] == town["place"].pk  # overdue first

    step(h, "feedback", note="已加装防爆灯", photos=jpeg())
    step(ins, "check", outcome="pass", photos=jpeg())
    step(Api(cast["shiftlead"]), "close")
    hazard.refresh_from_db()
    assert hazard.status == State.CLOSED and hazard.rechecks == 2 and hazard.closed_at is not None
    assert ledger_row(leader) == {"total": 1, "major": 1, "open": 0, "overdue": 0, "closed": 1, "closed_late": 1}
    row = place_row(leader, town["place"].pk)
    assert (row["open_hazards"], row["closed_hazards"], row["overdue_hazards"]) == (0, 1, 0)
    today = at.now.date()
    figures = leader.get("/safety/figures", start=str(today - timedelta(days=30)), end=str(today)).json()
    assert (figures["inspections"], figures["places"], figures["found"], figures["rectified"]) == (1, 1, 1, 1)
    before = leader.get("/safety/figures", end=str(today - timedelta(days=40))).json()
    assert (before["inspections"], before["rectified"]) == (0, 0)
    # The hazard's case is an ordinary case: its timeline holds every step.
    actions = list(case.transitions.order_by("seq").values_list("action", flat=True))
    assert actions == ["report", "file", "dispatch", "note", "feedback", "check", "feedback", "check", "close"]


def test_periods_and_who_sees_tasks(town: dict[str, Any], cast: Any) -> None:
    assert inspections.period_of("week", date(2026, 12, 2)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert inspections.period_of("quarter", date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert inspections.period_of("half", date(2026, 3, 1)) == (date(2026, 1, 1), date(2026, 6, 30))
    assert inspections.period_of("year", date(2026, 3, 1)) == (date(2026, 1, 1), date(2026, 12, 31))
    general = Checklist.objects.get(name="生产经营单位通用检查表")
    plan = inspections.save_plan(
        {"name": "全镇季检", "checklist": general.pk, "every": "quarter", "assignee": town["rival"].person.pk},
        actor=cast["leader"],
    )
    assert inspections.generate_tasks(plan=plan) == 2
    assert inspections.tasks_for(town["rival"]).count() == 2  # named: theirs
    assert inspections.tasks_for(town["ins"]).count() == 0
    assert inspections.tasks_for(cast["gw_a"]).count() == 0
    assert inspections.tasks_for(cast["shiftlead"]).count() == 2
    with pytest.raises(Exception, match="值班长和领导"):
        inspections.save_plan({"name": "x", "checklist": general.pk}, actor=cast["dispatcher"])


def test_ledger_queries_are_fixed_in_number(town: dict[str, Any], cast: Any, at: Any, steady_caches: None) -> None:
    leader = Api(cast["leader"])

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as q:
            assert leader.get(path).status_code == 200
        return len(q.captured_queries)

    paths = ["/safety/ledgers/hazards", "/safety/ledgers/places", "/safety/figures", "/safety/hazards"]
    count(paths[0])  # the first request of a session warms its caches (token, roles, references)
    small = {p: count(p) for p in paths}
    # Many more places and hazards: the same number of queries.
    for i in range(30):
        e = Enterprise.objects.create(name=f"厂{i}", industry="C", created_at=at.now, updated_at=at.now)
        for kind in ("fire", "exit"):
            Hazard.objects.create(
                enterprise=e,
                level="general",
                hazard_type=kind,
                industry="C",
                description="x",
                found_at=at.now,
                rectify_by=at.now - timedelta(days=1),
                status=State.HANDLING,
            )
        inspections.recount(e.pk)
    assert {p: count(p) for p in paths} == small
    assert ledgers.hazard_list(ledgers.HazardFilters(ledgers.Period()))["totals"]["overdue"] == 60


def test_the_pages_show_the_inspection_the_hazard_and_the_ledgers(town: dict[str, Any], cast: Any, at: Any) -> None:
    from django.test import Client

    task = Task.objects.create(
        enterprise=town["place"],
        checklist=Checklist.objects.get(tag="voc"),
        period=at.now.date(),
        due_on=at.now.date(),
        company=town["acme"],
        created_at=at.now,
    )
    items = list(task.checklist.items.all())
    ins = inspections.submit(
        inspections.InspectionIn(
            task=task.pk,
            items=[
                inspections.ItemIn(item=i.pk, result="fail" if i.position == 1 else "pass", note="废气处理设施停用")
                for i in items
            ],
            signer_name="王厂长",
            signature=inspections.decode_signature(signature_png()),
        ),
        actor=town["ins"],
    )
    hazard = ins.hazards.get()
    phone = Client()
    phone.force_login(town["ins"])
    assert phone.get("/").url == "/safety/m/"
    page = phone.get("/safety/m/").content.decode()
    assert "暂无检查任务" in page and "待复查隐患" in page
    assert phone.get(f"/safety/inspections/{ins.pk}/").status_code == 200  # their own record
    other = Client()
    other.force_login(town["rival"])
    assert other.get(f"/safety/inspections/{ins.pk}/").status_code == 404  # not another company's
    staff = Client()
    staff.force_login(cast["leader"])
    record = staff.get(f"/safety/inspections/{ins.pk}/").content.decode()
    assert "废气处理设施停用" in record and hazard.case.number in record
    sig = staff.get(f"/safety/inspections/{ins.pk}/signature")
    assert sig.status_code == 200 and b"".join(sig.streaming_content)[:4] == b"\x89PNG"
    ledger = staff.get("/safety/hazards/").content.decode()
    assert 'data-figure="inspections">1<' in ledger and 'data-figure="found">1<' in ledger
    xlsx = staff.get("/safety/hazards/?export=rows")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(2, 2).value == "精武化工有限公司" and sheet.cell(2, 11).value == hazard.case.number
    places = staff.get("/safety/ledger/").content.decode()
    assert f'data-id="{town["place"].pk}"' in places
    assert staff.get("/safety/ledger/?export=1").status_code == 200
    assert "废气处理设施停用" in staff.get(f"/safety/{town['place'].pk}/").content.decode()
    # The place's own link: its hazard, and its evidence once the case is with a department.
    link = Client()
    assert "废气处理设施停用" in link.get(f"/rectify/{hazard.token}/").content.decode()
    # The place may put it right at once, before the department has it: its evidence waits on the case.
    assert 'id="rectify-form"' in link.get(f"/rectify/{hazard.token}/").content.decode()
    sent = link.post(f"/rectify/{hazard.token}/", {"text": "设施已恢复运行", "by": "王厂长", "photos": jpeg()})
    assert sent.status_code == 302 and sent.url.endswith("?sent=1")  # a reload does not send it twice
    assert 'id="sent"' in link.get(sent.url).content.decode()
    assert Attachment.objects.filter(case=hazard.case, kind=AttachmentKind.EVIDENCE).count() == 1
    from jingwu.cases import services as cases

    case = hazard.case
    case = cases.perform(
        case, "dispatch", actor=cast["dispatcher"], version=case.version, data=cases.ActionInput(department="B05")
    )
    cases.perform(case, "feedback", actor=cast["h_city"], version=case.version, data=cases.ActionInput(photos=[jpeg()]))
    page = link.get(f"/rectify/{hazard.token}/").content.decode()
    assert 'id="rectify-form"' not in page and "等待检查员复查" in page


def test_long_exports_are_built_by_the_task_worker(town: dict[str, Any], cast: Any, settings: Any) -> None:
    from django.test import Client
    from django_tasks_db.models import DBTaskResult
    from openpyxl import load_workbook

    from jingwu.web.models import Export

    settings.JINGWU_EXPORT_SYNC_ROWS = 0
    staff = Client()
    staff.force_login(cast["leader"])
    for path, kind, title in [
        ("/safety/export?tag=voc", "safety.registry", "精武化工有限公司"),
        ("/safety/ledger/?export=1", "safety.ledger", "另一家厂"),
    ]:
        DBTaskResult.objects.all().delete()
        r = staff.get(path)
        job = Export.objects.latest("id")
        assert job.params["_kind"] == kind
        assert r.status_code == 302 and r.url == f"/exports/?new={job.pk}" and job.status == "pending"
        queued = DBTaskResult.objects.get()
        assert queued.task.call(*queued.args_kwargs["args"]) == "done"
        job.refresh_from_db()
        rows = list(load_workbook(job.file.open("rb")).active.iter_rows(values_only=True))
        assert any(title in (row[0] or "") for row in rows[1:]), rows
        assert staff.get(f"/exports/{job.pk}/").status_code == 200
    # A file made while they could see contacts in full is not theirs to fetch once they cannot.
    registry_job = Export.objects.order_by("id").first()  # the registry's, made first above
    assert registry_job is not None and staff.get(f"/exports/{registry_job.pk}/").status_code == 200
    Person.objects.filter(user=cast["leader"]).update(role=Role.DISPATCHER)
    assert staff.get(f"/exports/{registry_job.pk}/").status_code == 404
    Person.objects.filter(user=cast["leader"]).update(role=Role.LEADER)
    # A dispatcher cannot have the registry with its contacts in full, in the background either.
    job = Export.objects.create(
        user=cast["dispatcher"], fmt="xlsx", params={"_kind": "safety.registry"}, created_at=town["place"].created_at
    )
    from jingwu.web.jobs import build_export

    assert build_export.call(job.pk) == "failed"


def _one_hazard(town: dict[str, Any], cast: Any, at: Any) -> Hazard:
    task = Task.objects.create(
        enterprise=town["place"],
        checklist=Checklist.objects.get(tag="voc"),
        period=at.now.date(),
        due_on=at.now.date(),
        company=town["acme"],
        created_at=at.now,
    )
    items = [
        inspections.ItemIn(item=i.pk, result="fail" if i.position == 1 else "pass", note="废气设施停用", days=10)
        for i in task.checklist.items.all()
    ]
    body = inspections.InspectionIn(
        task=task.pk, items=items, signer_name="王厂长", signature=inspections.decode_signature(signature_png())
    )
    return inspections.submit(body, actor=town["ins"]).hazards.get()


def test_who_may_see_and_touch_a_hazard(town: dict[str, Any], cast: Any, at: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from jingwu.cases import services as cases
    from jingwu.lib.errors import Forbidden, InvalidState

    hazard = _one_hazard(town, cast, at)
    case = hazard.case
    assert case is not None and case.category.is_public
    # A hazard names a place and what is wrong there: never on the public map or Open311.
    assert not Case.objects.visible_to(AnonymousUser()).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(cast["citizen"]).filter(pk=case.pk).exists()
    assert Api().get("/cases", status="to_dispatch").json()["items"] == []
    # The company that found it sees it (to 复查 it); another company does not; the town's inspectors do.
    town_inspector = inspector("ins_t", None)
    assert Case.objects.visible_to(town["ins"]).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(town["rival"]).filter(pk=case.pk).exists()
    assert Case.objects.visible_to(town_inspector).filter(pk=case.pk).exists()
    # The inspector role alone grants nothing; nor does a company that was dropped.
    bare = get_user_model().objects.create_user("ins_bare", password="x")
    Person.objects.create(user=bare, name="无机构", role=Role.INSPECTOR)
    assert inspections.tasks_for(bare).count() == 0
    assert not Case.objects.visible_to(bare).filter(pk=case.pk).exists()
    assert inspections.tasks_for(town["ins"]).filter(status="todo").count() == 0  # done
    Company.objects.filter(pk=town["acme"].pk).update(active=False)
    assert not Case.objects.visible_to(town["ins"]).filter(pk=case.pk).exists()
    Company.objects.filter(pk=town["acme"].pk).update(active=True)
    # Departments and inspectors do not read the town's ledgers or others' records.
    err(Api(cast["h_city"]).get("/safety/ledgers/hazards"), 403)
    err(Api(town["rival"]).get(f"/safety/inspections/{hazard.inspection_id}"), 404)
    assert Api(town["ins"]).get(f"/safety/inspections/{hazard.inspection_id}").status_code == 200
    # A hazard is its own: not offered as a duplicate, not merged away.
    other = cases.report_case(
        actor=cast["gw_a"], description="车间油漆味大", lon=IN_A[0], lat=IN_A[1], category="matter:90001"
    )
    assert cases.find_duplicates(other.case) == [] and cases.find_duplicates(case) == []
    with pytest.raises(InvalidState):
        cases.perform(
            case,
            "merge",
            actor=cast["shiftlead"],
            version=case.version,
            data=cases.ActionInput(merge_into=other.case.number),
        )
    # Evidence: only the department holding it, and only while it is being rectified.
    d = cases.perform(
        case, "dispatch", actor=cast["dispatcher"], version=case.version, data=cases.ActionInput(department="B05")
    )
    hazard.refresh_from_db()
    with pytest.raises(Forbidden):
        inspections.submit_evidence(hazard, text="好了", photos=[jpeg()], actor=cast["gw_a"])
    with pytest.raises(Forbidden):
        inspections.submit_evidence(hazard, text="好了", photos=[jpeg()], actor=cast["h_env"])
    cases.perform(d, "feedback", actor=cast["h_city"], version=d.version, data=cases.ActionInput(photos=[jpeg()]))
    hazard.refresh_from_db()
    with pytest.raises(InvalidState):
        inspections.submit_evidence(hazard, text="好了", photos=[jpeg()], actor=cast["h_city"])


def test_the_hazard_keeps_its_cases_deadline(town: dict[str, Any], cast: Any, at: Any) -> None:
    from datetime import timedelta

    from jingwu.cases import services as cases
    from jingwu.lib.worktime import Limit, LimitUnit

    hazard = _one_hazard(town, cast, at)
    case = cases.perform(
        hazard.case,
        "dispatch",
        actor=cast["dispatcher"],
        version=hazard.case.version,
        data=cases.ActionInput(department="B05"),
    )
    assert case.handling_deadline == hazard.rectify_by
    case = cases.perform(
        case,
        "request_extension",
        actor=cast["h_city"],
        version=case.version,
        data=cases.ActionInput(reason="需更换设备", extension=Limit(5, LimitUnit.WORK_DAYS)),
    )
    case = cases.perform(case, "approve_extension", actor=cast["shiftlead"], version=case.version)
    hazard.refresh_from_db()
    place = Enterprise.objects.get(pk=town["place"].pk)
    assert hazard.rectify_by == case.handling_deadline > hazard.found_at + timedelta(days=10)
    assert place.next_due == hazard.rectify_by  # the ledger follows the extended deadline


def test_a_key_names_one_inspection(town: dict[str, Any], cast: Any, at: Any) -> None:
    from jingwu.lib.errors import Conflict

    tasks = [
        Task.objects.create(
            enterprise=place,
            checklist=Checklist.objects.get(tag="voc"),
            period=at.now.date(),
            due_on=at.now.date(),
            company=town["acme"],
            created_at=at.now,
        )
        for place in (town["place"], town["other"])
    ]
    items = [inspections.ItemIn(item=i.pk, result="pass") for i in tasks[0].checklist.items.all()]

    def body(task: Task) -> inspections.InspectionIn:
        sig = inspections.decode_signature(signature_png())
        return inspections.InspectionIn(task=task.pk, items=items, signer_name="王", signature=sig, client_key="k1")

    first = inspections.submit(body(tasks[0]), actor=town["ins"])
    assert inspections.submit(body(tasks[0]), actor=town["ins"]).pk == first.pk
    with pytest.raises(Conflict, match="幂等键"):
        inspections.submit(body(tasks[1]), actor=town["ins"])


def test_a_task_by_hand_and_the_registry_map(town: dict[str, Any], cast: Any, at: Any) -> None:
    from django.test import Client

    leader = Api(cast["leader"])
    r = leader.post("/safety/tasks", {"enterprise": town["place"].pk, "company": town["acme"].pk})
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["checklist_name"] == "涉VOCs企业检查表" and task["due_on"] == str(at.now.date() + timedelta(days=7))
    assert [t["id"] for t in Api(town["ins"]).get("/safety/tasks").json()] == [task["id"]]
    err(leader.post("/safety/tasks", {"enterprise": town["place"].pk, "due_on": "2020-01-01"}), 400, "invalid_date")
    err(leader.post("/safety/tasks", {"enterprise": 999999}), 400, "unknown_enterprise")
    err(Api(cast["dispatcher"]).post("/safety/tasks", {"enterprise": town["place"].pk}), 403, "forbidden_role")
    # The same from the place's page.
    staff = Client()
    staff.force_login(cast["shiftlead"])
    r = staff.post(f"/safety/{town['other'].pk}/task", {"due_on": str(at.now.date()), "company": town["acme"].pk})
    assert r.status_code == 302 and Task.objects.filter(enterprise=town["other"]).count() == 1
    assert "生产经营单位通用检查表" in staff.get(f"/safety/{town['other'].pk}/").content.decode()
    # The map: every place with a position, its risk, and whether a hazard there is overdue.
    _one_hazard(town, cast, at)
    at.move(at.now + timedelta(days=30))
    places = {p["n"]: p for p in staff.get("/safety/map.json").json()["places"]}
    assert places["精武化工有限公司"]["l"] is True and places["另一家厂"]["l"] is False
    assert set(staff.get("/safety/map.json?tag=voc").json()["places"][0]) == {"id", "n", "lon", "lat", "r", "l"}
    assert [p["n"] for p in staff.get("/safety/map.json?tag=voc").json()["places"]] == ["精武化工有限公司"]


def test_a_failed_recheck_sets_a_new_limit_and_the_case_page_names_the_inspectors(
    town: dict[str, Any], cast: Any, at: Any
) -> None:
    from django.test import Client

    from jingwu.cases import services as cases

    hazard = _one_hazard(town, cast, at)
    assert hazard.case is not None
    c = cases.perform(
        hazard.case,
        "dispatch",
        actor=cast["dispatcher"],
        version=hazard.case.version,
        data=cases.ActionInput(department="B05"),
    )
    c = cases.perform(c, "feedback", actor=cast["h_city"], version=c.version, data=cases.ActionInput(photos=[jpeg()]))
    staff = Client()
    staff.force_login(cast["shiftlead"])
    page = staff.get(f"/cases/{c.number}/").content.decode()
    assert "检查员 ins_a姓名" in page  # the 复查 is theirs, not the grid's
    assert f'href="/safety/inspections/{hazard.inspection_id}/"' in page  # the record behind the case
    at.move(hazard.rectify_by + timedelta(days=2))  # re-checked late: the old limit has passed
    c = cases.perform(
        c, "check", actor=town["ins"], version=c.version, data=cases.ActionInput(outcome="fail", reason="未整改")
    )
    hazard.refresh_from_db()
    assert c.handling_deadline is not None and c.handling_deadline > at.now  # a new 限期, not overdue at once
    assert hazard.rectify_by == c.handling_deadline and (c.handling_deadline - at.now).days >= 2


def test_managers_cancel_tasks_and_stop_plans(town: dict[str, Any], cast: Any, at: Any) -> None:
    from django.test import Client

    general = Checklist.objects.get(name="生产经营单位通用检查表")
    plan = inspections.save_plan({"name": "月检", "checklist": general.pk, "every": "month"}, actor=cast["leader"])
    assert inspections.generate_tasks(plan=plan) == 2
    staff = Client()
    staff.force_login(cast["shiftlead"])
    task = Task.objects.filter(plan=plan).first()
    assert task is not None
    r = staff.post(f"/safety/tasks/{task.pk}/cancel", {"reason": "企业已停业"})
    assert r.status_code == 302 and Task.objects.get(pk=task.pk).status == "cancelled"
    assert "待检 1 · 已检 0" in staff.get("/safety/plans/").content.decode()
    assert staff.post(f"/safety/plans/{plan.pk}/stop").status_code == 302
    plan.refresh_from_db()
    assert not plan.active and inspections.generate_tasks(today=at.now.date() + timedelta(days=40)) == 0
    other = Client()
    other.force_login(cast["dispatcher"])
    assert other.post(f"/safety/tasks/{task.pk}/cancel").status_code == 403
    err(
        Api(cast["leader"]).post("/safety/plans", {"name": "x", "checklist": general.pk, "grid": 999999}),
        400,
        "unknown_grid",
    )
    err(
        Api(cast["leader"]).post("/safety/plans", {"name": "x", "checklist": general.pk, "tag": "nope"}),
        400,
        "unknown_tag",
    )
