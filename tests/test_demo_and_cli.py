from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from jingwu.cases.choices import OPEN_STATES
from jingwu.cases.models import Case, CaseSupport, Transition
from jingwu.geo.models import Grid, Region
from jingwu.org.models import GridAssignment, Person
from jingwu.workcal.services import get_calendar

pytestmark = pytest.mark.django_db


SMALL = [
    "--cases",
    "120",
    "--inspections",
    "60",
    "--river-patrols",
    "30",
    "--grid-patrol-days",
    "7",
    "--petitions",
    "12",
    "--residents",
    "3000",
]


def test_demo_town_and_a_sample_of_its_year(capsys: Any) -> None:
    call_command("demo", "--no-serve", *SMALL)
    out = capsys.readouterr().out
    assert "shiftlead" in out and "jingwu-demo-2026" in out
    assert Grid.objects.count() == 125 and Region.objects.filter(level="village").count() == 18
    workers = Person.objects.filter(role="grid_worker")
    assert workers.count() == 100
    assert GridAssignment.objects.values("grid").distinct().count() == 125
    assert set(Person.objects.values_list("role", flat=True)) >= {
        "grid_worker",
        "operator",
        "shift_lead",
        "dispatcher",
        "handler",
        "leader",
        "admin",
        "auditor",
        "public",
    }
    assert Case.objects.count() >= 120
    # Every case's timeline starts with its report and each step follows from the last.
    for case in Case.objects.prefetch_related("transitions")[:200]:
        steps = list(case.transitions.all())
        assert steps[0].action == "report"
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(steps))
        assert steps[-1].to_state == case.status
    # The past year is handled; a few cases are still open today.
    open_cases = Case.objects.filter(status__in=OPEN_STATES, origin_kind="")
    assert 0 < open_cases.count() <= 30
    by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")))
    assert by_status["closed"] > 80
    assert Transition.objects.filter(action="dispatch").exists()
    # 承办人 and 协办 happen in the town's year; the command centre opens with fresh work in its first queues.
    assert Transition.objects.filter(action="assign").exists()
    replied = CaseSupport.objects.exclude(replied_at=None)
    assert replied.exists()  # a re-dispatch replaces the supporting departments: each reply left has its step
    for support in replied:
        assert Transition.objects.filter(
            case=support.case_id, action="support_reply", department=support.department_id
        ).exists()
    # The registry: the report's 62 key fire units and 108 VOC enterprises among a few hundred places, in grids.
    from jingwu.safety import uscc
    from jingwu.safety.models import Enterprise

    tags = [t for e in Enterprise.objects.all() for t in e.tags]
    assert tags.count("fire_key") == 62 and tags.count("voc") == 108 and Enterprise.objects.count() == 400
    assert not Enterprise.objects.filter(grid=None).exists()
    assert all(
        uscc.is_valid(c) for c in Enterprise.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
    )
    # A year of inspections through the services: each failed item a hazard case, most closed, the ledger
    # figures counted from them.
    from jingwu.safety.models import Hazard, Inspection

    assert Inspection.objects.count() == 60 and "inspected 60 times" in out
    hazards = Hazard.objects.select_related("case")
    assert hazards.count() >= 40 and all(h.case and h.case.status == h.status for h in hazards)
    assert hazards.filter(status="closed").count() >= 0.8 * hazards.count()
    for e in Enterprise.objects.exclude(last_inspected_at=None)[:50]:
        assert e.open_hazards == e.hazards.exclude(status__in=["closed", "voided", "merged"]).count()
        # Reporters rate closed cases; the centre called back those who were not satisfied, nearly all of them.
    rated = Case.objects.exclude(rated_at=None)
    assert rated.count() >= 5 and set(rated.values_list("satisfaction", flat=True)) <= {
        "satisfied",
        "basic",
        "unsatisfied",
    }
    assert by_status.get("reported", 0) + by_status.get("to_file", 0) >= 3 and by_status.get("to_dispatch", 0) >= 1
    # The monitoring devices: the 62 key fire units' panels and the 108 VOC monitors at their places, air and
    # water stations, LED screens; two days of hourly figures give an AQI.
    from jingwu.iot.choices import DeviceType
    from jingwu.iot.models import Device, Reading, Screen
    from jingwu.iot.readings import latest_hour, town_hour

    fire_key = [e.pk for e in Enterprise.objects.all() if "fire_key" in e.tags]
    assert Device.objects.filter(type=DeviceType.FIRE_PANEL, place__in=fire_key).count() == 62
    assert Device.objects.filter(type=DeviceType.VOC).exclude(place=None).count() == 108
    assert Device.objects.filter(type=DeviceType.AIR).count() >= 5 and Screen.objects.count() == 15
    assert not Device.objects.filter(grid=None).exists()
    assert Reading.objects.filter(kind="hour").count() > 1000 and "LED screens" in out
    hour = latest_hour()
    assert hour is not None and town_hour(hour)[0] is not None
    # Reports of the past come at working times the calendar knows.
    assert get_calendar() is not None
    # The rivers (the report's two named channels among thirteen), their chiefs, the town chiefs' river patrols
    # with their findings in the loop, and a week of the grid workers' daily patrols.
    from jingwu.patrols.models import Finding, Patrol, River, RiverChief

    assert River.objects.count() == 13 and set(River.objects.values_list("name", flat=True)) >= {
        "陈台子排河",
        "程村排河",
    }
    assert RiverChief.objects.filter(level="town").count() == 13
    river = Patrol.objects.filter(kind="river")
    assert river.count() == 30 and not river.filter(state="active").exists()
    assert Finding.objects.filter(patrol__kind="river").count() == round(30 * 59 / 538)
    assert all(f.case.category.code == "90004" for f in Finding.objects.filter(patrol__kind="river"))
    grid = Patrol.objects.filter(kind="grid")
    assert 300 <= grid.count() <= 600 and grid.filter(coverage__gt=0).count() == grid.count()
    assert "river patrols" in out and "grid patrols" in out
    # Petitions and deputies' suggestions: the 11 of the session, all answered.
    from jingwu.petitions.models import Petition, Suggestion

    assert Petition.objects.count() == 12 and Suggestion.objects.count() == 11
    assert "petitions" in out
    # Supervision: the seed report read and confirmed (the 2020 targets DOMAIN.md lists, the 2019 figures of the
    # steered indicators as history), its tasks all done in 2020, this year's tasks with some late and chased,
    # the 2019 livelihood projects as the report gives them, the villages' audit findings through the loop.
    from jingwu.supervision.models import Actual, AuditFinding, Notice, Project, Target, Task

    t2020 = {
        t.indicator.name: (t.value, t.growth_pct) for t in Target.objects.filter(year=2020).select_related("indicator")
    }
    assert t2020["税收收入"] == (18, 0) and t2020["固定资产投资"] == (130, Decimal("10.2"))
    assert t2020["规模工业总产值"] == (158, Decimal("4.6")) and t2020["限上批零销售额"] == (240, Decimal("6.7"))
    assert t2020["津外内资到位额"] == (63, None)
    est = Actual.objects.get(indicator__name="固定资产投资", year=2019, kind="estimate")  # the report's 固定资产投入
    assert (est.value, est.growth_pct) == (118, Decimal("84.5"))
    assert Task.objects.filter(year=2020, source="report").count() >= 20
    assert not Task.objects.filter(year=2020).exclude(status="done").exists()
    assert Notice.objects.filter(kind="ducha").exists() and Task.objects.filter(status="open").exists()
    p2019 = Project.objects.filter(year=2019)
    assert p2019.count() == 29 and len({p.category for p in p2019}) == 10
    assert sum(p.budget for p in p2019) == 142200  # 14.22 亿元
    findings = AuditFinding.objects.select_related("case")
    assert findings.count() >= 18 and findings.filter(case__status="closed").exists()
    assert "audit findings" in out
    _assert_registry(out)
    _assert_stats(out)
    # Running it again keeps the data.
    call_command("demo", "--no-serve", *SMALL)
    assert "already loaded" in capsys.readouterr().out


