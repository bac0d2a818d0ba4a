from __future__ import annotations

from django.urls import URLPattern, path

from . import pages

app_name = "stats"

urlpatterns: list[URLPattern] = [
    path("stats/", pages.indicators, name="indicators"),
    path("stats/scores/", pages.scores, name="scores"),
    path("stats/report/", pages.report, name="report"),
    path("stats/report/excel", pages.report_excel, name="report_excel"),
    path("screen/", pages.screen, name="screen"),
    path("screen/data.json", pages.screen_data, name="screen_data"),
]
