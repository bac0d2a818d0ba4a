from django.urls import path

from . import views

app_name = "safety"

urlpatterns = [
    path("safety/", views.registry, name="registry"),
    path("safety/export", views.export, name="export"),
    path("safety/template", views.template, name="template"),
    path("safety/<int:pk>/", views.detail, name="detail"),
]
