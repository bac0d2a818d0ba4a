from __future__ import annotations

from django.urls import URLPattern, path

from . import pages

app_name = "registry"

urlpatterns: list[URLPattern] = [
    path("registry/", pages.people, name="people"),
    path("registry/people/<int:pk>/", pages.person, name="person"),
    path("registry/people/<int:pk>/reveal", pages.reveal, name="reveal"),
    path("registry/visits/", pages.visits, name="visits"),
    path("registry/proposals/", pages.proposals, name="proposals"),
    path("registry/import/", pages.import_page, name="import"),
    path("registry/import/<str:kind>/template.xlsx", pages.template, name="template"),
    path("registry/counts/", pages.counts, name="counts"),
    path("registry/export", pages.export, name="export"),
    path("registry/m/", pages.phone, name="phone"),
    path("registry/m/sw.js", pages.service_worker, name="sw"),
]
