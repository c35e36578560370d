from django.urls import path

from calls import views

app_name = "calls"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/today/", views.today_calls, name="today"),
    path("desk/suggest/", views.suggest_view, name="suggest"),
]
