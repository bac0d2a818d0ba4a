from __future__ import annotations

from django_tasks import task

from .rollup import rollup_pending


@task()
def rollup_task() -> int:
    """Roll yesterday, and any day before it the worker missed."""
    return len(rollup_pending())


@task()
def refresh_figures(key: str, lang: str) -> None:
    """The overview's or a big screen's figures computed again for the shared cache (``figures.shared``)."""
    from .figures import refresh

    refresh(key, lang)
