"""Statistics (jingwu/stats): every indicator on a hand-built week, the published Huzhou figures, each figure
equal to the case list its link opens, the rollup equal to the live count, scores, and query counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jingwu.cases import services
from jingwu.cases.models import Case
from jingwu.stats import evaluation, figures, rollup
from jingwu.stats import indicators as ind
from jingwu.web.lists import case_list_for

from .conftest import IN_A, TZ, jpeg
from .flows import act

WEEK = (datetime(2026, 3, 2, tzinfo=TZ), datetime(2026, 3, 9, tzinfo=TZ))
AFTER = datetime(2026, 3, 13, 12, 0, tzinfo=TZ)


def _t(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=TZ)


@pytest.fixture
def week(cast: Any, at: Any) -> dict[str, Case]:
    """Eleven cases through one week, each step at a stated time (Mon 2 March 2026; Wednesday 4 March declared
    a holiday). The expected figures in the tests below are worked out from this list by hand."""
    from jingwu.workcal.models import Holiday

    Holiday.objects.create(date=date(2026, 3, 4), kind="holiday", name="测试假日")
    gw, op, sl, disp, h, leader = (cast[k] for k in ("gw_a", "operator", "shiftlead", "dispatcher", "h_env", "leader"))
    cases: dict[str, Case] = {}

    def when(t: datetime) -> None:
        at.move(t)

    def do(name: str, t: datetime, action: str, actor: Any, **kw: Any) -> None:
        when(t)
        if action == "self_resolve":
            kw.setdefault("photos", [jpeg(), jpeg((30, 200, 30))])
        if action == "feedback" or (action == "verify" and kw.get("outcome") == "confirmed"):
            kw.setdefault("photos", [jpeg()])
        if action == "check":
            kw.setdefault("photos", [jpeg()]) if kw.get("outcome") == "pass" else kw.setdefault("reason", "not_done")
        cases[name] = act(cases[name], action, actor, **kw)

    def report(name: str, t: datetime, by: Any) -> None:
        when(t)
        args: dict[str, Any] = {
            "lon": IN_A[0],
            "lat": IN_A[1],
            "description": f"案件{name}",
            "category": "matter:06010",
        }
        if by == gw:
            args["photos"] = [jpeg()]
        cases[name] = services.report_case(actor=by, **args).case

    # Monday: A on time; B late (and a late 核查); C reworked, then on time; D extended (and a late 结案); E 挂账;
    # F a citizen's, returned and re-dispatched, never fed back; G a citizen's, not found (late 核实); H fixed on
    # the spot; I voided before filing; K a citizen's, closed and rated 满意.
    for name in "ABCDEHI":
        report(name, _t(2, 9, 0), gw)
    for name in "FGK":
        report(name, _t(2, 9, 0), cast["citizen"])
    for name in "ABCDE":
        do(name, _t(2, 9, 5), "file", sl)
        do(name, _t(2, 9, 10), "dispatch", disp)  # handling deadline 14:10 (4 working hours)
    for name in "FGK":
        do(name, _t(2, 9, 10), "send_to_verify", op)
    do("H", _t(2, 9, 10), "self_resolve", gw, category="matter:06010")
    do("I", _t(2, 9, 20), "void", sl, reason="duplicate")
    do("F", _t(2, 9, 40), "verify", gw, outcome="confirmed")
    do("K", _t(2, 9, 40), "verify", gw, outcome="confirmed")
    do("F", _t(2, 9, 50), "file", sl)
    do("K", _t(2, 9, 50), "file", sl)
    do("C", _t(2, 10, 0), "feedback", h)
    do("D", _t(2, 10, 0), "request_extension", h, reason="rain", extension=services.Limit(1, "work_days"))
    do("E", _t(2, 10, 0), "suspend", leader, reason="long_term")
    do("F", _t(2, 10, 0), "dispatch", disp)
    do("K", _t(2, 10, 0), "dispatch", disp)
    do("D", _t(2, 10, 10), "approve_extension", sl)  # D's deadline: Tuesday 14:10
    do("C", _t(2, 10, 30), "check", gw, outcome="fail")  # 返工: the 14:10 deadline stands
    do("F", _t(2, 10, 30), "return", h, reason="not_ours")
    do("A", _t(2, 11, 0), "feedback", h)
    do("C", _t(2, 11, 0), "feedback", h)
    do("F", _t(2, 11, 0), "dispatch", disp, department="W07")
    do("G", _t(2, 11, 0), "verify", gw, outcome="not_found", reason="not_found")
    do("K", _t(2, 11, 0), "feedback", h)
    for name in "ACK":
        do(name, _t(2, 11, 30), "check", gw, outcome="pass")
        do(name, _t(2, 11, 40), "close", sl)
    do("B", _t(2, 15, 0), "feedback", h)  # after 14:10: late
    do("B", _t(2, 16, 30), "check", gw, outcome="pass")  # 90 minutes after feedback: late
    do("B", _t(2, 16, 40), "close", sl)
    do("D", _t(3, 10, 0), "feedback", h)  # late against Monday 14:10, on time against Tuesday's
    do("D", _t(3, 10, 30), "check", gw, outcome="pass")
    do("D", _t(3, 11, 30), "close", sl)  # an hour after 核查: late
    # Tuesday 16:30, J: dispatched 16:40, 4 working hours → 50 minutes Tuesday, none Wednesday (holiday), and
    # 3 h 10 min Thursday: due Thursday 11:40. Fed back Thursday 10:00: on time only because of the holiday.
    report("J", _t(3, 16, 30), gw)
    do("J", _t(3, 16, 35), "file", sl)
    do("J", _t(3, 16, 40), "dispatch", disp)
    do("J", _t(5, 10, 0), "feedback", h)
    do("J", _t(5, 10, 30), "check", gw, outcome="pass")
    do("J", _t(5, 10, 40), "close", sl)
    when(_t(5, 11, 0))
    services.rate_case(cases["K"].pk, rating="satisfied", note="")
    at.move(AFTER)
    for c in cases.values():
        c.refresh_from_db()
    return cases


EXPECTED = {
    "reported": 11,
    "reported_gw": 8,
    "reported_gw_valid": 7,  # I was voided before filing
    "citizen": 3,
    "citizen_responded": 3,
    "citizen_resolved": 1,
    "citizen_rated": 1,
    "citizen_pleased": 1,
    "accepted": 3,
    "accepted_on_time": 3,
    "verify_due": 3,
    "verified_on_time": 2,  # G's 核实 came 50 minutes after its limit
    "filed": 8,
    "filed_on_time": 8,
    "filed_kept": 8,
    "filed_voided": 0,
    "filed_public": 2,  # F and K
    "dispatch_due": 8,
    "dispatched": 8,  # F twice, counted once
    "dispatched_on_time": 8,
    "dispatched_right": 6,  # C reworked, F returned
    "due": 7,  # E (挂账) left out; H never had a handling deadline
    "handled": 6,  # all but F
    "handled_on_time": 5,  # all but B (and F)
    "closed_due": 6,
    "closed_on_time": 5,
    "extended": 1,
    "fed_back": 6,
    "reworked": 1,
    "returned": 1,
    "check_due": 6,
    "checked_on_time": 5,  # B's 核查 was late
    "closed": 7,  # with H's 自行处置
    "closed_step_on_time": 5,  # D's 结案 was late
    "close_steps": 6,
    "self_resolved": 1,
    "suspended": 1,
}
RATES = {
    "closure_rate": 85.71,
    "closure_on_time_rate": 71.43,
    "handling_rate": 85.71,
    "handling_on_time_rate": 71.43,
    "rework_rate": 16.67,
    "valid_report_rate": 87.5,
    "missed_rate": 25.0,
    "verify_on_time_rate": 66.67,
    "check_on_time_rate": 83.33,
    "filing_accuracy": 100.0,
    "dispatch_on_time_rate": 100.0,
    "dispatch_accuracy": 75.0,
    "accept_on_time_rate": 100.0,
    "filing_on_time_rate": 100.0,
    "closing_on_time_rate": 83.33,
    "response_rate": 100.0,
    "resolution_rate": 33.33,
    "satisfaction_rate": 100.0,
}


def _period() -> ind.Period:
    return ind.Period(WEEK[0], WEEK[1], AFTER)


def test_every_indicator_on_a_hand_built_week(week: dict[str, Case]) -> None:
    j = week["J"]
    assert j.handling_deadline == _t(5, 11, 40) and j.handled_on_time is True  # the holiday is not counted
    assert week["D"].handling_deadline == _t(3, 14, 10) and week["D"].handled_on_time is True
    assert week["C"].rework_count == 1 and week["C"].handled_on_time is True
    table = ind.count(Case.objects.all(), _period())
    assert {k: table.value("", k) for k in EXPECTED} == EXPECTED
    assert {k: table.rate("", k) for k in RATES} == RATES
    assert set(RATES) == set(ind.INDICATORS)
    # The week before has none of it.
    before = ind.count(Case.objects.all(), ind.Period(WEEK[0] - timedelta(days=7), WEEK[0], AFTER))
    assert all(before.value("", k) == 0 for k in EXPECTED)


def test_each_figure_opens_exactly_the_cases_it_counts(cast: Any, week: dict[str, Case]) -> None:
    leader = cast["leader"]
    for by in ("", "region", "grid", "worker", "department", "source", "kind", "category"):
        table = ind.count(Case.objects.visible_to(leader), _period(), by)
        rows = ind.indicator_rows(table)
        assert rows
        for row in rows:
            for measure, link in row["links"].items():
                params = dict(parse_qsl(urlparse(link).query))
                listed = case_list_for(leader, params).queryset.count()
                assert listed == row["counts"][measure], (by, row["key"], measure, link)
    # Through the page too: the centre's list shows the figure's total.
    table = ind.count(Case.objects.visible_to(leader), _period())
    c = Client()
    c.force_login(leader)
    html = c.get(table.link("", "dispatched_right")).content.decode()
    assert "统计口径" in html and week["A"].number in html and week["F"].number not in html


def test_the_published_huzhou_month(cast: Any, at: Any) -> None:
    """Huzhou, August 2022: 15,308 应结案, 15,300 结案, 15,289 按期 → 99.95% and 99.88%."""
    start, end = datetime(2022, 8, 1, tzinfo=TZ), datetime(2022, 9, 1, tzinfo=TZ)
    at.move(datetime(2022, 9, 5, tzinfo=TZ))

    def case(n: int, status: str, on_time: bool | None, deadline: datetime) -> Case:
        return Case(
            number=f"HZ{n:08d}",
            source="grid_worker",
            description="x",
            tracking_code=f"{n:08d}",
            status=status,
            reported_at=deadline - timedelta(days=1),
            updated_at=deadline,
            handling_deadline=deadline,
            handled_on_time=on_time,
            feedback_at=deadline if on_time is not None else None,
        )

    rows, n = [], 0
    for count, status, on_time in ((15289, "closed", True), (11, "closed", False), (8, "handling", None)):
        for _i in range(count):
            n += 1
            rows.append(case(n, status, on_time, start + timedelta(minutes=2 * n)))
    for _i in range(40):  # 挂账 and next month's deadlines are not due in August
        n += 1
        rows.append(case(n, "suspended", None, start + timedelta(hours=n % 500)))
        rows.append(case(n + 100000, "handling", None, end + timedelta(hours=1)))
    Case.objects.bulk_create(rows, batch_size=2000)
    table = ind.count(
        Case.objects.all(), ind.Period(start, end, at.now), measures=["due", "closed_due", "closed_on_time"]
    )
    assert (table.value("", "due"), table.value("", "closed_due"), table.value("", "closed_on_time")) == (
        15308,
        15300,
        15289,
    )
    assert table.rate("", "closure_rate") == 99.95 and table.rate("", "closure_on_time_rate") == 99.88


def test_the_rollup_gives_the_live_figures(cast: Any, week: dict[str, Case]) -> None:
    live = rollup.flow(WEEK[0], WEEK[1], "", AFTER)
    assert rollup.rolled_until() is None
    done = rollup.rollup_pending(AFTER)
    assert done[0] == date(2026, 3, 2) and done[-1] == date(2026, 3, 12)
    assert rollup.rollup_pending(AFTER) == []
    for dim in rollup.DIMS:
        assert rollup.flow(WEEK[0], WEEK[1], dim, AFTER) == rollup.live(WEEK[0], WEEK[1], dim)
    whole = live[""]
    assert (whole["reported"], whole["filed"], whole["closed"], whole["dispatched"]) == (11, 8, 7, 8)
    # A period that cuts a day in two reads the rolled days and counts the edges from the cases.
    part = rollup.flow(_t(2, 10, 0), _t(5, 10, 35), "", AFTER)[""]
    assert part == rollup.live(_t(2, 10, 0), _t(5, 10, 35), "")[""]
    # The overview's figures agree with the indicators' lists.
    tile = figures.tile(WEEK[0], WEEK[1])
    assert (tile["reported"], tile["filed"], tile["closed"], tile["due"]) == (11, 8, 7, 7)


def test_stage_times_in_working_hours(cast: Any, week: dict[str, Case]) -> None:
    stages = {s["key"]: s for s in ind.stage_times(Case.objects.all(), _period())}
    # 核实: F 30 min, K 30 min, G 110 min → mean 56.67 min; 90th percentile (nearest rank) 110 min.
    assert stages["verify"]["count"] == 3
    assert stages["verify"]["mean_hours"] == round((0.5 + 0.5 + 110 / 60) / 3, 2)
    assert stages["verify"]["p90_hours"] == round(110 / 60, 2)
    # 处置 for J: Tuesday 16:40 → Thursday 10:00 is 50 min + (Wednesday a holiday) 1 h 30 min = 2 h 20 min.
    assert stages["handle"]["count"] == 9  # A, B, C twice, D, F twice (returned, still handling: once), J, K
    assert stages["dispatch"]["count"] == 9  # eight first dispatches and F's re-dispatch


def test_scores_and_grades(cast: Any, week: dict[str, Case]) -> None:
    period = _period()
    workers = {e["key"]: e for e in evaluation.scores(cast["leader"], "worker", period)}
    gw = workers["gw_a"]
    parts = {p["key"]: p for p in gw["parts"]}
    assert parts["valid_report_rate"]["rate"] == 87.5 and parts["missed_rate"]["rate"] == 25.0
    assert parts["patrol_rate"]["rate"] is None  # no patrols: its weight goes to the others
    expected = (36 * 0.875 + 18 * 0.75 + 18 * (2 / 3) + 18 * (5 / 6)) / 90 * 100
    assert gw["score"] == round(expected, 1) and gw["grade"] == "B" and gw["rank"] == 1
    dispatchers = {e["key"]: e for e in evaluation.scores(cast["leader"], "dispatcher", period)}
    assert dispatchers["dispatcher"]["score"] == round((50 * 1 + 50 * 0.75), 1)
    assert dispatchers["dispatcher"]["grade"] == "B"
    leads = {e["key"]: e for e in evaluation.scores(cast["leader"], "shift_lead", period)}
    assert leads["shiftlead"]["score"] == round(40 + 30 + 30 * 5 / 6, 1)
    assert evaluation.grade(90) == "A" and evaluation.grade(39.9) == "E" and evaluation.grade(None) == "—"
    # Every part of a score opens its cases.
    num = parts["valid_report_rate"]["num_link"]
    assert case_list_for(cast["leader"], dict(parse_qsl(urlparse(num).query))).queryset.count() == 7


def test_the_weights_are_configuration(cast: Any, week: dict[str, Case], settings: Any) -> None:
    settings.JINGWU_EVALUATION = {"worker": {"valid_report_rate": 1}}
    gw = next(e for e in evaluation.scores(cast["leader"], "worker", _period()) if e["key"] == "gw_a")
    assert gw["score"] == 87.5 and [p["key"] for p in gw["parts"]] == ["valid_report_rate"]


def _api(cast: Any, who: str = "leader") -> Client:
    c = Client()
    c.force_login(cast[who])
    return c


def test_the_api(cast: Any, week: dict[str, Case]) -> None:
    c = _api(cast)
    q = {"from": WEEK[0].isoformat(), "to": WEEK[1].isoformat()}
    body = c.get("/api/stats/indicators", {**q, "by": "department"}).json()
    total = sum(r["counts"]["dispatched"] for r in body["rows"])
    assert total == 8 and {i["key"] for i in body["indicators"]} == set(RATES)
    whole = c.get("/api/stats/indicators", q).json()["rows"][0]
    assert whole["rates"]["closure_rate"] == 85.71 and whole["counts"]["due"] == 7
    ranking = c.get("/api/stats/rankings", {"subject": "worker", "month": "2026-03"}).json()
    assert ranking["month"] == "2026-03" and ranking["entries"][0]["key"] == "gw_a"
    assert c.get("/api/stats/rankings", {"month": "March"}).status_code == 400
    bad = c.get("/api/stats/indicators", {"from": WEEK[1].isoformat(), "to": WEEK[0].isoformat()})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_period"
    assert c.get("/api/stats/indicators", {"by": "nonsense"}).status_code == 400
    # ISO 8601 allows zones PostgreSQL refuses, and years no one means: a clear error, or an answer, never a 500.
    far = c.get("/api/stats/scores", {"subject": "region", "from": "1055-03-18T15:51:45-17:49", "to": "2026-03-09"})
    assert far.status_code == 400 and far.json()["error"]["code"] == "invalid_time"
    odd = c.get("/api/stats/indicators", {"from": "2026-03-02T00:00:00-17:49", "to": "2026-03-09T00:00:00+00:00"})
    assert odd.status_code == 200
    assert _api(cast, "gw_a").get("/api/stats/indicators").status_code == 403
    assert _api(cast, "dispatcher").get("/api/stats/screen").status_code == 403
    screen = c.get("/api/stats/screen").json()
    assert screen["open"] == 1 and screen["latest"][0]["number"] == week["J"].number  # F; E (挂账) is not open
    too_long = c.get("/api/stats/stages", {"from": "2026-01-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "period_too_long"
    year_page = c.get("/stats/", {"from": "2026-01-01", "to": "2026-12-31"}).content.decode()
    assert 'id="stats-stages-too-long"' in year_page and 'id="stats-stages"' not in year_page
    stages = c.get("/api/stats/stages", q).json()
    assert [s["key"] for s in stages][:3] == ["accept", "verify", "file"]
    schema = c.get("/api/openapi.json").json()
    assert "/api/stats/indicators" in schema["paths"] and "/api/stats/rankings" in schema["paths"]


ENDPOINTS = [
    "/api/stats/indicators?by=region",
    "/api/stats/indicators?by=worker",
    "/api/stats/stages",
    "/api/stats/scores?subject=worker",
    "/api/stats/scores?subject=dispatcher",
    "/api/stats/rankings?subject=department",
    "/api/stats/overview",
    "/api/stats/screen",
    "/screen/data.json",
    "/stats/?by=department",
    "/stats/scores/?subject=region",
    "/stats/report/?period=month&value=2026-03",
    "/overview/",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_queries_do_not_grow_with_the_cases(
    cast: Any, week: dict[str, Case], at: Any, path: str, steady_caches: None
) -> None:
    from .flows import public_closed

    c = _api(cast)
    period = "&" if "?" in path else "?"
    url = f"{path}{period}from=2026-03-01&to=2026-03-31" if path.startswith("/api/stats/i") else path
    c.get(url)  # warm the caches (reference tables, calendar)
    with CaptureQueriesContext(connection) as first:
        assert c.get(url).status_code == 200
    at.move(AFTER - timedelta(days=1))
    for _i in range(3):
        public_closed(cast)
    at.move(AFTER)
    with CaptureQueriesContext(connection) as second:
        assert c.get(url).status_code == 200
    assert len(second) == len(first), path


def test_the_report_workbook_is_made_in_the_background(cast: Any, week: dict[str, Case]) -> None:
    from openpyxl import load_workbook

    from jingwu.web.models import Export

    c = _api(cast)
    r = c.post("/stats/report/excel", {"period": "month", "value": "2026-03"})
    assert r.status_code == 302 and r["Location"].startswith("/exports/")
    job = Export.objects.get()
    if job.status == "pending":  # a queued task backend: run it as the worker would
        from jingwu.web.jobs import build_export

        build_export.call(job.pk)
        job.refresh_from_db()
    assert job.status == "done" and job.progress == 100, job.error
    book = load_workbook(job.file.path)
    summary = {row[0]: row for row in book["概况"].iter_rows(values_only=True) if row and row[0]}
    assert summary["结案率"][1:] == (6, 7, pytest.approx(0.8571))
    assert book["趋势"]._charts and book["村·社区"]._charts
    assert "gw_a" in str([row for row in book["网格员评价"].iter_rows(values_only=True)])
    assert "统计报告" in c.get("/exports/").content.decode()


def test_the_wall_polls_under_the_pages_session_rules(cast: Any, week: dict[str, Case], settings: Any) -> None:
    """The wall's refresh is not activity: an unattended wall is signed out after the idle timeout (等保 2.0)."""
    import time

    c = _api(cast)
    assert c.get("/screen/").status_code == 200
    data = c.get("/screen/data.json", HTTP_X_JINGWU_POLL="1").json()
    latest = {x["number"]: x for x in data["latest"]}
    assert latest[week["F"].number]["state"] == "handling" and latest[week["F"].number]["overdue"] is True
    assert latest[week["F"].number]["at"] == "03-02 09:00"  # not today: the day is shown
    # 环卫公司 has F open from before this month: it stays on the league table.
    assert any(d["code"] == "W07" and d["open"] == 1 for d in data["departments"])
    session = c.session
    session["jw_active"] = time.time() - settings.SESSION_COOKIE_AGE - 5
    session.save()
    r = c.get("/screen/data.json", HTTP_X_JINGWU_POLL="1")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_overview_leaves_petitions_out_for_everyone(cast: Any, week: dict[str, Case]) -> None:
    """A leader sees petitions and a shift lead does not: the overview counts the loop without them, so that
    each figure opens the same list for both."""
    Case.objects.filter(pk=week["A"].pk).update(kind="petition")
    rollup.rollup_pending(AFTER)
    tile = figures.tile(WEEK[0], WEEK[1])
    assert (tile["reported"], tile["filed"], tile["closed"], tile["due"]) == (10, 7, 6, 6)
    for who in ("leader", "shiftlead"):
        for figure in ("reported", "filed", "closed", "due"):
            params = dict(parse_qsl(urlparse(tile["links"][figure]).query))
            assert case_list_for(cast[who], params).queryset.count() == tile[figure], (who, figure)
    html = _api(cast, "shiftlead").get(tile["links"]["reported"]).content.decode()
    assert "信访除外" in html


