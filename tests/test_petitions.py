"""Petitions (信访) and deputies' suggestions (代表建议): restricted visibility, the 条例's limits under the
working calendar, the loop's steps, a suggestion's second reply, and the rates for a session."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jingwu.audit.models import AuditEvent
from jingwu.cases.models import Case
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.petitions import services
from jingwu.petitions.models import CongressSession, Deputy, Petition, Suggestion

from .conftest import TZ
from .test_api import Api, err

ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (the standard's example)


@pytest.fixture
def people(cast: Any) -> Any:
    User = get_user_model()
    for name, role in (("clerk", Role.PETITION_CLERK), ("deputy", Role.DEPUTY)):
        u = User.objects.create_user(name, password="pw-" + name)
        Person.objects.create(user=u, name=f"{name}姓名", role=role, phone="13900000000")
        cast.users[name] = u
    Deputy.objects.create(person=cast["deputy"].person, constituency="第一选区")
    return cast


def register(cast: Any, **kw: Any) -> Petition:
    args = {
        "actor": cast["clerk"],
        "channel": "visit",
        "petitioner_name": "王秀英",
        "petitioner_id_number": ID_NUMBER,
        "petitioner_phone": "13812345678",
        "petitioner_address": "甲村三组12号",
        "subject": "拆迁补偿",
        "matter": "反映拆迁补偿款未按协议发放",
        "leader": cast["leader"].person.pk,
        "department": "B05",
        "region": "120111103201",
    } | kw
    return services.register_petition(**args)[0]


def accepted(cast: Any, **kw: Any) -> Petition:
    return services.decide(register(cast, **kw), actor=cast["clerk"], accept=True)


def working_days_after(start: datetime, n: int) -> datetime:
    """The test's own count: the official 2026 holidays and 调休 days, weekends off, same time of day."""
    holidays = {date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)} | {date(2026, 5, d) for d in range(1, 6)}
    holidays |= {date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21)}
    workdays = {date(2026, 5, 9)}
    day = start.date()
    while n:
        day += timedelta(days=1)
        if day in workdays or (day.weekday() < 5 and day not in holidays):
            n -= 1
    return start.replace(year=day.year, month=day.month, day=day.day)


# --- deadlines -----------------------------------------------------------------------------------------


def test_deadlines_follow_the_working_calendar_across_holidays(people: Any, at: Any) -> None:
    at.move(datetime(2026, 3, 30, 9, 0, tzinfo=TZ))  # a Monday; 清明 (Apr 4–6) falls inside the 15 days
    p = register(people)
    # 15 working days: Mar 31 … Apr 3 (4), Apr 7 … 10 (8), 13 … 17 (13), 20, 21 → Tuesday Apr 21, not Monday Apr 20.
    assert p.accept_due == datetime(2026, 4, 21, 9, 0, tzinfo=TZ) == working_days_after(p.received_at, 15)
    at.move(datetime(2026, 4, 1, 10, 0, tzinfo=TZ))
    p = services.decide(p, actor=people["clerk"], accept=True)
    # 60 working days from acceptance, over 清明, 劳动节 (May 1–5, with Saturday May 9 worked) and 端午 (Jun 19).
    assert p.handle_due == datetime(2026, 6, 30, 10, 0, tzinfo=TZ) == working_days_after(p.decided_at, 60)
    case = Case.objects.get(pk=p.case_id)
    assert case.status == "handling" and case.department.code == "B05"
    assert case.handling_deadline == p.handle_due  # counted from acceptance, not from dispatch
    # Extension: at most 30 days in all; the leader approves and the deadline moves by 20 working days.
    with pytest.raises(services.Invalid) as exc:
        services.request_extension(p, actor=people["h_city"], days=31, reason="需要调查")
    assert exc.value.code == "extension_too_long"
    services.request_extension(p, actor=people["h_city"], days=20, reason="需要补充调查")
    p = services.approve_extension(p, actor=people["leader"])
    assert p.extension_days == 20 and p.handle_due == working_days_after(datetime(2026, 6, 30, 10, 0, tzinfo=TZ), 20)
    with pytest.raises(services.Invalid):
        services.request_extension(p, actor=people["h_city"], days=11, reason="再延")


