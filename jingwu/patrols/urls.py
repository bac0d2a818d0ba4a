from __future__ import annotations

from django.urls import path

from . import pages

app_name = "patrols"

urlpatterns = [
    path("patrols/", pages.register, name="register"),
    path("patrols/<int:pk>/", pages.detail, name="detail"),
    path("patrols/<int:pk>/review", pages.review, name="review"),
    path("patrols/m/", pages.phone, name="phone"),
    path("patrols/m/sw.js", pages.service_worker, name="sw"),
]