def test_shared_figures_answer_at_once_and_are_renewed_in_the_worker(
    cast: Any, week: dict[str, Case], at: Any, settings: Any
) -> None:
    """A page never waits for the overview once it has been computed: an older value is answered, and the task
    worker computes the next one, queued once however many pages ask."""
    from django.core.cache import caches
    from django_tasks_db.models import DBTaskResult

    from jingwu.stats.jobs import refresh_figures

    settings.JINGWU_FIGURES_CACHE_SECONDS = 30
    caches["shared"].clear()
    DBTaskResult.objects.all().delete()
    computed: list[int] = []
    real = figures.overview

    def counting(now: Any = None) -> dict[str, Any]:
        computed.append(1)
        return real(now)

    figures.overview = counting  # type: ignore[assignment]
    try:
        first = figures.overview_shared()
        assert len(computed) == 1 and first["tiles"][0]["key"] == "today"
        assert figures.overview_shared() == first and len(computed) == 1
        at.move(at.now + timedelta(seconds=31))
        for _ in range(3):  # stale: answered as it was, one refresh queued for the three
            assert figures.overview_shared() == first
        assert len(computed) == 1
        queued = DBTaskResult.objects.filter(task_path__endswith="refresh_figures")
        if queued.exists():  # the database backend: run the task as the worker would
            assert queued.count() == 1
            refresh_figures.call(*queued.get().args_kwargs["args"])
        assert len(computed) == 2
        figures.overview_shared()
        assert len(computed) == 2  # the renewed value, with no computation in the request
        # A value gone from the cache (unused for KEEP periods) is computed by the next page.
        caches["shared"].delete(f"figures:overview:{settings.LANGUAGE_CODE}")
        figures.overview_shared()
        assert len(computed) == 3
    finally:
        figures.overview = real  # type: ignore[assignment]
