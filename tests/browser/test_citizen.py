"""A citizen on a phone, from the report to the rating; a 不满意 goes back to the centre for a call back."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu.cases.models import Case

from ..conftest import IN_A, jpeg
from ..flows import act
from .test_loop import photo

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_citizen_reports_tracks_rates_and_a_dissatisfied_rating_is_called_back(
    cast: Any, new_page: Any, shot: Any
) -> None:
    page = new_page(mobile=True)
    page.goto("/public/")
    page.wait_for_selector("#public-map[data-grids]")
    # ① category (searched, then tapped), ② photo, ③ place from the phone's GPS; no words typed.
    page.fill("#cat-filter", "垃圾")
    assert page.locator("#cat-grid .jw-cat:visible").count() < page.locator("#cat-grid .jw-cat").count()
    page.click("#cat-grid label[data-value='matter:06010']")
    page.set_input_files("#public-photo", photo())
    page.wait_for_selector("#public-photo[data-shrunk]", state="attached")
    page.click("#use-gps")
    for _ in range(50):
        if page.input_value("#lon"):
            break
        page.wait_for_timeout(100)
    shot(page, "40-citizen-report")
    page.click("#public-submit")
    page.wait_for_selector("#receipt")
    number, code = page.inner_text("#receipt-number"), page.inner_text("#receipt-code")
    assert page.locator("#receipt-qr svg").count() == 1
    shot(page, "41-citizen-receipt")
    case = Case.objects.get(number=number)
    assert case.description == "暴露垃圾" and case.attachments.get().taken_at is not None
    assert abs(case.lon - 117.105) < 1e-4 and abs(case.lat - 39.045) < 1e-4  # where the phone was
    # 我的反映 remembers it on this device, with its state.
    page.click("#tabbar a[data-tab=mine]")
    page.wait_for_selector("#my-reports[data-loaded='1']")
    assert page.locator(f"#my-reports .my-report[data-number='{number}'] .status").inner_text() == "已收到"

    # The town handles it (the pages of each role are tried elsewhere).
    case.lon, case.lat = IN_A
    case.save(update_fields=["lon", "lat"])
    case = act(case, "send_to_verify", cast["operator"])
    case = act(case, "verify", cast["gw_a"], outcome="confirmed", photos=[jpeg()])
    case = act(case, "file", cast["shiftlead"])
    case = act(case, "dispatch", cast["dispatcher"], department="W07")
    case = act(case, "feedback", cast["h_env"], photos=[jpeg((0, 150, 0))], public_note="已清运，路面已冲洗")
    case = act(case, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    act(case, "close", cast["shiftlead"])

    page.goto(f"/public/track/?number={number}&code={code}")
    assert page.inner_text("#public-status") == "已办结"
    assert page.inner_text("#public-result") == "已清运，路面已冲洗"
    page.wait_for_selector("#public-after img")
    for _ in range(50):
        if page.evaluate("document.querySelector('#public-after img').naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('#public-after img').naturalWidth") > 0
    page.click("#rate-form label[data-rating='unsatisfied']")
    page.fill("#rate-form textarea[name=note]", "第二天又堆满了")
    shot(page, "42-citizen-rate")
    page.click("#rate-submit")
    page.wait_for_selector("#public-rating")
    assert "不满意" in page.inner_text("#public-rating") and "回访" in page.inner_text("#public-rating")

    # The centre: 待回访 counts it; the shift lead calls back and reopens it.
    lead = new_page("shiftlead")
    lead.goto("/centre/?queue=revisit")
    lead.wait_for_selector(f"tr[data-number='{number}']")
    assert lead.locator(".queue[data-queue=revisit] .count").inner_text() == "1"
    lead.goto(f"/cases/{number}/")
    assert "不满意" in lead.inner_text("#case-satisfaction")
    form = lead.locator("form.action[data-action='revisit-reopen']")
    form.locator("[name=reason]").fill("问题仍未解决")
    form.locator("button[type=submit]").click()
    lead.wait_for_selector("#panel[data-status='to_dispatch']")
    page.goto(f"/public/track/?number={number}&code={code}")
    assert "回访后重新办理" in page.inner_text("#public-timeline")
    assert page.js_errors == [] and lead.js_errors == []
