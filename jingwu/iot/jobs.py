"""Background work of monitoring: offline detection every minute, the hourly rollup (and the daily one after
midnight) with the AQI rules, and next months' reading partitions."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def offline_task() -> int:
    from .alarms import check_offline

    return check_offline()


@task()
def rollup_task() -> dict[str, Any]:
    from .readings import rollup_hour

    return rollup_hour()


@task()
def partitions_task() -> list[str]:
    from .readings import ensure_partitions

    return ensure_partitions()
