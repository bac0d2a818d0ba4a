from django.urls import path

from . import pages, phone, views

app_name = "safety"

urlpatterns = [
    path("safety/", views.registry, name="registry"),
    path("safety/export", views.export, name="export"),
    path("safety/map.json", views.map_data, name="map_data"),
    path("safety/template", views.template, name="template"),
    path("safety/imports/<int:pk>/", views.import_progress, name="import"),
    path("safety/<int:pk>/", views.detail, name="detail"),
    path("safety/<int:pk>/task", views.add_task, name="add_task"),
    path("safety/tasks/", pages.tasks, name="tasks"),
    path("safety/plans/", pages.plans, name="plans"),
    path("safety/plans/<int:pk>/stop", pages.stop_plan, name="stop_plan"),
    path("safety/tasks/<int:pk>/cancel", pages.cancel_task, name="cancel_task"),
    path("safety/hazards/", pages.hazard_ledger, name="hazards"),
    path("safety/ledger/", pages.place_ledger, name="ledger"),
    path("safety/inspections/<int:pk>/", pages.inspection, name="inspection"),
    path("safety/inspections/<int:pk>/signature", pages.signature, name="signature"),
    path("safety/photos/<int:pk>", pages.photo, name="photo"),
    path("safety/m/", phone.inspect, name="phone"),
    path("safety/m/sw.js", phone.service_worker, name="sw"),
    path("rectify/<str:token>/", pages.rectify, name="rectify"),
]
