from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _session_settings(sender: Any, connection: Any, **kwargs: Any) -> None:
    """PostgreSQL's JIT compiles a plan's expressions when its estimated cost is high, which the statistics'
    aggregates over a city's cases reach: measured on the benchmark city it spent 9–47 ms compiling
    statements that run in 10–60 ms (``jingwu explain-hot --analyze``). The requests here are short and
    many; they run better interpreted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")


class OpsConfig(AppConfig):
    name = "jingwu.ops"
    verbose_name = _("运维")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_session_settings, dispatch_uid="jingwu-pg-session")
