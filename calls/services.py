"""Writes about calls: intake, edits, classification, blocks and call-backs.

Every write runs in a transaction (`events.atomic()` where it emits live events), records a
transition row and an audit row; its events are stored with the commit and broadcast only after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.geo import Location, resolve_location
from agencies.models import IncidentType
from agencies.selectors import actor_for_user
from calls.models import Call, Caller, CallTransition, CallType
from calls.phone import parse_number
from calls.selectors import CallerHistory, caller_history
from core.changes import call_changed
from dispatch import events, rows
from dispatch.audit import audit, audit_row
from dispatch.errors import Conflict, InvalidInput
from dispatch.event_types import CallCreated, CallFields, CallUpdated
from dispatch.models import AuditLog, Reason
from dispatch.shifts import WIB


def request_fingerprint(payload: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell a retry from a different request under the same key."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


CallEvent = TypeVar("CallEvent", bound=CallFields)


def call_event(event_type: type[CallEvent], call: Call, **more: Any) -> CallEvent:
    """A call's event (`CallCreated`, `CallUpdated`); `more` is what `CallUpdated` carries besides (`aml`, `callback`)."""
    return event_type(
        id=call.pk,
        status=call.status,
        caller_number=call.caller_number,
        call_type=call.call_type or None,
        incident_id=call.incident_id,
        operator=call.operator.get_username() if call.operator_id else None,
        received_at=call.received_at.isoformat(),
        touched_at=call.last_touched_at.isoformat(),
        caller_blocked=call.caller_blocked,
        version=call.version,
        **more,
    )


# One statement whoever wins a race between two first calls from a number; the row it returns is the
# stored one, so `first_seen_at` tells a new caller.
_CALLER_UPSERT = (
    "INSERT INTO calls_caller (number, first_seen_at) VALUES (%s, %s)"
    " ON CONFLICT (number) DO UPDATE SET number = EXCLUDED.number"
    " RETURNING id, number, first_seen_at, pseudonymised_at"
)


_CALLER_COLUMNS = ("id", "number", "first_seen_at", "pseudonymised_at")  # what _CALLER_UPSERT returns, in order


def _upserted_caller(sql: str, params: list) -> Caller:
    """The caller the upsert returned; a column after the caller's own (the pending fix) becomes an attribute."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    caller = rows.instance_from_row(Caller, _CALLER_COLUMNS, row[: len(_CALLER_COLUMNS)])
    if len(row) > len(_CALLER_COLUMNS):
        caller.pending_fix_id = row[len(_CALLER_COLUMNS)]
    return caller


def _get_or_create_caller(e164: str | None, now: datetime) -> tuple[Caller | None, bool]:
    """The caller with this number, stored now if it is the first call from it. Returns (caller, created)."""
    if e164 is None:
        return None, False
    caller = _upserted_caller(_CALLER_UPSERT, [e164, now])
    return caller, caller.first_seen_at == now


def _caller_and_pending_fix(e164: str | None, now: datetime, received_at: datetime) -> tuple[Caller | None, bool, int | None]:
    """The intake's caller (stored now if it is the first call from the number) and the newest
    unmatched AML fix of the number around `received_at`, locked: (caller, created, fix id or None).

    On PostgreSQL one statement, the fix's lookup riding in the caller's; elsewhere two.
    """
    from calls.aml import pending_fix_id, pending_fix_query, pending_fix_window

    if e164 is None:
        return None, False, None
    start, end = pending_fix_window(received_at)
    if connection.vendor != "postgresql":
        caller, created = _get_or_create_caller(e164, now)
        return caller, created, pending_fix_id(e164, start, end)
    fix_sql, fix_params = pending_fix_query(e164, start, end)
    caller = _upserted_caller(
        f"WITH pending_fix AS ({fix_sql}) {_CALLER_UPSERT}, (SELECT id FROM pending_fix) AS pending_fix_id",  # nosec B608 - model names
        [*fix_params, e164, now],
    )
    return caller, caller.first_seen_at == now, caller.pending_fix_id


def _transition_row(
    call: Call, *, by, from_status: str, to_status: str, code: str = "", params: dict | None = None, at: datetime | None = None,
) -> CallTransition:
    """A call's transition row, with why the system changed it as a code (`Reason`) and its parameters."""
    return CallTransition(
        call=call, at=at or timezone.now(), by=by, from_status=from_status, to_status=to_status,
        reason_code=code, reason_params=params or {},
    )


