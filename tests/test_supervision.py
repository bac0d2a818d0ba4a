"""Supervision (督查督办): targets and their standing, Excel actuals, tasks with units and milestones, reminders
and 督办 under a controlled clock, the report reader's proposals saved, projects, and audit findings as cases."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook

from jingwu.cases.models import Case
from jingwu.lib import clock
from jingwu.lib.errors import Forbidden, Invalid, InvalidState
from jingwu.notify.models import Notification
from jingwu.org.choices import DepartmentKind, Role
from jingwu.org.models import Department, Person
from jingwu.supervision import services
from jingwu.supervision.models import Actual, AuditFinding, Indicator, Notice, Project, Target, Task

from .conftest import TZ, jpeg
from .test_api import Api

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def office(cast: Any) -> Any:
    """The supervising office (督查员), a second unit with its own handler, and an indicator of 城建办's."""
    User = get_user_model()
    u = User.objects.create_user("ducha", password="pw-ducha")
    Person.objects.create(user=u, name="督查员", role=Role.SUPERVISOR)
    cast.users["ducha"] = u
    econ = Department.objects.create(code="B03", name="经济发展办公室", kind=DepartmentKind.OFFICE)
    h = User.objects.create_user("h_econ", password="pw-h_econ")
    Person.objects.create(user=h, name="经发办干部", role=Role.HANDLER, department=econ)
    cast.users["h_econ"] = h
    return u


def tax(cast: Any, unit: str = "B03") -> Indicator:
    return Indicator.objects.create(
        name="税收收入", unit="亿元", department=Department.objects.get(code=unit), aliases=["税收"]
    )


# ---------------------------------------------------------------- targets


def test_standing_against_the_share_of_the_year(cast: Any, office: Any) -> None:
    ind = tax(cast)
    with clock.frozen_at(at(2020, 1, 6)):
        target = services.set_target(ind, 2020, value="18", growth_pct="0", actor=office)
        services.record_actual(
            ind, 2019, "Y", value=18, growth_pct="36.8", kind="estimate", source="报告", actor=office
        )
    # Half the year gone, a year-to-date total at the end of June of 8.1 of 18: 45% of the goal against 50%.
    services.record_actual(ind, 2020, "M06", value="8.1", source="月报", actor=cast["h_econ"])
    (v,) = services.target_views([target], date(2020, 7, 10))
    assert v.percent == 45.0 and v.expected == 50.0 and v.standing == "watch"  # 5 points behind: within tolerance
    assert v.latest is not None and v.latest.period == "M06"
    # Three months later and still 9.9: 55% against 75% is behind.
    services.record_actual(ind, 2020, "Q3", value="9.9", source="季报", actor=office)
    (v,) = services.target_views([target], date(2020, 10, 12))
    assert (v.percent, v.expected, v.standing) == (55.0, 75.0, "behind")
    # The year closed above the goal.
    services.record_actual(ind, 2020, "Y", value="18.6", source="年报", actor=office)
    (v,) = services.target_views([target], date(2021, 1, 20))
    assert v.standing == "done" and v.percent == pytest.approx(103.3)
    assert v.growth == Decimal("3.3")  # against 2019's 18, computed since no rate was entered
    rows = services.history(ind)
    assert [(r["year"], r["target"] is not None, r["estimate"] is not None, r["actual"] is not None) for r in rows] == [
        (2019, False, True, False),
        (2020, True, False, True),
    ]


def test_a_rate_only_target_aims_at_last_years_figure_grown(cast: Any, office: Any) -> None:
    ind = tax(cast)
    services.record_actual(ind, 2019, "Y", value=118, source="报告", actor=office)
    target = services.set_target(ind, 2020, growth_pct="10.2", actor=office)
    services.record_actual(ind, 2020, "Q1", value="32.6", source="季报", actor=office)
    (v,) = services.target_views([target], date(2020, 4, 20))
    assert v.goal == Decimal("130.04")  # 118 × 1.102
    assert v.percent == 25.1 and v.standing == "on_track"


