from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "jingwu.cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from . import refs  # noqa: F401  (connects the reference-cache signals)
