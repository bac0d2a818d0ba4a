from __future__ import annotations

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
