"""The staff lists as a day's work uses them: a total equal to the rows paged through, filters and sort kept in
the URL, and exports of exactly the filtered rows; the audit administrator's page."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from jingwu.audit.models import AuditEvent
from jingwu.cases.models import Case

from .conftest import IN_A, IN_B
from .flows import public_report


def signed_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def numbers(html: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*" data-number="([^"]+)"', html)


@pytest.fixture
def many(cast: Any) -> list[Case]:
    made = []
    for i in range(25):
        lon, lat = IN_A if i % 3 else IN_B
        made.append(public_report(cast, lon=lon, lat=lat, client_key=f"k{i}", description=f"第{i}件 路边垃圾"))
    return made


def test_the_total_equals_the_rows_paged_through(cast: Any, many: list[Case]) -> None:
    c = signed_in(cast["operator"])
    first = c.get("/centre/?size=20")
    assert first.context["page"].paginator.count == 25
    assert 'id="case-total">25<' in first.content.decode()
    second = c.get("/centre/?size=20&page=2")
    seen = numbers(first.content.decode()) + numbers(second.content.decode())
    assert len(seen) == 25 and set(seen) == {x.number for x in many}  # every case once, no overlap
    assert seen == sorted(seen, reverse=True)  # newest first by default


def test_filters_and_sort_live_in_the_url(cast: Any, many: list[Case]) -> None:
    region_b = Case.objects.get(pk=many[0].pk).region.code  # case 0 is in village B
    c = signed_in(cast["operator"])
    url = f"/centre/?region={region_b}&sort=number"
    page = c.get(url)
    html = page.content.decode()
    in_b = sorted(x.number for x in Case.objects.filter(region__code=region_b))
    assert numbers(html) == in_b and len(in_b) == 9  # ascending by number, village B only
    assert f'<option value="{region_b}" selected>' in html  # the form shows the filter in force
    assert 'data-filter="region"' in html  # and the active-filter chip that removes it
    # The same URL asked by htmx for the table alone gives the same rows (a reload or a shared link).
    fragment = c.get(url, headers={"HX-Request": "true", "HX-Target": "case-table"})
    assert numbers(fragment.content.decode()) == in_b and "<html" not in fragment.content.decode()
    # The sort header links keep the filter.
    assert f"region={region_b}" in re.search(r'data-sort="reported" href="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_an_export_holds_exactly_the_filtered_rows(cast: Any, many: list[Case]) -> None:
    region_b = Case.objects.get(pk=many[0].pk).region.code
    c = signed_in(cast["operator"])
    want = [x.number for x in Case.objects.filter(region__code=region_b).order_by("-id")]
    r = c.get(f"/centre/export?format=csv&region={region_b}")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and [row[0] for row in rows[1:]] == want
    r = c.get(f"/centre/export?format=xlsx&region={region_b}")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == want
    # A sheet to read: the header frozen and bold, columns as wide as their text (descriptions capped).
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    widths = {sheet.cell(1, i).value: sheet.column_dimensions[chr(64 + i)].width for i in range(1, 14)}
    assert widths["编号"] >= len(want[0]) and widths["描述"] > widths["超时"] and max(widths.values()) <= 60
    assert c.get("/centre/export?format=pdf").status_code == 400
    looked = AuditEvent.objects.filter(action="case.export").latest("id")
    assert looked.actor_name == "operator" and looked.data["rows"] == len(want)
    assert looked.data["filters"] == {"region": region_b}


def test_an_export_cannot_carry_a_formula(cast: Any) -> None:
    public_report(cast, description='=HYPERLINK("http://evil")')
    r = signed_in(cast["operator"]).get("/centre/export?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[1][6].startswith("'=")


def test_the_audit_page_is_the_audit_administrators(cast: Any, many: list[Case]) -> None:
    c = signed_in(cast["auditor"])
    assert c.get("/").headers["Location"] == "/audit/"  # the audit administrator lands here
    page = c.get("/audit/?action=case.report")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 25
    assert "上报案件" in page.content.decode() and "case.report" not in page.content.decode().split("<tbody>")[1]
    one = c.get(f"/audit/?object={many[3].number}")
    assert one.context["page"].paginator.count == 1
    assert f'href="/cases/{many[3].number}/"' in one.content.decode()
    r = c.get("/audit/export?action=case.report")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 26 and {row[3] for row in rows[1:]} == {"上报案件"}
    assert AuditEvent.objects.filter(action="audit.export").exists()
    for other in ("operator", "admin", "secadmin"):
        assert signed_in(cast[other]).get("/audit/").status_code == 403


def test_the_audit_trail_names_people_not_codes(cast: Any) -> None:
    from jingwu.audit import services as audit

    audit.record("user.password_change", "user", cast["gw_a"].pk, actor=cast["gw_a"])
    c = signed_in(cast["auditor"])
    # Search by the person's real name finds what they did under their account name.
    page = c.get("/audit/?actor=gw_a姓名")
    assert page.context["page"].paginator.count == 1
    html = page.content.decode().split("<tbody>")[1]
    assert "账号 gw_a姓名（gw_a）" in html and "user " not in html and "gw_a姓名（gw_a）</td>" in html
    rows = list(
        csv.reader(io.StringIO(b"".join(c.get("/audit/export?actor=gw_a姓名").streaming_content).decode("utf-8-sig")))
    )
    assert rows[1][1] == "gw_a姓名（gw_a）" and rows[1][4] == "账号" and rows[1][5] == "账号 gw_a姓名（gw_a）"


def test_each_overview_figure_opens_a_list_of_exactly_that_many(cast: Any, at: Any) -> None:
    from datetime import timedelta

    from .flows import act, to_state

    # Last month: a case reported and filed, then closed this month; a case dispatched twice (re-dispatch).
    at.move(at.now - timedelta(days=35))
    old = to_state(cast, "to_close")
    moved = to_state(cast, "handling")
    moved = act(moved, "return", cast["h_env"], reason="不属本单位")
    moved = act(moved, "dispatch", cast["dispatcher"], department="W07")
    at.move(at.now + timedelta(days=35))
    act(old, "close", cast["shiftlead"])
    for state in ("reported", "to_dispatch", "handling", "to_check", "suspended"):
        to_state(cast, state)
    act(to_state(cast, "to_close"), "close", cast["shiftlead"])
    at.move(at.now + timedelta(days=20))  # some deadlines have passed: overdue and 应结案 are not empty
    c = signed_in(cast["leader"])
    html = c.get("/overview/").content.decode()
    figures = re.findall(r'<a [^>]*href="([^"]+)" data-figure="([^"]+)" data-value="(\d+)"', html)
    assert len(figures) >= 12
    nonzero = 0
    for href, name, value in figures:
        listed = c.get(href.replace("&amp;", "&")).context["page"].paginator.count
        assert listed == int(value), (name, href, listed, value)
        nonzero += int(value) > 0
    assert nonzero >= 8  # the check compares real numbers, not a page of zeros
    # Every bar and point of the charts opens the list of what it counts, totals equal.
    chart = c.get("/overview/").context["chart"]
    pairs = [
        *zip(chart["links"]["months"][0], chart["reported"], strict=True),
        *zip(chart["links"]["months"][1], chart["closed"], strict=True),
        *zip(chart["links"]["regions"][0], chart["region_reported"], strict=True),
        *zip(chart["links"]["regions"][1], chart["region_closed"], strict=True),
        *zip(chart["links"]["departments"][0], chart["dept_due"], strict=True),
        *zip(chart["links"]["departments"][1], chart["dept_closed"], strict=True),
    ]
    assert len(pairs) >= 6 and sum(value for _href, value in pairs) > 0
    for href, value in pairs:
        assert c.get(href).context["page"].paginator.count == value, (href, value)


def test_batch_accept_and_dispatch_report_each_case(cast: Any) -> None:
    from .flows import act, to_state

    fresh = [public_report(cast, client_key=f"b{i}") for i in range(3)]
    raced = public_report(cast, client_key="raced")
    seen = {c.number: c.version for c in [*fresh, raced]}
    act(raced, "send_to_verify", cast["operator"])  # someone else acts after the list was drawn
    c = signed_in(cast["operator"])
    page = c.get("/centre/?queue=reported").content.decode()
    assert 'id="batch-form"' in page and page.count('name="n"') == 3  # only rows the step applies to
    picked = [f"{n}:{v}" for n, v in seen.items()]
    r = c.post("/centre/batch?queue=reported", {"action": "accept", "n": picked}, headers={"HX-Request": "true"})
    result = r.context["batch_result"]
    assert sorted(result["done"]) == sorted(x.number for x in fresh) and result["conflict"] == [raced.number]
    assert all(
        x.transitions.filter(action="accept").count() == 1 for x in Case.objects.filter(pk__in=[x.pk for x in fresh])
    )
    assert Case.objects.get(pk=raced.pk).transitions.filter(action="accept").count() == 0
    # A dispatcher sends two cases to one department in one go; an operator may not dispatch.
    ready = [to_state(cast, "to_dispatch") for _ in range(2)]
    picked = [f"{x.number}:{x.version}" for x in ready]
    assert c.post("/centre/batch", {"action": "dispatch", "n": picked, "department": "W07"}).context["batch_result"][
        "error"
    ]
    d = signed_in(cast["dispatcher"])
    r = d.post("/centre/batch", {"action": "dispatch", "n": picked, "department": "W07"})
    assert sorted(r.context["batch_result"]["done"]) == sorted(x.number for x in ready)
    assert {x.department.code for x in Case.objects.filter(pk__in=[x.pk for x in ready])} == {"W07"}
    assert AuditEvent.objects.filter(action="case.batch").count() == 3


# --- the case file ---------------------------------------------------------------------------------


def test_the_case_file_groups_photos_times_steps_and_names_who_acts_next(cast: Any) -> None:
    from PIL import Image

    from .conftest import jpeg
    from .flows import act, to_state, worker_report

    case = to_state(cast, "to_check")
    c = signed_in(cast["operator"])
    html = c.get(f"/cases/{case.number}/").content.decode()
    kinds = re.findall(r'data-kind="(\w+)"', html)
    assert kinds == ["report", "feedback"]  # under their stage, in the loop's order
    assert html.count('class="took"') >= 3  # how long each step took
    assert "gw_a姓名" in re.search(r'id="next-actor">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    # Thumbnails: made by the server, small, JPEG, and only for those who may see the case.
    photo = case.attachments.first()
    assert photo is not None
    r = c.get(f"/api/attachments/{photo.pk}?size=thumb")
    assert r["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(b"".join(r.streaming_content))).size) <= 320
    assert signed_in(cast["citizen"]).get(f"/api/attachments/{photo.pk}?size=thumb").status_code == 404
    # Filing: choosing another category brings that category's 立案条件.
    to_file = worker_report(cast, photos=[jpeg()])
    lead = signed_in(cast["shiftlead"])
    page = lead.get(f"/cases/{to_file.number}/").content.decode()
    assert 'hx-get="/cases/' in page and "/conditions" in page
    options = lead.get(f"/cases/{to_file.number}/conditions?category=matter:06010").content.decode()
    assert 'name="condition"' in options
    # 常用语 offered for a return.
    handling = to_state(cast, "handling")
    page = signed_in(cast["h_env"]).get(f"/cases/{handling.number}/").content.decode()
    assert 'list="reasons-return"' in page and "不属本单位职责" in page
    # A leader's 督办 puts the case first on the department's desk, marked.
    act(handling, "escalate", cast["leader"], reason="超期未处置")
    desk = signed_in(cast["h_env"]).get("/desk/").content.decode()
    first = re.search(r'<tr class="[^"]*" data-number="([^"]+)"', desk).group(1)  # type: ignore[union-attr]
    assert first == handling.number and 'class="badge bg-red text-white escalated"' in desk


def test_the_desk_pages_its_inbox_with_a_total_and_exports_it(cast: Any) -> None:
    from .flows import to_state

    made = [to_state(cast, "handling") for _ in range(3)]
    c = signed_in(cast["h_env"])
    page = c.get("/desk/")
    assert page.context["page"].paginator.count == 3 and 'id="inbox-count">3<' in page.content.decode()
    r = c.get("/centre/export?format=csv&status=handling&department=W07")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == sorted(x.number for x in made)
    # Another department's handler exports nothing of W07's: the list is what they may see.
    r = signed_in(cast["h_city"]).get("/centre/export?format=csv&status=handling&department=W07")
    assert len(list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))) == 1


def test_a_step_that_undoes_work_needs_the_tick_on_the_page(cast: Any) -> None:
    case = public_report(cast, client_key="tick")
    c = signed_in(cast["operator"])
    headers = {"HX-Request": "true"}
    r = c.post(f"/cases/{case.number}/act/void", {"version": case.version, "reason": "spam"}, headers=headers)
    assert r.status_code == 400 and "请先在对话框中确认" in r.content.decode()
    assert Case.objects.get(pk=case.pk).status == "reported"
    r = c.post(
        f"/cases/{case.number}/act/void", {"version": case.version, "reason": "spam", "confirm": "on"}, headers=headers
    )
    assert r.status_code == 200 and Case.objects.get(pk=case.pk).status == "voided"


def test_the_filter_form_follows_the_list_it_shows(cast: Any, many: list[Case]) -> None:
    region_b = Case.objects.get(pk=many[0].pk).region.code
    c = signed_in(cast["operator"])
    fragment = c.get(f"/centre/?region={region_b}", headers={"HX-Request": "true", "HX-Target": "case-table"})
    html = fragment.content.decode()
    # Out of band with the table: the form (with the filter selected) and the queue tiles.
    assert 'id="filters" hx-swap-oob="true"' in html and f'<option value="{region_b}" selected>' in html
    assert 'id="queues" hx-swap-oob="true"' in html
    cleared = c.get("/centre/?queue=reported", headers={"HX-Request": "true", "HX-Target": "case-table"}).content
    assert b" selected>" not in cleared.split(b'id="filters"')[1].split(b"</form>")[0]  # a tile clears the form


def test_a_large_export_is_built_in_the_background_and_fetched_by_its_owner(
    cast: Any, many: list[Case], settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from jingwu.web.models import Export

    settings.JINGWU_EXPORT_SYNC_ROWS = 10
    DBTaskResult.objects.all().delete()
    c = signed_in(cast["operator"])
    r = c.get("/centre/export?format=xlsx&sort=-number&q=路边垃圾")
    job = Export.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/exports/?new={job.pk}"
    assert job.status == "pending" and job.rows == 25
    page = c.get(r["Location"]).content.decode()
    assert 'id="export-queued"' in page and f'data-export="{job.pk}" data-status="pending"' in page
    assert 'hx-trigger="every 3s"' in page  # the page follows the job
    # The worker builds it once; a repeated delivery changes nothing.
    queued = DBTaskResult.objects.get()
    assert queued.task.call(*queued.args_kwargs["args"]) == "done"
    assert queued.task.call(*queued.args_kwargs["args"]) == "done"
    job.refresh_from_db()
    got = c.get(f"/exports/{job.pk}/")
    sheet = load_workbook(io.BytesIO(b"".join(got.streaming_content))).active
    want = [x.number for x in Case.objects.order_by("-id")]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == want
    # Only its owner fetches it; a small export still comes at once.
    assert signed_in(cast["shiftlead"]).get(f"/exports/{job.pk}/").status_code == 404
    assert c.get("/centre/export?format=csv&q=第1件").status_code == 200
    assert AuditEvent.objects.filter(action="case.export", data__background=True).count() == 1
