"""Writes about incidents and dispatches: opening, linking calls, sending to
agencies, the dispatch lifecycle, closing, and escalation of silence.

Each service locks the rows it changes, checks the lifecycle table, writes a
transition and an audit row, and emits its live event last (broadcast after
commit). Slow I/O (notifications) happens after commit, in tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.geo import Location, resolve_location
from agencies.models import Agency, IncidentType
from agencies.selectors import actor_for_user, nearest_station, post_of, routing_table
from core.changes import dispatch_changed, incident_changed
from dispatch import events, rows
from dispatch.audit import audit, audit_row
from dispatch.errors import Conflict, Forbidden, InvalidInput
from dispatch.event_types import (
    DispatchCreated,
    DispatchEscalated,
    DispatchFields,
    DispatchUpdated,
    IncidentCreated,
    IncidentFields,
    IncidentSnapshot,
    IncidentUpdated,
)
from dispatch.models import Dispatch, DispatchTransition, Incident, IncidentNote, IncidentTransition, Reason


IncidentEvent = TypeVar("IncidentEvent", bound=IncidentFields)
DispatchEvent = TypeVar("DispatchEvent", bound=DispatchFields)


def incident_event(event_type: type[IncidentEvent], incident: Incident) -> IncidentEvent:
    """An incident's event (`IncidentCreated`, `IncidentUpdated`), or its snapshot inside a dispatch event."""
    return event_type(
        id=incident.pk,
        incident_type=incident.incident_type.code,
        label=incident.incident_type.label_id,
        priority=incident.priority,
        status=incident.status,
        lat=incident.lat,
        lon=incident.lon,
        address=incident.address,
        kelurahan=incident.kelurahan.name if incident.kelurahan_id else None,
        created_at=incident.created_at.isoformat(),
        version=incident.version,
    )


def dispatch_event(event_type: type[DispatchEvent], dispatch: Dispatch) -> DispatchEvent:
    """A dispatch's event (`DispatchCreated`, `DispatchUpdated`, `DispatchEscalated`), with its incident."""
    incident = dispatch.incident
    return event_type(
        id=dispatch.pk,
        agency=dispatch.agency.code,
        status=dispatch.status,
        dispatched_at=dispatch.dispatched_at.isoformat(),
        ack_deadline=dispatch.ack_deadline.isoformat(),
        acknowledged_at=dispatch.acknowledged_at.isoformat() if dispatch.acknowledged_at else None,
        escalation_level=dispatch.escalation_level,
        station=dispatch.station.name if dispatch.station_id else None,
        nearest_post=post_of(dispatch.station if dispatch.station_id else None, incident.lat, incident.lon),
        incident_id=incident.pk,
        incident_number=incident.pk,
        version=dispatch.version,
        incident=incident_event(IncidentSnapshot, incident),
    )


def _incident_transition_row(
    incident: Incident, *, by, from_status: str, to_status: str, reason: str = "", code: str = "",
    params: dict[str, Any] | None = None, at=None,
) -> IncidentTransition:
    """A transition row: `code` and `params` say why the system changed it, `reason` is a person's words."""
    return IncidentTransition(
        incident=incident, at=at or timezone.now(), by=by, from_status=from_status, to_status=to_status,
        reason=reason, reason_code=code, reason_params=params or {},
    )


def _incident_transition(incident: Incident, **kwargs) -> None:
    _incident_transition_row(incident, **kwargs).save(force_insert=True)


def _dispatch_transition(
    dispatch: Dispatch, *, by, from_status: str, to_status: str, reason: str = "", code: str = "",
    params: dict[str, Any] | None = None, at=None,
) -> None:
    DispatchTransition.objects.create(
        dispatch=dispatch, at=at or timezone.now(), by=by, from_status=from_status, to_status=to_status,
        reason=reason, reason_code=code, reason_params=params or {},
    )


def incident_open(*, call, incident_type: IncidentType, user) -> Incident:
    """Open an incident from an emergency call (inside the caller's transaction)."""
    now = timezone.now()
    incident = Incident(
        incident_type=incident_type,
        priority=incident_type.priority,
        lat=call.lat,
        lon=call.lon,
        address=call.address,
        # The call's kelurahan object (when its caller loaded it), so the event needs no query for it.
        kelurahan=call.kelurahan if call.kelurahan_id else None,
        summary=call.notes[:1000],
        created_at=now,
        created_by=user,
    )
    transition = _incident_transition_row(incident, by=user, from_status="", to_status=incident.status, at=now,
                                         code=Reason.INCIDENT_FROM_CALL, params={"id": call.pk})
    transition.incident_id = rows.NEW_ID
    entry = audit_row("incident.open", user=user, obj=incident, detail={"call_id": call.pk})
    entry.object_id = rows.NEW_ID_TEXT
    rows.insert_with_trail(incident, transition, entry)
    incident_changed(incident, action="incident.open", user=user, detail={"call_id": call.pk})
    events.emit(incident_event(IncidentCreated, incident))
    return incident


