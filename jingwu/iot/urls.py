from django.urls import path

from . import pages

app_name = "iot"

urlpatterns = [
    path("iot/", pages.monitor, name="monitor"),
    path("iot/map.json", pages.map_data, name="map_data"),
    path("iot/devices/<int:pk>/", pages.device, name="device"),
    path("iot/alarms/<int:pk>/", pages.alarm, name="alarm"),
    path("led/<str:token>/", pages.led, name="led"),
]
