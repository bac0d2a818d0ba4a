from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "jingwu.patrols"
    verbose_name = _("巡查巡河")
