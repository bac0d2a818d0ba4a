from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "jingwu.geo"
    verbose_name = _("区域与网格")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import services
        from .models import Grid, Region

        def changed(**kwargs: object) -> None:
            services.index_cache.invalidate()

        for model in (Grid, Region):
            post_save.connect(changed, sender=model, dispatch_uid=f"geo-{model.__name__}-save", weak=False)
            post_delete.connect(changed, sender=model, dispatch_uid=f"geo-{model.__name__}-delete", weak=False)
