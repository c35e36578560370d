"""The incidents, dispatches and events API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.geo import Location
from agencies.selectors import actor_for_user
from calls.serializers import location_from
from dispatch import events, services
from dispatch.models import Dispatch
from dispatch.permissions import IsAgencyStaff, IsFloor, IsFloorOrAgency
from dispatch.selectors import dispatch_for_user, dispatches_visible_to, duplicate_candidates_for_call, incident_for_user
from dispatch.serializers import (
    CloseSerializer,
    DispatchRequestSerializer,
    DispatchSerializer,
    DuplicateCandidateSerializer,
    EventSerializer,
    IncidentNoteRequestSerializer,
    IncidentNoteSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    StatusSerializer,
    UnlinkSerializer,
)


class IncidentDetailApi(APIView):
    permission_classes = [IsFloorOrAgency]

    def get_permissions(self):
        # Agency staff read the incidents sent to them; only the floor moves one.
        return [IsFloor()] if self.request.method == "PATCH" else super().get_permissions()

    @extend_schema(responses=IncidentSerializer)
    def get(self, request, incident_id: int):
        incident = incident_for_user(request.user, incident_id)
        context = {}
        if actor_for_user(request.user).is_agency_staff:
            context["dispatches"] = dispatches_visible_to(request.user).filter(incident=incident)
        return Response(IncidentSerializer(incident, context=context).data)

    @extend_schema(request=IncidentUpdateSerializer, responses=IncidentSerializer)
    def patch(self, request, incident_id: int):
        incident_for_user(request.user, incident_id)
        serializer = IncidentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_from(serializer.validated_data["location"]) or Location()
        services.incident_relocate(incident_id=incident_id, user=request.user, location=location)
        return Response(IncidentSerializer(incident_for_user(request.user, incident_id)).data)


class IncidentDispatchApi(APIView):
    permission_classes = [IsFloor]

    @extend_schema(
        request=DispatchRequestSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False)],
        responses={201: inline_serializer("DispatchCreated", {"dispatches": DispatchSerializer(many=True)})},
    )
    def post(self, request, incident_id: int):
        incident_for_user(request.user, incident_id)
        key = request.headers.get("Idempotency-Key") or None
        if key and len(key) > 128:
            return Response({"detail": _("Idempotency-Key terlalu panjang (maksimal 128)."), "code": "invalid"}, status=400)
        serializer = DispatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.incident_dispatch(
            incident_id=incident_id,
            user=request.user,
            agency_codes=serializer.validated_data.get("agencies") or None,
            no_place_reason=serializer.validated_data["no_place_reason"],
            request_key=key,
        )
        return Response({"dispatches": DispatchSerializer(created, many=True).data}, status=status.HTTP_201_CREATED)


class _IncidentTicketApi(APIView):
    """Close or reopen the ticket; `service` is the one that does it."""

    permission_classes = [IsFloor]
    service = None

    @extend_schema(request=CloseSerializer, responses=IncidentSerializer)
    def post(self, request, incident_id: int):
        incident_for_user(request.user, incident_id)
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = type(self).service(incident_id=incident_id, user=request.user, reason=serializer.validated_data["reason"])
        return Response(IncidentSerializer(incident).data)


class IncidentCloseApi(_IncidentTicketApi):
    service = staticmethod(services.incident_close)


class IncidentReopenApi(_IncidentTicketApi):
    service = staticmethod(services.incident_reopen)


class IncidentNotesApi(APIView):
    """`POST /api/v1/incidents/{id}/notes/`: a note for the agencies on an open incident."""

    permission_classes = [IsFloor]

    @extend_schema(request=IncidentNoteRequestSerializer, responses={201: IncidentNoteSerializer})
    def post(self, request, incident_id: int):
        incident_for_user(request.user, incident_id)
        serializer = IncidentNoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.incident_add_note(incident_id=incident_id, user=request.user, text=serializer.validated_data["text"])
        return Response(IncidentNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class DispatchListApi(APIView):
    permission_classes = [IsFloorOrAgency]

    @extend_schema(parameters=[OpenApiParameter("status", str)], responses=DispatchSerializer(many=True))
    def get(self, request):
        qs = dispatches_visible_to(request.user).order_by("-dispatched_at")
        wanted = request.query_params.get("status")
        if wanted:
            # Only known statuses reach the database (a NUL byte in a value is a DataError there).
            qs = qs.filter(status__in=[s for s in wanted.split(",") if s in Dispatch.Status.values])
        return Response(DispatchSerializer(qs[:500], many=True).data)


class DispatchDetailApi(APIView):
    permission_classes = [IsFloorOrAgency]

    @extend_schema(responses=DispatchSerializer)
    def get(self, request, dispatch_id: int):
        return Response(DispatchSerializer(dispatch_for_user(request.user, dispatch_id)).data)


class DispatchAcknowledgeApi(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=None, responses=DispatchSerializer)
    def post(self, request, dispatch_id: int):
        dispatch_for_user(request.user, dispatch_id)
        dispatch, _changed = services.dispatch_acknowledge(dispatch_id=dispatch_id, user=request.user)
        return Response(DispatchSerializer(dispatch).data)


class DispatchStatusApi(APIView):
    permission_classes = [IsFloorOrAgency]

    @extend_schema(request=StatusSerializer, responses=DispatchSerializer)
    def post(self, request, dispatch_id: int):
        dispatch_for_user(request.user, dispatch_id)
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Who may set which status is the service's rule (a 403 from it).
        dispatch = services.dispatch_set_status(
            dispatch_id=dispatch_id, user=request.user, status=serializer.validated_data["status"], note=serializer.validated_data["note"]
        )
        return Response(DispatchSerializer(dispatch).data)


class IsFloorAgencyOrWallDisplay(IsFloorOrAgency):
    """The floor, agency staff, and the wall displays (which read the floor's events)."""

    def has_permission(self, request, view):
        from displays.selectors import wall_device_for_request

        return super().has_permission(request, view) or wall_device_for_request(request) is not None


class EventListApi(APIView):
    permission_classes = [IsFloorAgencyOrWallDisplay]

    @extend_schema(parameters=[OpenApiParameter("after", int)], responses=EventSerializer(many=True))
    def get(self, request):
        raw_after = request.query_params.get("after", "0")
        if not (raw_after.isascii() and raw_after.lstrip("-").isdigit()):
            return Response({"detail": _("Parameter 'after' harus bilangan bulat."), "code": "invalid"}, status=400)
        actor = actor_for_user(request.user)
        floor = actor.on_floor or not actor.role  # no role here: a wall display (see the permission)
        rows = events.events_after(int(raw_after), agency_code=None if floor else actor.agency_code)
        return Response([{"seq": e.seq, "type": e.type, "data": e.data} for e in rows])


class CallDuplicatesApi(APIView):
    """Open incidents the call may be about (within ~500 m and ~30 min, related type)."""

    permission_classes = [IsFloor]

    @extend_schema(
        parameters=[OpenApiParameter("incident_type", str, description="type to compare with; default the call's incident type")],
        responses=inline_serializer(
            "CallDuplicates", {"call_id": drf_serializers.IntegerField(), "candidates": DuplicateCandidateSerializer(many=True)}
        ),
    )
    def get(self, request, call_id: int):
        candidates = duplicate_candidates_for_call(call_id, incident_type_code=request.query_params.get("incident_type"))
        return Response({"call_id": call_id, "candidates": DuplicateCandidateSerializer(candidates, many=True).data})


def _call_serializer():
    from calls.serializers import CallSerializer

    return CallSerializer


class CallUnlinkApi(APIView):
    """A call wrongly linked to an incident becomes its own incident (see calls.services.call_unlink)."""

    permission_classes = [IsFloor]

    @extend_schema(request=UnlinkSerializer, responses=_call_serializer())
    def post(self, request, call_id: int):
        from calls.api import call_for_user
        from calls.serializers import CallSerializer
        from calls.services import call_unlink

        call_for_user(request.user, call_id)
        serializer = UnlinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call_unlink(call_id=call_id, user=request.user, incident_type=serializer.validated_data.get("incident_type") or None)
        return Response(CallSerializer(call_for_user(request.user, call_id)).data)
