from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/badge", views.badge, name="badge"),
    path("notifications/read-all", views.read_all, name="read_all"),
    path("notifications/<int:pk>/", views.open_one, name="open"),
    path("push/key", views.push_key, name="push_key"),
    path("push/subscribe", views.push_subscribe, name="push_subscribe"),
]
