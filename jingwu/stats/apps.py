from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "jingwu.stats"
    label = "stats"
    verbose_name = _("统计评价")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from datetime import time

        from django.utils.translation import gettext_noop

        from jingwu.cases import jobs
        from jingwu.org.services import has_role
        from jingwu.web.jobs import register_report

        from .api import READERS
        from .jobs import rollup_task
        from .reports import build_report

        jobs.register(jobs.Job("daily_rollup", rollup_task, at=time(1, 0)))
        register_report("stats.report", build_report, gettext_noop("统计报告"), lambda user: has_role(user, *READERS))
