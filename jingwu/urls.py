from django.contrib import admin
from django.urls import include, path

from jingwu.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("open311/v2/", include("jingwu.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jingwu.notify.urls")),
    path("", include("jingwu.safety.urls")),
    path("", include("jingwu.iot.urls")),
    path("", include("jingwu.patrols.urls")),
    path("", include("jingwu.petitions.urls")),
    path("", include("jingwu.supervision.urls")),
    path("", include("jingwu.registry.urls")),
    path("", include("jingwu.stats.urls")),
    path("", include("jingwu.web.urls")),
]
