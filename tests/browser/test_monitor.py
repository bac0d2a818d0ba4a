"""The monitoring pages in a real browser: the device map with its markers, a fire alarm in red, confirmed as a
false alarm on its page (its case voided with that reason), a device's charts, and a community's LED screen at
wall sizes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jingwu.cases.models import Case
from jingwu.geo.models import Region
from jingwu.iot import ingest
from jingwu.iot.models import Alarm, Screen
from jingwu.iot.services import save_device
from jingwu.lib import clock

from ..conftest import IN_A, IN_B
from .test_phone import until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_monitoring_page_a_false_fire_alarm_and_the_led_screen(cast: Any, new_page: Any, shot: Any) -> None:
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
    ingest.store(
        [ingest.Sample(station.pk, "a34004", "rtd", now - timedelta(minutes=m), 40.0 + m) for m in range(5, 55, 5)]
        + [ingest.Sample(station.pk, "a34004", "hour", hour - timedelta(hours=1), 50.0)]
    )
    ingest.store([], [ingest.Signal(panel.pk, "fire", now, "b1", "3号楼2层 感烟探测器")])
    alarm = Alarm.objects.get()
    case = Case.objects.get(pk=alarm.case_id)

    page = new_page("shiftlead", size=(1366, 768))
    page.goto("/iot/")
    until(page, "document.getElementById('devices-map').dataset.loaded === '2'")
    row = page.locator(f"#alarms tr[data-id='{alarm.pk}']")
    assert "table-danger" in (row.get_attribute("class") or "") and "火警" in row.inner_text()
    # PM2.5 50 in the last hour → (100-50)/(75-35)×(50-35)+50 = 68.75 → 69, 二级 良.
    assert page.locator("#stations .jw-aqi-2").inner_text() == "69"
    shot(page, "iot-monitor-1366")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "iot-monitor-1920")

    row.locator("a.btn").click()
    page.wait_for_url(f"**/iot/alarms/{alarm.pk}/")
    page.select_option("#ack-form select[name=verdict]", "false")
    page.fill("#ack-form input[name=note]", "电话核实：厨房油烟")
    page.click("#ack-form button")
    page.wait_for_load_state()
    assert "已确认" in page.locator("#alarm-status").inner_text()
    assert "厨房油烟" in page.locator("#alarm-timeline").inner_text()
    case.refresh_from_db()
    assert case.status == "voided"
    page.click("#alarm-case")
    page.wait_for_url(f"**/cases/{case.number}/")
    assert "误报" in page.content()

    page.goto(f"/iot/devices/{station.pk}/")
    until(page, "Number(document.getElementById('chart-day').dataset.points) === 10")
    shot(page, "iot-device")

    screen = Screen.objects.create(name="甲村LED", region=Region.objects.get(code="120111103201"), token="s" * 32)
    screen.stations.add(station)
    for w, h in ((1920, 1080), (3840, 2160)):
        led = new_page(size=(w, h))
        led.goto("/led/" + "s" * 32 + "/")
        assert led.locator("#led-aqi").inner_text() == "69" and "消防" in led.locator(".fire").inner_text()
        box = led.locator("#led-aqi").bounding_box()
        assert box is not None and box["height"] >= h * 0.18  # readable across a square: a fifth of the screen
        assert led.evaluate("document.documentElement.scrollHeight") <= h + 1  # one screen, nothing to scroll
        shot(led, f"iot-led-{w}")
