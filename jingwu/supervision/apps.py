from __future__ import annotations

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jingwu.supervision"
    verbose_name = _("督查督办")

    def ready(self) -> None:
        from jingwu.cases import jobs, origins

        from . import services
        from .jobs import notices_task

        # An audit finding's case links back to the finding; the case runs the loop as any other.
        origins.register(
            origins.Origin(kind=services.AUDIT_ORIGIN, link=services.finding_link, may_check=services.office_checks)
        )
        # Reminders and 督办 notices: each is sent once, so the hourly run only finds what is new.
        jobs.register(jobs.Job("supervision_notices", notices_task, every=timedelta(hours=1)))
