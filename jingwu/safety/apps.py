from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


def _queue() -> None:
    from .jobs import relocate_task

    relocate_task.enqueue()


def grids_changed(**kwargs: Any) -> None:
    """Grids drawn anew or moved: every place's grid is derived again by the task worker, once per
    transaction however many grids it saved (a rolled-back one queues nothing)."""
    from django.db import transaction

    pending = transaction.get_connection().run_on_commit
    if any(entry[1] is _queue for entry in pending):
        return
    transaction.on_commit(_queue)


class SafetyConfig(AppConfig):
    name = "jingwu.safety"
    verbose_name = _("安全生产")

    def ready(self) -> None:
        from datetime import time

        from django.db.models.signals import post_delete, post_save

        from jingwu.cases import jobs, origins
        from jingwu.geo.models import Grid
        from jingwu.web.jobs import register_exporter

        from . import inspections, pages, views
        from .jobs import plan_tasks

        origins.register(inspections.ORIGIN)
        from jingwu.org.choices import SEE_ALL
        from jingwu.org.services import roles_of

        from .api import REVEAL

        def reveals(user: Any) -> bool:
            return bool(set(roles_of(user)) & REVEAL)

        def reads_ledgers(user: Any) -> bool:
            return bool(set(roles_of(user)) & SEE_ALL)

        register_exporter("safety.registry", views.registry_sheet, gettext_noop("生产经营单位"), reveals)
        register_exporter("safety.hazards", pages.hazards_sheet, gettext_noop("隐患明细"), reads_ledgers)
        register_exporter("safety.ledger", pages.ledger_sheet, gettext_noop("动态监管台账"), reads_ledgers)
        jobs.register(jobs.Job("safety_plan_tasks", plan_tasks, at=time(0, 30)))
        post_save.connect(grids_changed, sender=Grid, dispatch_uid="safety-grid-save", weak=False)
        post_delete.connect(grids_changed, sender=Grid, dispatch_uid="safety-grid-delete", weak=False)
