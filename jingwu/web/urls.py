from django.contrib.auth import views as auth_views
from django.urls import path

from . import audit, auth, casefile, overview, phone, public, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.Login.as_view(), name="login"),
    path("login/otp/", auth.login_otp, name="login_otp"),
    path("account/otp/", auth.otp_setup, name="otp_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("centre/", views.centre, name="centre"),
    path("centre/queues", views.centre_queues, name="queues"),
    path("centre/list", views.centre_list, name="list"),
    path("centre/export", views.centre_export, name="export"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/", views.export_download, name="export_download"),
    path("centre/batch", views.centre_batch, name="batch"),
    path("map/data.json", views.map_data, name="map_data"),
    path("cases/<str:number>/", views.case_page, name="case"),
    path("cases/<str:number>/act/<str:action>", views.case_act, name="act"),
    path("cases/<str:number>/reporter", views.case_reporter, name="reporter"),
    path("cases/<str:number>/conditions", casefile.conditions, name="conditions"),
    path("desk/", views.desk, name="desk"),
    path("desk/export", views.desk_export, name="desk_export"),
    path("audit/", audit.audit_page, name="audit"),
    path("audit/export", audit.audit_export, name="audit_export"),
    path("overview/", overview.overview, name="overview"),
    path("phone/", phone.phone, name="phone"),
    path("phone/manifest.webmanifest", phone.manifest, name="manifest"),
    path("phone/sw.js", phone.service_worker, name="sw"),
    path("phone/icon-<int:size>.png", phone.icon, name="icon"),
    path("favicon.ico", phone.icon, {"size": 192}),
    path("public/", public.public, name="public"),
    path("public/report", public.report, name="report"),
    path("public/receipt/<str:number>", public.receipt, name="receipt"),
    path("public/track/", public.track, name="track"),
    path("public/rate", public.rate, name="rate"),
    path("public/photo/<int:pk>", public.public_photo, name="public_photo"),
    path("public/mine/", public.mine, name="public_mine"),
    path("public/status.json", public.status_json, name="public_status"),
    path("public/map/", public.public_map, name="public_map"),
    path("public/map/data.json", public.public_map_data, name="public_map_data"),
]
