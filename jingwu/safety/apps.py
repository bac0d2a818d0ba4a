from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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

        from . import inspections
        from .jobs import plan_tasks

        origins.register(inspections.ORIGIN)
        jobs.register(jobs.Job("safety_plan_tasks", plan_tasks, at=time(0, 30)))
        post_save.connect(grids_changed, sender=Grid, dispatch_uid="safety-grid-save", weak=False)
        post_delete.connect(grids_changed, sender=Grid, dispatch_uid="safety-grid-delete", weak=False)
