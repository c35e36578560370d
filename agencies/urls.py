from django.urls import path

from agencies import views

urlpatterns = [
    path("geo/kelurahan.geojson", views.kelurahan_geojson, name="kelurahan-geojson"),
    path("geo/reverse/", views.reverse_geocode, name="reverse-geocode"),
    path("routing/", views.routing_rules, name="routing-rules"),
    path("posts/", views.posts, name="agency-posts"),
    path("posts/<int:station_id>/", views.posts, name="agency-post-place"),
]
