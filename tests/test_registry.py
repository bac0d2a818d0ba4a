"""The registry (一标三实) and care work: ID checks, imports with bad rows, moves kept as history, who reads
whom (pages and API), visits raising cases, proposals, sealed columns, audited views, counts."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from openpyxl import Workbook

from jingwu.audit.models import AuditEvent
from jingwu.cases.models import Case
from jingwu.lib import clock, idcard
from jingwu.lib.errors import Forbidden, Invalid, NotFound
from jingwu.org.choices import DepartmentKind, Role
from jingwu.org.models import Department, Person
from jingwu.registry import excel, services
from jingwu.registry.models import (
    Benefit,
    CareGroup,
    Change,
    Enrolment,
    Proposal,
    Residence,
    Resident,
    Steward,
    Visit,
)

from .conftest import IN_A, IN_B, OUTSIDE, TZ, jpeg
from .test_api import Api, err

pytestmark = pytest.mark.django_db

VILLAGE_A, VILLAGE_B = "120111103201", "120111103202"
GRID_A1, GRID_B1 = "120111103201001", "120111103202001"


def make_id(birth: str = "19500101", seq: str = "123") -> str:
    first = "120114" + birth + seq
    return first + idcard.check_character(first)


OLD_MAN = make_id("19400315", "011")  # male (odd), born 1940
WOMAN = make_id("19851120", "024")  # female (even)


@pytest.fixture
def steward(cast: Any) -> Any:
    """社会事务办: a steward department with one handler."""
    dept = Department.objects.create(code="B06", name="社会事务办公室", kind=DepartmentKind.OFFICE)
    Steward.objects.create(department=dept)
    User = get_user_model()
    u = User.objects.create_user("h_social", password="pw-h_social")
    Person.objects.create(user=u, name="社会事务办干部", role=Role.HANDLER, department=dept)
    cast.users["h_social"] = u
    return u


def person_in(
    actor: Any, where: tuple[float, float] = IN_A, id_number: str = OLD_MAN, name: str = "张三", **extra: Any
) -> Resident:
    region = VILLAGE_A if where == IN_A else VILLAGE_B
    address, _made = services.save_address(
        {"region": region, "road": "幸福路", "number": "8", "lon": where[0], "lat": where[1]}, actor=actor
    )
    r, _made = services.save_person(
        {"name": name, "id_number": id_number, "phone": "13800001111", **extra}, actor=actor, address=address
    )
    return r


# --------------------------------------------------------------------------- ID numbers


def test_gb11643_check_character_and_what_the_number_says() -> None:
    # The standard's own example: 11010519491231002X.
    assert idcard.valid("11010519491231002X")
    assert not idcard.valid("110105194912310021")  # wrong check character
    assert not idcard.valid("110105194902300021"[:17] + idcard.check_character("11010519490230002"))  # 2月30日
    assert idcard.normalise(" 11010519491231002ｘ ") == "11010519491231002X"
    assert idcard.sex(OLD_MAN) == "M" and idcard.sex(WOMAN) == "F"
    assert idcard.birth_date(OLD_MAN) == date(1940, 3, 15)


def test_a_person_keeps_derived_facts_and_digests_not_plain_values(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    assert (r.sex, r.birth_year) == ("M", 1940)
    assert r.id_key == services.id_key(OLD_MAN) and r.name_key == services.name_key("张 三")
    with pytest.raises(Invalid) as bad:
        services.save_person({"name": "李四", "id_number": OLD_MAN[:17] + "0"}, actor=steward)
    assert bad.value.code == "invalid_id_number"
    with pytest.raises(Invalid) as bad:
        services.save_person({"name": "李四", "phone": "call me"}, actor=steward)
    assert bad.value.code == "invalid_phone"


def test_personal_columns_are_unreadable_in_the_database(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    with connection.cursor() as cur:
        cur.execute("SELECT name, id_number, phone FROM registry_resident WHERE id = %s", [r.pk])
        name, number, phone = cur.fetchone()
        cur.execute("SELECT diff FROM registry_change WHERE record = 'resident' AND record_id = %s", [r.pk])
        changes = [row[0] for row in cur.fetchall()]
    for stored, plain in ((name, "张三"), (number, OLD_MAN), (phone, "13800001111")):
        assert stored.startswith("enc1:") and plain not in stored
    # The change log keeps what was written, sealed too.
    assert changes and all(c.startswith("enc1:") and OLD_MAN not in c for c in changes)
    assert Resident.objects.get(pk=r.pk).id_number == OLD_MAN


# --------------------------------------------------------------------------- history


def test_a_move_between_grids_is_kept_as_history(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    assert r.grid.code == GRID_A1
    at.move(at.now + timedelta(days=30))
    there, _made = services.save_address(
        {"region": VILLAGE_B, "road": "和平街", "number": "2", "lon": IN_B[0], "lat": IN_B[1]}, actor=steward
    )
    services.save_person({"name": "张三"}, actor=steward, resident=r, address=there)
    r.refresh_from_db()
    assert r.grid.code == GRID_B1 and r.region.code == VILLAGE_B
    homes = list(Residence.objects.filter(resident=r).order_by("since"))
    assert [h.grid.code for h in homes] == [GRID_A1, GRID_B1]
    assert homes[0].until == homes[1].since == at.now and homes[1].until is None
    moves = services.history("resident", r.pk)
    assert [h["action"] for h in moves] == ["create", "settle", "move"]
    assert moves[2]["values"]["grid"] == [homes[0].grid_id, homes[1].grid_id]
    # A correction is a change with its before and after, not an overwrite without trace.
    services.save_person({"phone": "13900002222", "version": r.version}, actor=steward, resident=r)
    last = services.history("resident", r.pk)[-1]
    assert last["action"] == "update" and last["values"]["phone"] == ["13800001111", "13900002222"]


# --------------------------------------------------------------------------- who reads whom


def test_grid_worker_reads_only_their_own_grids_people_pages_and_api(cast: Any, steward: Any) -> None:
    mine = person_in(steward)
    theirs = person_in(steward, IN_B, WOMAN, "李梅")
    assert set(Resident.objects.visible_to(cast["gw_a"])) == {mine}
    assert set(Resident.objects.visible_to(cast["gw_b"])) == {theirs}
    api = Api(cast["gw_a"])
    assert [p["id"] for p in api.get("/registry/people").json()] == [mine.pk]
    err(api.get(f"/registry/people/{theirs.pk}"), 404)
    err(api.post(f"/registry/people/{theirs.pk}/reveal"), 404)
    # Found by exact ID through the digest, but only inside the grids one may read.
    assert api.get("/registry/people", q=WOMAN).json() == []
    assert [p["id"] for p in Api(steward).get("/registry/people", q=WOMAN).json()] == [theirs.pk]
    c = Client()
    c.force_login(cast["gw_a"])
    assert c.get(f"/registry/people/{theirs.pk}/").status_code == 404
    assert c.get(f"/registry/people/{mine.pk}/").status_code == 200
    # Roles with no need read nothing.
    for who in ("operator", "dispatcher", "admin", "auditor", "h_city", "citizen"):
        err(Api(cast[who]).get("/registry/people"), 403)
        c = Client()
        c.force_login(cast[who])
        assert c.get("/registry/").status_code == 403, who


def test_lists_are_masked_and_a_reveal_is_for_those_whose_work_needs_it(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    row = Api(steward).get("/registry/people").json()[0]
    assert row["name"] == "张*" and OLD_MAN not in row["id_number"] and row["phone"] == "138****1111"
    full = Api(cast["gw_a"]).post(f"/registry/people/{r.pk}/reveal").json()
    assert full == {"name": "张三", "id_number": OLD_MAN, "phone": "13800001111"}
    # The leader oversees (masked) but may not reveal.
    assert Api(cast["leader"]).get(f"/registry/people/{r.pk}").json()["name"] == "张*"
    err(Api(cast["leader"]).post(f"/registry/people/{r.pk}/reveal"), 403, "forbidden_reveal")


def test_restricted_groups_are_hidden_from_oversight(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    services.tag(r, CareGroup.objects.get(code="key_person"), since=date(2026, 1, 1), actor=steward)
    assert not Resident.objects.visible_to(cast["leader"]).filter(pk=r.pk).exists()
    assert Resident.objects.visible_to(cast["gw_a"]).filter(pk=r.pk).exists()


def test_every_view_of_a_record_is_audited(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    c = Client()
    c.force_login(cast["gw_a"])
    before = AuditEvent.objects.filter(object_type="resident", object_id=str(r.pk)).count()
    assert c.get(f"/registry/people/{r.pk}/").status_code == 200
    Api(cast["leader"]).get(f"/registry/people/{r.pk}")
    assert c.post(f"/registry/people/{r.pk}/reveal").json()["id_number"] == OLD_MAN
    rows = list(AuditEvent.objects.filter(object_type="resident", object_id=str(r.pk)).order_by("id")[before:])
    assert [(e.action, e.actor_name, e.data.get("via")) for e in rows] == [
        ("registry.view", "gw_a", "page"),
        ("registry.view", "leader", "api"),
        ("registry.reveal", "gw_a", None),
    ]


# --------------------------------------------------------------------------- import


def workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PEOPLE = [
    "姓名",
    "身份证号",
    "联系电话",
    "人口类型",
    "户号",
    "与户主关系",
    "村/社区",
    "街路巷",
    "门牌号",
    "经度",
    "纬度",
    "网格",
]


def test_import_with_bad_rows_saves_nothing_and_names_each_cell(cast: Any, steward: Any) -> None:
    bad_check = OLD_MAN[:17] + ("0" if OLD_MAN[17] != "0" else "1")
    data = workbook(
        PEOPLE,
        [
            ["王五", WOMAN, "13700000000", "户籍人口", "H001", "户主", "甲村", "幸福路", "1", IN_A[0], IN_A[1], ""],
            ["赵六", bad_check, "", "户籍人口", "H001", "配偶", "甲村", "幸福路", "1", IN_A[0], IN_A[1], ""],
            ["王五", WOMAN, "", "", "H001", "子女", "甲村", "幸福路", "1", IN_A[0], IN_A[1], ""],
            ["钱七", "", "", "流动人口", "", "", "甲村", "远方路", "9", OUTSIDE[0], OUTSIDE[1], ""],
            ["孙八", "", "", "", "", "", "甲村", "小巷", "3", "", "", "999999999999999"],
            ["周九", "", "", "外星人", "", "", "丙村", "", "", "", "", ""],
        ],
    )
    report = excel.import_file("people", data, actor=steward)
    assert not report.ok and report.rows == 6
    got = [(e["row"], e["column"], e["message"]) for e in report.errors]
    assert got == [
        (3, "身份证号", "身份证号码无效（GB 11643校验不通过）"),
        (4, "身份证号", "与第2行是同一个人"),
        (5, "经度", "位置不在辖区内"),
        (6, "网格", "没有这个网格：999999999999999"),
        (7, "人口类型", "人口类型只能是户籍人口、流动人口或境外人员"),
    ]
    assert report.errors[0]["value"] == bad_check
    assert not Resident.objects.exists()


def test_a_clean_import_saves_people_addresses_households_and_then_benefits(cast: Any, steward: Any) -> None:
    data = workbook(
        PEOPLE,
        [
            ["王五", OLD_MAN, "13700000000", "户籍人口", "H001", "户主", "甲村", "幸福路", "1", IN_A[0], IN_A[1], ""],
            ["赵六", WOMAN, "", "流动人口", "H001", "配偶", "甲村", "幸福路", "1", IN_A[0], IN_A[1], ""],
            ["孙八", "", "", "", "", "", "120111103202", "小巷", "3", "", "", GRID_B1],
        ],
    )
    report = excel.import_file("people", data, actor=steward)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 0)
    wang = Resident.objects.get(id_key=services.id_key(OLD_MAN))
    assert wang.household.number == "H001" and wang.grid.code == GRID_A1 and wang.relation == "head"
    assert wang.household.members.count() == 2
    assert Resident.objects.get(name_key=services.name_key("孙八")).grid.code == GRID_B1
    # Imported again: updates, nothing doubled.
    again = excel.import_file("people", data, actor=steward)
    assert (again.created, again.updated) == (0, 3) and Resident.objects.count() == 3
    pay = workbook(
        ["身份证号", "姓名", "月份", "类别", "金额(元)"],
        [[OLD_MAN, "王五", "2026-01", "低保金", "1050"], [OLD_MAN, "王五", "2026年2月", "低保金", 1050]],
    )
    assert excel.import_file("benefits", pay, actor=steward).ok
    assert Benefit.objects.filter(resident=wang).count() == 2
    wrong = workbook(
        ["身份证号", "姓名", "月份", "类别", "金额(元)"],
        [[OLD_MAN, "李四", "2026-03", "低保金", "1050"], [make_id("19900101", "555"), "", "2026-03", "低保金", "x"]],
    )
    rep = excel.import_file("benefits", wrong, actor=steward)
    assert [(e["row"], e["message"]) for e in rep.errors] == [(2, "姓名与登记的不一致"), (3, "登记中没有这个人")]
    enrol = workbook(["身份证号", "类别", "日期"], [[WOMAN, "医疗保险", "2026-02-01"]])
    assert excel.import_file("enrolments", enrol, actor=steward).ok
    assert Enrolment.objects.get().scheme == "medical"


def test_import_refuses_what_is_not_excel_and_missing_columns(cast: Any, steward: Any) -> None:
    assert excel.import_file("people", b"not a zip", actor=steward).errors[0]["row"] == 0
    rep = excel.import_file("people", workbook(["姓名"], [["甲"]]), actor=steward)
    assert rep.errors[0]["message"] == "缺少必需的列" and "村/社区" in rep.errors[0]["column"]


def test_the_import_page_shows_the_report(cast: Any, steward: Any) -> None:
    c = Client()
    c.force_login(steward)
    bad = workbook(PEOPLE, [["赵六", OLD_MAN[:17] + "Y", "", "", "", "", "甲村", "", "", "", "", ""]])
    r = c.post("/registry/import/", {"kind": "people", "file": SimpleUploadedFile("p.xlsx", bad)})
    assert r.status_code == 200 and "未保存任何一行" in r.content.decode()
    assert c.get("/registry/import/people/template.xlsx").status_code == 200
    gw = Client()
    gw.force_login(cast["gw_a"])
    assert gw.get("/registry/import/").status_code == 403


# --------------------------------------------------------------------------- care and visits


def test_visit_plans_make_people_due_and_a_visit_reschedules(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    since = at.now.astimezone(TZ).date() - timedelta(days=10)
    services.tag(r, CareGroup.objects.get(code="alone_elderly"), since=since, actor=steward)
    services.tag(r, CareGroup.objects.get(code="dibao"), since=since, actor=steward)
    r.refresh_from_db()
    assert r.visit_due == since + timedelta(days=7)  # the shortest cycle: weekly
    assert list(services.search(cast["gw_a"], due=True)) == [r]
    services.record_visit(actor=cast["gw_a"], resident=r, found="身体尚可，独自居住")
    r.refresh_from_db()
    assert r.visit_due == at.now.astimezone(TZ).date() + timedelta(days=7)
    assert list(services.search(cast["gw_a"], due=True)) == []


def test_a_visit_that_finds_a_need_raises_one_case_in_the_loop(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    api = Api(cast["gw_a"])
    body = {"found": "老人腿脚不便", "need": "楼道扶手损坏，需要维修", "client_key": "v-1"}
    first = api.form(f"/registry/people/{r.pk}/visits", {**body, "photos": jpeg()})
    assert first.status_code == 201, first.content
    number = first.json()["case"]
    case = Case.objects.get(number=number)
    assert case.origin_kind == "registry.visit" and case.grid.code == GRID_A1
    assert case.reporter_user == cast["gw_a"] and case.description == body["need"]
    assert case.status == "to_file"  # a grid worker's report in their own grid
    again = api.form(f"/registry/people/{r.pk}/visits", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1 and Case.objects.count() == 1
    assert Visit.objects.get().photos.count() == 1
    # The other grid's worker cannot visit this person.
    err(Api(cast["gw_b"]).form(f"/registry/people/{r.pk}/visits", {"found": "x"}), 404)
    with pytest.raises(Forbidden):
        services.record_visit(actor=cast["leader"], resident=r, found="x")


def test_a_proposal_is_applied_only_when_a_steward_approves(cast: Any, steward: Any) -> None:
    api = Api(cast["gw_a"])
    body = {
        "kind": "add",
        "name": "新来的",
        "id_number": WOMAN,
        "phone": "13600000000",
        "person_kind": "floating",
        "address": {"region": VILLAGE_A, "road": "幸福路", "number": "20", "lon": IN_A[0], "lat": IN_A[1]},
        "client_key": "p-1",
    }
    made = api.post("/registry/proposals", body)
    assert made.status_code == 201, made.content
    assert api.post("/registry/proposals", body).json()["id"] == made.json()["id"]
    assert not Resident.objects.exists() and Proposal.objects.count() == 1
    # Outside one's own grids: refused.
    other = {
        **body,
        "client_key": "p-2",
        "address": {**body["address"], "region": VILLAGE_B, "lon": IN_B[0], "lat": IN_B[1]},
    }
    err(api.post("/registry/proposals", other), 403, "outside_grid")
    err(api.post("/registry/proposals", {**body, "client_key": "p-3", "id_number": "123"}), 400, "invalid_id_number")
    err(Api(cast["gw_a"]).post(f"/registry/proposals/{made.json()['id']}/decide", {"approve": True}), 403)
    done = Api(steward).post(f"/registry/proposals/{made.json()['id']}/decide", {"approve": True})
    assert done.status_code == 200 and done.json()["state"] == "approved"
    r = Resident.objects.get()
    assert (r.name, r.kind, r.grid.code) == ("新来的", "floating", GRID_A1)
    assert Residence.objects.filter(resident=r, until__isnull=True).count() == 1
    err(Api(steward).post(f"/registry/proposals/{made.json()['id']}/decide", {"approve": True}), 409)


def test_counts_for_the_report(cast: Any, steward: Any, at: Any) -> None:
    old = person_in(steward)
    woman = person_in(steward, IN_B, WOMAN, "李梅")
    day = at.now.astimezone(TZ).date()
    services.tag(old, CareGroup.objects.get(code="dibao"), since=day - timedelta(days=60), actor=steward)
    services.tag(woman, CareGroup.objects.get(code="dibao"), since=day - timedelta(days=5), actor=steward)
    services.tag(woman, CareGroup.objects.get(code="disabled"), since=day, actor=steward, disability="limb", grade=3)
    Benefit.objects.create(resident=old, month=day.replace(day=1), kind="低保金", amount=Decimal("1050.50"))
    Enrolment.objects.create(resident=woman, scheme="pension", on=day)
    services.record_visit(actor=cast["gw_b"], resident=woman, found="好")
    data = services.counts(steward, day.replace(month=1, day=1), day, "region")
    rows = {row["code"]: row for row in data["rows"]}
    assert rows[VILLAGE_A]["groups"]["dibao"] == 1 and rows[VILLAGE_B]["groups"]["dibao"] == 1
    assert rows[VILLAGE_B]["groups"]["disabled"] == 1 and rows[VILLAGE_B]["visits"] == 1
    assert rows[VILLAGE_A]["overdue"] == 1  # dibao monthly, tagged 60 days ago, never visited
    assert data["total"]["aid"] == Decimal("1050.50") and data["total"]["schemes"]["pension"] == 1
    # A grid worker counts their own grids only; the API says the same.
    mine = Api(cast["gw_a"]).get("/registry/counts", **{"from": str(day.replace(month=1, day=1)), "to": str(day)})
    assert mine.status_code == 200 and [r["code"] for r in mine.json()["rows"]] == [VILLAGE_A]
    err(Api(cast["gw_a"]).get("/registry/counts", by="street"), 400, "invalid_slice")


def test_export_of_personal_data_is_for_stewards_and_recorded(cast: Any, steward: Any) -> None:
    person_in(steward)
    c = Client()
    c.force_login(steward)
    r = c.get("/registry/export")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="registry.export", actor_name="h_social").count() == 1
    for who in ("leader", "gw_a"):
        c = Client()
        c.force_login(cast[who])
        assert c.get("/registry/export").status_code == 403


def test_staff_pages_open_for_those_who_may(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    services.propose(actor=cast["gw_a"], kind="edit", data={"phone": "13811112222"}, resident=r, client_key="k1")
    c = Client()
    c.force_login(steward)
    for path in (
        "/registry/",
        "/registry/?q=张三",
        "/registry/visits/",
        "/registry/proposals/",
        "/registry/counts/?by=grid",
        f"/registry/people/{r.pk}/",
    ):
        page = c.get(path)
        assert page.status_code == 200, path
    assert "张*" in c.get("/registry/?q=张三").content.decode()
    assert "13811112222" in c.get("/registry/proposals/").content.decode()
    leader = Client()
    leader.force_login(cast["leader"])
    assert leader.get("/registry/visits/").status_code == 200
    assert leader.get("/registry/proposals/").status_code == 403
    gw = Client()
    gw.force_login(cast["gw_a"])
    assert gw.get("/registry/m/").status_code == 200
    assert gw.get("/registry/").status_code == 302


def test_a_steward_corrects_and_tags_on_the_page(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    c = Client()
    c.force_login(steward)
    c.post(
        f"/registry/people/{r.pk}/",
        {"action": "correct", "phone": "13500000000", "version": r.version, "kind": "registered", "relation": ""},
    )
    version = r.version
    r.refresh_from_db()
    assert r.phone == "13500000000" and r.version == version + 1
    c.post(
        f"/registry/people/{r.pk}/",
        {"action": "tag", "group": "disabled", "since": "2026-01-05", "disability": "sight", "grade": "2"},
    )
    t = r.tags.get()
    assert (t.group.code, t.disability, t.grade) == ("disabled", "sight", 2)
    assert Change.objects.filter(record="resident", record_id=r.pk, action="tag").exists()
    gw = Client()
    gw.force_login(cast["gw_a"])
    assert gw.post(f"/registry/people/{r.pk}/", {"action": "remove", "reason": "died"}).status_code == 403
    with pytest.raises(NotFound):
        services.load(cast["gw_b"], r.pk)


def test_visit_time_is_bounded(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    with pytest.raises(Invalid):
        services.record_visit(actor=cast["gw_a"], resident=r, found="x", at=at.now + timedelta(days=2))
    with pytest.raises(Invalid):
        services.record_visit(actor=cast["gw_a"], resident=r, found="x", at=datetime(2020, 1, 1, tzinfo=TZ))
    assert clock.now() == at.now


def test_the_veterans_station_collects_information(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    c = Client()
    c.force_login(steward)
    form = {
        "action": "veteran",
        "category": "退役士兵",
        "enlisted": "1958",
        "discharged": "1963",
        "note": "曾参加抗美援朝",
    }
    c.post(f"/registry/people/{r.pk}/", form)
    c.post(f"/registry/people/{r.pk}/", {**form, "discharged": "1950"})  # before enlisting: refused
    v = r.veteran
    v.refresh_from_db()
    assert (v.category, v.enlisted, v.discharged) == ("退役士兵", 1958, 1963)
    assert v.collected_by == steward.person
    assert "退役士兵" in c.get(f"/registry/people/{r.pk}/").content.decode()


def test_a_proposal_without_a_position_keeps_its_grid_and_an_address_row_without_a_place_keeps_the_addresss(
    cast: Any, steward: Any
) -> None:
    body = {"kind": "add", "name": "无定位", "address": {"region": VILLAGE_A, "road": "小巷", "grid": GRID_A1}}
    made = Api(cast["gw_a"]).post("/registry/proposals", body)
    assert made.status_code == 201, made.content
    Api(steward).post(f"/registry/proposals/{made.json()['id']}/decide", {"approve": True})
    r = Resident.objects.get()
    assert r.grid.code == GRID_A1 and Resident.objects.visible_to(cast["gw_a"]).filter(pk=r.pk).exists()
    err(Api(cast["gw_a"]).post("/registry/proposals", {**body, "address": {"region": VILLAGE_A}}), 400)
    shop, _made = services.save_address(
        {"region": VILLAGE_A, "road": "商业街", "lon": IN_A[0], "lat": IN_A[1], "use": "shop", "rented": True},
        actor=steward,
    )
    again, made_again = services.save_address({"region": VILLAGE_A, "road": "商业街"}, actor=steward)
    assert not made_again and again.pk == shop.pk
    assert (again.grid.code, again.lon, again.use, again.rented) == (GRID_A1, IN_A[0], "shop", True)


# --------------------------------------------------------------------------- from the review


def test_a_proposal_for_a_known_address_cannot_move_its_people_into_the_workers_grid(cast: Any, steward: Any) -> None:
    from jingwu.org.models import GridAssignment

    a2 = "120111103201002"
    GridAssignment.objects.filter(grid__code=a2).update(person=cast["gw_b"].person)  # A2 is gw_b's now
    home, _made = services.save_address(
        {"region": VILLAGE_A, "road": "幸福路", "number": "8", "lon": 117.105, "lat": 39.035}, actor=steward
    )
    there, _made = services.save_person({"name": "李梅", "id_number": WOMAN}, actor=steward, address=home)
    assert there.grid.code == a2
    body = {
        "kind": "add",
        "name": "新人",
        "address": {"region": VILLAGE_A, "road": "幸福路", "number": "8", "grid": GRID_A1},
        "client_key": "x",
    }
    # The address exists, in A2: the proposal is judged by its grid, not the one the worker names.
    err(Api(cast["gw_a"]).post("/registry/proposals", body), 403, "outside_grid")
    there.refresh_from_db()
    assert there.grid.code == a2


def test_an_address_placed_again_moves_its_people_with_history(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    at.move(at.now + timedelta(days=1))
    services.save_address(
        {"region": VILLAGE_A, "road": "幸福路", "number": "8", "grid": "120111103201002", "lon": None}, actor=steward
    )
    r.refresh_from_db()
    assert r.grid.code == GRID_A1  # no point and a grid named: the point it has wins
    services.save_address(
        {"region": VILLAGE_A, "road": "幸福路", "number": "8", "lon": 117.105, "lat": 39.035}, actor=steward
    )
    r.refresh_from_db()
    assert r.grid.code == "120111103201002"
    assert [h.grid.code for h in Residence.objects.filter(resident=r).order_by("since", "id")] == [
        GRID_A1,
        "120111103201002",
    ]


def test_a_restricted_tag_ending_later_still_hides_the_person(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    day = at.now.astimezone(TZ).date()
    services.tag(r, CareGroup.objects.get(code="key_person"), since=day, until=day + timedelta(days=300), actor=steward)
    assert not Resident.objects.visible_to(cast["leader"]).filter(pk=r.pk).exists()
    # The counts still hold the person in the other columns; the restricted column is left out for the leader.
    services.tag(r, CareGroup.objects.get(code="dibao"), since=day, actor=steward)
    data = services.counts(cast["leader"], day.replace(month=1, day=1), day)
    assert data["total"]["groups"]["dibao"] == 1 and "key_person" not in data["total"]["groups"]


def test_a_reimport_without_the_optional_columns_keeps_what_there_is(cast: Any, steward: Any) -> None:
    r = person_in(steward, kind="floating", relation="head")
    data = workbook(["姓名", "身份证号", "村/社区", "街路巷", "门牌号"], [["张三", OLD_MAN, "甲村", "幸福路", "8"]])
    assert excel.import_file("people", data, actor=steward).ok
    r.refresh_from_db()
    assert (r.phone, r.kind, r.relation, r.grid.code) == ("13800001111", "floating", "head", GRID_A1)


def test_two_rows_without_id_for_one_name_at_one_address_are_one_person_twice(cast: Any, steward: Any) -> None:
    data = workbook(PEOPLE, [["孙八", "", "", "", "", "", "甲村", "小巷", "3", "", "", GRID_A1]] * 2)
    report = excel.import_file("people", data, actor=steward)
    assert [(e["row"], e["message"]) for e in report.errors] == [(3, "与第2行是同一个人")]


def test_a_correction_to_anothers_id_number_is_refused(cast: Any, steward: Any) -> None:
    person_in(steward, IN_B, WOMAN, "李梅")
    r = person_in(steward)
    with pytest.raises(Invalid) as bad:
        services.save_person({"id_number": WOMAN}, actor=steward, resident=r)
    assert bad.value.code == "duplicate_person"


def test_phones_and_ids_are_found_however_they_are_typed(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    for q in ("+86 138-0000-1111", "１３８００００１１１１", OLD_MAN.lower(), f" {OLD_MAN[:6]} {OLD_MAN[6:]}"):
        assert list(services.search(steward, q)) == [r], q
    assert not idcard.valid(make_id("20990101", "011"))  # born in the future
    assert not idcard.valid("١٢٠١١٤١٩٤٠٠٣١٥٠١١X")  # other scripts' digits are not ASCII digits


def test_searches_and_exports_are_audited_without_the_values(cast: Any, steward: Any, settings: Any) -> None:
    r = person_in(steward)
    c = Client()
    c.force_login(steward)
    c.get("/registry/", {"q": OLD_MAN})
    event = AuditEvent.objects.filter(action="registry.search").latest("id")
    assert event.data == {"via": "page", "found": [r.pk], "q_kind": "id"}
    settings.JINGWU_EXPORT_SYNC_ROWS = 0  # in the background
    c.get("/registry/export", {"q": OLD_MAN})
    from jingwu.web.models import Export

    job = Export.objects.latest("id")
    assert OLD_MAN not in str(job.params) and OLD_MAN not in str(AuditEvent.objects.latest("id").data)


def test_counts_take_visits_where_they_were_made_and_bounded_periods(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    services.record_visit(actor=cast["gw_a"], resident=r, found="好")
    there, _made = services.save_address(
        {"region": VILLAGE_B, "road": "和平街", "number": "2", "lon": IN_B[0], "lat": IN_B[1]}, actor=steward
    )
    services.save_person({}, actor=steward, resident=r, address=there)
    day = at.now.astimezone(TZ).date()
    mine = services.counts(cast["gw_a"], day.replace(month=1, day=1), day)
    assert mine["total"]["visits"] == 1
    err(Api(steward).get("/registry/counts", **{"from": "2026-01-01", "to": "9999-12-31"}), 400, "invalid_period")
    c = Client()
    c.force_login(steward)
    assert c.get("/registry/counts/", {"to": "9999-12-31"}).status_code == 200


def test_visit_plans_follow_tags_that_end_and_begin(cast: Any, steward: Any, at: Any) -> None:
    r = person_in(steward)
    day = at.now.astimezone(TZ).date()
    t = services.tag(r, CareGroup.objects.get(code="dibao"), since=day - timedelta(days=40), until=day, actor=steward)
    r.refresh_from_db()
    assert r.visit_due == day - timedelta(days=10)
    at.move(at.now + timedelta(days=1))
    assert services.reschedule_ended() == 1
    r.refresh_from_db()
    assert r.visit_due is None
    assert not services.untag(t, actor=steward)  # already ended: its end date stays


def test_a_groups_cycle_changed_in_the_admin_reschedules_its_people(
    cast: Any, steward: Any, at: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    r = person_in(steward)
    day = at.now.astimezone(TZ).date()
    dibao = CareGroup.objects.get(code="dibao")
    services.tag(r, dibao, since=day, actor=steward)
    r.refresh_from_db()
    assert r.visit_due == day + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        dibao.visit_days = 14
        dibao.save()
    queued = DBTaskResult.objects.get(task_path__endswith="reschedule_group_task")
    assert queued.args_kwargs["args"] == [dibao.pk]
    services.reschedule_group(dibao.pk)  # what the worker runs
    r.refresh_from_db()
    assert r.visit_due == day + timedelta(days=14)


def test_query_counts_do_not_grow_with_people(cast: Any, steward: Any, steady_caches: None) -> None:
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    dibao = CareGroup.objects.get(code="dibao")
    home, _made = services.save_address(
        {"region": VILLAGE_A, "road": "幸福路", "number": "8", "lon": IN_A[0], "lat": IN_A[1]}, actor=steward
    )

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            r, _m = services.save_person(
                {"name": f"人{i}", "id_number": make_id("19500101", f"{i:03d}"), "household": f"H{i}"},
                actor=steward,
                address=home,
            )
            services.tag(r, dibao, since=date(2025, 1, 1), actor=steward)
            services.record_visit(actor=cast["gw_a"], resident=r, found="好")

    c = Client()
    c.force_login(steward)
    api = Api(steward)
    paths = ["/registry/", "/registry/visits/", "/registry/counts/", "/registry/proposals/"]

    def count() -> list[int]:
        out = []
        for path in paths:
            with CaptureQueriesContext(conn) as q:
                assert c.get(path).status_code == 200
            out.append(len(q))
        with CaptureQueriesContext(conn) as q:
            assert api.get("/registry/people").status_code == 200
        return [*out, len(q)]

    add(2, 1)
    count()  # warm: the per-process caches fill on the first request
    few = count()
    add(8, 10)
    assert count() == few


def test_a_need_is_reported_by_the_grid_worker_and_a_restricted_persons_case_carries_no_address(
    cast: Any, steward: Any
) -> None:
    r = person_in(steward)
    with pytest.raises(Forbidden) as no:
        services.record_visit(actor=steward, resident=r, found="看望", need="屋顶漏雨")
    assert no.value.code == "need_by_grid_worker" and not Visit.objects.exists()
    assert services.record_visit(actor=steward, resident=r, found="看望").created  # a visit without a need: fine
    services.tag(r, CareGroup.objects.get(code="key_person"), since=date(2026, 1, 1), actor=steward)
    v = services.record_visit(
        actor=cast["gw_a"], resident=r, found="情况稳定", need="需协调就业帮扶", category="matter:90008"
    )
    case = Case.objects.get(pk=v.visit.case_id)
    assert case.address == "" and case.grid.code == GRID_A1 and case.category.code == "90008"
    with connection.cursor() as cur:
        cur.execute("SELECT found FROM registry_visit WHERE id = %s", [v.visit.pk])
        assert cur.fetchone()[0].startswith("enc1:")


def test_digests_follow_the_index_key_and_are_recomputed_by_the_command(cast: Any, steward: Any, settings: Any) -> None:
    from django.core.management import call_command

    r = person_in(steward)
    settings.JINGWU_INDEX_KEY = "another index key"
    assert list(services.search(steward, OLD_MAN)) == []  # the old digests no longer match
    call_command("rekey_registry", stdout=io.StringIO())
    assert list(services.search(steward, OLD_MAN)) == [r]
    assert list(services.search(steward, "13800001111")) == [r] and list(services.search(steward, "张三")) == [r]
    assert AuditEvent.objects.filter(action="privacy.rekey_registry").exists()


def test_refused_forms_keep_what_was_typed_and_a_disability_needs_kind_and_grade(cast: Any, steward: Any) -> None:
    r = person_in(steward)
    c = Client()
    c.force_login(steward)
    page = c.post(f"/registry/people/{r.pk}/", {"action": "correct", "phone": "13511112222", "id_number": "123"})
    html = page.content.decode()
    assert page.status_code == 200 and "身份证号码无效" in html and 'value="13511112222"' in html
    r.refresh_from_db()
    assert r.phone == "13800001111"  # nothing saved
    page = c.post(f"/registry/people/{r.pk}/", {"action": "tag", "group": "disabled", "since": "2026-01-05"})
    assert "残疾人须登记残疾类别和等级" in page.content.decode() and not r.tags.exists()


def test_a_phone_position_outside_the_chosen_village_is_left_out_and_proposals_read_plainly(
    cast: Any, steward: Any
) -> None:
    body = {
        "kind": "add",
        "name": "邻居",
        "person_kind": "floating",
        "address": {
            "region": VILLAGE_A,
            "road": "幸福路",
            "number": "9",
            "grid": GRID_A1,
            "lon": IN_B[0],
            "lat": IN_B[1],
        },
    }
    made = Api(cast["gw_a"]).post("/registry/proposals", body)
    assert made.status_code == 201, made.content
    r = person_in(steward)
    services.propose(actor=cast["gw_a"], kind="edit", data={"kind": "floating"}, resident=r, client_key="k")
    c = Client()
    c.force_login(steward)
    html = c.get("/registry/proposals/").content.decode()
    assert "人口类型：</span><b>流动人口</b>" in html and "户籍人口 → <b>流动人口</b>" in html
    assert "甲村幸福路9号" in html
