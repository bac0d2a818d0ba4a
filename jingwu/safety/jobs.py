"""Background work of the registry."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def relocate_task() -> int:
    """Every place's grid derived again from its location (after grids change)."""
    return services.relocate_all()
