from django.urls import path, re_path

from . import views

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery),
    re_path(r"^services" + FMT, views.service_list),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition),
    re_path(r"^service/(?P<code>[^/]+?)" + FMT, views.service_definition),  # old clients' singular form
    re_path(r"^requests" + FMT, views.requests_view),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + FMT, views.request_detail),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_view),
    re_path(r"^servicerequestupdates" + FMT, views.updates_view),
    path("media/<int:attachment_id>", views.media),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
