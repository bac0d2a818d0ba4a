"""The big screen (数据大屏) on the command-centre wall, at 1920×1080 and 3840×2160: the figures are the API's,
the grids are drawn and the overdue one marked, the feeds list the newest case and the alarm, one screen with
nothing to scroll; a new case shows at the next refresh without a reload, and a lost connection keeps the last
figures with a mark."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from jingwu.cases.models import Case
from jingwu.iot import ingest
from jingwu.iot.services import save_device
from jingwu.lib import clock

from ..conftest import IN_A, IN_B
from ..flows import public_closed, to_state, worker_report
from .test_phone import until

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = ("reported", "filed", "closed")
RATES = ("closure_rate", "on_time_rate")


def town(cast: Any) -> Case:
    """Cases in every state the wall shows (one overdue), a fire alarm and an hour of air readings."""
    late = to_state(cast, "handling")
    Case.objects.filter(pk=late.pk).update(due_at=clock.now() - timedelta(hours=2))
    to_state(cast, "to_dispatch")
    public_closed(cast)
    worker_report(cast, lon=IN_B[0], lat=IN_B[1], description="乙村占道经营")
    lead = cast["shiftlead"]
    station, _ = save_device(
        {"name": "甲村空气站", "type": "air", "mn": "AQB", "pw": "1", "lon": IN_A[0], "lat": IN_A[1]}, actor=lead
    )
    panel, _ = save_device(
        {"name": "商厦消防主机", "type": "fire_panel", "client_id": "fire-b", "lon": IN_B[0], "lat": IN_B[1]},
        actor=lead,
    )
    now = clock.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    ingest.store([ingest.Sample(station.pk, "a34004", "hour", hour - timedelta(hours=1), 50.0)])
    ingest.store([], [ingest.Signal(panel.pk, "fire", now, "b1", "3号楼2层 感烟探测器")])
    return late


def api(page: Any) -> dict[str, Any]:
    """What /screen/data.json says now, asked with the page's own session."""
    response = page.request.get("/screen/data.json")
    assert response.ok, response.status
    return response.json()


def figure(page: Any, key: str) -> str:
    return page.locator(f"[data-kpi='{key}']").inner_text().strip()


def assert_figures(page: Any, data: dict[str, Any]) -> None:
    for period in ("today", "month"):
        for key in COUNTS:
            assert figure(page, f"{period}-{key}") == str(data[period][key]), (period, key)
        for key in RATES:
            value, shown = data[period][key], figure(page, f"{period}-{key}")
            if value is None:
                assert shown == "—", (period, key, shown)
            else:  # one decimal on the wall
                assert shown.endswith("%") and abs(float(shown[:-1]) - value) <= 0.051, (period, key, shown, value)
    assert figure(page, "open") == str(data["open"])
    assert figure(page, "overdue") == str(data["overdue"])


def open_screen(new_page: Any, size: tuple[int, int]) -> Any:
    page = new_page("leader", size=size)
    page.goto("/screen/")
    page.wait_for_selector("#screen[data-refreshed='1']", state="attached")
    page.wait_for_selector("#map[data-grids='4'] svg path")
    return page


