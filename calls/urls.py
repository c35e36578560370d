from django.urls import path

from calls import supervisor_views, views

app_name = "calls"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/today/", views.today_calls, name="today"),
    path("desk/suggest/", views.suggest_view, name="suggest"),
    path("desk/incidents/<int:incident_id>/panel/", views.dispatch_panel, name="dispatch-panel"),
    path("supervisor/blocks/", supervisor_views.blocks, name="blocks"),
    path("supervisor/quality/", supervisor_views.quality_review, name="quality"),
]
