from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IotConfig(AppConfig):
    name = "jingwu.iot"
    verbose_name = _("物联监测")

    def ready(self) -> None:
        from datetime import time, timedelta

        from django.db.models.signals import post_delete, post_save

        from jingwu.cases import jobs, origins

        from . import alarms
        from .jobs import offline_task, partitions_task, rollup_task
        from .models import Rule

        origins.register(alarms.ORIGIN)
        jobs.register(jobs.Job("iot_offline", offline_task, every=timedelta(minutes=1)))
        jobs.register(jobs.Job("iot_rollup", rollup_task, every=timedelta(hours=1)))
        jobs.register(jobs.Job("iot_partitions", partitions_task, at=time(1, 15)))

        def rules_changed(**kwargs: object) -> None:
            alarms.forget_rules()

        post_save.connect(rules_changed, sender=Rule, dispatch_uid="iot-rule-save", weak=False)
        post_delete.connect(rules_changed, sender=Rule, dispatch_uid="iot-rule-delete", weak=False)
