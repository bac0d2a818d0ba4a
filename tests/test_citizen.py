"""The citizen after the report: receipt with a QR code, tracking with the result and the after photos, a
rating once closed, and a 不满意 that sends the case to the centre for a call back (回访)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from jingwu.cases import services
from jingwu.cases.models import Case
from jingwu.lib.errors import Conflict, Invalid, InvalidState

from .conftest import IN_A, jpeg
from .flows import act, public_closed, to_state


def closed_case(cast: Any) -> Case:
    return public_closed(cast)


def track(c: Client, case: Case, **extra: str) -> Any:
    return c.get("/public/track/", {"number": case.number, "code": case.tracking_code, **extra})


def test_a_report_in_three_taps_and_a_receipt_with_a_qr_code(cast: Any) -> None:
    c = Client()
    form = c.get("/public/").content.decode()
    assert 'class="ti ti-trash"' in form and 'data-value="matter:06010"' in form  # categories with icons
    r = c.post(
        "/public/report",
        {"category": "matter:06010", "lon": IN_A[0], "lat": IN_A[1], "client_key": "three-taps", "photos": jpeg()},
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.description == "暴露垃圾"  # no words typed: the category says what it is
    receipt = c.get(r.url).content.decode()
    assert case.tracking_code in receipt and "<svg" in receipt and 'id="receipt-qr"' in receipt
    status = c.get("/public/status.json", {"q": f"{case.number}:{case.tracking_code},{case.number}:wrong"}).json()
    assert status == {"cases": [{"number": case.number, "status": "已收到", "closed": False, "rated": False}]}


def test_tracking_shows_the_result_and_the_after_photos_once_closed(cast: Any) -> None:
    c = to_state(cast, "handling")
    act(c, "feedback", cast["h_env"], photos=[jpeg((1, 200, 1))], public_note="已清运完毕，路面已冲洗")
    c = act(c, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    client = Client()
    page = track(client, c).content.decode()
    assert 'id="public-after"' not in page and 'id="rate-form"' not in page  # not yet closed
    c = act(c, "close", cast["shiftlead"])
    page = track(client, c).content.decode()
    assert 'id="public-result">已清运完毕，路面已冲洗<' in page
    src = re.search(r'<div class="jw-photos" id="public-after"><img src="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    photo = client.get(src.replace("&amp;", "&"))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # Without the code, or a photo that is not of the result, nothing.
    assert client.get(src.split("?")[0]).status_code == 404
    check = c.attachments.get(kind="check")
    assert client.get(f"/public/photo/{check.pk}?number={c.number}&code={c.tracking_code}").status_code == 404


def test_a_rating_once_and_a_dissatisfied_one_is_called_back(cast: Any) -> None:
    c = closed_case(cast)
    client = Client()
    r = client.post("/public/rate", {"number": c.number, "code": "wrong", "rating": "unsatisfied"})
    assert r.status_code == 404
    r = client.post("/public/rate", {"number": c.number, "code": c.tracking_code, "rating": "so-so"})
    assert r.status_code == 400 and "请选择满意" in r.content.decode()
    r = client.post(
        "/public/rate", {"number": c.number, "code": c.tracking_code, "rating": "unsatisfied", "note": "垃圾又堆起来了"}
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.satisfaction == "unsatisfied" and c.satisfaction_note == "垃圾又堆起来了" and c.status == "closed"
    page = track(client, c).content.decode()
    assert "不满意 · 垃圾又堆起来了" in page and "工作人员将回访您" in page and 'id="rate-form"' not in page
    with pytest.raises(Conflict):
        services.rate_case(c.pk, rating="satisfied")
    # The centre sees it waiting for a call back; only then is 回访 offered.
    centre = Client()
    centre.force_login(cast["operator"])
    queues = {q["key"]: q["count"] for q in centre.get("/centre/").context["queues"]}
    assert queues["revisit"] == 1
    assert {s.outcome for s in services.offered_steps(c, cast["shiftlead"]) if s.action == "revisit"} == {
        "explained",
        "reopen",
    }
    assert {s.outcome for s in services.offered_steps(c, cast["operator"]) if s.action == "revisit"} == {"explained"}
    other = public_closed(cast, client_key="other")
    assert not [s for s in services.offered_steps(other, cast["shiftlead"]) if s.action == "revisit"]
    with pytest.raises(InvalidState):
        act(other, "revisit", cast["shiftlead"], outcome="explained", note="x")
    # The shift lead calls back and reopens it: back to dispatch, no longer closed, and the citizen sees why.
    c = act(c, "revisit", cast["shiftlead"], outcome="reopen", reason="问题仍未解决")
    assert c.status == "to_dispatch" and c.closed_at is None and c.department is None
    # The old rating stays on the record of the call; the next closing may be rated afresh.
    assert c.satisfaction == "" and c.rated_at is None and not c.supports.exists()
    assert c.transitions.last().data["satisfaction"] == "unsatisfied"
    assert "回访后重新办理" in track(client, c).content.decode()
    queues = {q["key"]: q["count"] for q in centre.get("/centre/").context["queues"]}
    assert queues["revisit"] == 0 and queues["to_dispatch"] == 1


def test_only_a_citizens_report_is_rated_by_its_reporter(cast: Any) -> None:
    own = act(to_state(cast, "to_close"), "close", cast["shiftlead"])  # a grid worker's own report
    with pytest.raises(Invalid):
        services.rate_case(own.pk, rating="unsatisfied")


def test_a_rating_needs_a_closed_case(cast: Any) -> None:
    c = to_state(cast, "handling")
    with pytest.raises(InvalidState):
        services.rate_case(c.pk, rating="satisfied")
    r = Client().post("/public/rate", {"number": c.number, "code": c.tracking_code, "rating": "satisfied"})
    assert r.status_code == 409 and "案件办结后才能评价" in r.content.decode()


def test_every_page_that_takes_a_code_counts_wrong_ones(cast: Any) -> None:
    case = public_closed(cast)
    c = Client(REMOTE_ADDR="10.1.2.3")
    wrong = ",".join(f"{case.number}:{i:08x}" for i in range(20))
    assert c.get("/public/status.json", {"q": wrong}).json() == {"cases": []}
    assert c.get("/public/status.json", {"q": wrong}).status_code == 429
    # The same limit on the rating and the photos, and the right code from elsewhere still works.
    assert (
        c.post("/public/rate", {"number": case.number, "code": case.tracking_code, "rating": "satisfied"}).status_code
        == 429
    )
    other = Client(REMOTE_ADDR="10.9.9.9")
    ok = other.get("/public/status.json", {"q": f"{case.number}:{case.tracking_code}"})
    assert ok.status_code == 429  # the number itself is being guessed at: it waits out the window too