def _lock_open_incident(incident_id: int, *, closed: str, missing: str | None = None, field: str | None = None) -> Incident:
    """The incident, locked until the transaction ends. InvalidInput (`missing`, on `field`) if there is
    none; Conflict (`closed`, which says what to do instead) if it is closed."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("incident_type", "kelurahan").filter(pk=incident_id).first()
    if incident is None:
        raise InvalidInput(missing or _("Kejadian tidak ditemukan."), field=field)
    if incident.status == Incident.Status.CLOSED:
        raise Conflict(closed)
    return incident


def incident_attach_call(*, incident_id: int, call, user) -> Incident:
    """Link a call to an open incident as another call about it."""
    incident = _lock_open_incident(
        incident_id,
        closed=_("Kejadian #%(id)s sudah ditutup; buka kembali atau buat kejadian baru.") % {"id": incident_id},
        missing=_("Kejadian #%(id)s tidak ditemukan.") % {"id": incident_id},
        field="duplicate_of",
    )
    placed_now = incident.lat is None and call.lat is not None
    if placed_now:
        incident.lat, incident.lon = call.lat, call.lon
        incident.kelurahan_id = incident.kelurahan_id or call.kelurahan_id
        incident.address = incident.address or call.address
    incident.version += 1
    incident.save(update_fields=["lat", "lon", "kelurahan", "address", "version"])
    rows.insert_trail(
        _incident_transition_row(incident, by=user, from_status=incident.status, to_status=incident.status, code=Reason.CALL_LINKED, params={"id": call.pk}),
        audit_row("incident.link_call", user=user, obj=incident, detail={"call_id": call.pk}),
    )
    incident_changed(incident, action="incident.link_call", user=user)
    events.emit(incident_event(IncidentUpdated, incident))
    # The agencies already sent see the new caller's words (and the place, if this call gave the first).
    _tell_the_agencies(incident, restation=placed_now)
    return incident


def incident_detach_call(*, call, user) -> None:
    """Unlink a call from its incident (the operator's unlink, or a reclassification)."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("incident_type", "kelurahan").get(pk=call.incident_id)
    incident.version += 1
    incident.save(update_fields=["version"])
    rows.insert_trail(
        _incident_transition_row(incident, by=user, from_status=incident.status, to_status=incident.status, code=Reason.CALL_UNLINKED, params={"id": call.pk}),
        audit_row("incident.unlink_call", user=user, obj=incident, detail={"call_id": call.pk}),
    )
    incident_changed(incident, action="incident.unlink_call", user=user)
    events.emit(incident_event(IncidentUpdated, incident))


def incident_retype(*, incident_id: int, incident_type: IncidentType, user) -> Incident:
    incident = Incident.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=incident_id)
    previous = incident.incident_type.code
    incident.incident_type = incident_type
    incident.priority = incident_type.priority
    incident.version += 1
    incident.save(update_fields=["incident_type", "priority", "version"])
    rows.insert_trail(
        _incident_transition_row(incident, by=user, from_status=incident.status, to_status=incident.status, code=Reason.RETYPED,
                                 params={"from": previous, "to": incident_type.code}),
        audit_row("incident.retype", user=user, obj=incident, detail={"from": previous, "to": incident_type.code}),
    )
    incident_changed(incident, action="incident.retype", user=user)
    events.emit(incident_event(IncidentUpdated, incident))
    return incident


def suggested_agencies(incident: Incident) -> list[str]:
    """Primary agency first, then supporting ones, from the routing rules."""
    primary, supporting = routing_table().get(incident.incident_type.code, (None, []))
    return ([primary] if primary else []) + [code for code in supporting if code != primary]


def incident_has_place(incident: Incident) -> bool:
    """Whether the agencies are told anything of where to go: a point, a kelurahan or an address."""
    return incident.lat is not None or bool(incident.kelurahan_id) or bool((incident.address or "").strip())


