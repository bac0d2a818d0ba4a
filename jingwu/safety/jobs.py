"""Background work of the registry."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def relocate_task() -> int:
    """Every place's grid derived again from its location (after grids change)."""
    return services.relocate_all()


@task()
def plan_tasks() -> int:
    """Each plan's inspection tasks for the current period (daily; a period's tasks are made once)."""
    from .inspections import generate_tasks

    return generate_tasks()
