"""Background jobs the task worker runs on a schedule: warnings before deadlines, escalation (督办) when
late, and the nightly rollup. Each job is idempotent for its slot, so a retried or doubled run does no harm,
and each reads the one clock (``lib.clock``), so tests drive them under a pinned time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django_tasks import task

from jingwu.lib import clock
from jingwu.lib.errors import ServiceError
from jingwu.org import actors

from .choices import OPEN_STATES, Action, State
from .models import Case, ScheduledRun, Transition

BATCH = 500


def warn_due_soon(now: datetime | None = None) -> int:
    """A timeline note on every open case whose deadline falls within the warning window: once per deadline."""
    from . import services

    now = now or clock.now()
    window = timedelta(minutes=settings.JINGWU_WARN_BEFORE_MIN)
    soon = Case.objects.filter(status__in=OPEN_STATES, due_at__gt=now, due_at__lte=now + window).order_by("due_at")
    made = 0
    for case in soon.only("id", "due_at", "status", "dispatched_at")[:BATCH]:
        assert case.due_at is not None
        # A deadline shorter than twice the window (an alarm's 30 minutes) is warned at half its length, not the
        # moment it is set.
        if case.status == State.HANDLING and case.dispatched_at is not None:
            given = case.due_at - case.dispatched_at
            if given < 2 * window and case.due_at - now > given / 2:
                continue
        minutes = int((case.due_at - now).total_seconds() // 60)
        key = f"warn:{case.pk}:{int(case.due_at.timestamp())}"
        before = Transition.objects.filter(case_id=case.pk).count()
        services.add_note(
            case.pk,
            actor=actors.SCHEDULER,
            text=gettext("即将超时：距当前时限还有%(minutes)s分钟") % {"minutes": minutes},
            client_key=key,
            data={"warning": "due_soon", "due_at": case.due_at.isoformat()},
        )
        made += Transition.objects.filter(case_id=case.pk).count() - before
    return made


def escalate_overdue(now: datetime | None = None) -> int:
    """督办: one escalation step on every open case past its deadline, once per deadline."""
    from . import services

    now = now or clock.now()
    late = Case.objects.overdue(now).order_by("due_at").only("id", "version", "due_at", "status")[:BATCH]
    made = 0
    for case in late:
        assert case.due_at is not None
        key = f"esc:{case.pk}:{int(case.due_at.timestamp())}"
        try:
            after = services.perform(
                case.pk,
                Action.ESCALATE,
                actor=actors.SCHEDULER,
                version=case.version,
                data=services.ActionInput(
                    reason="overdue", note=f"超过时限 {case.due_at:%Y-%m-%d %H:%M}", client_key=key
                ),
            )
        except ServiceError:
            continue  # someone acted first; the next run sees the new state
        made += after.version != case.version  # the same version back: escalated already for this deadline
    return made


def erase_personal_data(now: datetime | None = None) -> int:
    """PIPL art. 19 and 47: a reporter's name and contact, and what an Open311 client sent about them, are
    erased once ``JINGWU_PERSONAL_DATA_DAYS`` have passed since the case ended (closed, voided or merged).
    The case, its timeline and its statistics stay. Returns the number of cases erased."""
    from jingwu.audit import services as audit
    from jingwu.open311.models import ServiceRequest

    from .choices import FINISHED_STATES

    now = now or clock.now()
    cutoff = now - timedelta(days=settings.JINGWU_PERSONAL_DATA_DAYS)
    ended = Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, updated_at__lt=cutoff)
    sent = ~Q(open311__email="") | ~Q(open311__device_id="") | ~Q(open311__account_id="") | ~Q(open311__attributes={})
    held = ~Q(reporter_name="") | ~Q(reporter_phone="") | (Q(open311__isnull=False) & sent)
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(
                Case.objects.filter(ended, held, status__in=FINISHED_STATES)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            Case.objects.filter(pk__in=ids).update(reporter_name="", reporter_phone="")
            # The client's answers to service attributes are free text a citizen typed: erased too.
            ServiceRequest.objects.filter(case_id__in=ids).update(email="", device_id="", account_id="", attributes={})
            audit.record(
                "privacy.erase",
                "case",
                f"{ids[0]}..{ids[-1]}",
                data={
                    "cases": len(ids),
                    "before": cutoff.isoformat(),
                    "fields": [
                        "reporter_name",
                        "reporter_phone",
                        "open311.email",
                        "open311.device_id",
                        "open311.account_id",
                        "open311.attributes",
                    ],
                },
            )
            erased += len(ids)
    return erased


@task()
def erase_task() -> int:
    return erase_personal_data()


@task()
def warn_task() -> int:
    return warn_due_soon()


@task()
def escalate_task() -> int:
    return escalate_overdue()


@task()
def seal_task() -> int:
    from jingwu.audit import seal

    sealed = 0
    while (made := seal.seal()) is not None:
        sealed += made.count
    return sealed


@task()
def audit_partitions_task() -> list[str]:
    """Next months' partitions of the audit log (PostgreSQL), made ahead of the rows that will need them."""
    from jingwu.lib.partitions import ensure_monthly

    return ensure_monthly("audit_auditevent")


@dataclass(frozen=True)
class Job:
    name: str
    task: Any
    every: timedelta | None = None  # run every so often, in slots aligned to the hour
    at: time | None = None  # or once a day at this local time

    def slot(self, now: datetime, tz: Any) -> datetime:
        local = now.astimezone(tz)
        if self.every is not None:
            step = int(self.every.total_seconds())
            midnight = datetime.combine(local.date(), time.min, tzinfo=tz)
            seconds = int((local - midnight).total_seconds())
            return midnight + timedelta(seconds=seconds - seconds % step)
        assert self.at is not None
        today = datetime.combine(local.date(), self.at, tzinfo=tz)
        return today if local >= today else today - timedelta(days=1)


JOBS = [
    Job("warn_due_soon", warn_task, every=timedelta(minutes=5)),
    Job("escalate_overdue", escalate_task, every=timedelta(minutes=5)),
    Job("audit_seal", seal_task, every=timedelta(minutes=5)),
    Job("erase_personal_data", erase_task, at=time(2, 0)),
    Job("audit_partitions", audit_partitions_task, at=time(1, 20)),
]


def register(job: Job) -> Job:
    """A domain's own scheduled job (the safety module's inspection tasks), added when its app is ready."""
    if all(j.name != job.name for j in JOBS):
        JOBS.append(job)
    return job


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue each job whose current slot no node has claimed yet. Called by every worker every few seconds."""
    from jingwu.workcal.services import get_calendar

    now = now or clock.now()
    tz = get_calendar().tz
    queued = []
    for job in JOBS:
        slot = job.slot(now, tz)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=slot, enqueued_at=now)
                job.task.enqueue()
        except IntegrityError:
            continue  # already claimed for this slot, here or on another node
        queued.append(job.name)
    return queued