def _record_transition(
    call: Call, *, by, from_status: str, to_status: str, code: str = "", params: dict | None = None, at: datetime | None = None,
) -> None:
    _transition_row(call, by=by, from_status=from_status, to_status=to_status, code=code, params=params, at=at).save(force_insert=True)


@dataclass(frozen=True)
class Intake:
    call: Call
    created: bool
    # The caller's history with this call in it (for a repeat, read afresh).
    history: CallerHistory


def call_create(**kwargs) -> tuple[Call, bool]:
    """Record a call the moment it starts. Returns (call, created); see `call_intake`."""
    intake = call_intake(**kwargs)
    return intake.call, intake.created


def call_intake(
    *,
    operator,
    caller_number: str | None,
    notes: str = "",
    channel: str = Call.Channel.VOICE,
    location: Location | None = None,
    external_id: str | None = None,
    idempotency_key: str | None = None,
    request_hash: str = "",
    status: str = Call.Status.ACTIVE,
    received_at: datetime | None = None,
    pbx_call_id: str | None = None,
) -> Intake:
    """Record a call the moment it starts, with its caller's history as the operator sees it.

    A repeated idempotency key (or external id, or PBX call id) returns the
    first call; the same key with a different body is a conflict. The unique
    constraints decide a repeat, so a new call costs no lookup first.
    """
    if len(notes or "") > settings.CALL_NOTES_MAX_LENGTH:
        raise InvalidInput(
            _("Catatan terlalu panjang (maksimal %(n)d karakter).") % {"n": settings.CALL_NOTES_MAX_LENGTH}, field="notes"
        )
    if channel not in Call.Channel.values:
        raise InvalidInput(_("Kanal tidak dikenal: %(c)s") % {"c": channel}, field="channel")
    location_fields = resolve_location(location)
    parsed = parse_number(caller_number)
    now = timezone.now()
    try:
        with events.atomic():
            caller, new_caller, pending_fix = _caller_and_pending_fix(parsed.e164, now, received_at or now)
            # Read before the call is stored: the block decides `caller_blocked`.
            history = caller_history(caller, now=now, new_caller=new_caller)
            call = Call(
                caller=caller,
                caller_number_raw=parsed.raw,
                number_invalid=parsed.invalid,
                channel=channel,
                status=status,
                operator=operator if status == Call.Status.ACTIVE else None,
                received_at=received_at or now,
                answered_at=(received_at or now) if status == Call.Status.ACTIVE else None,
                notes=notes or "",
                caller_blocked=history.blocked,
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
                external_id=external_id or None,
                pbx_call_id=pbx_call_id or None,
                **location_fields,
            )
            # The call, its first transition and its audit row in one statement.
            transition = _transition_row(call, by=operator, from_status="", to_status=status, at=call.received_at)
            transition.call_id = rows.NEW_ID
            audit_entry = audit_row("call.create", user=operator, obj=call)
            audit_entry.object_id = rows.NEW_ID_TEXT
            rows.insert_with_trail(call, transition, audit_entry)
            if history.blocked:
                from calls.blocking import note_call_from_blocked_number

                note_call_from_blocked_number(caller, call, now=now)
            from calls.aml import aml_attach_fix

            aml_attach_fix(call=call, fix_id=pending_fix, now=now)
            call_changed(call, action="call.create", user=operator)
            events.emit(call_event(CallCreated, call))
    except IntegrityError:
        existing = _existing_call(idempotency_key, external_id, pbx_call_id, request_hash, account=operator)
        if existing is None:
            raise
        return Intake(call=existing, created=False, history=caller_history(existing.caller))
    return Intake(call=call, created=True, history=history.including(call, now=now))