def test_actuals_are_entered_by_the_office_or_the_indicators_unit_only(cast: Any, office: Any) -> None:
    ind = tax(cast)
    with pytest.raises(Forbidden):
        services.record_actual(ind, 2020, "M01", value=1, source="x", actor=cast["h_city"])
    with pytest.raises(Invalid, match="期间无效"):
        services.record_actual(ind, 2020, "M13", value=1, source="x", actor=office)
    with pytest.raises(Invalid):
        services.record_actual(ind, 2020, "M01", value="NaN", source="x", actor=office)
    with pytest.raises(Invalid):
        services.record_actual(ind, 2020, "M01", source="x", actor=office)  # neither value nor rate
    with pytest.raises(Invalid):
        services.set_target(ind, 1800, value=1, actor=office)
    services.record_actual(ind, 2020, "M01", value="1.2", source="月报", actor=cast["h_econ"])
    services.record_actual(ind, 2020, "M01", value="1.3", source="月报（更正）", actor=cast["h_econ"])
    assert Actual.objects.get().value == Decimal("1.3")  # entered again: corrected, not doubled


def workbook(rows: list[list[Any]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指标", "年度", "期间", "数值", "同比增速(%)", "来源"])
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "actuals.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_excel_import_is_all_or_nothing_with_every_bad_row_reported(cast: Any, office: Any) -> None:
    tax(cast)
    bad = workbook(
        [
            ["税收", 2020, "M01", 1.5, 3.2, "月报"],  # fine (an alias)
            ["不存在的指标", 2020, "M01", 1, None, "月报"],
            ["税收收入", 2020, "M14", 1, None, "月报"],
            ["税收收入", "二〇二〇", "M02", "abc", None, ""],
            ["税收收入", 2020, "M01", 1.6, None, "月报"],  # the first row again
        ]
    )
    saved, report = services.import_actuals(bad, actor=office)
    assert saved == 0 and not Actual.objects.exists()
    errors = {r.line: r.errors for r in report}
    assert errors[2] == []
    assert errors[3] == ["未知指标：不存在的指标"]
    assert errors[4] == ["期间无效：M14"]
    assert errors[5] == ["年度无效", "数值须为数字", "来源不能为空"]
    assert errors[6] == ["与上方的行重复"]
    good = workbook([["税收", 2020, "M01", 1.5, 3.2, "月报"], ["税收收入", 2020, "M02", 3.1, None, "月报"]])
    saved, report = services.import_actuals(good, actor=cast["h_econ"])
    assert saved == 2 and Actual.objects.count() == 2
    # Another unit may not import this unit's figures.
    saved, report = services.import_actuals(
        workbook([["税收收入", 2020, "M03", 4, None, "月报"]]), actor=cast["h_city"]
    )
    assert saved == 0 and report[0].errors == ["无权填报指标：税收收入"]
    with pytest.raises(Invalid, match="无法读取Excel"):
        services.import_actuals(SimpleUploadedFile("x.xlsx", b"not a workbook"), actor=office)


# ---------------------------------------------------------------- tasks


def task(cast: Any, office: Any, deadline: date, **kw: Any) -> Task:
    with clock.frozen_at(kw.pop("when", at(2020, 1, 6))):
        t, _ = services.create_task(
            actor=office,
            title=kw.pop("title", "完成河道水质治理"),
            deadline=deadline,
            lead="B05",
            supports=["W07"],
            **kw,
        )
    return t


def test_units_report_and_the_office_confirms(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30), milestones=[("制定方案", "2020-03-01")])
    assert t.number == f"DB2020{t.pk:05d}"
    with pytest.raises(Forbidden):
        services.create_task(actor=cast["h_city"], title="x", deadline="2020-06-01", lead="B05")
    # Only the units on the task report; only the lead unit asks for it to be confirmed done.
    with pytest.raises(Forbidden):
        services.report_progress(t, actor=cast["h_econ"], text="x", percent=10)
    with pytest.raises(Forbidden, match="牵头单位"):
        services.report_progress(t, actor=cast["h_env"], text="配合清淤", percent=50, finished=True)
    r, created = services.report_progress(t, actor=cast["h_env"], text="配合清淤", percent=50, client_key="k1")
    again, created2 = services.report_progress(t, actor=cast["h_env"], text="配合清淤", percent=50, client_key="k1")
    assert created and not created2 and again.pk == r.pk
    mark = t.milestones.get()
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 plan", "application/pdf")
    services.report_progress(t, actor=cast["h_city"], text="方案已印发", percent=30, milestone=mark.pk, files=[pdf])
    mark.refresh_from_db()
    t.refresh_from_db()
    assert mark.done_at is not None and t.progress == 30  # the lead unit's figure is the task's
    with pytest.raises(Invalid, match="内容与类型不符"):
        services.report_progress(
            t, actor=cast["h_city"], text="x", percent=40, files=[SimpleUploadedFile("a.pdf", b"MZ\x90\x00")]
        )
    with pytest.raises(InvalidState):
        services.confirm(t, actor=office, accept=True)  # not asked for yet
    services.report_progress(t, actor=cast["h_city"], text="已完成", percent=100, finished=True)
    t.refresh_from_db()
    assert t.status == "reported" and t.progress == 100
    with pytest.raises(Invalid, match="理由"):
        services.confirm(t, actor=office, accept=False)
    services.confirm(t, actor=office, accept=False, note="缺少水质检测报告")
    t.refresh_from_db()
    assert t.status == "open" and t.progress == 90
    assert Notification.objects.filter(user=cast["h_city"], event="task_returned").count() == 1
    services.report_progress(t, actor=cast["h_city"], text="补充检测报告", percent=100, finished=True)
    services.confirm(Task.objects.get(pk=t.pk), actor=office, accept=True, note="资料齐全")
    t.refresh_from_db()
    assert t.status == "done" and t.confirmed_by == office and t.office_note == "资料齐全"
    c = Client()
    c.force_login(office)
    page = c.get(f"/supervision/tasks/{t.number}/").content.decode()
    assert 'id="task-confirmed"' in page and "资料齐全" in page
    with pytest.raises(InvalidState):
        services.report_progress(t, actor=cast["h_city"], text="x", percent=100)


def test_reminders_then_escalating_ducha_once_each(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30))
    done = task(cast, office, date(2020, 6, 30), title="已报结的任务")
    services.report_progress(done, actor=cast["h_city"], text="完成", percent=100, finished=True)

    def run(day: date) -> int:
        return services.send_notices(at(day.year, day.month, day.day, 9))

    assert run(date(2020, 6, 26)) == 0  # four days before: nothing yet
    assert run(date(2020, 6, 27)) == 2  # three days before: a reminder to each unit of the open task
    assert run(date(2020, 6, 28)) == 0  # once per deadline
    assert Notification.objects.filter(user=cast["h_city"], event="task_due").count() == 1
    assert Notification.objects.filter(user=cast["h_env"], event="task_due").count() == 1
    assert run(date(2020, 7, 1)) == 2  # a day late: 督办, level 1, to both units
    assert run(date(2020, 7, 5)) == 0
    assert not Notification.objects.filter(user=cast["leader"], event="ducha").exists()
    assert run(date(2020, 7, 6)) == 2  # six days late: level 2, and the leaders are told
    assert Notification.objects.filter(user=cast["leader"], event="ducha").count() == 1
    assert Notification.objects.filter(user=office, event="ducha").count() == 1
    assert run(date(2020, 7, 11)) == 2  # the third round
    # Two months on, still late: the round of the day only (the thirteenth), not the nine missed in between.
    assert run(date(2020, 9, 1)) == 2 and run(date(2020, 9, 2)) == 0
    levels = sorted(Notice.objects.filter(task=t, department__code="B05", kind="ducha").values_list("level", flat=True))
    assert levels == [1, 2, 3, 13]
    assert Notification.objects.filter(user=cast["leader"], event="ducha").count() == 3
    assert not Notice.objects.filter(task=done).exclude(kind="reminder").exists()  # reported done: not chased
    n = Notification.objects.filter(user=cast["h_city"], event="ducha").first()
    assert n is not None and "已超期" in n.body and n.url == f"/supervision/tasks/{t.number}/"


