"""Pages without a browser: who may open what, a fixed number of queries whatever the rows, escaping."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .conftest import IN_B
from .flows import public_report, to_state

pytestmark = pytest.mark.django_db


def client(cast: Any, name: str) -> Client:
    c = Client()
    c.force_login(cast[name])
    return c


def queries(c: Client, path: str) -> int:
    c.get(path)  # warm the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx)


PAGES = [
    ("operator", "/centre/"),
    ("operator", "/centre/queues"),
    ("operator", "/centre/list?queue=handling"),
    ("operator", "/map/data.json"),
    ("leader", "/overview/"),
    ("h_env", "/desk/"),
    ("gw_a", "/phone/"),
    ("citizen", "/public/map/data.json"),
]


@pytest.mark.parametrize("who,path", PAGES)
def test_query_count_does_not_grow_with_rows(cast: Any, at: Any, steady_caches: None, who: str, path: str) -> None:
    for _ in range(2):
        to_state(cast, "handling")
        public_report(cast)
        to_state(cast, "to_check")  # a task for the grid worker in each round: rows, not a first row, are counted
    c = client(cast, who)
    few = queries(c, path)
    for _ in range(8):
        to_state(cast, "handling")
        public_report(cast)
        to_state(cast, "to_check")
    assert queries(c, path) == few


@pytest.mark.parametrize(
    "who,path,status",
    [
        ("gw_a", "/centre/", 403),
        ("h_env", "/overview/", 403),
        ("operator", "/desk/", 403),
        ("citizen", "/phone/", 403),
        ("operator", "/phone/", 403),
        ("gw_a", "/phone/", 200),
        ("h_env", "/desk/", 200),
        ("leader", "/overview/", 200),
        ("dispatcher", "/centre/", 200),
    ],
)
def test_who_may_open_which_page(cast: Any, who: str, path: str, status: int) -> None:
    assert client(cast, who).get(path).status_code == status


def test_anonymous_users_are_sent_to_sign_in_or_the_public_page(cast: Any) -> None:
    c = Client()
    assert c.get("/").url == "/public/"
    r = c.get("/centre/")
    assert r.status_code == 302 and r.url.startswith("/login/")
    assert c.get("/public/").status_code == 200


def test_home_sends_each_role_to_its_page(cast: Any) -> None:
    for who, where in [
        ("operator", "/centre/"),
        ("gw_a", "/phone/"),
        ("h_env", "/desk/"),
        ("leader", "/overview/"),
        ("admin", "/admin/"),
        ("citizen", "/public/"),
    ]:
        assert client(cast, who).get("/").url == where


def test_report_text_is_escaped_on_every_page(cast: Any, at: Any) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    c = to_state(cast, "verifying")  # on the command centre's list, the case page and the worker's task list
    c.description = evil  # as if reported so
    c.save(update_fields=["description"])
    pages = [("shiftlead", f"/cases/{c.number}/"), ("operator", "/centre/"), ("gw_a", "/phone/")]
    for who, path in pages:
        html = client(cast, who).get(path).content.decode()
        assert "<script>alert(1)" not in html, path
        assert "&lt;script&gt;alert(1)" in html, path


def test_public_report_form_round_trip_and_tracking(cast: Any, at: Any) -> None:
    c = Client()
    form = c.get("/public/").content.decode()
    key = form.split('name="client_key" value="')[1].split('"')[0]
    data = {
        "category": "matter:06010",
        "lon": IN_B[0],
        "lat": IN_B[1],
        "description": "楼下垃圾",
        "phone": "13900000000",
        "client_key": key,
    }
    r1 = c.post("/public/report", data)
    r2 = c.post("/public/report", data)  # a double click
    assert r1.status_code == 302 and r1.url == r2.url
    number = r1.url.split("/public/receipt/")[1].split("?")[0]
    code = r1.url.split("code=")[1]
    page = c.get(r1.url).content.decode()
    assert number in page and code in page
    track = c.get(f"/public/track/?number={number}&code={code}").content.decode()
    assert "已收到" in track and "13900000000" not in track
    assert c.get(f"/public/track/?number={number}&code=wrong").status_code == 404
    bad = c.post("/public/report", {"category": "matter:06010", "description": "x"})
    assert bad.status_code == 400 and "地图" in bad.content.decode()
    by_address = c.post("/public/report", {"category": "matter:06010", "description": "x", "address": "乙村东头"})
    assert by_address.status_code == 302


def test_action_forms_show_conflicts_and_errors_in_place(cast: Any, at: Any) -> None:
    case = to_state(cast, "to_dispatch")
    c = client(cast, "dispatcher")
    headers = {"HTTP_HX_REQUEST": "true"}
    ok = c.post(f"/cases/{case.number}/act/dispatch", {"version": case.version, "department": "B05"}, **headers)
    assert ok.status_code == 200 and 'data-status="handling"' in ok.content.decode()
    stale = c.post(f"/cases/{case.number}/act/dispatch", {"version": case.version, "department": "W07"}, **headers)
    assert stale.status_code == 409 and 'id="conflict"' in stale.content.decode()
    h = client(cast, "h_city")
    no_photo = h.post(f"/cases/{case.number}/act/feedback", {"version": case.version + 1}, **headers)
    assert no_photo.status_code == 400 and 'id="action-error"' in no_photo.content.decode()
    plain = c.post(f"/cases/{case.number}/act/dispatch", {"version": "x"})
    assert plain.status_code == 302  # without htmx: back to the page with a message


def test_case_page_shows_working_time_countdown(cast: Any, at: Any) -> None:
    case = to_state(cast, "handling")
    html = client(cast, "dispatcher").get(f"/cases/{case.number}/").content.decode()
    assert "剩余 4小时" in html  # 暴露垃圾: 4 工作时, dispatched at 09:00 on a Monday


def test_pwa_files(cast: Any) -> None:
    c = Client()
    manifest = c.get("/phone/manifest.webmanifest").json()
    assert manifest["start_url"] == "/phone/" and manifest["display"] == "standalone"
    sw = c.get("/phone/sw.js")
    assert sw["Service-Worker-Allowed"] == "/phone/" and b"caches" in sw.content
    assert c.get("/phone/icon-192.png")["Content-Type"] == "image/png"


def test_overview_rates_follow_the_national_formulas(cast: Any, at: Any) -> None:
    from datetime import timedelta

    from .flows import act

    on_time = to_state(cast, "to_close")
    act(on_time, "close", cast["shiftlead"])
    late = to_state(cast, "handling")
    parked = to_state(cast, "handling")
    act(parked, "suspend", cast["leader"], reason="long_term")
    at.move(at.now + timedelta(days=2))  # every handling deadline has now passed
    from jingwu.stats.figures import periods, tile

    year = tile(periods(at.now)[2][2], at.now)
    # 应结案 = 2 (the suspended one is excluded); closed 1 of them, on time 1 → 50% and 50%.
    assert year["due"] == 2 and year["closure_rate"] == 50.0 and year["on_time_rate"] == 50.0
    assert late.pk