def _existing_call(idempotency_key, external_id, pbx_call_id, request_hash, *, account=None) -> Call | None:
    """The call a repeated key stands for. An Idempotency-Key or external_id replays only for the account
    that recorded the call, and only with the same body: anything else is a conflict, never the call."""
    for field, value in (("idempotency_key", idempotency_key), ("external_id", external_id), ("pbx_call_id", pbx_call_id)):
        if not value:
            continue
        call = Call.objects.select_related("caller").filter(**{field: value}).first()
        if call is None:
            continue
        if field != "pbx_call_id":
            if account is not None and _recorded_by(call) != account.pk:
                raise Conflict(_("Kunci ini sudah dipakai oleh akun lain."))
            if call.request_hash != request_hash:
                raise Conflict(_("Idempotency-Key ini sudah dipakai untuk permintaan yang berbeda."))
        return call
    return None


def _recorded_by(call: Call) -> int | None:
    """The account that recorded a call: its `call.create` audit row."""
    return (
        AuditLog.objects.filter(action="call.create", object_type="call", object_id=str(call.pk))
        .values_list("user_id", flat=True).first()
    )


def call_update(*, call_id: int, user, notes: str | None = None, location: Location | None = None) -> Call:
    """Change a call's notes or location (never its timestamps)."""
    if notes is not None and len(notes) > settings.CALL_NOTES_MAX_LENGTH:
        raise InvalidInput(
            _("Catatan terlalu panjang (maksimal %(n)d karakter).") % {"n": settings.CALL_NOTES_MAX_LENGTH}, field="notes"
        )
    location_fields = resolve_location(location) if location is not None else {}
    with events.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        changed = []
        if notes is not None and notes != call.notes:
            call.notes = notes
            changed.append("notes")
        for name, value in location_fields.items():
            setattr(call, name, value)
            changed.append(name)
        if not changed:
            return call
        call.version += 1
        call.touched_at = timezone.now()
        call.save(update_fields=[*changed, "touched_at", "version"])
        audit("call.update", user=user, obj=call, detail={"fields": changed})
        events.emit(call_event(CallUpdated, call))
        call_changed(call, action="call.update", user=user, detail={"fields": changed, "notes": call.notes})
    return call


def call_take_over(*, call_id: int, user, from_operator: str | None = None) -> Call:
    """Put a colleague's unfinished call on this operator's desk (it was left: a crashed browser, a
    break, the end of a shift). Only a call being handled; taking one's own changes nothing.

    An operator takes over only a call nobody has changed for CALL_TAKE_OVER_AFTER_SECONDS
    (`Call.last_touched_at`): before that its operator is most likely still at work on it, and a
    Conflict says from when it can be taken. A supervisor (or admin) may take it over at once: the
    floor's lead moves a call off a desk whose operator is taken ill or called away mid-call.

    `from_operator`, the username the taker saw on the call: if someone else took it over in the
    meantime, the second taker gets a Conflict instead of taking it from the first.
    """
    with events.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("operator").get(pk=call_id)
        if call.status != Call.Status.ACTIVE:
            raise Conflict(_("Panggilan ini tidak sedang ditangani (status: %(s)s).") % {"s": call.get_status_display()})
        if call.operator_id == user.pk:
            return call
        previous = call.operator.get_username() if call.operator_id else "-"
        if from_operator is not None and from_operator != previous:
            raise Conflict(_("Panggilan sudah diambil alih oleh %(who)s.") % {"who": previous})
        _refuse_a_call_still_being_worked_on(call, user=user, operator=previous)
        call.operator = user
        call.version += 1
        call.touched_at = timezone.now()
        call.save(update_fields=["operator", "touched_at", "version"])
        _record_transition(call, by=user, from_status=call.status, to_status=call.status, code=Reason.TAKEN_OVER,
                           params={"who": previous})
        audit("call.take_over", user=user, obj=call, detail={"from": previous})
        call_changed(call, action="call.take_over", user=user, detail={"from": previous})
        events.emit(call_event(CallUpdated, call))
    return call


