"""The administration site under 三员分立 (``org/separation.py``).

Only the three administrators enter, each seeing what their role may touch; Django's superuser flag, which
would hold all three powers at once, is refused. Sign-in goes through the site's own login page, so that
lockout and the second factor apply here as everywhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The admin by task rather than by Python package: (section, model labels in order).
SECTIONS = (
    (_("网格与地图"), ("geo.region", "geo.grid", "geo.mapfeature")),
    (_("组织与人员"), ("org.department", "org.person", "auth.user", "org.apitoken")),
    (_("事项与流程"), ("cases.category", "cases.routingrule", "workcal.holiday", "cases.case")),
    (_("安全生产"), ("safety.enterprise",)),
    (
        _("督查督办"),
        (
            "supervision.indicator",
            "supervision.target",
            "supervision.actual",
            "supervision.task",
            "supervision.project",
        ),
    ),
    (_("基础信息与关爱服务"), ("registry.caregroup", "registry.steward")),
    (_("对外接口"), ("open311.apikey", "open311.serviceattribute", "open311.servicerequest")),
    (_("账号安全"), ("axes.accessattempt", "axes.accessfailurelog", "axes.accesslog", "otp_totp.totpdevice")),
    (_("审计"), ("audit.auditevent", "audit.auditseal", "admin.logentry")),
    (_("后台任务"), ("django_tasks_database.dbtaskresult",)),
)


class JingwuAdminSite(admin.AdminSite):
    site_header = _("智慧精武 · 系统管理")
    site_title = _("智慧精武")
    index_title = _("系统管理")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models = {f"{a['app_label']}.{m['object_name'].lower()}": m for a in apps for m in a["models"]}
        grouped: list[dict[str, Any]] = []
        placed: set[str] = set()
        for n, (title, labels) in enumerate(SECTIONS):
            found = [models[label] for label in labels if label in models]
            placed.update(label for label in labels if label in models)
            if found:
                grouped.append(
                    {
                        "name": title,
                        "app_label": f"section{n}",
                        "app_url": "",
                        "has_module_perms": True,
                        "models": found,
                    }
                )
        rest = [m for label, m in models.items() if label not in placed]
        if rest:
            grouped.append(
                {"name": _("其他"), "app_label": "other", "app_url": "", "has_module_perms": True, "models": rest}
            )
        return grouped

    def has_permission(self, request: HttpRequest) -> bool:
        from jingwu.org.separation import admin_role

        user = request.user
        if getattr(user, "is_superuser", False):
            return False
        return admin_role(user) is not None

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'next': target})}")


# Apps whose names and fields are plain English strings, never passed through gettext: made lazy here so the
# Chinese in jingwu/locale/zh_Hans (scripts/zh_third_party.py) reaches them.
THIRD_PARTY = ("otp_totp", "axes", "django_tasks_database")


def _translatable(value: Any) -> Any:
    return _(value) if isinstance(value, str) and value else value


def translate_third_party() -> None:
    from django.apps import apps

    for label in THIRD_PARTY:
        if not apps.is_installed(label) and label not in apps.app_configs:
            continue
        config = apps.get_app_config(label)
        config.verbose_name = _translatable(config.verbose_name)
        for model in config.get_models():
            meta = model._meta
            meta.verbose_name = _translatable(str(meta.verbose_name))
            meta.verbose_name_plural = _translatable(str(meta.verbose_name_plural))
            for f in meta.get_fields():
                if hasattr(f, "verbose_name"):
                    f.verbose_name = _translatable(str(f.verbose_name))
    site = admin.site
    for model, model_admin in site._registry.items():
        if model._meta.app_label == "otp_totp" and model_admin.search_help_text:
            # django-otp builds "Search by user's username or email address" by concatenating English.
            model_admin.search_help_text = _("按用户名或电子邮件地址搜索")  # type: ignore[misc]


class AdminConfig(BaseAdminConfig):
    default_site = "jingwu.adminsite.JingwuAdminSite"

    def ready(self) -> None:
        super().ready()
        translate_third_party()