def assert_one_screen(page: Any, width: int, height: int) -> None:
    """Nothing to scroll either way, and every panel whole on the screen."""
    scroll = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight, innerWidth, innerHeight]"
    )
    assert scroll[2:] == [width, height]
    assert scroll[0] <= width + 1 and scroll[1] <= height + 1, scroll
    boxes = page.evaluate(
        "Array.from(document.querySelectorAll('.panel, .kpi, .head')).map(function (e) {"
        " var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert boxes and all(b[0] >= -1 and b[1] >= -1 and b[2] <= width + 1 and b[3] <= height + 1 for b in boxes)


def test_the_wall_shows_the_apis_figures_and_refreshes_without_reloading(cast: Any, new_page: Any, shot: Any) -> None:
    late = town(cast)
    page = open_screen(new_page, (1920, 1080))
    data = api(page)
    assert data["overdue"] >= 1 and data["today"]["reported"] >= 4
    assert_figures(page, data)
    shown = page.evaluate("window.JingwuScreen.data().at")
    assert page.inner_text("#asof") == shown
    assert abs(datetime.fromisoformat(data["at"]) - datetime.fromisoformat(shown)) < timedelta(minutes=1)
    assert page.is_hidden("#conn")

    # The four grids are drawn; the one with the overdue case has a red edge and a red mark.
    assert page.locator("#map svg path").count() >= 4
    assert page.locator("#map svg path[stroke='#ff4d5e']").count() >= 1
    assert late.grid.code in {g["code"] for g in data["grids"] if g["overdue"]}

    # The feeds: the newest case first, as a link to its page; the fire alarm.
    newest = data["latest"][0]
    first = page.locator("#feed-cases li:not([hidden])").first
    assert first.get_attribute("data-number") == newest["number"] and newest["number"] in first.inner_text()
    assert first.locator("a").get_attribute("href") == f"/cases/{newest['number']}/"
    alarm = page.locator("#feed-alarms li a").first
    assert "商厦消防主机" in alarm.inner_text() and alarm.get_attribute("href") == data["alarms"][0]["link"]

    # The league table, the monitoring and safety summaries, the town's air.
    assert page.locator("#league tbody tr[data-code='W07']").count() == 1
    assert page.inner_text("[data-stat='monitoring.devices']") == str(data["monitoring"]["devices"]) == "2"
    assert page.inner_text("[data-stat='monitoring.fire']") == str(data["monitoring"]["fire"]) == "1"
    assert page.inner_text("#aqi-value") == str(data["monitoring"]["town"]["aqi"])
    assert page.inner_text("[data-stat='safety.enterprises']") == str(data["safety"]["enterprises"])
    assert_one_screen(page, 1920, 1080)
    assert page.evaluate("document.getElementById('screen').dataset.scale") == "1"
    page.wait_for_timeout(1000)  # the charts' first animation (0.6 s)
    shot(page, "screen-1080p")

    # A new case: the next refresh shows it, in the same page (no reload).
    page.evaluate("window.screenMarker = 'still here'")
    before = int(figure(page, "today-reported"))
    made = worker_report(cast, description="新上报：路灯不亮", category="matter:06010")
    page.evaluate("window.JingwuScreen.refresh()")
    until(page, "document.getElementById('screen').dataset.refreshed === '2'")
    assert int(figure(page, "today-reported")) == before + 1
    assert page.locator("#feed-cases li").first.get_attribute("data-number") == made.number
    assert page.evaluate("window.screenMarker") == "still here"
    assert_figures(page, api(page))

    # The line drops: the last figures stay, with the mark; it comes back and the mark goes.
    page.context.set_offline(True)
    page.evaluate("window.JingwuScreen.refresh()")
    page.wait_for_selector("#conn", state="visible")
    assert int(figure(page, "today-reported")) == before + 1
    assert page.get_attribute("#screen", "data-state") == "stale"
    page.context.set_offline(False)
    page.evaluate("window.JingwuScreen.refresh()")
    page.wait_for_selector("#conn", state="hidden")
    assert page.get_attribute("#screen", "data-state") == "ready"
    assert page.js_errors == []

    # 4K: the same picture at twice the size.
    wall = open_screen(new_page, (3840, 2160))
    assert_figures(wall, api(wall))
    assert wall.evaluate("document.getElementById('screen').dataset.scale") == "2"
    assert wall.locator("#map svg path").count() >= 4
    assert wall.locator("#feed-cases li").first.get_attribute("data-number") == made.number
    assert_one_screen(wall, 3840, 2160)
    title = wall.locator(".kpi-overdue .kpi-value").bounding_box()
    assert title is not None and title["height"] >= 100  # big across the room: 60px on the 1080p design, doubled
    wall.wait_for_timeout(1000)
    shot(wall, "screen-4k")
    assert wall.js_errors == []
