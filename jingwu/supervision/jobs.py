from __future__ import annotations

from django_tasks import task


@task()
def notices_task() -> int:
    from .services import send_notices

    return send_notices()
