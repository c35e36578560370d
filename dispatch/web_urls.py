from django.urls import path

from dispatch import views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers and tools that ask for /favicon.ico get the icon the pages link to.
    path("favicon.ico", views.favicon),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("board/", views.board, name="board"),
    path("board/partial/", views.board_partial, name="board-partial"),
    path("wall/", views.wall, name="wall"),
    path("agency/", views.agency_console, name="agency-console"),
    path("agency/partial/", views.agency_partial, name="agency-partial"),
    path("incidents/<int:incident_id>/", views.incident_page, name="incident"),
]
