"""Background exports: a list too long to build while the person waits is written here by the task worker."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from jingwu.dbrouter import replica_reads
from jingwu.lib import clock

from . import lists
from .export import write_csv, write_xlsx
from .models import Export

log = logging.getLogger(__name__)

# How long a finished export stays downloadable.
KEEP = timedelta(days=7)


@dataclass
class Sheet:
    """What another list's background export writes: built again by the worker from the query the person had,
    for that person (a builder re-checks that they may still have it)."""

    name: str
    header: list[str]
    rows: Iterable[list[str]]
    count: int
    stem: str


# kind → builder(user, params). The case list is built in ``build_export`` itself; domains add theirs (the
# safety registry and ledgers) when their app is ready.
EXPORTERS: dict[str, Callable[[Any, dict[str, Any]], Sheet]] = {}
# What each kind is called on 我的导出.
LABELS: dict[str, str] = {"cases": gettext_noop("案件")}
# Who may still fetch a file of each kind: the roles it needed are checked again at download, so a person who
# lost them in the week the file is kept cannot take it.
ALLOWED: dict[str, Callable[[Any], bool]] = {}


# kind → writer(job, out, progress): a file that is more than one sheet of rows (a monthly report with its
# charts). ``progress(done, total)`` shows how far it is on 我的导出; the writer returns (rows, file stem).
REPORTS: dict[str, Callable[[Export, Any, Callable[[int, int], None]], tuple[int, str]]] = {}


def register_report(
    kind: str,
    writer: Callable[[Export, Any, Callable[[int, int], None]], tuple[int, str]],
    label: str,
    allowed: Callable[[Any], bool],
) -> None:
    REPORTS[kind] = writer
    LABELS[kind] = label
    ALLOWED[kind] = allowed


def _progress(job: Export) -> Callable[[int, int], None]:
    """Store the share done at most once a percent, so a long export shows it moving without a write per row."""
    last = [-1]

    def tell(done: int, total: int) -> None:
        share = min(99, int(100 * done / total)) if total else 0
        if share > last[0]:
            last[0] = share
            Export.objects.filter(pk=job.pk).update(progress=share)

    return tell


def register_exporter(
    kind: str, builder: Callable[[Any, dict[str, Any]], Sheet], label: str, allowed: Callable[[Any], bool]
) -> None:
    EXPORTERS[kind] = builder
    LABELS[kind] = label
    ALLOWED[kind] = allowed


def may_fetch(job: Export) -> bool:
    kind = (job.params or {}).get("_kind", "cases")
    check = ALLOWED.get(kind)
    return check is None or check(job.user)


def start_export(user: Any, kind: str, params: Mapping[str, Any], rows: int, fmt: str = "xlsx") -> Any:
    """Queue a background export of another list and send the person to 我的导出, where it shows as 生成中
    until it is ready."""
    from django.conf import settings
    from django.shortcuts import redirect
    from django.utils.translation import get_language

    kept = {k: str(v) for k, v in params.items() if k not in ("format", "page", "export")}
    kept |= {"_kind": kind, "_lang": get_language() or settings.LANGUAGE_CODE}
    job = Export.objects.create(user=user, fmt=fmt, params=kept, rows=rows, created_at=clock.now())
    build_export.enqueue(job.pk)
    return redirect(f"/exports/?new={job.pk}")


@task()
def build_export(export_id: int) -> str:
    """Write one requested export. A repeated delivery of the same task finds it done and does nothing."""
    _purge()
    with transaction.atomic():
        job = Export.objects.select_for_update().select_related("user").filter(pk=export_id).first()
        if job is None or job.status != Export.Status.PENDING:
            return job.status if job else "gone"
    try:
        # The rows are read from the replica when there is one (a city's export of a year of cases is a long
        # scan); the job's own row, its progress and its file are written to the primary as always.
        with translation.override(job.params.get("_lang") or None), replica_reads():
            tell = _progress(job)
            kind = job.params.get("_kind", "cases")
            with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as out:
                if kind in REPORTS:
                    rows, stem = REPORTS[kind](job, out, tell)
                else:
                    sheet = _sheet(job)
                    counted = _counting(sheet.rows, sheet.count, tell)
                    if job.fmt == "xlsx":
                        write_xlsx(out, sheet.name, sheet.header, counted)
                    else:
                        write_csv(out, sheet.header, counted)
                    rows, stem = sheet.count, sheet.stem
                out.seek(0)
                from django.utils.timezone import localtime

                stamp = localtime(job.created_at).strftime("%Y%m%d-%H%M")  # as 申请时间 reads on 我的导出
                job.file.save(f"jingwu-{stem}-{stamp}-{job.pk}.{job.fmt}", File(out), save=False)
        job.rows = rows
        job.progress = 100
        job.status = Export.Status.DONE
    except Exception as exc:  # the person sees 失败 and may ask again; the worker's log has the trace
        log.exception("export %s failed", export_id)
        job.status, job.error = Export.Status.FAILED, str(exc)[:200]
    job.finished_at = clock.now()
    job.save()
    return str(job.status)


def _counting(rows: Iterable[list[Any]], total: int, tell: Callable[[int, int], None]) -> Iterator[list[Any]]:
    for done, row in enumerate(rows, 1):
        if done % 5000 == 0:
            tell(done, total)
        yield row


def _sheet(job: Export) -> Sheet:
    kind = job.params.get("_kind", "cases")
    if kind != "cases":
        return EXPORTERS[kind](job.user, job.params)
    listing = lists.case_list_for(job.user, job.params)
    header = [_(c) for c in lists.COLUMNS]
    total = listing.queryset.count()
    limit = lists.XLSX_LIMIT if job.fmt == "xlsx" else None
    rows = lists.export_rows(listing, limit)
    return Sheet(_("案件"), header, rows, min(total, limit) if limit else total, "cases")


def _purge() -> None:
    for old in Export.objects.filter(created_at__lt=clock.now() - KEEP):
        if old.file:
            old.file.delete(save=False)
        old.delete()