def test_calendar_days_when_configured(people: Any, at: Any) -> None:
    from jingwu.petitions.models import Limits

    Limits.objects.create(working_days=False)
    at.move(datetime(2026, 3, 30, 9, 0, tzinfo=TZ))
    assert register(people).accept_due == datetime(2026, 4, 14, 9, 0, tzinfo=TZ)


def test_the_backlog_has_overdue_and_repeated_petitions(people: Any, at: Any) -> None:
    late = register(people, subject="噪声扰民", petitioner_id_number="")
    fresh = register(people, subject="道路积水", petitioner_id_number="")
    same_person = register(people, subject="宅基地纠纷")  # same ID number as the next one
    again = register(people, subject="邻里纠纷")
    matter_a = register(people, subject="拆迁 补偿", petitioner_id_number="")
    matter_b = register(people, subject="拆迁补偿！", petitioner_id_number="")
    assert matter_a.matter_key == matter_b.matter_key
    at.move(at.now + timedelta(days=30))  # past the 15 working days: none was decided
    overdue = set(Petition.objects.overdue(at.now).values_list("pk", flat=True))
    assert {late.pk, fresh.pk} <= overdue
    at.move(at.now - timedelta(days=29))
    services.decide(fresh, actor=people["clerk"], accept=False, reason="不属于本机关职责")
    services.decide(late, actor=people["clerk"], accept=True)
    assert set(Petition.objects.backlog(at.now).values_list("pk", flat=True)) == {
        same_person.pk,
        again.pk,
        matter_a.pk,
        matter_b.pk,
    }


# --- the loop -------------------------------------------------------------------------------------------


def test_a_petition_runs_the_loop_to_its_reply_and_rating(people: Any, at: Any) -> None:
    p = accepted(people)
    with pytest.raises(services.Forbidden):
        services.reply(p, actor=people["h_env"], text="不是本单位")  # not the department it was sent to
    p = services.reply(p, actor=people["h_city"], text="已协调发放补偿款")
    assert p.replied_at == at.now and p.reply_text == "已协调发放补偿款" and p.status == "to_check"
    p = services.deliver(p, actor=people["clerk"])
    assert p.delivered_at is not None and p.status == "closed" and p.stage == "replied"
    p = services.rate(p, actor=people["clerk"], rating="unsatisfied", note="金额不对")
    assert p.satisfaction == "unsatisfied"
    # 复查 overturned: the same case reopens (回访重办) and goes back to the department with a new limit.
    p = services.request_review(p, actor=people["clerk"], note="申请复查")
    assert p.stage == "review" and p.review_due == working_days_after(at.now, 30)
    p = services.decide_review(p, actor=people["clerk"], result="overturned", note="重新核算")
    case = Case.objects.get(pk=p.case_id)
    assert case.status == "handling" and p.replied_at is None and p.satisfaction == ""
    assert list(case.transitions.values_list("action", flat=True)) == [
        "report", "accept", "file", "dispatch", "feedback", "check", "close", "rate", "revisit", "dispatch",
    ]  # fmt: skip


def test_a_rejected_petition_voids_its_case(people: Any, at: Any) -> None:
    p = register(people)
    with pytest.raises(services.Invalid):
        services.decide(p, actor=people["clerk"], accept=False)  # a reason is required
    p = services.decide(p, actor=people["clerk"], accept=False, reason="已经司法程序处理")
    assert p.stage == "rejected" and Case.objects.get(pk=p.case_id).status == "voided"