def _refuse_a_call_still_being_worked_on(call: Call, *, user, operator: str) -> None:
    """Conflict if the call was changed less than CALL_TAKE_OVER_AFTER_SECONDS ago and the taker is no supervisor."""
    if actor_for_user(user).is_supervisor:
        return
    quiet_for = timedelta(seconds=settings.CALL_TAKE_OVER_AFTER_SECONDS)
    free_at = call.last_touched_at + quiet_for
    if timezone.now() < free_at:
        raise Conflict(
            _("%(who)s masih menangani panggilan ini: dapat diambil alih mulai pukul %(at)s WIB, setelah %(minutes)s menit tanpa perubahan.")
            % {"who": operator, "at": free_at.astimezone(WIB).strftime("%H:%M:%S"), "minutes": f"{quiet_for.total_seconds() / 60:g}"}
        )


def call_classify(
    *,
    call_id: int,
    user,
    call_type: str,
    incident_type: str | None = None,
    notes: str | None = None,
    duplicate_of: int | None = None,
) -> Call:
    """Classify a call. An emergency opens an incident or joins an open one."""
    if call_type not in CallType.values:
        raise InvalidInput(_("Jenis panggilan tidak dikenal: %(t)s") % {"t": call_type}, field="call_type")
    if notes is not None and len(notes) > settings.CALL_NOTES_MAX_LENGTH:
        raise InvalidInput(
            _("Catatan terlalu panjang (maksimal %(n)d karakter).") % {"n": settings.CALL_NOTES_MAX_LENGTH}, field="notes"
        )
    itype = None
    if call_type == CallType.EMERGENCY:
        if not incident_type and duplicate_of is None:
            raise InvalidInput(_("Panggilan darurat memerlukan jenis kejadian."), field="incident_type")
        if incident_type:
            itype = IncidentType.objects.filter(code=incident_type).first()
            if itype is None:
                raise InvalidInput(_("Jenis kejadian tidak dikenal: %(t)s") % {"t": incident_type}, field="incident_type")
    elif duplicate_of is not None:
        raise InvalidInput(_("Hanya panggilan darurat yang dapat digabung ke kejadian."), field="duplicate_of")

    from dispatch import services as dispatch_services

    # The incident's event and the call's are stored last, together, with the commit (see events.atomic).
    with events.atomic():
        # Joined with everything the API's answer shows, so the answer needs no second read.
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related("caller", "operator", "kelurahan__kecamatan", "incident__incident_type")
            .get(pk=call_id)
        )
        if not call.can_transition_to(Call.Status.CLASSIFIED):
            raise Conflict(_("Panggilan tidak dapat diklasifikasi dari status %(s)s.") % {"s": call.status})
        if _classified_as(call, call_type=call_type, itype=itype, notes=notes, duplicate_of=duplicate_of):
            # Sent again (a retry after a lost answer, a second press): nothing to change.
            return call
        previous_status, previous_type = call.status, call.call_type
        now = timezone.now()
        if notes is not None:
            call.notes = notes
        if previous_type == CallType.EMERGENCY and call_type != CallType.EMERGENCY and call.incident_id:
            dispatch_services.incident_detach_call(call=call, user=user)
        if call_type == CallType.EMERGENCY:
            if duplicate_of is not None:
                incident = dispatch_services.incident_attach_call(incident_id=duplicate_of, call=call, user=user)
            elif call.incident_id and itype and call.incident.incident_type_id != itype.pk:
                incident = dispatch_services.incident_retype(incident_id=call.incident_id, incident_type=itype, user=user)
            elif call.incident_id:
                incident = call.incident
            else:
                incident = dispatch_services.incident_open(call=call, incident_type=itype, user=user)
            call.incident = incident
        else:
            call.incident = None
        call.call_type = call_type
        call.status = Call.Status.CLASSIFIED
        call.classified_at = now
        call.classified_by = user
        if call.answered_at is None and previous_status == Call.Status.ACTIVE:
            call.answered_at = now
        call.version += 1
        call.save(
            update_fields=["notes", "incident", "call_type", "status", "classified_at", "classified_by", "answered_at", "version"]
        )
        rows.insert_trail(
            _transition_row(
                call, by=user, from_status=previous_status, to_status=call.status,
                code=Reason.CLASSIFIED, params={"from": previous_type or None, "to": call_type}, at=now,
            ),
            audit_row("call.classify", user=user, obj=call, detail={"call_type": call_type, "incident_id": call.incident_id}),
        )
        from calls import blocking

        blocking.after_classification(call, now=now, user=user)
        from calls.callbacks import callback_for_ghost_call

        callback_for_ghost_call(call, now=now)
        events.emit(call_event(CallUpdated, call))
        call_changed(call, action="call.classify", user=user, detail={"from": previous_type, "to": call_type, "incident_id": call.incident_id})
    return call


