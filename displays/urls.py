from django.urls import path

from displays import views

urlpatterns = [
    path("wall/devices/", views.devices, name="wall-devices"),
    path("wall/devices/<int:device_id>/revoke/", views.revoke, name="wall-device-revoke"),
    path("wall/open/<str:secret>/", views.open_link, name="wall-device-open"),
]
