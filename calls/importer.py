"""Loading a historical call log (CSV) straight into the database.

Historical data: calls, incidents and dispatches are created with the ORM
and their recorded timestamps, with transition rows so the timeline shows
them, but no live events and no block ladder. One transaction per row: a bad
row is reported with its line number and nothing of it is stored. A row
whose `external_id` is already loaded is skipped, so a file can be imported
twice.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from django.db import DatabaseError, IntegrityError, transaction

from agencies.models import Agency, IncidentType, Kelurahan
from calls.models import Call, Caller, CallTransition, CallType
from calls.phone import parse_number
from core.changes import call_changed
from core.csvcells import csv_uncell
from dispatch.models import Dispatch, DispatchTransition, Incident, IncidentTransition, Reason

COLUMNS = [
    "external_id", "received_at", "answered_at", "caller_number", "call_type", "incident_type", "kelurahan_code",
    "notes", "agencies", "dispatched_at", "acknowledged_at", "resolved_at", "closed_at",
]
TIME_COLUMNS = ("received_at", "answered_at", "dispatched_at", "acknowledged_at", "resolved_at", "closed_at")


class RowError(Exception):
    pass


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _time(row: dict, name: str) -> datetime | None:
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{name}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise RowError(f"{name}: the time needs an offset (e.g. +07:00): {value!r}")
    return moment


class _Reference:
    """Reference data looked up once per import."""

    def __init__(self):
        self.incident_types = {t.code: t for t in IncidentType.objects.all()}
        self.agencies = {a.code: a for a in Agency.objects.all()}
        self.kelurahan = {k.code: k for k in Kelurahan.objects.all()}


def import_calls(stream: IO[str]) -> ImportResult:
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        result = ImportResult()
        result.errors.append((1, "missing columns: " + ", ".join(missing)))
        return result
    reference = _Reference()
    result = ImportResult()
    for row in reader:
        line = reader.line_num
        # An export quotes text a spreadsheet would run as a formula ('+6281...); read it back as it was.
        row = {name: csv_uncell(value) if isinstance(value, str) else value for name, value in row.items()}
        try:
            with transaction.atomic():
                created = _import_row(row, reference)
        except RowError as error:
            result.errors.append((line, str(error)))
            continue
        except DatabaseError as error:
            if isinstance(error, IntegrityError) and Call.objects.filter(external_id=(row.get("external_id") or "").strip()).exists():
                result.skipped += 1  # loaded by a concurrent import meanwhile
            else:
                result.errors.append((line, f"rejected by the database: {str(error).splitlines()[0]}"))
            continue
        if created:
            result.created += 1
        else:
            result.skipped += 1
    return result


def _import_row(row: dict, ref: _Reference) -> bool:
    """Create one call with its incident and dispatches. False when the external id is already loaded."""
    external_id = (row.get("external_id") or "").strip()
    if not external_id:
        raise RowError("external_id is empty")
    if len(external_id) > 128:
        raise RowError("external_id is longer than 128 characters")
    if Call.objects.filter(external_id=external_id).exists():
        return False
    times = {name: _time(row, name) for name in TIME_COLUMNS}
    received = times["received_at"]
    if received is None:
        raise RowError("received_at is empty")
    for name in TIME_COLUMNS[1:]:
        if times[name] is not None and times[name] < received:
            raise RowError(f"{name} is before received_at")
    call_type = (row.get("call_type") or "").strip().lower()
    if call_type and call_type not in CallType.values:
        raise RowError(f"call_type unknown: {call_type!r}")
    itype_code = (row.get("incident_type") or "").strip()
    agency_codes = [c.strip().upper() for c in (row.get("agencies") or "").split(";") if c.strip()]
    itype = None
    if call_type == CallType.EMERGENCY:
        if not itype_code:
            raise RowError("an emergency needs incident_type")
        itype = ref.incident_types.get(itype_code)
        if itype is None:
            raise RowError(f"incident_type unknown: {itype_code!r}")
    elif itype_code or agency_codes:
        raise RowError("incident_type and agencies belong to emergencies only")
    unknown = [c for c in agency_codes if c not in ref.agencies]
    if unknown:
        raise RowError("agencies unknown: " + ", ".join(unknown))
    if agency_codes and times["dispatched_at"] is None:
        raise RowError("agencies given without dispatched_at")
    if times["dispatched_at"] and not agency_codes:
        raise RowError("dispatched_at given without agencies")
    for name in ("acknowledged_at", "resolved_at"):
        if times[name] and not agency_codes:
            raise RowError(f"{name} given without agencies")
    if times["resolved_at"] and not times["acknowledged_at"]:
        raise RowError("resolved_at needs acknowledged_at")
    if times["acknowledged_at"] and times["dispatched_at"] and times["acknowledged_at"] < times["dispatched_at"]:
        raise RowError("acknowledged_at is before dispatched_at")
    if times["closed_at"] and itype is None:
        raise RowError("closed_at belongs to emergencies only")
    kelurahan = None
    kel_code = (row.get("kelurahan_code") or "").strip()
    if kel_code:
        kelurahan = ref.kelurahan.get(kel_code)
        if kelurahan is None:
            raise RowError(f"kelurahan_code unknown: {kel_code!r}")
    notes = row.get("notes") or ""

    parsed = parse_number(row.get("caller_number"))
    caller = None
    if parsed.e164:
        caller, _ = Caller.objects.get_or_create(number=parsed.e164, defaults={"first_seen_at": received})
        if caller.first_seen_at > received:
            Caller.objects.filter(pk=caller.pk).update(first_seen_at=received)
    answered = times["answered_at"]
    classified_at = (answered or received) if call_type else None
    status = Call.Status.CLASSIFIED if call_type else (Call.Status.ACTIVE if answered else Call.Status.ABANDONED)

    incident = None
    if itype is not None:
        incident = _import_incident(itype, kelurahan, notes, classified_at, times, agency_codes, ref)
    call = Call.objects.create(
        caller=caller,
        caller_number_raw=parsed.raw,
        number_invalid=parsed.invalid,
        status=status,
        received_at=received,
        answered_at=answered,
        ended_at=None,
        classified_at=classified_at,
        call_type=call_type,
        incident=incident,
        notes=notes,
        kelurahan=kelurahan,
        lat=kelurahan.lat if kelurahan else None,
        lon=kelurahan.lon if kelurahan else None,
        external_id=external_id,
    )
    call_changed(call, action="call.import", detail={"external_id": external_id})
    CallTransition.objects.create(call=call, at=received, from_status="", to_status="ringing", reason_code=Reason.IMPORTED)
    if answered:
        CallTransition.objects.create(call=call, at=answered, from_status="ringing", to_status="active", reason_code=Reason.IMPORTED)
    if call_type:
        CallTransition.objects.create(
            call=call, at=classified_at, from_status="active" if answered else "ringing", to_status="classified",
            reason_code=Reason.IMPORTED_AS, reason_params={"type": call_type},
        )
    return True


def _import_incident(itype, kelurahan, notes, opened_at, times, agency_codes, ref) -> Incident:
    closed = times["closed_at"]
    status = Incident.Status.CLOSED if closed else (Incident.Status.DISPATCHED if agency_codes else Incident.Status.OPEN)
    incident = Incident.objects.create(
        incident_type=itype,
        priority=itype.priority,
        status=status,
        kelurahan=kelurahan,
        lat=kelurahan.lat if kelurahan else None,
        lon=kelurahan.lon if kelurahan else None,
        summary=notes[:1000],
        created_at=opened_at,
        closed_at=closed,
    )
    IncidentTransition.objects.create(incident=incident, at=opened_at, from_status="", to_status="open", reason_code=Reason.IMPORTED)
    dispatched, acked, resolved = times["dispatched_at"], times["acknowledged_at"], times["resolved_at"]
    if agency_codes:
        IncidentTransition.objects.create(incident=incident, at=dispatched, from_status="open", to_status="dispatched", reason_code=Reason.IMPORTED)
    for n, code in enumerate(agency_codes):
        agency = ref.agencies[code]
        dispatch_status = Dispatch.Status.RESOLVED if resolved else (
            Dispatch.Status.ACKNOWLEDGED if acked else (Dispatch.Status.CANCELLED if closed else Dispatch.Status.DISPATCHED)
        )
        dispatch = Dispatch.objects.create(
            incident=incident,
            agency=agency,
            status=dispatch_status,
            is_primary=n == 0,
            dispatched_at=dispatched,
            ack_deadline=dispatched + timedelta(seconds=agency.ack_seconds(itype.priority)),
            acknowledged_at=acked,
            resolved_at=resolved,
            cancelled_at=closed if dispatch_status == Dispatch.Status.CANCELLED else None,
        )
        DispatchTransition.objects.create(dispatch=dispatch, at=dispatched, from_status="", to_status="dispatched", reason_code=Reason.IMPORTED)
        if acked:
            DispatchTransition.objects.create(dispatch=dispatch, at=acked, from_status="dispatched", to_status="acknowledged", reason_code=Reason.IMPORTED)
        if resolved:
            DispatchTransition.objects.create(dispatch=dispatch, at=resolved, from_status="acknowledged", to_status="resolved", reason_code=Reason.IMPORTED)
        elif dispatch_status == Dispatch.Status.CANCELLED:
            DispatchTransition.objects.create(
                dispatch=dispatch, at=closed, from_status="dispatched", to_status="cancelled", reason_code=Reason.IMPORTED_UNACKNOWLEDGED,
            )
    if closed:
        IncidentTransition.objects.create(
            incident=incident, at=closed, from_status="dispatched" if agency_codes else "open", to_status="closed",
            reason_code=Reason.IMPORTED,
        )
    return incident
