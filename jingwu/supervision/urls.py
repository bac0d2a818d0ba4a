from __future__ import annotations

from django.urls import path

from . import pages

app_name = "supervision"

urlpatterns = [
    path("supervision/", pages.board, name="board"),
    path("supervision/indicators/<int:pk>/", pages.indicator, name="indicator"),
    path("supervision/actuals/import", pages.import_actuals, name="import_actuals"),
    path("supervision/targets/set", pages.set_target, name="set_target"),
    path("supervision/tasks/new", pages.new_task, name="new_task"),
    path("supervision/tasks/<str:ref>/", pages.task, name="task"),
    path("supervision/files/<int:pk>", pages.report_file, name="file"),
    path("supervision/read", pages.read, name="read"),
    path("supervision/projects/", pages.projects, name="projects"),
    path("supervision/projects/<int:pk>/", pages.project, name="project"),
    path("supervision/projects/photos/<int:pk>", pages.project_photo, name="project_photo"),
    path("supervision/audits/", pages.audits, name="audits"),
]