def test_a_task_belongs_to_the_year_it_is_given_and_its_units_are_told(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2021, 3, 31), when=at(2020, 12, 1))
    assert t.year == 2020  # on 2020's board, though due next spring
    told = Notification.objects.filter(event="task_new", url=f"/supervision/tasks/{t.number}/")
    assert set(told.values_list("user__username", flat=True)) == {"h_city", "h_env"}


def test_traffic_lights(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30), milestones=[("方案", "2020-03-01")])
    assert services.light(t, date(2020, 2, 1)) == "green"
    assert services.light(t, date(2020, 2, 27)) == "yellow"  # the milestone is near
    assert services.light(t, date(2020, 3, 2)) == "red"  # the milestone passed undone
    services.report_progress(t, actor=cast["h_city"], text="方案", percent=20, milestone=t.milestones.get().pk)
    assert services.light(t, date(2020, 3, 2)) == "green"
    assert services.light(t, date(2020, 6, 28)) == "yellow"
    assert services.light(t, date(2020, 7, 1)) == "red"
    # Reported done in time, waiting for the office: not the unit's lateness.
    with clock.frozen_at(at(2020, 6, 29)):
        services.report_progress(t, actor=cast["h_city"], text="完成", percent=100, finished=True)
    t.refresh_from_db()
    assert services.light(t, date(2020, 7, 10)) == "green"
    late = task(cast, office, date(2020, 6, 30), title="迟报")
    with clock.frozen_at(at(2020, 7, 3)):
        services.report_progress(late, actor=cast["h_city"], text="完成", percent=100, finished=True)
    late.refresh_from_db()
    assert services.light(late, date(2020, 7, 10)) == "red"


