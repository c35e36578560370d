from django.urls import path

from hazards import views

app_name = "hazards"

urlpatterns = [
    path("disaster/", views.disaster_board, name="board"),
    path("disaster/end/", views.disaster_end_view, name="end"),
    path("disaster/script/", views.disaster_script_view, name="script"),
    path("disaster/<int:period_id>/export.csv", views.disaster_export, name="export"),
]