def incident_dispatch(
    *,
    incident_id: int,
    user,
    agency_codes: list[str] | None = None,
    no_place_reason: str = "",
    request_key: str | None = None,
) -> list[Dispatch]:
    """Send an incident to agencies, one Dispatch each. Default: the routing rule's primary agency.

    An agency that already has a live dispatch for this incident is skipped,
    never dispatched twice. A priority-1 incident with no place at all is
    refused unless `no_place_reason` says why it goes anyway (audited, and
    written as the transition's reason). `request_key` (the request's
    Idempotency-Key): the same key again answers the dispatches it created.
    """
    no_place_reason = (no_place_reason or "").strip()
    with events.atomic():
        incident = _lock_open_incident(incident_id, closed=_("Kejadian sudah ditutup."))
        if request_key:
            # Under the incident's lock: a second copy of a request waits for the first and finds its rows.
            earlier = list(Dispatch.objects.filter(request_key=request_key).select_related("agency", "incident"))
            if earlier:
                if any(d.incident_id != incident.pk for d in earlier):
                    raise Conflict(_("Idempotency-Key ini sudah dipakai untuk kejadian lain."))
                return earlier
        codes = agency_codes if agency_codes else suggested_agencies(incident)[:1]
        if not codes:
            raise InvalidInput(_("Tidak ada instansi yang dipilih dan aturan rute tidak ada."), field="agencies")
        codes = list(dict.fromkeys(codes))
        agencies = {a.code: a for a in Agency.objects.filter(code__in=codes, active=True)}
        unknown = [c for c in codes if c not in agencies]
        if unknown:
            raise InvalidInput(_("Instansi tidak dikenal: %(codes)s") % {"codes": ", ".join(unknown)}, field="agencies")
        live = set(
            Dispatch.objects.filter(incident=incident, status__in=Dispatch.ACTIVE).values_list("agency__code", flat=True)
        )
        placeless_p1 = incident.priority == 1 and not incident_has_place(incident)
        if placeless_p1 and not no_place_reason and any(code not in live for code in codes):
            raise InvalidInput(
                _("Kejadian prioritas 1 tanpa lokasi: isi lokasinya, atau tulis alasan mengirim tanpa lokasi."),
                field="no_place_reason",
            )
        primary = suggested_agencies(incident)[:1]
        now = timezone.now()
        created: list[Dispatch] = []
        for code in codes:
            if code in live:
                continue
            agency = agencies[code]
            dispatch = Dispatch.objects.create(
                incident=incident,
                agency=agency,
                station=nearest_station(agency, incident.lat, incident.lon),
                is_primary=code in primary,
                dispatched_at=now,
                dispatched_by=user,
                ack_deadline=now + timedelta(seconds=agency.ack_seconds(incident.priority)),
                request_key=request_key or None,
            )
            _dispatch_transition(dispatch, by=user, from_status="", to_status=dispatch.status, at=now)
            audit("dispatch.create", user=user, obj=dispatch, detail={"agency": code, "incident_id": incident.pk})
            created.append(dispatch)
        if not created:
            return []
        # Sent with no place: the operator's words why, as typed.
        override = {"code": Reason.NO_PLACE, "reason": no_place_reason} if placeless_p1 else {}
        if placeless_p1:
            audit(
                "incident.dispatch_without_place",
                user=user,
                obj=incident,
                detail={"reason": no_place_reason, "agencies": [d.agency.code for d in created]},
            )
        if incident.status == Incident.Status.OPEN:
            _incident_transition(
                incident, by=user, from_status=incident.status, to_status=Incident.Status.DISPATCHED, at=now, **override
            )
            incident.status = Incident.Status.DISPATCHED
        elif override:
            _incident_transition(incident, by=user, from_status=incident.status, to_status=incident.status, at=now, **override)
        incident.version += 1
        incident.save(update_fields=["status", "version"])
        for dispatch in created:
            dispatch_changed(dispatch, action="dispatch.create", user=user, detail={"agency": dispatch.agency.code})
        events.emit(incident_event(IncidentUpdated, incident))
        for dispatch in created:
            events.emit(dispatch_event(DispatchCreated, dispatch))
    return created


def _locked_dispatch(dispatch_id: int) -> Dispatch:
    return (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("incident__incident_type", "incident__kelurahan", "agency", "station")
        .get(pk=dispatch_id)
    )