def test_a_unit_sees_only_its_own_tasks_in_pages_and_api(cast: Any, office: Any) -> None:
    mine = task(cast, office, date(2020, 6, 30))
    other = task(cast, office, date(2020, 6, 30), title="经济任务")
    other.unit_rows.all().delete()
    other.unit_rows.create(department=Department.objects.get(code="B03"), role="lead")
    c = Client()
    c.force_login(cast["h_city"])
    assert c.get(f"/supervision/tasks/{mine.number}/").status_code == 200
    assert c.get(f"/supervision/tasks/{other.number}/").status_code == 404
    page = c.get("/supervision/?year=2020").content.decode()
    assert mine.title in page and "经济任务" not in page
    api = Api(cast["h_city"])
    assert [r["number"] for r in api.get("/supervision/tasks", year=2020).json()] == [mine.number]
    assert api.post(f"/supervision/tasks/{other.number}/reports", {"text": "x", "percent": 1}).status_code == 404
    r = api.post(f"/supervision/tasks/{mine.number}/reports", {"text": "推进", "percent": 40, "client_key": "a"})
    assert r.status_code == 201 and r.json()["progress"] == 40
    r = api.post(f"/supervision/tasks/{mine.number}/reports", {"text": "推进", "percent": 40, "client_key": "a"})
    assert r.status_code == 200
    assert Api(cast["citizen"]).get("/supervision/tasks").status_code == 403
    assert Api(cast["gw_a"]).get("/supervision/targets").status_code == 403
    leader = Api(cast["leader"]).get("/supervision/tasks", year=2020).json()
    assert {r["number"] for r in leader} == {mine.number, other.number}


