from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jingwu.registry"
    verbose_name = _("基础信息与关爱服务")

    def ready(self) -> None:
        from jingwu.cases import origins

        from . import services

        # A need found on a visit is an ordinary case; its page links back to the person (for those who may
        # read them).
        origins.register(origins.Origin(kind=services.VISIT_KIND, link=services.visit_link))
        from django.utils.translation import gettext_noop

        from jingwu.web.jobs import register_exporter

        from . import pages

        register_exporter("registry.people", pages.people_sheet, gettext_noop("实有人口"), pages.may_export)

        from datetime import time

        from django.db import transaction
        from django.db.models.signals import post_save

        from jingwu.cases import jobs

        from .jobs import reschedule_group_task, reschedule_task
        from .models import CareGroup

        jobs.register(jobs.Job("registry_visit_plans", reschedule_task, at=time(0, 20)))

        def group_saved(sender: Any, instance: CareGroup, created: bool, **kwargs: Any) -> None:
            # A cycle changed or a group switched off in the admin: its people's visits again, after commit, in
            # the task worker (a group may hold thousands).
            if not created:
                transaction.on_commit(lambda: reschedule_group_task.enqueue(instance.pk))

        post_save.connect(group_saved, sender=CareGroup, dispatch_uid="registry-group-saved", weak=False)
