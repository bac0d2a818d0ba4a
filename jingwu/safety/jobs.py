"""Background work of the registry."""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from django_tasks import task

from . import services

log = logging.getLogger(__name__)


@task()
def relocate_task() -> int:
    """Every place's grid derived again from its location (after grids change)."""
    return services.relocate_all()


@task()
def plan_tasks() -> int:
    """Each plan's inspection tasks for the current period (daily; a period's tasks are made once)."""
    from .inspections import generate_tasks

    return generate_tasks()


@task()
def import_registry(job_id: int) -> str:
    """A registry import too long to do while the person waits: all or nothing, as ever, with its progress on
    the job for the page to show. A repeated delivery finds it started and does nothing."""
    from dataclasses import asdict

    from django.db import transaction

    from jingwu.lib import clock

    from . import excel
    from .models import ImportJob

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("user").filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.PENDING:
            return job.status if job else "gone"
        job.status = ImportJob.Status.CHECKING
        job.save(update_fields=["status"])

    def progress(phase: str, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(status=phase, done=done, total=total)

    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        report = excel.import_file(data, actor=job.user, progress=progress)
    except Exception:  # a file that breaks the reader halfway: refused, said so, and not kept
        log.exception("registry import %s failed", job_id)
        message = gettext("文件无法读取，未导入任何记录")
        report = excel.ImportReport(errors=[{"row": 0, "column": "", "value": "", "message": message}])
    job.refresh_from_db()
    job.report = asdict(report)
    job.done = job.total = report.rows
    job.status = ImportJob.Status.DONE if report.ok else ImportJob.Status.REFUSED
    job.finished_at = clock.now()
    job.save()
    job.file.delete(save=True)  # the upload carries personal data: kept only while it is being imported
    return str(job.status)
