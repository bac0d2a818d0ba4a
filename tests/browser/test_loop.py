"""The whole loop through the pages, as each person in it works, in a real browser."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from jingwu.cases.models import Case

from ..conftest import IN_A

pytestmark = pytest.mark.django_db(transaction=True)


def photo(color: tuple[int, int, int] = (180, 40, 40)) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def act(page: Any, action: str, fill: dict[str, str] | None = None, photos: int = 0) -> None:
    form = page.locator(f"form.action[data-action='{action}']")
    for name, value in (fill or {}).items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if photos:
        form.locator("input[type=file]").set_input_files([photo((i * 40, 80, 120)) for i in range(photos)])
    form.locator("button[type=submit]").click()


def wait_status(page: Any, number: str, status: str) -> None:
    page.wait_for_selector(f"#panel[data-status='{status}']")
    assert Case.objects.get(number=number).status == status


def phone_submit(page: Any, number: str, outcome: str) -> None:
    page.goto("/phone/")
    page.click(f"#tasks .task[data-number='{number}']")
    task = page.locator(f"#task-{number}")
    task.locator(f"label:has(input[name=outcome][value={outcome}])").click()
    task.locator("input[type=file]").set_input_files(photo((20, 160, 20)))
    task.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-sent='1']", state="attached")  # no eval: the pages' CSP forbids it
    assert page.inner_text("#outbox-count") == "0"


def test_the_whole_loop_through_the_pages(cast: Any, new_page: Any, shot: Any) -> None:
    # A citizen reports with a photo.
    citizen = new_page()
    citizen.goto("/public/")
    citizen.click("#cat-grid label[data-value='matter:06010']")
    citizen.wait_for_selector("#public-map[data-grids]")
    citizen.click("#public-map", position={"x": 120, "y": 80})
    assert citizen.input_value("#lon") and citizen.input_value("#lat")
    # The click proved the pin works; put it exactly in grid A1 so the right worker verifies it.
    set_pin = (
        "([lon, lat]) => { document.getElementById('lon').value = lon; document.getElementById('lat').value = lat; }"
    )
    citizen.evaluate(set_pin, [str(IN_A[0]), str(IN_A[1])])
    citizen.fill("textarea[name=description]", "路口垃圾堆了三天 <script>alert('x')</script>")
    citizen.fill("input[name=phone]", "13800138000")
    citizen.set_input_files("#public-form input[type=file]", photo())
    shot(citizen, "01-citizen-report")
    citizen.click("#public-submit")
    citizen.wait_for_selector("#receipt")
    number = citizen.inner_text("#receipt-number")
    code = citizen.inner_text("#receipt-code")
    shot(citizen, "02-citizen-receipt")
    case = Case.objects.get(number=number)
    assert case.status == "reported" and case.grid.code == "120111103201001" and case.attachments.count() == 1

    # The operator accepts it for on-site verification.
    operator = new_page("operator")
    operator.goto("/centre/?queue=reported")
    operator.wait_for_selector(f"tr[data-number='{number}']")
    assert operator.locator(".queue[data-queue=reported] .count").inner_text() == "1"
    shot(operator, "03-command-centre")
    operator.click(f"tr[data-number='{number}'] a")
    # Report text is escaped everywhere: it shows as text and runs nothing.
    assert "<script>alert('x')</script>" in operator.inner_text("#case-description")
    assert "138****8000" in operator.inner_text("#panel")
    shot(operator, "04-case-page")
    act(operator, "send_to_verify")
    wait_status(operator, number, "verifying")

    # The grid worker verifies on the phone page.
    worker = new_page("gw_a", mobile=True)
    phone_submit(worker, number, "confirmed")
    shot(worker, "05-phone")
    assert Case.objects.get(number=number).status == "to_file"

    # The shift lead files, the dispatcher dispatches to the suggested department.
    lead = new_page("shiftlead")
    lead.goto(f"/cases/{number}/")
    act(lead, "file")
    wait_status(lead, number, "to_dispatch")
    dispatcher = new_page("dispatcher")
    dispatcher.goto(f"/cases/{number}/")
    assert dispatcher.inner_text("#suggested") == "环卫公司"
    act(dispatcher, "dispatch")
    wait_status(dispatcher, number, "handling")
    assert dispatcher.inner_text("#case-department") == "环卫公司"

    # The department sees it in its inbox and feeds back with a photo.
    handler = new_page("h_env")
    handler.goto("/desk/")
    handler.wait_for_selector(f"#inbox tr[data-number='{number}']")
    shot(handler, "06-department-desk")
    handler.goto(f"/cases/{number}/")
    act(handler, "feedback", {"note": "已清运"}, photos=1)
    wait_status(handler, number, "to_check")

    # The grid worker checks on site; the shift lead closes.
    phone_submit(worker, number, "pass")
    assert Case.objects.get(number=number).status == "to_close"
    lead.goto(f"/cases/{number}/")
    act(lead, "close")
    wait_status(lead, number, "closed")
    shot(lead, "07-closed-case")

    # The citizen's tracking page shows it closed, with no staff names or personal data.
    citizen.goto(f"/public/track/?number={number}&code={code}")
    assert citizen.inner_text("#public-status") == "已办结"
    timeline = citizen.inner_text("#public-timeline")
    assert "已结案" in timeline and "shiftlead" not in timeline and "13800138000" not in citizen.content()
    shot(citizen, "08-citizen-tracking")
    for page in (citizen, operator, worker, lead, dispatcher, handler):
        assert page.js_errors == [] and page.dialogs == []
