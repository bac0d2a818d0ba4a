"""Background exports: a list too long to build while the person waits is written here by the task worker."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from jingwu.lib import clock

from . import lists
from .export import write_csv, write_xlsx
from .models import Export

log = logging.getLogger(__name__)

# How long a finished export stays downloadable.
KEEP = timedelta(days=7)


@task()
def build_export(export_id: int) -> str:
    """Write one requested export. A repeated delivery of the same task finds it done and does nothing."""
    _purge()
    with transaction.atomic():
        job = Export.objects.select_for_update().select_related("user").filter(pk=export_id).first()
        if job is None or job.status != Export.Status.PENDING:
            return job.status if job else "gone"
    try:
        with translation.override(job.params.get("_lang") or None):
            listing = lists.case_list_for(job.user, job.params)
            header = [_(c) for c in lists.COLUMNS]
            with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as out:
                if job.fmt == "xlsx":
                    write_xlsx(out, _("案件"), header, lists.export_rows(listing))
                else:
                    write_csv(out, header, lists.export_rows(listing))
                out.seek(0)
                stamp = job.created_at.strftime("%Y%m%d-%H%M")
                job.file.save(f"jingwu-cases-{stamp}-{job.pk}.{job.fmt}", File(out), save=False)
        job.rows = listing.queryset.count()
        job.status = Export.Status.DONE
    except Exception as exc:  # the person sees 失败 and may ask again; the worker's log has the trace
        log.exception("export %s failed", export_id)
        job.status, job.error = Export.Status.FAILED, str(exc)[:200]
    job.finished_at = clock.now()
    job.save()
    return str(job.status)


def _purge() -> None:
    for old in Export.objects.filter(created_at__lt=clock.now() - KEEP):
        if old.file:
            old.file.delete(save=False)
        old.delete()
