"""The grid worker's 走访 page at 390×844: the people of their grids with a planned visit, the overdue first; a
visit with a need recorded without signal, kept on the phone and sent when the signal returns — its answer lost
once and sent again, still one visit and one case; and a new person proposed for a steward to approve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from jingwu.cases.models import Case
from jingwu.lib import idcard
from jingwu.registry import services
from jingwu.registry.models import CareGroup, Proposal, Resident, Visit

from ..conftest import IN_A, IN_B
from .test_loop import photo
from .test_phone import until

pytestmark = pytest.mark.django_db(transaction=True)

FOUND = "老人独居，身体尚可，冬季取暖有困难"
NEED = "申请冬季取暖补贴，屋顶漏雨需要修缮"
A1 = "120111103201001"


def id_number(birth: str, seq: str) -> str:
    first = "120111" + birth + seq
    return first + idcard.check_character(first)


SETTLED = """navigator.serviceWorker.getRegistrations().then(rs =>
  rs.every(r => r.active && r.active.state === 'activated' && !r.installing && !r.waiting))"""


def settle(page: Any) -> None:
    """Wait until every service worker of the site has installed and activated."""
    until(page, SETTLED, seconds=20)


def _people(cast: Any) -> dict[str, Resident]:
    """Three people: one in gw_a's grid A1 ten days overdue, one there not yet due, one in gw_b's grid B1."""
    steward = cast["h_city"]
    care, _ = CareGroup.objects.get_or_create(code="dibao", defaults={"name": "低保", "visit_days": 30, "position": 1})
    home, _ = services.save_address(
        {"region": "120111103201", "road": "精武路", "number": "8", "lon": IN_A[0], "lat": IN_A[1]}, actor=steward
    )
    other_home, _ = services.save_address(
        {"region": "120111103202", "road": "乙村大街", "number": "3", "lon": IN_B[0], "lat": IN_B[1]}, actor=steward
    )
    today = services.today()
    people = {}
    for key, name, number, where, since in [
        ("late", "张秀英", id_number("19400312", "002"), home, today - timedelta(days=40)),
        ("due", "李国强", id_number("19450607", "013"), home, today - timedelta(days=5)),
        ("elsewhere", "王淑兰", id_number("19380101", "024"), other_home, today - timedelta(days=60)),
    ]:
        r, made = services.save_person({"name": name, "id_number": number}, actor=steward, address=where)
        assert made
        services.tag(r, care, since=since, actor=steward)
        people[key] = Resident.objects.get(pk=r.pk)
    assert people["late"].grid.code == A1 and people["late"].visit_due == today - timedelta(days=10)
    return people


def test_a_visit_made_without_signal_is_sent_once_and_a_new_person_is_proposed(
    cast: Any, new_page: Any, shot: Any
) -> None:
    people = _people(cast)
    late, due = people["late"], people["due"]
    page = new_page("gw_a", mobile=True)
    settle(page)  # the grid worker's home page, where the sign-in lands, has its own worker (see below)
    page.goto("/registry/m/")
    page.wait_for_selector("body[data-view='visits']", state="attached")

    # The people of the worker's own grids with a planned visit, the overdue first.
    rows = page.eval_on_selector_all("#people .person", "rows => rows.map(r => r.dataset.person)")
    assert rows == [str(late.pk), str(due.pk)], rows  # 王淑兰 is gw_b's
    first = page.locator(f"#people .person[data-person='{late.pk}']")
    assert "张秀英" in first.inner_text() and "低保" in first.inner_text()
    assert first.locator(".due .jw-late").inner_text().startswith("已逾期 10 天")
    assert "已逾期" not in page.locator(f"#people .person[data-person='{due.pk}'] .due").inner_text()
    # The search box narrows the list by name, on the phone.
    page.fill("#people-search", "国强")
    assert not first.is_visible() and page.locator(f"#people .person[data-person='{due.pk}']").is_visible()
    page.fill("#people-search", "赵")
    page.wait_for_selector("#people-none", state="visible")
    page.fill("#people-search", "")
    assert first.is_visible()
    shot(page, "70-registry-visits")
    until(page, "!!navigator.serviceWorker.controller")  # the page's copy kept for the lanes without signal
    settle(page)

    # No signal: the visit, its need and its photo are kept on the phone.
    page.context.set_offline(True)
    page.wait_for_selector("#net.offline")
    first.click()
    page.wait_for_selector("body[data-view='visit']", state="attached")
    form = page.locator("#visit-form")
    assert page.inner_text("#visit-name") == "张秀英"
    form.locator("button[type=submit]").click()  # nothing written: refused on the phone
    until(page, "!document.querySelector('#visit-form .jw-form-error').hidden")
    assert form.locator(".jw-form-error").inner_text() == "请填写走访情况"
    form.locator("textarea[name=found]").fill(FOUND)
    assert not page.locator("#need-fields").is_visible()
    form.locator("label[for=has-need]").click()
    page.wait_for_selector("#need-fields", state="visible")
    form.locator("textarea[name=need]").fill(NEED)
    form.locator("select[name=category]").select_option("matter:10001")
    form.locator("input[type=file]").set_input_files(photo((60, 120, 200)))
    shot(page, "71-registry-visit-form")
    pressed = datetime.now().astimezone()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-visits='1']", state="attached")
    page.wait_for_selector("body[data-view='visits']", state="attached")
    page.wait_for_selector("body[data-waiting='1']", state="attached")
    assert "已走访，等待发送" in first.inner_text()
    page.click("#tabbar a[data-tab=outbox]")
    waiting = page.locator("#outbox .outbox-item.waiting")
    assert waiting.count() == 1 and "走访 张秀英" in waiting.inner_text()
    assert page.inner_text("#tab-outbox-count") == "1"
    shot(page, "72-registry-offline-outbox")
    assert Visit.objects.count() == 0 and Case.objects.count() == 0  # nothing reached the server
    # Still without signal the page is opened again (a reload, the phone's browser restarted): it opens from the
    # service worker's copy and the visit is still waiting on the phone.
    page.reload()
    page.wait_for_selector("body[data-waiting='1']", state="attached")
    page.wait_for_selector("#net.offline")
    assert page.locator("#outbox .outbox-item.waiting").count() == 1
    assert "已走访，等待发送" in first.inner_text()
    page.wait_for_timeout(300)  # the visit's time is when it was made, not when it arrives

    # The signal returns on a bad line: the server records the visit but its answer is lost; the phone sends it
    # again with the same key.
    posted: list[int] = []

    def lose_first_answer(route: Any) -> None:
        posted.append(1)
        if len(posted) == 1:
            route.fetch()  # it reaches the server…
            route.abort("connectionreset")  # …and the phone never hears back
            return
        route.continue_()

    page.route("**/api/registry/people/*/visits", lose_first_answer)
    page.context.set_offline(False)
    for _ in range(100):
        if page.evaluate("JingwuVisits.flush().then(() => document.body.dataset.waiting)") == "0":
            break
        page.wait_for_timeout(100)
    page.wait_for_selector("body[data-sent='1']", state="attached")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    assert len(posted) == 2 and page.evaluate("document.body.dataset.failed || '0'") == "0"

    visit = Visit.objects.get()  # one visit, one case
    assert (visit.resident_id, visit.found, visit.by.user_id) == (late.pk, FOUND, cast["gw_a"].pk)
    assert visit.case is not None and Case.objects.filter(description=NEED).count() == 1
    case = visit.case
    assert (case.category.kind, case.category.code, case.grid.code) == ("matter", "10001", A1)
    assert case.status == "to_file"  # a worker's report in their own grid
    assert visit.photos.count() == 1 and visit.client_key  # sent with the phone's key: the resend found it
    assert abs(visit.lon - IN_A[0]) < 1e-6 and abs(visit.lat - IN_A[1]) < 1e-6  # where the phone was
    assert pressed - timedelta(seconds=2) <= visit.at <= pressed + timedelta(seconds=5), (pressed, visit.at)
    assert visit.at < visit.created_at  # made offline, recorded when it arrived
    late.refresh_from_db()
    assert late.last_visit_at == visit.at and late.visit_due > services.today()  # no longer overdue
    page.click("#tabbar a[data-tab=visits]")
    assert "已走访 · 已发送" in first.inner_text()

    # A new person in the worker's grid, proposed for a steward to approve.
    page.click("#tabbar a[data-tab=add]")
    page.wait_for_selector("body[data-view='add']", state="attached")
    add = page.locator("#add-form")
    add.locator("input[name=name]").fill("赵小梅")
    add.locator("input[name=id_number]").fill("120111199001010011")  # a slip of the thumb: wrong check digit
    add.locator("button[type=submit]").click()
    until(page, "!document.querySelector('#add-form .jw-form-error').hidden")
    assert "身份证" in add.locator(".jw-form-error").inner_text()
    number = id_number("19900101", "002")
    add.locator("input[name=id_number]").fill(number[:6] + " " + number[6:14] + " " + number[14:])
    add.locator("input[name=phone]").fill("139 1234 5678")
    add.locator("select[name=person_kind]").select_option("floating")
    add.locator("select[name=relation]").select_option("spouse")
    add.locator("input[name=household]").fill("H120111-0008")
    add.locator("select[name=grid]").select_option(A1)
    add.locator("input[name=road]").fill("精武路")
    add.locator("input[name=number]").fill("8")
    add.locator("input[name=room]").fill("102")
    add.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-sent='2']", state="attached")
    page.wait_for_selector("#mine .proposal[data-state='pending']")
    page.wait_for_selector("#toast[hidden]", state="attached")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "73-registry-add")
    p = Proposal.objects.get()
    assert (p.kind, p.state, p.grid.code, p.by.user_id) == ("add", "pending", A1, cast["gw_a"].pk)
    body = services.proposal_payload(p)
    assert body["person"] == {
        "name": "赵小梅",
        "id_number": number,
        "phone": "13912345678",
        "kind": "floating",
        "relation": "spouse",
    }
    assert body["household"] == "H120111-0008"
    assert (body["address"]["region"], body["address"]["road"], body["address"]["room"]) == (
        "120111103201",
        "精武路",
        "102",
    )
    assert "赵小梅" in page.inner_text("#mine")
    assert page.dialogs == [] and page.js_errors == []


def test_the_page_still_opens_offline_after_the_home_pages_worker_started(cast: Any, new_page: Any) -> None:
    page = new_page("gw_a", mobile=True)
    settle(page)
    page.goto("/registry/m/")
    until(page, "!!navigator.serviceWorker.controller")
    settle(page)
    # The worker opens the home page with signal after its worker changed (a new version; here: unregistered,
    # so that the visit installs it again), walks into a lane without signal and opens 走访 from there.
    page.goto("/phone/")
    page.evaluate("navigator.serviceWorker.getRegistration('/phone/').then(r => r && r.unregister())")
    page.reload()
    until(page, "navigator.serviceWorker.getRegistration('/phone/').then(r => !!(r && r.active))", seconds=20)
    settle(page)
    page.context.set_offline(True)
    page.goto("/registry/m/")  # net::ERR_FAILED: the registry's cache is gone
    page.wait_for_selector("body[data-view='visits']", state="attached")


def test_a_correction_from_the_phone_is_a_proposal_for_the_person(cast: Any, new_page: Any) -> None:
    late = _people(cast)["late"]
    page = new_page("gw_a", mobile=True)
    settle(page)
    page.goto(f"/registry/m/#visit/{late.pk}")
    page.wait_for_selector("body[data-view='visit']", state="attached")
    page.click("#edit-box summary")
    page.click("#edit-form button[type=submit]")  # nothing typed: refused on the phone
    assert page.inner_text("#edit-form .jw-form-error") == "请填写要更正的内容"
    page.fill("#edit-phone", "139 0000 1111")
    page.select_option("#edit-kind", "floating")
    page.click("#edit-form button[type=submit]")
    until(page, "document.body.dataset.sent === '1'")
    p = Proposal.objects.get()
    assert (p.kind, p.resident_id, p.state) == ("edit", late.pk, "pending")
    assert services.proposal_payload(p)["person"] == {"phone": "13900001111", "kind": "floating"}
    assert page.js_errors == []
