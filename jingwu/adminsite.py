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


class JingwuAdminSite(admin.AdminSite):
    site_header = "智慧精武 Jingwu"
    site_title = "智慧精武"

    def has_permission(self, request: HttpRequest) -> bool:
        from jingwu.org.separation import admin_role

        user = request.user
        if getattr(user, "is_superuser", False):
            return False
        return admin_role(user) is not None

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'next': target})}")


class AdminConfig(BaseAdminConfig):
    default_site = "jingwu.adminsite.JingwuAdminSite"