def test_the_petition_clerk_takes_steps_on_petitions_only(people: Any, at: Any) -> None:
    from .flows import act, public_report

    c = public_report(people)
    with pytest.raises(services.Forbidden):
        act(c, "accept", people["clerk"])
    with pytest.raises(services.Forbidden):
        register(people, actor=people["operator"])


# --- who sees a petition --------------------------------------------------------------------------------


def test_a_petition_is_seen_only_by_the_people_on_it(people: Any, at: Any) -> None:
    p = accepted(people)
    number = Case.objects.get(pk=p.case_id).number
    for name in ("clerk", "leader", "h_city"):
        assert Api(people[name]).get(f"/petitions/{p.pk}").status_code == 200, name
        assert number in [i["number"] for i in Api(people[name]).get("/cases").json()["items"]], name
    for name in ("gw_a", "h_env", "operator", "dispatcher", "shiftlead", "admin"):
        api = Api(people[name])
        err(api.get(f"/petitions/{p.pk}"), 404, "not_found")
        assert number not in [i["number"] for i in api.get("/cases").json()["items"]], name
        assert api.get(f"/cases/{number}").status_code == 404, name
    assert [x["id"] for x in Api(people["h_env"]).get("/petitions").json()] == []
    # Pages: the grid worker cannot open them; another department gets 404.
    client = Client()
    client.force_login(people["gw_a"])
    assert client.get("/petitions/").status_code == 403
    assert client.get(f"/petitions/{p.pk}/").status_code == 403
    assert client.get(f"/cases/{number}/").status_code == 404
    client.force_login(people["h_env"])
    assert client.get(f"/petitions/{p.pk}/").status_code == 404
    assert str(p.number) not in client.get("/petitions/").content.decode()
    client.force_login(people["leader"])
    page = client.get(f"/petitions/{p.pk}/").content.decode()
    assert p.subject in page and "王秀英" not in page and "王**" in page
    # The public: neither Open311 nor the public map.
    assert number not in Client().get("/open311/v2/requests.json").content.decode()
    client.force_login(people["citizen"])
    assert number not in client.get("/public/map/data.json").content.decode()


def test_the_petitioner_is_masked_and_each_reveal_audited(people: Any, at: Any) -> None:
    p = accepted(people)
    body = Api(people["h_city"]).get(f"/petitions/{p.pk}").json()
    assert body["petitioner_name"] == "王**" and body["petitioner_phone"] == "138****5678"
    assert ID_NUMBER not in str(body)
    full = Api(people["h_city"]).post(f"/petitions/{p.pk}/reveal").json()
    assert full["id_number"] == ID_NUMBER and full["name"] == "王秀英"
    assert AuditEvent.objects.filter(action="petition.reveal").count() == 1
    other_leader = get_user_model().objects.create_user("leader2")
    Person.objects.create(user=other_leader, name="副镇长", role=Role.LEADER)
    err(Api(other_leader).post(f"/petitions/{p.pk}/reveal"), 403, "forbidden_role")  # sees it, not 包案
    # Stored sealed: the ID number is not in the table's text.
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT petitioner_id_number, petitioner_name FROM petitions_petition")
        stored = cur.fetchone()
    assert ID_NUMBER not in stored[0] and "王秀英" not in stored[1]


# --- the API ----------------------------------------------------------------------------------------------


def body(cast: Any, **kw: Any) -> dict[str, Any]:
    return {
        "channel": "letter",
        "petitioner_name": "李强",
        "petitioner_id_number": ID_NUMBER,
        "subject": "物业纠纷",
        "matter": "小区物业不作为",
        "leader": "leader",
        "department": "B05",
    } | kw


