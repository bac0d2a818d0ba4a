"""An inspection on the inspector's phone at 390×844: item by item, a photo, the signature drawn on the pad,
submitted without signal, kept on the phone, and sent when the signal returns — one record, one hazard case."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from jingwu.cases.models import Case
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.safety import checklists, services
from jingwu.safety.models import Checklist, Company, Hazard, Inspection, Inspector, Task

from ..conftest import IN_A, TZ
from .test_loop import photo
from .test_phone import until

pytestmark = pytest.mark.django_db(transaction=True)


def _town(cast: Any) -> tuple[Task, list[Any]]:
    from jingwu.lib import clock

    checklists.install()
    place = services.save(
        {"name": "精武家具厂", "industry": "C", "lon": IN_A[0], "lat": IN_A[1], "tags": ["voc"]}, actor=cast["leader"]
    )
    company = Company.objects.create(name="天津安评技术有限公司")
    user = get_user_model().objects.create_user("ins_a", password="pw-ins_a")
    Inspector.objects.create(
        person=Person.objects.create(user=user, name="赵检查", role=Role.INSPECTOR), company=company
    )
    now = clock.now()
    task = Task.objects.create(
        enterprise=place,
        checklist=Checklist.objects.get(tag="voc"),
        period=now.date(),
        due_on=now.date(),
        company=company,
        created_at=now,
    )
    return task, list(task.checklist.items.all())


def test_an_inspection_with_a_signature_done_offline_is_sent_when_the_signal_returns(
    cast: Any, new_page: Any, shot: Any
) -> None:
    task, items = _town(cast)
    page = new_page("ins_a", mobile=True)
    assert page.url.endswith("/safety/m/")  # an inspector lands on their phone page
    page.click(f"#tasks .task[data-task='{task.pk}']")
    form = page.locator(f"#inspect-{task.pk} form")
    form.wait_for()
    # Nothing chosen: the page says which items are missing and keeps everything on screen.
    form.locator("button[type=submit]").click()
    error = form.locator(".jw-form-error")
    error.wait_for()
    assert "1、2、3" in error.inner_text()
    for item in items:
        choice = "fail" if item.position == 2 else "pass"
        form.locator(f".inspect-item[data-item='{item.pk}'] input[value={choice}]").check()
    failed = form.locator(f".inspect-item[data-item='{items[1].pk}']")
    assert failed.locator(".fail-fields").is_visible()
    failed.locator("textarea").fill("油漆桶露天堆放，未加盖")
    failed.locator("input[type=file]").set_input_files(photo((120, 80, 20)))
    form.locator("input[name=signer_name]").fill("王厂长")
    # No signature yet: refused on the phone, before anything is queued.
    form.locator("button[type=submit]").click()
    until(page, f"document.querySelector('#inspect-{task.pk} .jw-form-error').textContent.indexOf('签字') >= 0")
    pad = form.locator("canvas.sign-pad")
    pad.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of the fixed header and tab bar
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 40 + (step % 3) * 20)
    page.mouse.up()
    shot(page, "40-inspect-signed")

    page.context.set_offline(True)
    page.wait_for_selector("#net.offline")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-waiting='1']", state="attached")
    assert page.evaluate("location.hash") == "#tasks"
    assert Inspection.objects.count() == 0 and Case.objects.count() == 0  # kept on the phone
    page.click("#tabbar a[data-tab=outbox]")
    assert page.locator("#outbox .outbox-item.waiting").count() == 1
    shot(page, "41-inspect-offline-outbox")

    page.context.set_offline(False)
    page.wait_for_selector("body[data-sent='1']", state="attached")
    page.wait_for_selector("#outbox .outbox-item", state="detached")
    ins = Inspection.objects.get()
    assert (ins.passed, ins.failed, ins.signer_name, ins.task_id) == (len(items) - 1, 1, "王厂长", task.pk)
    with ins.signature.open("rb") as fh:
        from PIL import Image

        drawn = Image.open(fh).convert("L")
        assert drawn.getextrema()[0] < 100  # dark strokes on the white pad: the signature is in the file
    hazard = Hazard.objects.get()
    assert hazard.description == "油漆桶露天堆放，未加盖" and hazard.case is not None
    assert hazard.case.attachments.count() == 1  # the item's photo went to the case
    assert page.locator(f"#tasks .task[data-task='{task.pk}']").count() == 0
    assert page.js_errors == []


def sign(page: Any, form: Any) -> None:
    pad = form.locator("canvas.sign-pad")
    pad.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of the fixed header and tab bar
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 40 + (step % 3) * 20)
    page.mouse.up()


def test_a_refused_inspection_comes_back_filled_in_and_goes_again(cast: Any, new_page: Any, shot: Any) -> None:
    task, items = _town(cast)
    page = new_page("ins_a", mobile=True)
    page.goto(f"/safety/m/#inspect/{task.pk}")
    form = page.locator(f"#inspect-{task.pk} form")
    for item in items:
        form.locator(
            f".inspect-item[data-item='{item.pk}'] input[value={'fail' if item.position == 3 else 'pass'}]"
        ).check()
    failed = form.locator(f".inspect-item[data-item='{items[2].pk}']")
    failed.locator("textarea").fill("稀释剂桶堆在车间")
    failed.locator("input[type=number]").fill("400")  # a slip of the thumb: the server refuses it
    failed.locator("input[type=file]").set_input_files(photo((30, 90, 160)))
    form.locator("input[name=signer_name]").fill("王厂长")
    sign(page, form)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-failed='1']", state="attached")
    page.click("#tabbar a[data-tab=outbox]")
    refused = page.locator("#outbox .outbox-item.failed")
    assert "365" in refused.inner_text()
    shot(page, "42-inspect-refused")
    refused.locator(".reopen").click()
    # Back in the form as it was: the answers, the note, the signer and the signature; the photo kept.
    assert form.locator(f".inspect-item[data-item='{items[2].pk}'] input[value=fail]").is_checked()
    assert failed.locator("textarea").input_value() == "稀释剂桶堆在车间"
    assert form.locator("input[name=signer_name]").input_value() == "王厂长"
    assert "365" in form.locator(".jw-form-error").inner_text()
    until(page, f"document.querySelector('#inspect-{task.pk} canvas.sign-pad').toDataURL().length > 3000")
    failed.locator("input[type=number]").fill("30")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("body[data-sent='1']", state="attached")
    until(page, "document.querySelectorAll('#outbox .outbox-item').length === 0")
    ins = Inspection.objects.get()
    hazard = Hazard.objects.get()
    # Counted in the town's days: between 16:00 and 24:00 UTC the inspection's day there is already tomorrow's.
    days = hazard.rectify_by.astimezone(TZ).date() - ins.at.astimezone(TZ).date()
    assert ins.failed == 1 and days.days == 30
    assert hazard.case is not None and hazard.case.attachments.count() == 1  # the photo went with it
    assert page.js_errors == []


def test_the_staff_see_the_places_on_a_map_and_the_ledgers(cast: Any, new_page: Any, shot: Any) -> None:
    task, _items = _town(cast)
    page = new_page("leader")
    page.goto("/safety/")
    page.wait_for_selector("#places-map[data-loaded='1']", state="attached")
    page.wait_for_selector("#places-map[data-grids]", state="attached")
    shot(page, "43-safety-registry-map")
    page.goto("/safety/hazards/")
    assert page.locator("#figures").is_visible() and page.locator("#hazard-summary").is_visible()
    page.goto("/safety/ledger/")
    assert page.locator(f"#ledger tr[data-id='{task.enterprise_id}']").count() == 1
    shot(page, "44-safety-ledger")
    assert page.js_errors == []
