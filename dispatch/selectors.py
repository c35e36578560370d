"""Reads about incidents and dispatches, scoped to what the user may see.

`incident_for_user` and `dispatch_for_user` are the one access check for
these objects: every view, API and consumer goes through them, and what a
user may not see is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from agencies.selectors import actor_for_user
from dispatch.models import Dispatch, Incident


def dispatches_visible_to(user) -> QuerySet[Dispatch]:
    actor = actor_for_user(user)
    qs = Dispatch.objects.select_related("incident__incident_type", "incident__kelurahan", "agency", "station", "acknowledged_by")
    if actor.on_floor:
        return qs
    if actor.is_agency_staff and actor.agency_code:
        return qs.filter(agency__code=actor.agency_code)
    return qs.none()


def incidents_visible_to(user) -> QuerySet[Incident]:
    actor = actor_for_user(user)
    qs = Incident.objects.select_related("incident_type", "kelurahan__kecamatan")
    if actor.on_floor:
        return qs
    if actor.is_agency_staff and actor.agency_code:
        return qs.filter(dispatches__agency__code=actor.agency_code).distinct()
    return qs.none()


def dispatch_for_user(user, dispatch_id: int) -> Dispatch:
    dispatch = dispatches_visible_to(user).filter(pk=dispatch_id).first()
    if dispatch is None:
        raise Http404("Pengiriman tidak ditemukan.")
    return dispatch


def incident_for_user(user, incident_id: int) -> Incident:
    incident = incidents_visible_to(user).filter(pk=incident_id).first()
    if incident is None:
        raise Http404("Kejadian tidak ditemukan.")
    return incident


def open_incidents():
    return (
        Incident.objects.exclude(status=Incident.Status.CLOSED)
        .select_related("incident_type", "kelurahan")
        .prefetch_related("dispatches__agency")
        .order_by("priority", "created_at")
    )


def live_dispatches_for_agency(agency_code: str):
    return (
        Dispatch.objects.filter(agency__code=agency_code, status__in=Dispatch.ACTIVE)
        .select_related("incident__incident_type", "incident__kelurahan", "agency", "station")
        .prefetch_related("incident__calls__caller")
        .order_by("-incident__priority", "dispatched_at")
    )