def test_attachments_are_served_to_the_tasks_units_only(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30))
    with pytest.raises(Invalid, match="内容与类型不符"):  # a JPEG named .png
        services.report_progress(
            t, actor=cast["h_city"], text="x", percent=10, files=[SimpleUploadedFile("a.png", jpeg().read())]
        )
    with pytest.raises(Invalid, match="PDF、Word"):
        services.report_progress(
            t, actor=cast["h_city"], text="x", percent=10, files=[SimpleUploadedFile("a.exe", b"MZ")]
        )
    r, _ = services.report_progress(
        t, actor=cast["h_city"], text="x", percent=10, files=[SimpleUploadedFile("照片.jpg", jpeg().read())]
    )
    f = r.files.get()
    mine, other = Client(), Client()
    mine.force_login(cast["h_env"])  # a supporting unit
    other.force_login(cast["h_econ"])
    got = mine.get(f"/supervision/files/{f.pk}")
    assert got.status_code == 200 and b"".join(got.streaming_content)[:3] == b"\xff\xd8\xff"
    assert other.get(f"/supervision/files/{f.pk}").status_code == 404


# ---------------------------------------------------------------- the reader's proposals, saved

REPORT = """二〇二一年某镇政府工作报告

一、2020年工作回顾

2020年，全镇实现税收收入 20 亿元，同比增长 11.1%；固定资产投资 140 亿元，同比增长 7.7%。

二、2021年工作安排

全镇经济社会发展的主要预期目标是：税收收入 21 亿元，同比增长 5%；固定资产投资 150 亿元，同比增长 7.1%。

（一）加强生态建设

启动东河、西河等 3 条河道综合治理工程，新建 2 个口袋公园。
"""


def test_confirmed_figures_and_tasks_are_saved(cast: Any, office: Any, tmp_path: Any) -> None:
    from jingwu.supervision import reader

    reading = reader.read(REPORT)
    figures = [f.as_json() for f in reading.figures]
    assert {(f["indicator"], f["year"], f["kind"]) for f in figures} >= {
        ("税收收入", 2020, "actual"),
        ("税收收入", 2021, "target"),
        ("固定资产投资", 2021, "target"),
    }
    tasks = [{"sentence": t.sentence, "year": t.year, "department": "城建办"} for t in reading.tasks]
    assert tasks, "the plan's river task"
    with pytest.raises(Forbidden):
        services.apply_reading(figures, tasks, actor=cast["h_city"], source="报告")
    made = services.apply_reading(figures, tasks, actor=office, source="2020年某镇政府工作报告")
    assert made["tasks"] == len(tasks) and made["targets"] >= 2 and made["actuals"] >= 2
    target = Target.objects.get(indicator__name="税收收入", year=2021)
    assert (target.value, target.growth_pct) == (Decimal("21"), Decimal("5"))
    assert Actual.objects.get(indicator__name="税收收入", year=2020).value == Decimal("20")
    t = Task.objects.get(source="report")
    assert t.deadline == date(2021, 12, 31) and "河道" in t.title
    # Saving the same reading again makes no second task, and updates rather than doubles the figures.
    services.apply_reading(figures, tasks, actor=office, source="2020年某镇政府工作报告")
    assert Task.objects.count() == len(tasks) and Target.objects.filter(year=2021).count() == made["targets"]


def test_the_read_page_proposes_and_saves_only_what_is_ticked(cast: Any, office: Any) -> None:
    c = Client()
    c.force_login(office)
    page = c.post("/supervision/read", {"text": REPORT, "source": "测试报告"})
    assert page.status_code == 200
    payload = page.context["payload"]
    figures = json.loads(payload)["figures"]
    i = next(n for n, f in enumerate(figures) if f["indicator"] == "税收收入" and f["kind"] == "target")
    saved = c.post(
        "/supervision/read",
        {"step": "save", "payload": payload, "source": "测试报告", "figure": [str(i)], f"indicator_{i}": "税收收入"},
    )
    assert saved.status_code == 302
    assert list(Target.objects.values_list("indicator__name", "year")) == [("税收收入", 2021)]
    assert not Task.objects.exists()  # none ticked
    pdf = c.post("/supervision/read", {"file": SimpleUploadedFile("r.pdf", b"%PDF-1.7 ...")})
    assert pdf.status_code == 302
    assert Client().get("/supervision/read").status_code == 302  # to the login page
    other = Client()
    other.force_login(cast["h_city"])
    assert other.get("/supervision/read").status_code == 403


