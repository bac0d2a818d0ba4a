"""The safety registry: GB 32100 credit codes, the API, and Excel in and out (all or nothing)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from jingwu.audit.models import AuditEvent
from jingwu.lib import coords
from jingwu.safety import services, uscc
from jingwu.safety.models import Enterprise

from .conftest import IN_A, IN_B, OUTSIDE
from .test_api import Api

# Published codes of well-known companies (Alibaba, Tencent, Huawei, Baidu) and GB 32100's own example.
REAL = ["91330100716105852F", "9144030071526726XG", "914403001922038216", "91110000802100433B", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL)
def test_real_credit_codes_pass_and_any_one_character_changed_fails(code: str) -> None:
    assert uscc.is_valid(code) and uscc.is_valid(code.lower())
    for i in range(18):
        for other in ("0", "A", "Y"):
            if code[i] != other:
                changed = code[:i] + other + code[i + 1 :]
                assert not uscc.is_valid(changed), changed
    assert not uscc.is_valid(code[:17]) and not uscc.is_valid(code.replace(code[3], "I", 1))


def body(**kw: Any) -> dict[str, Any]:
    return {"name": "精武化工有限公司", "credit_code": REAL[0], "industry": "C", "lon": IN_A[0], "lat": IN_A[1]} | kw


def test_the_api_registers_checks_and_masks(cast: Any) -> None:
    leader = Api(cast["leader"])
    full = {
        "legal_rep": "王建国",
        "contact_name": "李安全",
        "contact_phone": "13912345678",
        "tags": ["fire_key", "voc"],
    }
    r = leader.post("/safety/enterprises", body(**full, risk="red"))
    assert r.status_code == 201, r.content
    e = r.json()
    assert e["grid"] == "120111103201001" and e["contact_phone"] == "13912345678"  # leaders call them
    assert Api(cast["dispatcher"]).get(f"/safety/enterprises/{e['id']}").json()["contact_phone"] == "139****5678"
    bad = leader.post("/safety/enterprises", body(credit_code=REAL[0][:-1] + "0", name="x"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_uscc"
    assert leader.post("/safety/enterprises", body(name="另一家")).json()["error"]["code"] == "duplicate_uscc"
    far = leader.post("/safety/enterprises", body(credit_code="", lon=OUTSIDE[0], lat=OUTSIDE[1]))
    assert far.json()["error"]["code"] == "outside_territory"
    assert leader.post("/safety/enterprises", body(credit_code="", industry="Z")).json()["error"]["code"] == (
        "unknown_industry"
    )
    # A shop with no code, its position given in GCJ-02 (as a phone's map app gives it).
    g_lon, g_lat = coords.wgs84_to_gcj02(*IN_B)
    shop = leader.post(
        "/safety/enterprises", body(name="小饭馆", credit_code="", industry="H", lon=g_lon, lat=g_lat, crs="gcj02")
    )
    assert shop.status_code == 201 and abs(shop.json()["lon"] - IN_B[0]) < 1e-5
    # Filters, and an update with the version seen; a stale one is refused.
    assert [x["name"] for x in leader.get("/safety/enterprises", tag="voc").json()] == ["精武化工有限公司"]
    changed = leader.client.patch(
        f"/api/safety/enterprises/{e['id']}",
        {"risk": "orange", "contact_phone": "139****5678", "version": 1},  # a masked contact sent back is kept
        content_type="application/json",
        **leader.headers,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = leader.client.patch(
        f"/api/safety/enterprises/{e['id']}",
        {**body(), "version": 1},
        content_type="application/json",
        **leader.headers,
    )
    assert stale.status_code == 409
    history = AuditEvent.objects.filter(object_type="safety.enterprise", object_id=str(e["id"])).order_by("id")
    assert [h.action for h in history] == ["safety.enterprise_create", "safety.enterprise_update"]
    assert history.last().data["changes"] == {"risk": ["red", "orange"]}  # type: ignore[union-attr]
    kept = Enterprise.objects.get(pk=e["id"])
    assert kept.contact_phone == "13912345678" and kept.tags == ["fire_key", "voc"] and kept.address == ""
    assert leader.post("/safety/enterprises", body(credit_code="", lon=IN_A[0], lat=None)).json()["error"]["code"] == (
        "invalid_point"
    )
    # Those who only read may not write (the system administrator and third-party inspectors among them);
    # the public may not read.
    assert Api(cast["admin"]).post("/safety/enterprises", body(credit_code="")).status_code == 403
    # Those who only read may not write; the public may not read.
    assert Api(cast["dispatcher"]).post("/safety/enterprises", body(credit_code="")).status_code == 403
    assert Api(cast["citizen"]).get("/safety/enterprises").status_code == 403


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_round_trip_and_a_file_with_bad_rows(cast: Any) -> None:
    for i, code in enumerate(REAL[:3]):
        services.save(
            body(name=f"企业{i}", credit_code=code, tags=["voc"], contact_phone="+8613912345678"), actor=cast["leader"]
        )
    services.save(body(name="七小理发店", credit_code="", industry="O", tags=["seven_small"]), actor=cast["leader"])
    web = Client()
    web.force_login(cast["leader"])
    exported = web.get("/safety/export").content
    rows = list(load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("名称", "统一社会信用代码", "行业门类") and len(rows) == 5
    versions = dict(Enterprise.objects.values_list("pk", "version"))
    r = web.post("/safety/", {"file": io.BytesIO(exported)})
    report = r.context["report"]
    assert report.ok and (report.rows, report.created, report.updated, report.unchanged) == (4, 0, 0, 4)
    assert dict(Enterprise.objects.values_list("pk", "version")) == versions  # unchanged, not rewritten
    header = list(rows[0])
    bad = _xlsx(
        [
            header,
            ["新厂甲", "", "C 制造业", "", "", IN_A[0], IN_A[1], "", "", "", "蓝", ""],  # row 2: fine
            ["新厂乙", REAL[3][:-1] + "0", "C", "", "", "", "", "", "", "", "", ""],  # row 3: bad code
            ["新厂丙", "", "Z 未知", "", "", "", "", "", "", "", "", ""],  # row 4: unknown industry
            ["新厂丁", "", "C", "", "", OUTSIDE[0], OUTSIDE[1], "", "", "", "", ""],  # row 5: outside
            ["新厂戊", REAL[4], "C", "", "", "", "", "", "", "", "", ""],  # row 6
            ["新厂己", REAL[4], "C", "", "", "", "", "", "", "", "", ""],  # row 7: same code as row 6
        ]
    )
    before = Enterprise.objects.count()
    r = web.post("/safety/", {"file": io.BytesIO(bad)})
    assert r.status_code == 400
    errors = r.context["report"].errors
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "统一社会信用代码"),
        (4, "行业门类"),
        (5, "经度"),
        (7, "统一社会信用代码"),
    ]
    assert "第6行" in errors[-1]["message"] and Enterprise.objects.count() == before  # nothing imported
    page = r.content.decode()
    assert 'id="import-failed"' in page and page.count("<tr data-row=") == 4
    # The template has the same columns and imports as one new row.
    template = web.get("/safety/template").content
    assert next(load_workbook(io.BytesIO(template)).active.iter_rows(values_only=True)) == tuple(header)
    r = web.post("/safety/", {"file": io.BytesIO(template)})
    assert r.context["report"].created == 1


def test_places_follow_their_grids_when_grids_change(cast: Any) -> None:
    from django.test import TestCase
    from django_tasks_db.models import DBTaskResult

    from jingwu.geo.models import Grid

    e = services.save(body(credit_code=""), actor=cast["leader"])
    first = e.grid
    assert first is not None
    DBTaskResult.objects.all().delete()
    from django.db import connection

    connection.run_on_commit.clear()  # the fixture's own grid import, which in life committed long ago
    # Two grids swap their shapes (a redrawing): one task for the whole change, and it moves the place.
    other = Grid.objects.exclude(pk=first.pk).order_by("code").first()
    assert other is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        first.geometry, other.geometry = other.geometry, first.geometry
        first.save()
        other.save()
    (queued,) = DBTaskResult.objects.all()
    assert queued.task.call() == 1
    e.refresh_from_db()
    assert e.grid_id == other.pk


def test_an_import_changes_only_what_its_columns_say_in_either_language(cast: Any) -> None:
    e = services.save(
        body(address="精武镇付村路1号", contact_phone="13912345678", tags=["voc"], risk="red"), actor=cast["leader"]
    )
    web = Client()
    web.force_login(cast["leader"])
    # A file with three columns changes the industry class only; the rest stays as it was.
    partial = _xlsx([["名称", "统一社会信用代码", "行业门类", "行业类别"], [e.name, e.credit_code, "C", "化工"]])
    assert web.post("/safety/", {"file": io.BytesIO(partial)}).context["report"].updated == 1
    e.refresh_from_db()
    assert (e.industry_class, e.address, e.contact_phone, e.tags, e.risk) == (
        "化工",
        "精武镇付村路1号",
        "13912345678",
        ["voc"],
        "red",
    )
    # English labels from an English session's eyes are read as well as Chinese ones.
    english = _xlsx(
        [
            ["名称", "统一社会信用代码", "行业门类", "风险等级", "标签", "在营"],
            [e.name, e.credit_code, "C", "Orange (high risk)", "VOC emitter、Gas", "否"],
        ]
    )
    assert web.post("/safety/", {"file": io.BytesIO(english)}).context["report"].ok
    e.refresh_from_db()
    assert e.risk == "orange" and e.tags == ["gas", "voc"] and e.active is False


def test_an_upload_that_unpacks_too_far_is_refused(cast: Any) -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b"<a>" + b"x" * (80 * 1024 * 1024) + b"</a>")
    web = Client()
    web.force_login(cast["leader"])
    report = web.post("/safety/", {"file": io.BytesIO(out.getvalue())}).context["report"]
    assert not report.ok and "不是有效的Excel" in report.errors[0]["message"]


def test_a_long_import_is_done_by_the_task_worker_with_its_progress_shown(cast: Any, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from jingwu.safety.models import ImportJob

    settings.JINGWU_IMPORT_SYNC_ROWS = 2
    web = Client()
    web.force_login(cast["leader"])
    header = ["名称", "统一社会信用代码", "行业门类", "经度", "纬度"]
    good = [[f"小饭馆{i}", "", "H", IN_A[0], IN_A[1]] for i in range(4)]
    for rows, status in [([*good[:2], ["坏行", "", "Z", "", ""], *good[2:]], "refused"), (good, "done")]:
        DBTaskResult.objects.all().delete()
        r = web.post("/safety/", {"file": io.BytesIO(_xlsx([header, *rows]))})
        job = ImportJob.objects.latest("id")
        assert r.status_code == 302 and r.url == f"/safety/imports/{job.pk}/" and job.status == "pending"
        waiting = web.get(r.url).content.decode()
        assert 'data-status="pending"' in waiting and 'hx-trigger="every 2s"' in waiting
        queued = DBTaskResult.objects.get()
        assert queued.task.call(*queued.args_kwargs["args"]) == status
        job.refresh_from_db()
        page = web.get(r.url).content.decode()
        assert f'data-status="{status}"' in page and "every 2s" not in page and not job.file
        if status == "refused":
            assert 'data-row="4"' in page and Enterprise.objects.filter(name__startswith="小饭馆").count() == 0
        else:
            assert "新增 4" in page and Enterprise.objects.filter(name__startswith="小饭馆").count() == 4
    other = Client()
    other.force_login(cast["shiftlead"])
    assert other.get(f"/safety/imports/{job.pk}/").status_code == 404  # the importer's own
    # What the page shows while it runs: rows checked out of the file's rows, then saving.
    from jingwu.safety import excel

    seen: list[tuple[str, int, int]] = []
    more = [[f"小超市{i}", "", "F", IN_A[0], IN_A[1]] for i in range(250)]
    excel.import_file(_xlsx([header, *more]), actor=cast["leader"], progress=lambda *a: seen.append(a))
    assert seen == [("checking", 100, 250), ("checking", 200, 250), ("saving", 250, 250)]