def _refuse_unless_role_may_set(user, status: str) -> None:
    """Forbidden unless the user's role may move a dispatch to `status` (Dispatch.SET_BY_ROLE)."""
    actor = actor_for_user(user)
    if Dispatch.role_may_set(actor.role, status):
        return
    if actor.is_agency_staff and status == Dispatch.Status.CANCELLED:
        raise Forbidden(_("Instansi menolak dengan status 'declined', bukan membatalkan."))
    if actor.on_floor:
        raise Forbidden(_("Hanya instansi yang melaporkan kemajuan pengiriman."))
    raise Forbidden(_("Anda tidak memiliki izin untuk tindakan ini."))


def _refuse_another_agencys(user, dispatch: Dispatch) -> None:
    """Agency staff answer only for the dispatches sent to their own agency."""
    actor = actor_for_user(user)
    if actor.is_agency_staff and dispatch.agency.code != actor.agency_code:
        raise Forbidden(_("Pengiriman ini dikirim ke instansi lain."))


def dispatch_acknowledge(*, dispatch_id: int, user) -> tuple[Dispatch, bool]:
    """Acknowledge a dispatch (its agency's staff only). Repeating it changes nothing. Returns (dispatch, changed)."""
    _refuse_unless_role_may_set(user, Dispatch.Status.ACKNOWLEDGED)
    with events.atomic():
        dispatch = _locked_dispatch(dispatch_id)
        _refuse_another_agencys(user, dispatch)
        if dispatch.acknowledged_at is not None:
            return dispatch, False
        if not dispatch.can_transition_to(Dispatch.Status.ACKNOWLEDGED):
            raise Conflict(
                _("Pengiriman berstatus '%(s)s' tidak dapat diterima lagi.") % {"s": dispatch.get_status_display()}
            )
        now = timezone.now()
        previous = dispatch.status
        dispatch.status = Dispatch.Status.ACKNOWLEDGED
        dispatch.acknowledged_at = now
        dispatch.acknowledged_by = user
        dispatch.version += 1
        dispatch.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "version"])
        _dispatch_transition(dispatch, by=user, from_status=previous, to_status=dispatch.status, at=now)
        audit("dispatch.acknowledge", user=user, obj=dispatch)
        dispatch_changed(dispatch, action="dispatch.acknowledge", user=user)
        events.emit(dispatch_event(DispatchUpdated, dispatch))
    return dispatch, True


def dispatch_set_status(*, dispatch_id: int, user, status: str, note: str = "") -> Dispatch:
    """Move a dispatch along its lifecycle: en route, on scene, resolved; declined or cancelled with a reason.

    Who may set what is Dispatch.SET_BY_ROLE: the agency's staff report its progress or decline, the
    floor only cancels (Forbidden otherwise, before anything else is looked at)."""
    if status not in Dispatch.Status.values or status in (Dispatch.Status.DISPATCHED, Dispatch.Status.ACKNOWLEDGED):
        raise InvalidInput(_("Status tidak dikenal untuk perubahan ini: %(s)s") % {"s": status}, field="status")
    _refuse_unless_role_may_set(user, status)
    if status in (Dispatch.Status.DECLINED, Dispatch.Status.CANCELLED) and not note.strip():
        raise InvalidInput(_("Alasan wajib diisi."), field="note")
    with events.atomic():
        dispatch = _locked_dispatch(dispatch_id)
        _refuse_another_agencys(user, dispatch)
        if dispatch.status == status:
            return dispatch
        if not dispatch.can_transition_to(status):
            raise Conflict(
                _("Perubahan dari '%(a)s' ke '%(b)s' tidak diizinkan; yang diizinkan: %(ok)s.")
                % {
                    "a": dispatch.get_status_display(),
                    "b": Dispatch.Status(status).label,
                    "ok": ", ".join(str(Dispatch.Status(s).label) for s in sorted(dispatch.TRANSITIONS[dispatch.status])) or "-",
                }
            )
        now = timezone.now()
        previous = dispatch.status
        dispatch.status = status
        setattr(dispatch, Dispatch.STAMP[status], now)
        if note:
            dispatch.note = note
        if status in (Dispatch.Status.DECLINED, Dispatch.Status.CANCELLED):
            dispatch.reason = note
        dispatch.version += 1
        dispatch.save(update_fields=["status", Dispatch.STAMP[status], "note", "reason", "version"])
        _dispatch_transition(dispatch, by=user, from_status=previous, to_status=status, reason=note, at=now)
        audit(f"dispatch.{status}", user=user, obj=dispatch, detail={"note": note[:200]} if note else None)
        dispatch_changed(dispatch, action=f"dispatch.{status}", user=user)
        events.emit(dispatch_event(DispatchUpdated, dispatch))
    return dispatch


