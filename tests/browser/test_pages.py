"""Offline reporting, a conflict between two dispatchers, a permission denial, the language switch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from jingwu.cases.models import Case

from ..flows import to_state
from .test_loop import act, photo

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_report_made_without_signal_is_sent_once_when_it_returns(cast: Any, new_page: Any, shot: Any) -> None:
    page = new_page("gw_a", mobile=True)
    page.goto("/phone/#report")
    page.wait_for_selector("#report-map[data-grids]")
    expect(page.locator("#lon")).not_to_have_value("")  # the phone's GPS position
    page.context.set_offline(True)
    page.wait_for_selector("#net.offline")
    page.fill("#cat-search", "暴露垃圾")
    page.fill("#report-form textarea[name=description]", "桥下暴露垃圾（离线上报）")
    page.set_input_files("#report-form input[type=file]", photo())
    page.click("#report-submit")
    page.wait_for_selector("#head-outbox-count:not([hidden])")  # the waiting count, on every page
    assert page.inner_text("#head-outbox-count") == "1" and page.inner_text("#tab-outbox-count") == "1"
    page.click("#head-outbox")
    page.wait_for_selector("#outbox .outbox-item.waiting")
    assert page.inner_text("#outbox-count") == "1"
    shot(page, "09-phone-offline-outbox")
    page.wait_for_timeout(500)
    assert not Case.objects.filter(description="桥下暴露垃圾（离线上报）").exists()
    # Signal returns: the outbox empties and exactly one case exists, even if the page sends again.
    page.context.set_offline(False)
    page.wait_for_selector("body[data-sent='1']", state="attached")  # no eval: the pages' CSP forbids it
    page.evaluate("window.JingwuPhone.flush()")
    page.wait_for_timeout(300)
    cases = Case.objects.filter(description="桥下暴露垃圾（离线上报）")
    assert cases.count() == 1
    case = cases.get()
    assert case.reporter_user == cast["gw_a"] and case.category.code == "06010" and case.attachments.count() == 1
    assert case.status == "to_file"  # a grid worker's report in their own grid
    assert page.inner_text("#outbox-count") == "0" and page.js_errors == []
    # It shows in 我的上报 at once, with its state, and among the sent items.
    assert page.locator(f"#mine .mine-item[data-number='{case.number}'] .status").inner_text() == "待立案"
    assert page.locator("#sentbox .outbox-item.sent").count() == 1


def test_two_dispatchers_the_second_sees_a_clear_conflict(cast: Any, new_page: Any, shot: Any) -> None:
    case = to_state(cast, "to_dispatch")
    first, second = new_page("dispatcher"), new_page("dispatcher")
    for page in (first, second):
        page.goto(f"/cases/{case.number}/")
    act(first, "dispatch", {"department": "B05"})
    first.wait_for_selector("#panel[data-status='handling']")
    act(second, "dispatch", {"department": "W07"})
    second.wait_for_selector("#conflict")
    assert "他人已先处理" in second.inner_text("#conflict")
    assert second.get_attribute("#panel", "data-status") == "handling"  # the fresh state is shown
    shot(second, "10-conflict")
    case.refresh_from_db()
    assert case.department.code == "B05" and case.transitions.filter(action="dispatch").count() == 1


def test_a_grid_worker_is_refused_the_command_centre(cast: Any, new_page: Any, shot: Any) -> None:
    page = new_page("gw_a", mobile=True)
    response = page.goto("/centre/")
    assert response.status == 403
    assert page.is_visible("#forbidden")
    assert page.locator("nav a[data-nav=centre]").count() == 0
    shot(page, "11-forbidden")


def test_the_language_switch(cast: Any, new_page: Any, shot: Any) -> None:
    page = new_page("operator")
    page.goto("/centre/")
    assert page.inner_text("h1") == "指挥中心"
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Command centre"
    assert page.inner_text(".queue[data-queue=reported] .label") == "To accept"
    shot(page, "12-english")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "指挥中心"


def test_main_pages_render_for_their_users(cast: Any, new_page: Any, shot: Any) -> None:
    to_state(cast, "handling")
    leader = new_page("leader")
    leader.goto("/overview/")
    leader.wait_for_selector("#chart-months svg")
    leader.wait_for_selector("#overview-map[data-grids]")
    shot(leader, "13-overview")
    public = new_page()
    public.goto("/public/map/")
    public.wait_for_selector("#public-cases[data-loaded='1']")
    shot(public, "14-public-map")
    assert leader.js_errors == [] and public.js_errors == []


def test_batch_accept_from_the_list(cast: Any, new_page: Any, shot: Any) -> None:
    from ..flows import public_report

    made = [public_report(cast, client_key=f"batch{i}") for i in range(3)]
    page = new_page("operator")
    page.goto("/centre/?queue=reported")
    for case in made[:2]:
        page.check(f"tr[data-number='{case.number}'] input[name=n]")
    page.click("#batch-submit")
    page.wait_for_selector("#batch-result")
    assert "完成 2 件" in page.inner_text("#batch-result")
    shot(page, "15-batch-accept")
    accepted = {c.number for c in Case.objects.filter(transitions__action="accept")}
    assert accepted == {made[0].number, made[1].number}
    assert page.js_errors == []
