"""The grid worker's phone as it is used: at 390×844 (and 360×640 for the header), with weak signal."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from PIL import Image

from jingwu.cases.models import Attachment, Case
from jingwu.org.models import Person

from ..flows import act, public_report, to_state
from .test_loop import photo

pytestmark = pytest.mark.django_db(transaction=True)

HEADER_CHECK = """() => {
  const head = document.getElementById('mhead').getBoundingClientRect();
  const tab = document.getElementById('tabbar').getBoundingClientRect();
  const items = [...document.querySelectorAll('#tabbar .weui-tabbar__item')].map(a => a.getBoundingClientRect());
  return {head: head.height, tabTop: tab.top, tabHeight: tab.height, width: document.documentElement.scrollWidth,
          viewport: window.innerWidth, height: window.innerHeight, smallest: Math.min(...items.map(r => r.height))};
}"""


@pytest.mark.parametrize("name", ["李强", "欧阳娜仁托娅·阿不都热合曼"])
@pytest.mark.parametrize("size", [(360, 640), (390, 844), (430, 932)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_header_and_tab_bar_fit_whatever_the_name(
    cast: Any, new_page: Any, shot: Any, name: str, size: Any
) -> None:
    Person.objects.filter(user=cast["gw_a"]).update(name=name)
    page = new_page("gw_a", mobile=True, size=size)
    page.goto("/phone/")
    page.wait_for_selector("#grid-map[data-grids]")
    m = page.evaluate(HEADER_CHECK)
    assert m["head"] <= 48 and m["width"] <= m["viewport"], m  # one line, nothing wider than the phone
    assert abs(m["tabTop"] + m["tabHeight"] - m["height"]) <= 1 and m["smallest"] >= 44, m  # thumb-sized
    if size == (360, 640):
        shot(page, f"30-phone-header-{len(name)}")
    assert page.js_errors == []


def test_a_task_leads_to_the_problem_and_leaves_the_list_when_done(cast: Any, new_page: Any, shot: Any) -> None:
    case = public_report(cast, photos=[_jpeg((200, 60, 60))])
    case = act(case, "send_to_verify", cast["operator"])
    other = act(public_report(cast, client_key="other"), "send_to_verify", cast["operator"])
    page = new_page("gw_a", mobile=True)
    page.goto("/phone/")
    assert page.inner_text("#task-count") == "2" and page.inner_text("#tab-task-count") == "2"
    page.click(f"#tasks .task[data-number='{case.number}']")
    detail = page.locator(f"#task-{case.number}")
    detail.locator(".task-map[data-ready='1']").wait_for()
    assert detail.locator(".task-description").inner_text() == case.description
    detail.locator(".task-photos img").first.wait_for()
    until(page, f"document.querySelector('#task-{case.number} .task-photos img').naturalWidth > 0")
    # Distance from me, and navigation in each map app's own datum.
    until(page, f"document.querySelector('#task-{case.number} .distance').dataset.metres !== undefined")
    assert int(detail.locator(".distance").get_attribute("data-metres")) < 2000
    amap = detail.locator("a[data-app=amap]").get_attribute("href")
    baidu = detail.locator("a[data-app=baidu]").get_attribute("href")
    geo = detail.locator("a[data-app=geo]").get_attribute("href")
    assert "coordinate=gaode" in amap and "coord_type=bd09ll" in baidu and geo.startswith(f"geo:{case.lat:.6f}")
    shot(page, "31-phone-task")
    page.evaluate("window.__sameDocument = true")
    detail.locator("input[type=file]").set_input_files(photo((20, 160, 20)))
    detail.locator("button[type=submit]").click()
    page.wait_for_selector("#toast:not([hidden])[data-text^='提交成功'] .weui-toast")
    page.wait_for_selector(f"#tasks .task[data-number='{case.number}']", state="detached")
    assert page.inner_text("#task-count") == "1" and page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("location.hash") == "#tasks"
    assert Case.objects.get(pk=case.pk).status == "to_file"
    assert page.locator(f"#tasks .task[data-number='{other.number}']").count() == 1
    page.click("#tabbar a[data-tab=outbox]")
    page.wait_for_selector("#sentbox .outbox-item.sent")
    assert page.js_errors == []


def test_a_refused_item_is_shown_as_refused_then_fixed_and_resent(cast: Any, new_page: Any, shot: Any) -> None:
    case = act(public_report(cast), "send_to_verify", cast["operator"])
    page = new_page("gw_a", mobile=True)
    page.goto(f"/phone/#task/{case.number}")
    page.locator(f"#task-{case.number} button[type=submit]").click()  # no photo: the server refuses
    page.wait_for_selector("body[data-failed='1']", state="attached")
    page.click("#head-outbox")
    refused = page.locator("#outbox .outbox-item.failed")
    refused.wait_for()
    assert "照片" in refused.locator(".jw-out__reason").inner_text()  # the reason, in Chinese
    assert page.inner_text("#head-outbox-count") == "1"
    shot(page, "32-phone-refused")
    refused.locator(".fix").click()
    page.wait_for_selector("#fix-dialog:not([hidden])")
    page.set_input_files("#fix-photos", photo((10, 120, 10)))
    page.click("#fix-send")
    page.wait_for_selector("body[data-sent='1']", state="attached")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    assert Case.objects.get(pk=case.pk).status == "to_file"
    assert page.is_hidden("#head-outbox-count")
    # A refused item can also be thrown away, after a question.
    case2 = act(public_report(cast, client_key="second"), "send_to_verify", cast["operator"])
    page.goto(f"/phone/?again=1#task/{case2.number}")  # a new page load: the new task is in it
    page.locator(f"#task-{case2.number} button[type=submit]").click()
    page.wait_for_selector("body[data-failed='1']", state="attached")
    page.goto("/phone/#outbox")
    page.locator("#outbox .outbox-item.failed .discard").click()
    page.wait_for_selector("#discard-dialog:not([hidden]) .weui-dialog")
    page.click("#discard-cancel")
    assert page.locator("#outbox .outbox-item.failed").count() == 1
    page.locator("#outbox .outbox-item.failed .discard").click()
    page.click("#discard-ok")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    assert page.js_errors == []


def test_a_9_mb_photo_arrives_shrunk_with_when_and_where_as_data(cast: Any, new_page: Any, settings: Any) -> None:
    big = _noise_jpeg(9 * 1024 * 1024)
    assert len(big) >= 9 * 1024 * 1024
    case = to_state(cast, "verifying")
    page = new_page("gw_a", mobile=True)
    page.goto(f"/phone/#task/{case.number}")
    page.locator(f"#task-{case.number} input[type=file]").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": big}
    )
    page.locator(f"#task-{case.number} button[type=submit]").click()
    page.wait_for_selector("body[data-sent='1']", state="attached", timeout=30000)
    att = Attachment.objects.get(case=case, kind="verify")
    assert max(att.width, att.height) <= settings.JINGWU_PHOTO_LONG_SIDE and att.size < 1_500_000
    assert att.taken_at is not None and abs(att.taken_lon - 117.105) < 1e-6 and abs(att.taken_lat - 39.045) < 1e-6
    assert page.js_errors == []


def until(page: Any, expression: str, seconds: float = 10) -> None:
    """Poll a condition (the pages' CSP forbids the string evaluation wait_for_function uses)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(expression)


def _jpeg(color: tuple[int, int, int]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def _noise_jpeg(at_least: int) -> bytes:
    """A photo as big as a phone's full-resolution one: noise does not compress."""
    rng = random.Random(9)
    width, height = 4000, 3000
    img = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    data = out.getvalue()
    assert len(data) >= at_least, len(data)
    return data


def test_a_busy_server_or_an_ended_session_is_not_a_refusal(cast: Any, new_page: Any) -> None:
    case = to_state(cast, "verifying")
    page = new_page("gw_a", mobile=True)
    page.route("**/api/cases/*/verify", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(f"/phone/#task/{case.number}")
    page.locator(f"#task-{case.number} input[type=file]").set_input_files(photo())
    # The report is in the outbox once it has been tried: wait for that before leaving the page (on a loaded
    # machine the next page could otherwise come before the outbox was written).
    with page.expect_response("**/api/cases/*/verify"):
        page.locator(f"#task-{case.number} button[type=submit]").click()
    page.goto("/phone/?again=1#outbox")
    page.wait_for_selector("#outbox .outbox-item.waiting .wait-reason")
    assert "稍后自动重发" in page.inner_text("#outbox .outbox-item.waiting .wait-reason")
    assert page.locator("#outbox .outbox-item.failed").count() == 0
    page.unroute("**/api/cases/*/verify")
    page.evaluate("window.JingwuPhone.flush()")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    assert Case.objects.get(pk=case.pk).status == "to_file" and page.js_errors == []