def incident_close(*, incident_id: int, user, reason: str = "") -> Incident:
    """Close the ticket once every dispatch is resolved, declined or cancelled."""
    with events.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).select_related("incident_type", "kelurahan").get(pk=incident_id)
        if incident.status == Incident.Status.CLOSED:
            return incident
        if not incident.can_transition_to(Incident.Status.CLOSED):
            raise Conflict(_("Kejadian berstatus '%(s)s' tidak dapat ditutup.") % {"s": incident.get_status_display()})
        live = list(
            Dispatch.objects.filter(incident=incident, status__in=Dispatch.ACTIVE).values_list("agency__code", flat=True)
        )
        if live:
            raise Conflict(
                _("Masih ada pengiriman yang belum selesai atau dibatalkan: %(codes)s.") % {"codes": ", ".join(sorted(live))}
            )
        now = timezone.now()
        previous = incident.status
        incident.status = Incident.Status.CLOSED
        incident.closed_at, incident.closed_by = now, user
        incident.version += 1
        incident.save(update_fields=["status", "closed_at", "closed_by", "version"])
        _incident_transition(incident, by=user, from_status=previous, to_status=incident.status, reason=reason, at=now)
        audit("incident.close", user=user, obj=incident)
        incident_changed(incident, action="incident.close", user=user)
        events.emit(incident_event(IncidentUpdated, incident))
    return incident


def incident_relocate(*, incident_id: int, user, location: Location) -> Incident:
    """Set where an incident is: the first caller could not say, or said it wrong.

    The location replaces the one before (a point not given clears the old point). The agencies
    already sent see it at once: each live dispatch's event carries the incident, so their
    consoles redraw with the new place, marked as moved. A dispatch not yet acknowledged gets the
    agency's post nearest the new point.
    """
    fields = resolve_location(location)
    if not (fields.get("address") or fields.get("kelurahan") or fields.get("lat") is not None):
        raise InvalidInput(_("Isi titik di peta, kelurahan, atau alamat/patokan."), field="location")
    with events.atomic():
        incident = _lock_open_incident(incident_id, closed=_("Kejadian sudah ditutup; buka kembali untuk mengubah lokasinya."))
        before = _place(incident)
        incident.lat, incident.lon = fields.get("lat"), fields.get("lon")
        incident.address, incident.kelurahan = fields["address"], fields["kelurahan"]
        after = _place(incident)
        if after == before:
            return incident
        incident.located_at = timezone.now()
        incident.version += 1
        incident.save(update_fields=["lat", "lon", "address", "kelurahan", "located_at", "version"])
        place = incident.address or (incident.kelurahan.name if incident.kelurahan else "") or f"{incident.lat:.5f}, {incident.lon:.5f}"
        rows.insert_trail(
            _incident_transition_row(incident, by=user, from_status=incident.status, to_status=incident.status, code=Reason.RELOCATED, params={"place": place}),
            audit_row("incident.relocate", user=user, obj=incident, detail={"from": before, "to": after}),
        )
        incident_changed(incident, action="incident.relocate", user=user)
        events.emit(incident_event(IncidentUpdated, incident))
        _tell_the_agencies(incident, restation=True)
    return incident


def incident_add_note(*, incident_id: int, user, text: str) -> IncidentNote:
    """An operator's note on an open incident for the agencies on it: what the caller said when called
    back, what another agency reported. Their consoles show it at once, with its time."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Catatan tidak boleh kosong."), field="text")
    if len(text) > IncidentNote.TEXT_MAX_LENGTH:
        raise InvalidInput(_("Catatan terlalu panjang (maksimal %(n)d karakter).") % {"n": IncidentNote.TEXT_MAX_LENGTH}, field="text")
    with events.atomic():
        incident = _lock_open_incident(incident_id, closed=_("Kejadian sudah ditutup; buka kembali untuk menambah catatan."))
        note = IncidentNote.objects.create(incident=incident, at=timezone.now(), by=user, text=text)
        incident.version += 1
        incident.save(update_fields=["version"])
        audit("incident.note", user=user, obj=incident, detail={"note_id": note.pk, "text": text})
        incident_changed(incident, action="incident.note", user=user)
        events.emit(incident_event(IncidentUpdated, incident))
        _tell_the_agencies(incident, restation=False)
    return note


def _tell_the_agencies(incident: Incident, *, restation: bool) -> None:
    """What the agencies' cards show of the incident changed: each live dispatch of it goes out again
    on its agency's channel (agency staff receive only their agency's events). `restation`: the
    incident's place changed, and a dispatch not yet acknowledged takes the post nearest it."""
    live = list(
        Dispatch.objects.select_for_update(of=("self",)).select_related("agency", "station")
        .filter(incident=incident, status__in=Dispatch.ACTIVE).order_by("pk")
    )
    for dispatch in live:
        dispatch.incident = incident
        changed = ["version"]
        if restation and dispatch.status == Dispatch.Status.DISPATCHED and incident.lat is not None:
            # Not yet taken by the agency: its nearest post follows the place.
            station = nearest_station(dispatch.agency, incident.lat, incident.lon)
            if station is not None and station.pk != dispatch.station_id:
                dispatch.station = station
                changed.append("station")
        dispatch.version += 1
        dispatch.save(update_fields=changed)
        events.emit(dispatch_event(DispatchUpdated, dispatch))