@pytest.mark.parametrize(
    "change,code",
    [
        ({"channel": "fax"}, "unknown_channel"),
        ({"petitioner_id_number": "110105194912310021"}, "invalid_id_number"),
        ({"leader": "operator"}, "not_a_leader"),
        ({"department": "ZZZ"}, "unknown_department"),
        ({"subject": "  "}, "subject_required"),
        ({"region": "999"}, "unknown_region"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(people: Any, at: Any, change: dict[str, Any], code: str) -> None:
    err(Api(people["clerk"]).post("/petitions", body(people, **change)), 400, code)
    assert not Petition.objects.exists() and not Case.objects.exists()


def test_creation_is_idempotent_and_for_the_clerk_only(people: Any, at: Any) -> None:
    api = Api(people["clerk"])
    first = api.post("/petitions", body(people, client_key="k-1"))
    assert first.status_code == 201
    again = api.post("/petitions", body(people, client_key="k-1"))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Petition.objects.count() == 1 and Case.objects.count() == 1
    err(Api(people["operator"]).post("/petitions", body(people)), 403, "forbidden_role")
    pk = first.json()["id"]
    done = api.post(f"/petitions/{pk}/decide", {"accept": True}).json()
    assert done["decision"] == "accepted" and done["case_status"] == "handling"
    err(Api(people["h_city"]).post(f"/petitions/{pk}/reply", {"text": ""}), 400, "reply_required")
    assert Api(people["h_city"]).post(f"/petitions/{pk}/reply", {"text": "已处理"}).json()["stage"] == "handling"
    err(api.post(f"/petitions/{pk}/bogus", {}), 400)


# --- suggestions ----------------------------------------------------------------------------------------


@pytest.fixture
def session(people: Any) -> CongressSession:
    return CongressSession.objects.create(name="精武镇第十七届人民代表大会第四次会议", opened_on=date(2026, 1, 10))


def test_a_suggestion_rated_not_satisfied_gets_a_second_reply(people: Any, session: Any, at: Any) -> None:
    clerk, deputy = people["clerk"], people["deputy"]
    s, _ = services.register_suggestion(
        actor=clerk, session=session, deputy=deputy.person.deputy, title="增设公交站", text="建议在甲村增设公交站点"
    )
    s = services.assign(s, actor=clerk, lead="B05", supporting=["W07"])
    assert s.reply_due == working_days_after(at.now, 60)
    assert [d.code for d in s.supporting.all()] == ["W07"]
    # The deputy sees their own suggestion; the lead department answers.
    assert Api(deputy).get(f"/suggestions/{s.pk}").status_code == 200
    s = services.answer(s, actor=people["h_city"], text="已与公交公司协商，列入明年计划")
    s = services.send_reply(s, actor=clerk)
    with pytest.raises(services.Forbidden):
        services.assess(s, actor=people["h_city"], rating="satisfied")
    r = Api(deputy).post(f"/suggestions/{s.pk}/assess", {"rating": "unsatisfied", "note": "太慢"})
    assert r.status_code == 200 and r.json()["assessment"] == "unsatisfied"
    s = services.reassign(s, actor=clerk)
    assert s.status == "handling" and s.lead.code == "B05"
    at.move(at.now + timedelta(days=7))
    s = services.answer(s, actor=people["h_city"], text="已开通临时站点")
    assert s.reply_text == "已与公交公司协商，列入明年计划" and s.second_reply_text == "已开通临时站点"
    s = services.send_reply(s, actor=clerk)
    s = services.assess(s, actor=deputy, rating="satisfied")
    assert s.assessment == "unsatisfied" and s.second_assessment == "satisfied" and s.final_assessment == "satisfied"
    with pytest.raises(services.Conflict):
        services.assess(s, actor=deputy, rating="satisfied")


def test_rates_for_a_session(people: Any, session: Any, at: Any) -> None:
    clerk, deputy = people["clerk"], people["deputy"].person.deputy
    made = []
    for i in range(4):
        s, _ = services.register_suggestion(actor=clerk, session=session, deputy=deputy, title=f"建议{i}", text="内容")
        made.append(services.assign(s, actor=clerk, lead="B05"))
    # Three replied (answered and sent), one not: 答复率 3/4 = 75%.
    for s, rating in zip(made[:3], ["satisfied", "basic", None], strict=True):
        services.send_reply(services.answer(s, actor=people["h_city"], text="答复"), actor=clerk)
        if rating:
            services.assess(s, actor=people["deputy"], rating=rating)
    # 满意率 over the assessed ones: 满意 + 基本满意 = 2 of 2 = 100%.
    got = services.rates(session)
    assert (got["total"], got["replied"], got["assessed"], got["satisfied"]) == (4, 3, 2, 2)
    assert got["reply_rate"] == 75.0 and got["satisfaction_rate"] == 100.0
    services.assess(made[2], actor=people["deputy"], rating="unsatisfied")  # 2 of 3 now
    assert services.rates(session)["satisfaction_rate"] == round(200 / 3, 1) == 66.7
    rows = Api(people["leader"]).get("/suggestions/sessions").json()
    assert rows[0]["reply_rate"] == 75.0 and rows[0]["satisfaction_rate"] == 66.7
    client = Client()
    client.force_login(people["leader"])
    page = client.get(f"/suggestions/?session={session.pk}").content.decode()
    assert "75.0%" in page and "66.7%" in page
    assert Suggestion.objects.filter(session=session).count() == 4


def test_the_demo_year(db: Any) -> None:
    from .conftest import reference_data

    reference_data()
    from jingwu.cases.demo import build_town
    from jingwu.petitions import demo

    end = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    with clock_at(end):
        got = demo.load(build_town(), end=end, count=30)
    assert got["petitions"] == Petition.objects.count() >= 25 and got["suggestions"] == 11
    assert got["replied"] > 10
    session = CongressSession.objects.get()
    rates = services.rates(session)
    assert (rates["total"], rates["reply_rate"], rates["satisfaction_rate"], rates["second_replies"]) == (
        11,
        100.0,
        100.0,
        1,
    )
    assert get_user_model().objects.filter(username__in=["petition", "deputy01", "deputy11"]).count() == 3


def clock_at(moment: datetime) -> Any:
    from jingwu.lib import clock

    return clock.frozen_at(moment)


# --- what a cold review found ---------------------------------------------------------------------------------------


def test_petition_categories_only_through_the_register(people: Any, at: Any) -> None:
    """A 信访 or 代表建议 reported as a plain case would be seen by no one who can act on it; an ordinary case
    does not become one at 立案, nor the reverse."""
    from jingwu.lib.errors import Invalid

    from .conftest import IN_A
    from .flows import act, worker_report

    for category in ("matter:90005", "matter:90006"):
        body = {"lon": IN_A[0], "lat": IN_A[1], "description": "x", "category": category}
        err(Api(people["gw_a"]).post("/cases", body), 400, "category_reserved")
    case = worker_report(people, category="matter:06010")
    with pytest.raises(Invalid) as exc:
        act(case, "file", people["shiftlead"], category="matter:90005")
    assert exc.value.code == "category_reserved"


def test_a_petition_stays_out_of_the_centres_queues_and_notifications(
    people: Any, at: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from jingwu.cases import selectors
    from jingwu.cases.jobs import escalate_overdue, warn_due_soon
    from jingwu.notify.models import Notification

    p = register(people)
    # Its first stage runs on the 条例's 15 days, not the loop's hours.
    p.case.refresh_from_db()
    assert p.case.due_at == p.accept_due
    for role in ("operator", "shiftlead", "dispatcher"):
        assert not selectors.tasks_for(people[role]).filter(pk=p.case_id).exists()
    assert selectors.tasks_for(people["clerk"]).filter(pk=p.case_id).exists()
    at.move(p.accept_due + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        warn_due_soon()
        escalate_overdue()
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told and not told & {"operator", "shiftlead", "dispatcher", "gw_a", "gw_b", "admin", "auditor"}
