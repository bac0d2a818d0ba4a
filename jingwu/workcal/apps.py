from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "jingwu.workcal"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import services
        from .models import Holiday

        def changed(**kwargs: object) -> None:
            services.calendar_cache.invalidate()

        post_save.connect(changed, sender=Holiday, dispatch_uid="workcal-holiday-save", weak=False)
        post_delete.connect(changed, sender=Holiday, dispatch_uid="workcal-holiday-delete", weak=False)
