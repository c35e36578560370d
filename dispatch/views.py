"""Screens: login, the operator board, the supervisor wall, the agency console."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agencies.selectors import actor_for_user
from calls.selectors import open_calls
from dispatch import events
from dispatch.audit import audit
from dispatch.selectors import live_dispatches_for_agency, open_incidents


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit("auth.login", user=form.get_user(), address=self.request.META.get("REMOTE_ADDR"))
        return response


@require_POST
def logout_view(request):
    user_id = request.user.pk if request.user.is_authenticated else None
    if user_id is not None:
        audit("auth.logout", user=request.user, address=request.META.get("REMOTE_ADDR"))
    logout(request)
    if user_id is not None:
        events.close_user_sockets(user_id)
    return redirect("login")


@login_required
def home(request):
    actor = actor_for_user(request.user)
    if actor.is_agency_staff:
        return redirect("agency-console")
    if actor.role == "supervisor":
        return redirect("wall")
    if actor.on_floor:
        return redirect("calls:desk")
    raise PermissionDenied


def _require(request, check) -> None:
    if not check(actor_for_user(request.user)):
        raise PermissionDenied


@login_required
def board(request):
    _require(request, lambda a: a.on_floor)
    return render(request, "dispatch/board.html", {"live": True, **_board_context()})


@login_required
def board_partial(request):
    _require(request, lambda a: a.on_floor)
    return render(request, "dispatch/_board.html", _board_context())


def _board_context() -> dict:
    return {"calls": list(open_calls()[:100]), "incidents": list(open_incidents()[:100])}


@login_required
def wall(request):
    _require(request, lambda a: a.is_supervisor)
    return render(request, "dispatch/wall.html", {"live": True, **_board_context()})


@login_required
def agency_console(request):
    actor = actor_for_user(request.user)
    if not actor.is_agency_staff:
        raise PermissionDenied
    return render(
        request,
        "dispatch/agency.html",
        {"live": True, "agency_code": actor.agency_code, "dispatches": list(live_dispatches_for_agency(actor.agency_code))},
    )


@login_required
def agency_partial(request):
    actor = actor_for_user(request.user)
    if not actor.is_agency_staff:
        raise PermissionDenied
    return render(request, "dispatch/_agency.html", {"dispatches": list(live_dispatches_for_agency(actor.agency_code))})
