"""Background work of the registry: the visit plans kept right as tags end and begin, and when a group's
cycle changes."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def reschedule_task() -> int:
    """Daily: people whose tag ended yesterday or begins today get their next visit worked out again."""
    return services.reschedule_ended()


@task()
def reschedule_group_task(group_id: int) -> None:
    services.reschedule_group(group_id)
