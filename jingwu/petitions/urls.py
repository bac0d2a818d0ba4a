from __future__ import annotations

from django.urls import URLPattern, path

from . import pages

app_name = "petitions"

urlpatterns: list[URLPattern] = [
    path("petitions/", pages.petitions, name="petitions"),
    path("petitions/<int:pk>/", pages.petition, name="petition"),
    path("petitions/<int:pk>/reveal", pages.reveal, name="reveal"),
    path("petitions/<int:pk>/act/<str:action>", pages.petition_act, name="petition_act"),
    path("suggestions/", pages.suggestions, name="suggestions"),
    path("suggestions/<int:pk>/", pages.suggestion, name="suggestion"),
    path("suggestions/<int:pk>/act/<str:action>", pages.suggestion_act, name="suggestion_act"),
]
