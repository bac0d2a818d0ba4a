"""A river chief's patrol on the phone page at 390×844, as it goes on a river bank: the position moves (Playwright's
geolocation), the signal is lost half-way — more positions, a finding with a photo and the end all kept on the
phone — and when it returns everything is sent in order, some answers lost and sent again, with nothing lost and
nothing stored twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from jingwu.cases.models import Case
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.patrols import services
from jingwu.patrols.choices import ChiefLevel
from jingwu.patrols.models import Finding, Patrol, River, RiverChief, TrackBatch

from .test_loop import photo

pytestmark = pytest.mark.django_db(transaction=True)

LAT = 39.045  # the section runs east–west through grid A1's middle (117.10→117.11 E)
STEP = 0.00015  # ° of longitude: about 13 m there, more than the 3 m the page takes for standing still
DESCRIPTION = "河道内有漂浮垃圾，约20平方米"


def _river_and_chief() -> Any:
    river = River.objects.create(code="HD01", name="陈台子排河")
    section, _ = services.save_section(
        river=river,
        code="HD01-01",
        name="甲村段",
        geometry_json={"type": "LineString", "coordinates": [[117.10, LAT], [117.11, LAT]]},
    )
    user = get_user_model().objects.create_user("hz_a", password="pw-hz_a")
    person = Person.objects.create(user=user, name="甲村河长", role=Role.RIVER_CHIEF)
    RiverChief.objects.create(person=person, river=river, section=section, level=ChiefLevel.VILLAGE)
    return person


def test_a_patrol_cut_off_half_way_is_synced_with_nothing_lost_or_doubled(cast: Any, new_page: Any, shot: Any) -> None:
    chief = _river_and_chief()
    page = new_page("hz_a", mobile=True)
    assert page.url.endswith("/patrols/m/")  # a river chief lands on the patrol page
    context = page.context
    context.grant_permissions(["geolocation"])
    taken = 1  # positions the page has taken: the first where the patrol starts

    def walk_to(i: int) -> None:
        """The phone moves one step east along the river, and a position is taken there."""
        nonlocal taken
        # Asked before the move: with watchPosition running, Chromium answers a one-off request with the next
        # position that comes in, and an emulated position comes in only when it is set. The watch reports the
        # same fix; the page keeps it once.
        page.evaluate("() => { window.__fix = JingwuPatrol.sample(); }")
        context.set_geolocation({"latitude": LAT, "longitude": 117.101 + i * STEP, "accuracy": 5})
        page.evaluate("window.__fix")
        taken += 1
        page.wait_for_selector(f"body[data-positions='{taken}']", state="attached")

    context.set_geolocation({"latitude": LAT, "longitude": 117.101, "accuracy": 5})  # at the section's start
    page.click("#targets .start-patrol[data-ref='HD01-01']")
    page.wait_for_selector("body[data-view='run']", state="attached")
    page.wait_for_selector("body[data-positions='1']", state="attached")  # the first fix, where it starts
    page.wait_for_selector("body[data-sent='1']", state="attached")  # the start went out at once
    patrol = Patrol.objects.get(person=chief)
    assert patrol.state == "active" and patrol.section.code == "HD01-01"
    for i in range(1, 5):
        walk_to(i)
    page.evaluate("JingwuPatrol.seal().then(JingwuPatrol.flush)")  # a first batch goes out while there is signal
    page.wait_for_selector("body[data-sent='2']", state="attached")
    assert TrackBatch.objects.filter(patrol=patrol).count() == 1
    shot(page, "50-patrol-running")

    # No signal: the positions, a finding with its photo and the end stay on the phone.
    context.set_offline(True)
    for i in range(5, 10):
        walk_to(i)
    page.click("#open-find")
    form = page.locator("#find-form")
    form.wait_for()
    form.locator("textarea[name=description]").fill(DESCRIPTION)
    form.locator("input[type=file]").set_input_files(photo((40, 90, 160)))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-findings='1']", state="attached")
    page.wait_for_selector("body[data-view='run']", state="attached")
    for i in range(10, 13):
        walk_to(i)

    page.click("#stop-patrol")
    page.wait_for_selector("#ask-dialog:not([hidden]) .weui-dialog")  # asked in the page, not by the browser
    assert page.inner_text("#ask-text") == "结束本次巡查？"
    page.click("#ask-ok")
    page.wait_for_selector("body[data-running='0']", state="attached")
    # The batch sealed for the finding, the finding, the last batch and the end.
    page.wait_for_selector("body[data-waiting='4']", state="attached")
    assert page.dialogs == []
    page.click("#tabbar a[data-tab=outbox]")
    kinds = page.eval_on_selector_all("#outbox .outbox-item.waiting", "items => items.map(i => i.dataset.kind)")
    assert kinds == ["track", "finding", "track", "end"], kinds
    shot(page, "51-patrol-offline-outbox")
    assert Patrol.objects.get(pk=patrol.pk).state == "active" and TrackBatch.objects.count() == 1

    # The signal returns on a bad line: the server stores a batch and the finding, but their answers are lost.
    lost: list[str] = []
    posted: list[str] = []

    def lose_first_answer(route: Any) -> None:
        what = route.request.url.rsplit("/", 1)[1]
        if what in ("track", "findings") and what not in lost:
            lost.append(what)
            route.fetch()  # it reaches the server…
            route.abort("connectionreset")  # …and the phone never hears back
            return
        route.continue_()

    def note(request: Any) -> None:
        if request.method == "POST" and "/api/patrols" in request.url:
            what = request.url.rsplit("/", 1)[1]
            # A batch's key is "b<n>-" and a random part (two tabs never make the same one): the n is its order.
            posted.append(f"track {request.post_data_json['key'].split('-')[0]}" if what == "track" else what)

    page.on("request", note)
    page.route("**/api/patrols/*/*", lose_first_answer)
    context.set_offline(False)  # the page starts sending by itself
    for _ in range(100):
        # Twice at once (a double tap, the timer and the network's return together): still one round at a time.
        both = "Promise.all([JingwuPatrol.flush(), JingwuPatrol.flush()]).then(() => document.body.dataset.waiting)"
        if page.evaluate(both) == "0":
            break
        page.wait_for_timeout(50)
    page.wait_for_selector("body[data-waiting='0']", state="attached")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    assert page.evaluate("document.body.dataset.failed || '0'") == "0"  # nothing refused
    # In the order they were made; what was stored but not answered was sent once more.
    assert lost == ["track", "findings"]
    assert posted == ["track b2", "track b2", "findings", "findings", "track b3", "end"], posted
    keys = [b.key for b in TrackBatch.objects.filter(patrol__person=chief).order_by("first_at")]
    assert len(set(keys)) == 3 and [k.split("-")[0] for k in keys] == ["b1", "b2", "b3"]

    patrol = Patrol.objects.get(person=chief)  # one patrol
    positions = int(page.evaluate("document.body.dataset.positions"))
    batches = list(TrackBatch.objects.filter(patrol=patrol).order_by("first_at"))
    points = [p for b in batches for p in b.data]
    assert len(points) == positions  # every position the page counted, none lost, none stored twice
    assert positions == taken == 13 and len(batches) == 3 and sum(b.count for b in batches) == positions
    assert len({p[0] for p in points}) == positions and patrol.points == positions
    assert [round(p[1], 5) for p in points] == [round(117.101 + i * STEP, 5) for i in range(positions)]  # in order
    assert patrol.state == "ended" and patrol.ended_at is not None
    assert patrol.distance_m > 0 and patrol.coverage > 0, (patrol.distance_m, patrol.coverage)
    assert patrol.flags == []  # 13 m steps along the river: a believable track
    finding = Finding.objects.get(patrol=patrol)  # one finding, one case
    assert Case.objects.filter(description=DESCRIPTION).count() == 1
    case = finding.case
    assert (case.category.kind, case.category.code, case.status) == ("matter", "90004", "to_file")
    assert case.attachments.count() == 1
    assert page.js_errors == []