def test_read_report_command_prints_the_figures_as_json(tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    call_command("read_report", str(path), "--json")
    rows = json.loads(capsys.readouterr().out)
    assert all(list(r) == ["indicator", "value", "unit", "growth_pct", "year", "kind"] for r in rows)
    assert {
        "indicator": "税收收入",
        "value": 21,
        "unit": "亿元",
        "growth_pct": 5.0,
        "year": 2021,
        "kind": "target",
    } in rows
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(REPORT.encode("gb18030"))
    call_command("read_report", str(gbk), "--json")
    assert json.loads(capsys.readouterr().out) == rows


# ---------------------------------------------------------------- projects and audits


def test_projects_find_their_village_and_units_report_progress(cast: Any, office: Any) -> None:
    point = {"type": "Point", "coordinates": [117.115, 39.035]}
    p = services.save_project(
        actor=office, year=2020, category="edu", name="精武小学", budget="8000", department="B05", geometry=point
    )
    assert p.region is not None and p.region.name == "乙村" and p.status == "planned"
    with pytest.raises(Invalid, match="辖区"):
        services.save_project(
            actor=office,
            year=2020,
            category="edu",
            name="x",
            budget=1,
            geometry={"type": "Point", "coordinates": [118, 40]},
        )
    with pytest.raises(Invalid, match="GeoJSON"):
        services.save_project(actor=office, year=2020, category="edu", name="x", budget=1, geometry={"type": "Nope"})
    with pytest.raises(Forbidden):
        services.update_project(p, actor=cast["h_env"], percent=50)
    services.update_project(p, actor=cast["h_city"], percent=60, note="主体完工", photo=jpeg())
    p.refresh_from_db()
    assert (p.progress, p.status) == (60, "building")
    c = Client()
    c.force_login(cast["leader"])
    page = c.get("/supervision/projects/?year=2020")
    assert page.status_code == 200 and page.context["map"]["features"][0]["properties"]["progress"] == 60
    assert Project.objects.count() == 1
    # A unit sees the projects it answers for.
    services.save_project(actor=office, year=2020, category="jobs", name="技能培训", budget=50, department="W07")
    unit = Client()
    unit.force_login(cast["h_city"])
    assert [p.name for p in unit.get("/supervision/projects/?year=2020").context["rows"]] == ["精武小学"]


def test_an_audit_finding_is_rectified_through_the_loop(
    cast: Any, office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from jingwu.cases import services as cases

    finding, created = services.raise_finding(
        actor=office,
        region="120111103201",
        audit_year=2018,
        subject="甲村书记",
        title="集体资产出租合同不规范",
        text="租金低于市场价",
        amount="120",
        client_key="a1",
    )
    again, created2 = services.raise_finding(
        actor=office,
        region="120111103201",
        audit_year=2018,
        title="集体资产出租合同不规范",
        text="租金低于市场价",
        client_key="a1",
    )
    assert created and not created2 and again.pk == finding.pk and AuditFinding.objects.count() == 1
    case = Case.objects.get(pk=finding.case_id)
    assert case.status == "to_dispatch" and case.category is not None and case.category.code == "90007"
    assert case.region is not None and case.region.name == "甲村" and case.origin_kind == "supervision.audit"
    assert case.source == "superior"
    # Not public: never on the public map or in Open311.
    assert Client().get("/open311/v2/requests.json").json() == []
    with pytest.raises(Forbidden):
        services.raise_finding(actor=cast["h_city"], region="120111103201", audit_year=2018, title="x", text="y")

    def step(action: str, actor: Any, **kw: Any) -> Case:
        c = Case.objects.get(pk=case.pk)
        return cases.perform(c.pk, action, actor=actor, version=c.version, data=cases.ActionInput(**kw))

    step("dispatch", cast["dispatcher"], department="B05")
    step("feedback", cast["h_city"], note="已整改", photos=[jpeg()])
    # The grid's workers cannot check it (it has no grid); the supervising office does.
    with pytest.raises(Forbidden):
        step("check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    step("check", office, outcome="pass", photos=[jpeg()])
    closed = step("close", cast["shiftlead"])
    assert closed.status == "closed"
    c = Client()
    c.force_login(cast["leader"])
    page = c.get("/supervision/audits/")
    assert page.status_code == 200 and page.context["villages"] == [("甲村", {"total": 1, "closed": 1})]
    assert c.get(f"/cases/{case.number}/").status_code == 200


def test_board_shows_targets_tasks_and_warnings(cast: Any, office: Any) -> None:
    ind = tax(cast)
    target = services.set_target(ind, 2020, value="18", actor=office)
    services.record_actual(ind, 2020, "Q3", value="9", source="季报", actor=office)
    t = task(cast, office, date(2020, 6, 30))
    with clock.frozen_at(at(2020, 10, 20)):
        c = Client()
        c.force_login(cast["leader"])
        page = c.get("/supervision/")
    assert page.status_code == 200 and page.context["year"] == 2020  # this year has none: the latest that has
    (v,) = page.context["views"]
    assert v.target == target and v.standing == "behind"
    assert page.context["lights"]["red"] == 1
    html = page.content.decode()
    assert 'data-standing="behind"' in html and t.number in html
    assert Client().get("/supervision/").status_code == 302
    gw = Client()
    gw.force_login(cast["gw_a"])
    assert gw.get("/supervision/").status_code == 403


def test_a_unit_reads_only_its_own_indicators_projects_and_photos(cast: Any, office: Any) -> None:
    ind = tax(cast)  # 经发办's
    services.set_target(ind, 2020, value=18, actor=office)
    p = services.save_project(actor=office, year=2020, category="edu", name="小学", budget=100, department="B03")
    u = services.update_project(p, actor=cast["h_econ"], percent=10, photo=jpeg(exif_gps=True))
    stored = u.photo.open("rb").read()
    assert b"PhoneMaker" not in stored and stored[:3] == b"\xff\xd8\xff"  # re-encoded: no EXIF kept
    mine, other = Client(), Client()
    mine.force_login(cast["h_econ"])
    other.force_login(cast["h_city"])
    for path in (
        f"/supervision/indicators/{ind.pk}/",
        f"/supervision/projects/{p.pk}/",
        f"/supervision/projects/photos/{u.pk}",
    ):
        assert mine.get(path).status_code == 200, path
        assert other.get(path).status_code == 404, path
    assert [r["indicator"] for r in Api(cast["h_econ"]).get("/supervision/targets", year=2020).json()] == ["税收收入"]
    assert Api(cast["h_city"]).get("/supervision/targets", year=2020).json() == []
    assert len(Api(cast["operator"]).get("/supervision/targets", year=2020).json()) == 1


def test_races_and_retries_decide_once(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30), client_key="form-1")
    again, created = services.create_task(
        actor=office, title="另一个标题", deadline="2020-06-30", lead="B05", client_key="form-1"
    )
    assert again.pk == t.pk and not created
    services.report_progress(t, actor=cast["h_city"], text="完成", percent=100, finished=True, client_key="r1")
    stale = Task.objects.get(pk=t.pk)
    services.confirm(Task.objects.get(pk=t.pk), actor=office, accept=True)
    with pytest.raises(InvalidState):  # a second decision on the copy read before the first one
        services.confirm(stale, actor=cast["leader"], accept=False, note="退回")
    assert Task.objects.get(pk=t.pk).status == "done"
    # A retry of the report after the confirmation answers with the first report.
    _first, created = services.report_progress(
        t, actor=cast["h_city"], text="完成", percent=100, finished=True, client_key="r1"
    )
    assert not created
    # Figures too large for their columns are refused with a clear error, not stored to break the board.
    with pytest.raises(Invalid, match="超出范围"):
        services.record_actual(tax(cast), 2020, "Y", value="100000000000000", source="x", actor=office)
    with pytest.raises(Invalid, match="超出范围"):
        services.raise_finding(actor=office, region="120111103201", audit_year=2020, title="x", text="y", amount=10**12)


def test_a_lead_report_not_done_after_all_reopens_the_task(cast: Any, office: Any) -> None:
    t = task(cast, office, date(2020, 6, 30))
    services.report_progress(t, actor=cast["h_city"], text="完成", percent=100, finished=True)
    services.report_progress(t, actor=cast["h_env"], text="配合完毕", percent=80)  # a supporting unit's figure
    t.refresh_from_db()
    assert (t.status, t.progress) == ("reported", 100)
    services.report_progress(t, actor=cast["h_city"], text="尚有收尾", percent=90)
    t.refresh_from_db()
    assert (t.status, t.progress, t.reported_at) == ("open", 90, None)


def test_report_tasks_are_one_per_year_and_sentence_whoever_saves(cast: Any, office: Any) -> None:
    sentence = {"sentence": "深入开展扫黑除恶专项斗争，完成 3 个村的整治。", "year": 2020, "department": "城建办"}
    services.apply_reading([], [sentence], actor=office, source="r")
    made = services.apply_reading([], [sentence], actor=cast["leader"], source="r")
    assert made == {"targets": 0, "actuals": 0, "tasks": 0, "known_tasks": 1}
    made = services.apply_reading([], [{**sentence, "year": 2021}], actor=office, source="r")
    assert made["tasks"] == 1 and Task.objects.count() == 2


def test_a_rate_only_target_is_judged_by_rate_only_figures(cast: Any, office: Any) -> None:
    ind = tax(cast)
    target = services.set_target(ind, 2020, growth_pct="8", actor=office)
    services.record_actual(ind, 2020, "M06", growth_pct="6", source="月报", actor=office)
    (v,) = services.target_views([target], date(2020, 7, 10))
    assert v.growth == Decimal("6") and v.standing == "behind"


def test_a_tampered_review_payload_is_a_clear_error(cast: Any, office: Any) -> None:
    c = Client()
    c.force_login(office)
    for payload in ('{"figures": ["ab"]}', '{"tasks": [{"sentence": "x", "places": 5}]}', "not json"):
        r = c.post("/supervision/read", {"step": "save", "payload": payload, "figure": ["0"], "task": ["0"]})
        assert r.status_code == 302 and r["Location"] == "/supervision/read"
    assert not Task.objects.exists()


def test_the_office_sets_targets_and_registers_projects_on_the_pages(cast: Any, office: Any) -> None:
    c = Client()
    c.force_login(office)
    r = c.post(
        "/supervision/targets/set",
        {"indicator": "新增就业", "unit": "人", "year": "2021", "value": "1100", "growth_pct": "", "department": "B03"},
    )
    assert r.status_code == 302 and r["Location"] == "/supervision/?year=2021"
    t = Target.objects.select_related("indicator").get()
    assert (t.indicator.name, t.indicator.unit, t.value, t.year, t.department.code) == (
        "新增就业",
        "人",
        1100,
        2021,
        "B03",
    )
    assert c.post("/supervision/targets/set", {"indicator": "新增就业", "year": "2021"}).status_code == 302
    assert Target.objects.count() == 1  # neither value nor rate: refused, with a message
    unit = Client()
    unit.force_login(cast["h_econ"])
    assert unit.post("/supervision/targets/set", {"indicator": "x", "year": "2021", "value": "1"}).status_code == 403
    r = c.post(
        "/supervision/projects/",
        {
            "year": "2021",
            "category": "health",
            "name": "社区卫生服务站",
            "budget": "450",
            "department": "B05",
            "lon": "117.105",
            "lat": "39.045",
            "starts": "2021-03-01",
            "ends": "2021-10-31",
        },
    )
    p = Project.objects.get()
    assert r.status_code == 302 and p.region is not None and p.region.name == "甲村" and p.budget == 450
    r = c.post(
        "/supervision/projects/", {"year": "2021", "category": "health", "name": "坏坐标", "budget": "1", "lon": "abc"}
    )
    assert r.status_code == 200 and Project.objects.count() == 1
    assert unit.post("/supervision/projects/", {"year": "2021", "name": "x"}).status_code == 404
