"""Supervision in the browser: the office reads a work report, ticks what to keep and saves it; the board shows
the targets, the tasks and the projects' map; a unit reports progress on its task with an attachment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.supervision import services
from jingwu.supervision.models import Target, Task

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = """某镇2020年政府工作报告

一、2019年工作回顾

2019年，全镇实现税收收入 20 亿元，同比增长 11.1%；固定资产投资 140 亿元，同比增长 7.7%。

二、2020年工作安排

全镇经济社会发展的主要预期目标是：税收收入 21 亿元，同比增长 5%；固定资产投资 150 亿元，同比增长 7.1%。

（一）加强生态建设

启动东河、西河等 3 条河道综合治理工程，新建 2 个口袋公园。
"""


def test_the_office_reads_a_report_and_a_unit_reports_progress(
    cast: Any, new_page: Any, shot: Any, tmp_path: Path
) -> None:
    User = get_user_model()
    office = User.objects.create_user("ducha", password="pw-ducha")
    Person.objects.create(user=office, name="督查员", role=Role.SUPERVISOR)
    services.save_project(
        actor=office,
        year=2020,
        category="ecology",
        name="口袋公园",
        budget=300,
        department="B05",
        geometry={"type": "Point", "coordinates": [117.105, 39.045]},
    )

    page = new_page("ducha", size=(1920, 1080))
    page.goto("/supervision/read")
    page.fill("textarea[name=text]", REPORT)
    page.fill("input[name=source]", "某镇2020年政府工作报告")
    page.click("#read-form button")
    page.wait_for_selector("#review-form")
    rows = page.locator("#figures tbody tr")
    assert rows.count() >= 4
    # Targets come ticked, actuals not: keep the targets, add 2019's 税收收入, leave the rest.
    assert page.locator("#figures tr[data-kind='target'] input[type=checkbox]:checked").count() >= 2
    tax_2019 = page.locator("#figures tr[data-kind='actual']").filter(has=page.locator("input[value='税收收入']"))
    tax_2019.locator("input[type=checkbox]").check()
    tasks = page.locator("#tasks input[name=task]")
    assert tasks.count() == 1
    page.locator("#tasks select").select_option("城建办")
    shot(page, "60-supervision-review")
    page.click("#review-form button.btn-primary")
    page.wait_for_selector("#targets")
    assert set(Target.objects.filter(year=2020).values_list("indicator__name", flat=True)) >= {
        "税收收入",
        "固定资产投资",
    }
    task = Task.objects.get()
    assert task.unit_rows.get().department.code == "B05" and "河道" in task.title

    page.goto("/supervision/?year=2020")
    assert page.locator("#targets tr[data-indicator='税收收入']").count() == 1
    assert page.locator(f"#units a[href='/supervision/tasks/{task.number}/']").count() == 1
    page.wait_for_selector("#project-map[data-features='1']", state="attached")
    shot(page, "61-supervision-board")
    assert page.js_errors == []

    pdf = tmp_path / "方案.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% plan\n")
    unit = new_page("h_city", size=(1920, 1080))
    unit.goto(f"/supervision/tasks/{task.number}/")
    unit.fill("#report-form textarea[name=text]", "方案已印发，东河清淤过半")
    unit.fill("#report-form input[name=percent]", "45")
    unit.set_input_files("#report-form input[name=files]", str(pdf))
    unit.click("#report-form button")
    unit.wait_for_selector("#reports .ti-paperclip")
    assert "方案已印发" in unit.locator("#reports").inner_text()
    task.refresh_from_db()
    assert task.progress == 45
    shot(unit, "62-supervision-task")
    assert unit.js_errors == []
