from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "jingwu.safety"
    verbose_name = _("安全生产")
