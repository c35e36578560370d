"""The supervisor's report pages, included from dispatch/urls.py under /reports/ (namespace "reports")."""

from django.urls import path

from reports.views import (
    call_detail,
    charts,
    charts_data,
    daily_log,
    daily_pdf,
    export,
    kpi,
    map_data,
    monthly,
    reports_home,
    signoff,
)

app_name = "reports"
urlpatterns = [
    path("", reports_home, name="home"),
    path("daily/", daily_log, name="daily"),
    path("daily/signoff/", signoff, name="signoff"),
    path("daily/pdf/", daily_pdf, name="daily-pdf"),
    path("calls/<int:call_id>/", call_detail, name="call"),
    path("kpi/", kpi, name="kpi"),
    path("charts/", charts, name="charts"),
    path("charts/data/", charts_data, name="charts-data"),
    path("map/data/", map_data, name="map-data"),
    path("export/", export, name="export"),
    path("monthly/", monthly, name="monthly"),
]
