"""Every path and side path of the loop, through the service functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from jingwu.audit.models import AuditEvent
from jingwu.cases import services
from jingwu.cases.models import Attachment, Case, Transition
from jingwu.cases.signals import case_changed
from jingwu.cases.workflow import STEPS, find_step, mermaid
from jingwu.lib.errors import Conflict, Forbidden, Invalid, InvalidState

from .conftest import IN_A, IN_B, OUTSIDE, TZ, jpeg
from .flows import act, public_report, to_state, worker_report

pytestmark = pytest.mark.django_db


def actions(case: Case) -> list[tuple[str, str, str]]:
    return list(Transition.objects.filter(case=case).order_by("seq").values_list("action", "from_state", "to_state"))


def test_grid_worker_main_path_with_deadlines(cast: Any, at: Any) -> None:
    c = worker_report(cast)
    assert c.status == "to_file" and c.source == "grid_worker"
    assert c.grid.code == "120111103201001" and c.region.name == "甲村"
    assert c.number.startswith("JW2026") and len(c.tracking_code) == 8
    # Stage limit: 30 working minutes to file.
    assert c.due_at == at.now + timedelta(minutes=30)
    at.move(datetime(2026, 3, 2, 9, 10, tzinfo=TZ))
    c = act(c, "file", cast["shiftlead"])
    assert c.condition is not None and c.condition.limit_value == 2 and c.condition.limit_unit == "work_hours"
    at.move(datetime(2026, 3, 2, 11, 0, tzinfo=TZ))
    c = act(c, "dispatch", cast["dispatcher"], department="B05")
    # 占道经营: 2 工作时 from 11:00 crosses lunch (12:00-13:00) → 14:00.
    assert c.status == "handling" and c.department.code == "B05"
    assert c.handling_deadline == datetime(2026, 3, 2, 14, 0, tzinfo=TZ) == c.due_at
    at.move(datetime(2026, 3, 2, 13, 30, tzinfo=TZ))
    c = act(c, "feedback", cast["h_city"], photos=[jpeg()], note="已清理")
    assert c.status == "to_check" and c.handled_on_time is True
    c = act(c, "check", cast["gw_a"], outcome="pass", photos=[jpeg((0, 0, 200))])
    c = act(c, "close", cast["shiftlead"])
    assert c.status == "closed" and c.closed_at == at.now and c.due_at is None
    assert actions(c) == [
        ("report", "", "to_file"),
        ("file", "to_file", "to_dispatch"),
        ("dispatch", "to_dispatch", "handling"),
        ("feedback", "handling", "to_check"),
        ("check", "to_check", "to_close"),
        ("close", "to_close", "closed"),
    ]
    assert c.version == 6
    assert Attachment.objects.filter(case=c).count() == 3
    # Stage timeliness is recorded on each transition that left a clocked state.
    t_file = Transition.objects.get(case=c, action="file")
    assert t_file.on_time is True
    assert Transition.objects.get(case=c, action="dispatch").on_time is False  # 1h40 > 30 min limit


def test_public_report_is_verified_on_site_first(cast: Any, at: Any) -> None:
    c = public_report(cast, reporter_name="张三", reporter_phone="13800001111")
    assert c.status == "reported" and c.source == "public"
    c = act(c, "send_to_verify", cast["operator"])
    assert c.status == "verifying"
    with pytest.raises(Invalid, match="照片"):
        act(c, "verify", cast["gw_a"], outcome="confirmed")
    c = act(c, "verify", cast["gw_a"], outcome="confirmed", photos=[jpeg()])
    assert c.status == "to_file"


def test_verify_not_found_voids_with_a_reason(cast: Any, at: Any) -> None:
    c = to_state(cast, "verifying")
    with pytest.raises(Invalid, match="原因"):
        act(c, "verify", cast["gw_a"], outcome="not_found")
    c = act(c, "verify", cast["gw_a"], outcome="not_found", reason="not_found", note="现场无此问题")
    assert c.status == "voided" and c.due_at is None


def test_only_the_grids_own_worker_verifies(cast: Any, at: Any) -> None:
    c = to_state(cast, "verifying")
    with pytest.raises(Forbidden):
        act(c, "verify", cast["gw_b"], outcome="confirmed", photos=[jpeg()])


def test_accept_skips_verification(cast: Any, at: Any) -> None:
    c = act(public_report(cast), "accept", cast["operator"])
    assert c.status == "to_file"


def test_a_grid_worker_outside_own_grid_is_verified_like_anyone(cast: Any, at: Any) -> None:
    c = services.report_case(
        actor=cast["gw_a"], lon=IN_B[0], lat=IN_B[1], description="x", category="matter:06010"
    ).case
    assert c.status == "reported"


def test_void_by_shift_lead_and_spam_by_operator(cast: Any, at: Any) -> None:
    c = act(to_state(cast, "to_file"), "void", cast["shiftlead"], reason="not_in_scope")
    assert c.status == "voided"
    with pytest.raises(Forbidden):
        act(to_state(cast, "reported"), "void", cast["operator"], reason="duplicate")
    c = act(to_state(cast, "reported"), "void", cast["operator"], reason="spam")
    assert c.status == "voided"


def test_return_and_redispatch_restarts_the_handling_clock(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    assert c.department.code == "W07"  # routing: 市容环境 → 环卫公司
    with pytest.raises(Forbidden):
        act(c, "return", cast["h_city"], reason="not_ours")  # not their case
    at.move(at.now + timedelta(hours=1))
    c = act(c, "return", cast["h_env"], reason="not_ours", note="应由城建办处理")
    assert c.status == "returned" and c.department is None and c.return_count == 1
    assert c.due_at == at.now + timedelta(minutes=60)
    # The dispatcher sees the routing suggestion but chooses another unit.
    assert services.suggested_department(c).code == "W07"  # type: ignore[union-attr]
    at.move(at.now + timedelta(minutes=20))
    c = act(c, "dispatch", cast["dispatcher"], department="B05")
    assert c.status == "handling" and c.department.code == "B05"
    assert c.handling_deadline == services.get_calendar().add_limit(at.now, c.condition.limit)
    # The returning department still sees the case it returned.
    assert Case.objects.visible_to(cast["h_env"]).filter(pk=c.pk).exists()


def test_extension_first_by_shift_lead_further_by_leader(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    first = c.handling_deadline
    with pytest.raises(InvalidState):
        act(c, "approve_extension", cast["shiftlead"])
    c = act(c, "request_extension", cast["h_env"], reason="rain", extension=services.Limit(1, "work_days"))
    assert c.pending_extension["value"] == 1 and c.handling_deadline == first
    with pytest.raises(InvalidState):
        act(c, "request_extension", cast["h_env"], reason="again", extension=services.Limit(1, "work_days"))
    c = act(c, "approve_extension", cast["shiftlead"])
    assert c.extension_count == 1 and c.pending_extension is None
    assert c.handling_deadline == services.get_calendar().add_limit(first, services.Limit(1, "work_days"))
    c = act(c, "request_extension", cast["h_env"], reason="more", extension=services.Limit(2, "work_hours"))
    with pytest.raises(Forbidden, match="领导"):
        act(c, "approve_extension", cast["shiftlead"])
    c = act(c, "deny_extension", cast["leader"], reason="no")
    assert c.extension_count == 1 and c.pending_extension is None
    with pytest.raises(Invalid, match="延期"):
        act(c, "request_extension", cast["h_env"], reason="x")


def test_an_extended_case_is_on_time_against_the_new_deadline(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")  # 暴露垃圾: 4 工作时
    c = act(c, "request_extension", cast["h_env"], reason="rain", extension=services.Limit(1, "work_days"))
    c = act(c, "approve_extension", cast["shiftlead"])
    at.move(c.handling_deadline - timedelta(minutes=1))
    c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    assert c.handled_on_time is True


def test_late_feedback_is_not_on_time_and_overdue_is_derived(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    assert not Case.objects.overdue(at.now).filter(pk=c.pk).exists()
    at.move(c.handling_deadline + timedelta(minutes=1))
    assert Case.objects.overdue(at.now).filter(pk=c.pk).exists()
    assert c.is_overdue(at.now)
    c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    assert c.handled_on_time is False
    assert Transition.objects.get(case=c, action="feedback").on_time is False


def test_failed_check_is_rework_with_the_original_deadline(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_check")
    deadline = c.handling_deadline
    with pytest.raises(Invalid, match="原因"):
        act(c, "check", cast["gw_a"], outcome="fail")
    c = act(c, "check", cast["gw_a"], outcome="fail", reason="not_done")
    assert c.status == "handling" and c.rework_count == 1 and c.handling_deadline == deadline == c.due_at
    c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    assert c.status == "to_check"


def test_suspend_and_resume(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    c = act(c, "suspend", cast["leader"], reason="long_term")
    assert c.status == "suspended" and c.due_at is None
    assert not Case.objects.open().filter(pk=c.pk).exists()
    at.move(at.now + timedelta(days=10))
    c = act(c, "resume", cast["leader"])
    assert c.status == "handling"
    assert c.handling_deadline == services.get_calendar().add_limit(at.now, c.condition.limit)


def test_self_resolve_needs_before_and_after_photos(cast: Any, at: Any) -> None:
    c = worker_report(cast)
    with pytest.raises(Invalid, match="2张照片"):
        act(c, "self_resolve", cast["gw_a"], photos=[jpeg()])
    c = act(c, "self_resolve", cast["gw_a"], photos=[jpeg(), jpeg((9, 9, 9))])
    assert c.status == "closed" and c.handled_on_time is True
    assert sorted(Attachment.objects.filter(case=c).values_list("kind", flat=True)) == ["after", "before", "report"]


def test_only_the_reporter_self_resolves(cast: Any, at: Any) -> None:
    c = public_report(cast)
    with pytest.raises(Forbidden):
        act(c, "self_resolve", cast["gw_a"], photos=[jpeg(), jpeg()])


def test_merge_into_an_open_case(cast: Any, at: Any) -> None:
    first = to_state(cast, "handling")
    dup = public_report(cast)
    assert first.pk in [d.pk for d in services.find_duplicates(dup)]
    with pytest.raises(Invalid):
        act(dup, "merge", cast["operator"], merge_into=dup.number)
    dup = act(dup, "merge", cast["operator"], merge_into=first.number)
    assert dup.status == "merged" and dup.merged_into_id == first.pk


def test_report_offers_nearby_open_cases_of_the_same_category(cast: Any, at: Any) -> None:
    first = public_report(cast)
    result = services.report_case(
        actor=cast["citizen"], lon=IN_A[0] + 0.0003, lat=IN_A[1], description="又见垃圾", category="matter:06010"
    )
    assert [d.pk for d in result.duplicates] == [first.pk]
    other = services.report_case(
        actor=cast["citizen"], lon=IN_B[0], lat=IN_B[1], description="far", category="matter:06010"
    )
    assert other.duplicates == []


def test_stale_version_is_refused(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_dispatch")
    services.perform(
        c.pk, "dispatch", actor=cast["dispatcher"], version=c.version, data=services.ActionInput(department="B05")
    )
    with pytest.raises(Conflict) as exc:
        services.perform(
            c.pk, "dispatch", actor=cast["dispatcher"], version=c.version, data=services.ActionInput(department="W07")
        )
    assert exc.value.details["current_version"] == c.version + 1
    c.refresh_from_db()
    assert c.department.code == "B05"


def test_a_retried_report_returns_the_same_case(cast: Any, at: Any) -> None:
    a = services.report_case(
        actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="x", client_key="phone-1-0001"
    )
    b = services.report_case(
        actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="x", client_key="phone-1-0001"
    )
    assert a.created and not b.created and a.case.pk == b.case.pk
    assert Case.objects.count() == 1 and Transition.objects.count() == 1
    # Keys are namespaced per caller: another account's phone may happen to use the same key.
    c = services.report_case(actor=cast["gw_a"], lon=IN_A[0], lat=IN_A[1], description="x", client_key="phone-1-0001")
    assert c.created and c.case.pk != a.case.pk and Case.objects.count() == 2


def test_a_retried_action_is_done_once(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_check")
    v = c.version
    for _ in range(2):
        services.perform(
            c.pk,
            "check",
            actor=cast["gw_a"],
            version=v,
            data=services.ActionInput(outcome="pass", photos=[jpeg()], client_key="chk-1"),
        )
    c.refresh_from_db()
    assert c.status == "to_close" and c.version == v + 1
    assert Transition.objects.filter(case=c, action="check").count() == 1


def test_actions_in_the_wrong_state_are_refused(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_file")
    with pytest.raises(InvalidState):
        act(c, "close", cast["shiftlead"])
    with pytest.raises(Invalid):
        act(c, "teleport", cast["shiftlead"])


def test_bad_input_loses_nothing(cast: Any, at: Any) -> None:
    before = (Case.objects.count(), Transition.objects.count(), AuditEvent.objects.count())
    bad_photo = jpeg()
    bad_photo.file.write(b"")  # a truncated upload
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(Invalid, match="图片"):
        services.report_case(
            actor=cast["gw_a"],
            lon=IN_A[0],
            lat=IN_A[1],
            description="x",
            photos=[SimpleUploadedFile("x.jpg", b"not an image")],
        )
    with pytest.raises(Invalid, match="辖区"):
        services.report_case(actor=cast["citizen"], lon=OUTSIDE[0], lat=OUTSIDE[1], description="x")
    with pytest.raises(Invalid, match="4000"):
        services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="长" * 4001)
    with pytest.raises(Invalid, match="类别"):
        services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="x", category="matter:99999")
    with pytest.raises(Invalid, match="坐标"):
        services.report_case(actor=cast["citizen"], lon=999, lat=IN_A[1], description="x")
    with pytest.raises(Forbidden):
        services.report_case(actor=cast["auditor"], lon=IN_A[0], lat=IN_A[1], description="x")
    assert (Case.objects.count(), Transition.objects.count(), AuditEvent.objects.count()) == before


def test_photos_lose_their_exif(cast: Any, at: Any) -> None:
    from PIL import Image

    c = services.report_case(
        actor=cast["gw_a"], lon=IN_A[0], lat=IN_A[1], description="x", photos=[jpeg(exif_gps=True)]
    ).case
    att = Attachment.objects.get(case=c)
    with att.file.open("rb") as fh, Image.open(fh) as img:
        assert not img.getexif()


def test_gcj02_and_bd09_reports_are_stored_in_wgs84(cast: Any, at: Any) -> None:
    from jingwu.lib import coords

    glon, glat = coords.from_wgs84(*IN_A, "gcj02")
    c = services.report_case(actor=cast["citizen"], lon=glon, lat=glat, crs="gcj02", description="x").case
    assert abs(c.lon - IN_A[0]) < 1e-7 and abs(c.lat - IN_A[1]) < 1e-7
    blon, blat = coords.from_wgs84(*IN_A, "bd09")
    c = services.report_case(actor=cast["citizen"], lon=blon, lat=blat, crs="bd09", description="x").case
    assert abs(c.lon - IN_A[0]) < 1e-7 and c.grid.code == "120111103201001"


def test_every_action_writes_a_transition_an_audit_row_and_an_event(cast: Any, at: Any) -> None:
    seen: list[str] = []

    def listener(**kw: Any) -> None:
        seen.append(kw["action"])

    case_changed.connect(listener, weak=False)
    try:
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            c = to_state(cast, "to_close")
    finally:
        case_changed.disconnect(listener)
    n = Transition.objects.filter(case=c).count()
    assert n == 5 and seen == ["report", "file", "dispatch", "feedback", "check"]
    assert AuditEvent.objects.filter(object_id=c.number).count() == 5
    ev = AuditEvent.objects.filter(object_id=c.number, action="case.dispatch").get()
    assert ev.actor == cast["dispatcher"] and ev.role == "dispatcher"


def test_audit_rows_cannot_be_changed_or_deleted(cast: Any, at: Any) -> None:
    public_report(cast)
    ev = AuditEvent.objects.first()
    assert ev is not None
    ev.action = "forged"
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        ev.delete()


def test_the_table_is_consistent_and_draws() -> None:
    for step in STEPS:
        for src in step.sources:
            assert find_step(src, step.action, step.outcome) is not None
    text = mermaid()
    assert text.startswith("stateDiagram-v2") and "handling --> to_check: feedback" in text


def test_visibility_per_role(cast: Any, at: Any) -> None:
    in_a = to_state(cast, "handling")  # dispatched to 环卫 (W07)
    in_b = services.report_case(
        actor=cast["citizen"], lon=IN_B[0], lat=IN_B[1], description="b", category="matter:06010"
    ).case
    private = services.report_case(
        actor=cast["operator"],
        lon=IN_B[0],
        lat=IN_B[1],
        description="信访",
        category="matter:90005",
        origin=("petitions.petition", "1"),  # only the petitions register raises 信访 cases
    ).case

    def sees(user: Any) -> set[int]:
        return set(Case.objects.visible_to(user).values_list("pk", flat=True))

    everything = {in_a.pk, in_b.pk, private.pk}
    # A petition (信访) is seen by the people on it and the leaders, not by the rest of the centre or the grid:
    # here the operator who registered it and the leader.
    for role in ("operator", "leader"):
        assert sees(cast[role]) == everything
    for role in ("shiftlead", "dispatcher", "auditor", "admin"):
        assert sees(cast[role]) == {in_a.pk, in_b.pk}
    assert sees(cast["gw_a"]) == {in_a.pk}
    assert sees(cast["gw_b"]) == {in_b.pk}
    assert sees(cast["h_env"]) == {in_a.pk}
    assert sees(cast["h_city"]) == set()
    from django.contrib.auth.models import AnonymousUser

    assert sees(AnonymousUser()) == {in_a.pk, in_b.pk}  # 信访 is not a public category


def test_docs_workflow_md_is_generated_from_the_table() -> None:
    from pathlib import Path

    from jingwu.cases.workflow import markdown

    text = (Path(__file__).parent.parent / "docs" / "workflow.md").read_text(encoding="utf-8")
    generated = text.split("<!-- BEGIN GENERATED -->\n")[1].split("<!-- END GENERATED -->")[0]
    assert generated == markdown(), "run: jingwu workflow-diagram --markdown, and paste it into docs/workflow.md"


def test_notes_change_no_state_and_never_conflict(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    v = c.version
    t = services.add_note(c.pk, actor=cast["dispatcher"], text="已电话联系责任单位")
    again = services.add_note(c.pk, actor=cast["dispatcher"], text="x", client_key="n1")
    assert services.add_note(c.pk, actor=cast["dispatcher"], text="x", client_key="n1").pk == again.pk
    c.refresh_from_db()
    assert c.version == v and c.status == "handling" and t.public_note == ""
    # An action with the version read before the note still goes through.
    act(c, "feedback", cast["h_env"], photos=[jpeg()])
    with pytest.raises(Forbidden):
        services.add_note(c.pk, actor=cast["citizen"], text="hi")
    with pytest.raises(Invalid):
        services.add_note(c.pk, actor=cast["operator"], text="  ")