def _assert_stats(out: str) -> None:
    """The year is rolled up, and the rollup gives the figures the cases give."""
    from jingwu.lib import clock
    from jingwu.stats import rollup
    from jingwu.stats.models import DailyStat

    assert "days of statistics" in out
    last = rollup.rolled_until()
    assert last is not None and DailyStat.objects.filter(dim="region").exists()
    now = clock.now()
    start = now - timedelta(days=200)
    rolled, live = rollup.flow(start, now, "region", now), rollup.live(start, now, "region")
    assert rolled.keys() == live.keys()
    for key, figures in live.items():
        # 上报, 立案, 结案 happen once in a case's life: the days add up to the period. A step a case may take again
        # (派遣 after 回退, 反馈 after 返工) counts once a day, so a period's sum may count such a case twice.
        for figure in ("reported", "filed", "closed"):
            assert rolled[key][figure] == figures[figure], (key, figure)
        for figure in ("dispatched", "fed_back", "returned", "reworked"):
            assert figures[figure] <= rolled[key][figure], (key, figure)
    for figure in ("dispatched", "fed_back"):
        cases = sum(f[figure] for f in live.values())
        assert sum(f[figure] for f in rolled.values()) <= cases * 1.15, figure


def _assert_registry(out: str) -> None:
    """The grid registry: addresses in their grids, households and people with well-formed ID numbers, care
    groups with their records, a year of aid, enrolments and visits (some overdue today, a few needs in the
    loop), proposals waiting for the steward."""
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from jingwu.geo.services import locate
    from jingwu.lib import idcard
    from jingwu.registry import access, services
    from jingwu.registry.models import (
        Address,
        Benefit,
        CareTag,
        Enrolment,
        Household,
        Proposal,
        Residence,
        Resident,
        VeteranRecord,
        Visit,
    )

    assert "standard addresses" in out and "residents" in out
    people = Resident.objects.current()
    assert 2400 <= people.count() <= 3600 and 700 <= Household.objects.count() <= 1300
    assert 500 <= Address.objects.count() <= 1200 and Address.objects.filter(rented=True).exists()
    for a in Address.objects.order_by("?")[:100]:
        where = locate(a.lon, a.lat)
        assert where is not None and (where.grid_id, where.region_id) == (a.grid_id, a.region_id)
    assert not people.filter(grid=None).exists() and not people.exclude(grid=F("address__grid")).exists()
    homes = Residence.objects.filter(until__isnull=True)
    assert not people.exclude(pk__in=homes.values("resident_id")).exists()
    assert not homes.exclude(resident__left="").exists()  # those who left have no current home
    kinds = dict(people.values_list("kind").annotate(n=Count("id")))
    assert 0.08 <= kinds["floating"] / people.count() <= 0.25 and kinds.get("overseas", 0) >= 1
    numbered = list(Resident.objects.exclude(id_key=""))
    assert numbered and all(idcard.valid(r.id_number) for r in numbered)
    for r in numbered[:300]:
        derived = services._derived({"name": r.name, "id_number": r.id_number, "phone": r.phone})
        assert all(getattr(r, k) == v for k, v in derived.items())
    assert people.filter(kind="overseas", id_key="").exists()
    # Care groups in a town's proportions, each with what its kind needs.
    groups = dict(CareTag.objects.values_list("group__code").annotate(n=Count("resident", distinct=True)))
    n = people.count()
    assert set(groups) == {
        "dibao",
        "tekun",
        "low_income",
        "disabled",
        "alone_elderly",
        "left_behind",
        "veteran",
        "key_person",
    }
    assert 0.01 <= groups["dibao"] / n <= 0.02 and 0.04 <= groups["disabled"] / n <= 0.06
    assert not CareTag.objects.filter(group__code="disabled").filter(grade=None).exists()
    assert VeteranRecord.objects.count() == groups["veteran"]
    assert Benefit.objects.filter(kind="低保金").values("month").distinct().count() == 12
    assert Enrolment.objects.filter(scheme="medical").count() > Enrolment.objects.filter(scheme="pension").count()
    # A year of visits; some people are overdue today; a few needs became cases that ran the loop.
    assert Visit.objects.count() > 10 * groups["alone_elderly"]
    assert people.filter(visit_due__lt=services.today()).exists()
    needs = Visit.objects.exclude(case=None).select_related("case")
    assert needs.count() >= 6 and all(v.case.origin_kind == "registry.visit" for v in needs)
    assert needs.filter(case__status="closed").exists() and needs.exclude(case__status="closed").exists()
    assert Proposal.objects.filter(state="pending").count() >= 3
    # The social-affairs office keeps the registry; a grid worker reads only their grids' people.
    User = get_user_model()
    steward = access.scope_of(User.objects.get(username="h_b06"))
    assert steward is not None and steward.grids is None and steward.edit
    worker = User.objects.get(username="gw001")
    someone = people.filter(grid__in=worker.person.grids.all()).first()
    assert someone is not None and services.search(worker, someone.name).filter(pk=someone.pk).exists()
    assert not services.search(worker, "").exclude(grid__in=worker.person.grids.all()).exists()


def test_cli_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jingwu.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("demo", "serve", "worker", "import-grids", "create-admin"):
        assert command in out


def test_workflow_diagram_command(capsys: Any) -> None:
    call_command("workflow_diagram")
    assert "stateDiagram-v2" in capsys.readouterr().out