def _place(incident: Incident) -> dict[str, Any]:
    return {"lat": incident.lat, "lon": incident.lon, "address": incident.address,
            "kelurahan": incident.kelurahan.code if incident.kelurahan else None}


def incident_reopen(*, incident_id: int, user, reason: str) -> Incident:
    if not reason.strip():
        raise InvalidInput(_("Alasan membuka kembali wajib diisi."), field="reason")
    with events.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).select_related("incident_type", "kelurahan").get(pk=incident_id)
        if not incident.can_transition_to(Incident.Status.OPEN):
            raise Conflict(_("Hanya kejadian yang ditutup yang dapat dibuka kembali."))
        previous = incident.status
        now = timezone.now()
        incident.status = Incident.Status.OPEN
        incident.closed_at = incident.closed_by = None
        incident.version += 1
        incident.save(update_fields=["status", "closed_at", "closed_by", "version"])
        _incident_transition(incident, by=user, from_status=previous, to_status=incident.status, reason=reason, at=now)
        audit("incident.reopen", user=user, obj=incident, detail={"reason": reason})
        incident_changed(incident, action="incident.reopen", user=user)
        events.emit(incident_event(IncidentUpdated, incident))
    return incident


def _escalate_one(pk: int, *, to_level: int, stamp: str, now: datetime, code: str, then=None) -> bool:
    """Claim one dispatch for the next escalation level with a conditional UPDATE; act only if this call won."""
    with events.atomic():
        claimed = Dispatch.objects.filter(pk=pk, status=Dispatch.Status.DISPATCHED, escalation_level=to_level - 1).update(
            escalation_level=to_level, version=F("version") + 1, **{stamp: now}
        )
        if claimed != 1:
            return False
        dispatch = Dispatch.objects.select_related("incident__incident_type", "incident__kelurahan", "agency", "station").get(pk=pk)
        _dispatch_transition(dispatch, by=None, from_status=dispatch.status, to_status=dispatch.status, code=code, at=now)
        audit("dispatch.escalate", obj=dispatch, agency_code=dispatch.agency.code, detail={"level": to_level})
        if then is not None:
            then(dispatch)
        dispatch_changed(dispatch, action="dispatch.escalate", user=None)
        events.emit(dispatch_event(DispatchEscalated, dispatch))
    return True


def escalate_overdue(*, now: datetime | None = None, officer_after: timedelta = timedelta(seconds=120)) -> list[int]:
    """The sweep: escalate every unacknowledged dispatch past its deadline.

    Rows are claimed with a conditional UPDATE, so two sweeps never escalate
    the same dispatch twice and a killed worker delays it by one period at most.
    Level 1 alerts every screen and supervisors; level 2 (after `officer_after`
    more) queues a notification to the agency's duty officers.
    """
    from dispatch import notifications

    now = now or timezone.now()
    unacknowledged = Dispatch.objects.filter(status=Dispatch.Status.DISPATCHED)
    first = unacknowledged.filter(escalation_level=0, ack_deadline__lte=now)
    second = unacknowledged.filter(escalation_level=1, escalated_at__lte=now - officer_after)
    escalated = [
        pk
        for pk in first.values_list("pk", flat=True)[:200]
        if _escalate_one(pk, to_level=1, stamp="escalated_at", now=now, code=Reason.ESCALATED)
    ]
    escalated += [
        pk
        for pk in second.values_list("pk", flat=True)[:200]
        if _escalate_one(
            pk, to_level=2, stamp="officer_notified_at", now=now, code=Reason.OFFICER_NOTIFIED,
            then=lambda dispatch: notifications.queue_duty_officer_notifications(dispatch, now=now),
        )
    ]
    return escalated