def _classified_as(call: Call, *, call_type: str, itype: IncidentType | None, notes: str | None, duplicate_of: int | None) -> bool:
    """Whether the call already stands as this classification would leave it."""
    if call.status != Call.Status.CLASSIFIED or call.call_type != call_type or (notes is not None and notes != call.notes):
        return False
    if call_type != CallType.EMERGENCY:
        return True
    if call.incident_id is None:
        return False
    if duplicate_of is not None:
        return call.incident_id == duplicate_of
    return call.incident.incident_type_id == itype.pk


def call_unlink(*, call_id: int, user, incident_type: str | None = None) -> Call:
    """Take a call wrongly linked to an incident out of it: the call becomes its own incident.

    The call stays an emergency (it was classified as one, and a classified call
    does not go back to unclassified); it opens a new incident of the given
    type, or of its former incident's type, which the operator can then
    reclassify or dispatch. The call must not be the incident's only call.
    """
    with events.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("caller", "incident__incident_type").get(pk=call_id)
        if call.incident_id is None:
            raise Conflict(_("Panggilan ini tidak terhubung ke kejadian mana pun."))
        if not Call.objects.filter(incident_id=call.incident_id).exclude(pk=call.pk).exists():
            raise Conflict(
                _("Panggilan ini satu-satunya panggilan kejadian #%(id)s; tidak ada yang dapat dilepas.") % {"id": call.incident_id}
            )
        itype = call.incident.incident_type
        if incident_type:
            itype = IncidentType.objects.filter(code=incident_type).first()
            if itype is None:
                raise InvalidInput(_("Jenis kejadian tidak dikenal: %(t)s") % {"t": incident_type}, field="incident_type")
        from dispatch import services as dispatch_services

        previous_incident = call.incident_id
        dispatch_services.incident_detach_call(call=call, user=user)
        incident = dispatch_services.incident_open(call=call, incident_type=itype, user=user)
        call.incident = incident
        call.version += 1
        call.save(update_fields=["incident", "version"])
        _record_transition(
            call, by=user, from_status=call.status, to_status=call.status,
            code=Reason.OWN_INCIDENT, params={"from": previous_incident, "to": incident.pk},
        )
        audit("call.unlink", user=user, obj=call, detail={"from_incident": previous_incident, "to_incident": incident.pk})
        call_changed(call, action="call.unlink", user=user, detail={"from_incident": previous_incident, "to_incident": incident.pk})
        events.emit(call_event(CallUpdated, call))
    return call
