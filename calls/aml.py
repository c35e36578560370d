"""Advanced Mobile Location (ETSI TS 103 625): parsing AML messages and matching them to calls.

A handset that dials 112 sends its own position, either as an SMS whose text is
`A"ML=1;lt=-3.79;lg=102.26;rd=50;top=20261128010203;lc=68;pm=G;si=...;ei=...;mcc=510;mnc=10;ml=123`
or as an HTTPS POST of form fields (the short names of the SMS, or the long names
of the HTTPS variant: `location_latitude`, `location_longitude`, `location_accuracy`,
`location_time`, `location_source`, `device_number`, `device_imei`, `device_imsi`,
`cell_network_mcc`, `cell_network_mnc`).

A message is matched to the call from the same number within `AML_MATCH_MINUTES`
of its arrival. A message that arrives before its call waits unmatched and is
attached when the call is recorded (`aml_attach_pending`). The location is copied
into the call only while the call has no location the operator set; otherwise it
is kept beside the call for the operator to use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import AmlLocation, Call
from calls.phone import parse_number
from core.changes import call_changed
from dispatch import events
from dispatch.audit import audit
from dispatch.errors import InvalidInput
from dispatch.event_types import AmlFix, CallUpdated

logger = logging.getLogger(__name__)

SMS_PREFIX = 'A"ML='
MAX_RAW_LENGTH = 2000

# Long (HTTPS) names -> the short names of the SMS form.
ALIASES = {
    "lat": "lt",
    "latitude": "lt",
    "location_latitude": "lt",
    "lon": "lg",
    "lng": "lg",
    "longitude": "lg",
    "location_longitude": "lg",
    "radius": "rd",
    "accuracy": "rd",
    "location_accuracy": "rd",
    "time": "top",
    "location_time": "top",
    "confidence": "lc",
    "location_confidence": "lc",
    "method": "pm",
    "location_source": "pm",
    "imsi": "si",
    "device_imsi": "si",
    "imei": "ei",
    "device_imei": "ei",
    "cell_network_mcc": "mcc",
    "cell_network_mnc": "mnc",
    "cell_home_mcc": "mcc",
    "cell_home_mnc": "mnc",
    "version": "v",
    "aml": "v",
}
NUMBER_FIELDS = ("from", "device_number", "number", "msisdn", "caller_number")
METHODS = {"g": "gnss", "gnss": "gnss", "gps": "gnss", "w": "wifi", "wifi": "wifi", "c": "cell", "cell": "cell", "n": "none", "f": "fused", "fused": "fused"}


@dataclass(frozen=True)
class AmlMessage:
    number: str
    lat: float
    lon: float
    radius_m: float | None
    positioned_at: datetime | None
    confidence: int | None
    method: str
    imsi: str
    imei: str
    mcc: str
    mnc: str
    source: str
    raw: str


def _sms_fields(text: str) -> dict[str, str]:
    text = text.strip()
    if not text.upper().startswith(SMS_PREFIX):
        raise InvalidInput(_('Pesan AML SMS harus diawali A"ML=.'), field="sms")
    fields: dict[str, str] = {}
    for i, part in enumerate(p for p in text.split(";") if p.strip()):
        if "=" not in part:
            raise InvalidInput(_("Bagian pesan AML tanpa '=': %(p)s") % {"p": part[:40]}, field="sms")
        key, value = part.split("=", 1)
        key = key.strip().lower()
        if i == 0:
            key = "v"
        fields[key] = value.strip()
    return fields


def _normalise(data: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = value[0] if value else ""
        if value is None:
            continue
        key = str(key).strip().lower()
        fields[ALIASES.get(key, key)] = str(value).strip()
    return fields


def _float(fields: dict[str, str], key: str, label: str, low: float, high: float, *, required: bool) -> float | None:
    value = fields.get(key, "")
    if value == "":
        if required:
            raise InvalidInput(_("Pesan AML tanpa %(f)s.") % {"f": label}, field=key)
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(_("%(f)s AML bukan angka: %(v)s") % {"f": label, "v": value[:40]}, field=key) from None
    if not (low <= number <= high):
        raise InvalidInput(_("%(f)s AML di luar rentang: %(v)s") % {"f": label, "v": value[:40]}, field=key)
    return number


def _time(value: str) -> datetime | None:
    """`top` as YYYYMMDDhhmmss (UTC, the SMS form), epoch milliseconds (HTTPS) or ISO 8601."""
    if not value:
        return None
    if value.isdigit() and len(value) == 14:
        try:
            return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(_("Waktu penentuan posisi (top) tidak valid: %(v)s") % {"v": value}, field="top") from None
    if value.isascii() and value.isdigit() and len(value) in (10, 13):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(_("Waktu penentuan posisi (top) tidak valid: %(v)s") % {"v": value[:40]}, field="top") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_aml(data: dict[str, Any]) -> AmlMessage:
    """An AML message from the request body: `{"sms", "from"}` or HTTPS form fields. Raises InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput(_("Pesan AML harus berupa objek/form."))
    if "sms" in data:
        sms = data.get("sms")
        if isinstance(sms, list):
            sms = sms[0] if sms else ""
        if not isinstance(sms, str) or not sms.strip():
            raise InvalidInput(_("Teks SMS AML kosong."), field="sms")
        raw = sms[:MAX_RAW_LENGTH]
        fields = _sms_fields(sms)
        sender = data.get("from")
        if isinstance(sender, list):
            sender = sender[0] if sender else ""
        fields["from"] = str(sender or "").strip()
        source = "sms"
    else:
        fields = _normalise(data)
        raw = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))[:MAX_RAW_LENGTH]
        source = "https"
    number_raw = next((fields[k] for k in NUMBER_FIELDS if fields.get(k)), "")
    if not number_raw:
        raise InvalidInput(_("Pesan AML tanpa nomor pengirim (from)."), field="from")
    number = parse_number(number_raw).e164
    if number is None:
        raise InvalidInput(_("Nomor pengirim AML tidak valid: %(n)s") % {"n": number_raw[:40]}, field="from")
    lat = _float(fields, "lt", _("lintang (lt)"), -90, 90, required=True)
    lon = _float(fields, "lg", _("bujur (lg)"), -180, 180, required=True)
    radius = _float(fields, "rd", _("radius (rd)"), 0, 1_000_000, required=False)
    confidence = _float(fields, "lc", _("tingkat keyakinan (lc)"), 0, 100, required=False)
    method = fields.get("pm", "")
    return AmlMessage(
        number=number,
        lat=lat,
        lon=lon,
        radius_m=radius,
        positioned_at=_time(fields.get("top", "")),
        confidence=int(confidence) if confidence is not None else None,
        method=METHODS.get(method.lower(), method.lower())[:32],
        imsi=fields.get("si", "")[:32],
        imei=fields.get("ei", "")[:32],
        mcc=fields.get("mcc", "")[:3],
        mnc=fields.get("mnc", "")[:3],
        source=source,
        raw=raw,
    )


def _window() -> timedelta:
    return timedelta(minutes=getattr(settings, "AML_MATCH_MINUTES", 10))


def aml_fix(aml: AmlLocation) -> AmlFix:
    """A fix as `call.updated` carries it."""
    return AmlFix(
        id=aml.pk,
        lat=aml.lat,
        lon=aml.lon,
        radius_m=aml.radius_m,
        confidence=aml.confidence,
        method=aml.method,
        positioned_at=aml.positioned_at.isoformat() if aml.positioned_at else None,
        kelurahan_code=aml.kelurahan.code if aml.kelurahan_id else None,
        kelurahan=aml.kelurahan.name if aml.kelurahan_id else None,
        applied=aml.applied,
    )


def aml_event_data(aml: AmlLocation) -> dict[str, Any]:
    """A fix as the telephony API answers it: as the live event carries it."""
    return aml_fix(aml).as_data()


def _operator_set_location(call: Call) -> bool:
    """Whether the call's location is someone's choice (not empty, not a copy of an AML fix)."""
    if call.lat is None and call.kelurahan_id is None and not call.address:
        return False
    if call.lat is None:
        return True
    return not call.aml_locations.filter(applied=True, lat=call.lat, lon=call.lon).exists()


def _attach(aml: AmlLocation, call: Call, *, now: datetime) -> None:
    """Inside a transaction with the call locked: link the fix, copy it in if allowed, emit call.updated last."""
    from calls.services import call_event

    aml.call = call
    aml.matched_at = now
    changed: list[str] = []
    if not _operator_set_location(call):
        call.lat, call.lon = aml.lat, aml.lon
        call.kelurahan_id = aml.kelurahan_id
        call.outside_city = aml.kelurahan_id is None
        changed = ["lat", "lon", "kelurahan", "outside_city"]
        aml.applied = True
    aml.save(update_fields=["call", "matched_at", "applied"])
    call.version += 1
    call.save(update_fields=[*changed, "version"])
    audit("call.aml_matched", obj=call, detail={"aml_id": aml.pk, "applied": aml.applied})
    call_changed(call, action="call.aml_matched", detail={"aml_id": aml.pk, "applied": aml.applied})
    events.emit(call_event(CallUpdated, call, aml=aml_fix(aml)))


def _call_near(number: str, at: datetime) -> Call | None:
    """The caller's call received nearest to `at` within the window, locked."""
    window = _window()
    candidates = list(
        Call.objects.filter(caller__number=number, received_at__gte=at - window, received_at__lte=at + window)
        .values_list("pk", "received_at")[:50]
    )
    if not candidates:
        return None
    pk, _received = min(candidates, key=lambda row: (abs((row[1] - at).total_seconds()), -row[0]))
    return Call.objects.select_for_update(of=("self",)).select_related("caller").get(pk=pk)


def aml_receive(*, message: AmlMessage, user=None, now: datetime | None = None) -> AmlLocation:
    """Store an AML fix with its kelurahan and match it to the caller's call, if one is within the window."""
    from agencies.geo import kelurahan_at

    now = now or timezone.now()
    kelurahan = kelurahan_at(message.lat, message.lon)
    with transaction.atomic():
        aml = AmlLocation.objects.create(
            caller_number=message.number,
            lat=message.lat,
            lon=message.lon,
            radius_m=message.radius_m,
            positioned_at=message.positioned_at,
            confidence=message.confidence,
            method=message.method,
            imei=message.imei,
            imsi=message.imsi,
            mcc=message.mcc,
            mnc=message.mnc,
            source=message.source,
            raw=message.raw,
            received_at=now,
            kelurahan=kelurahan,
        )
        call = _call_near(message.number, now)
        if call is None:
            audit("aml.pending", user=user, obj=aml, detail={"number": message.number})
            return aml
        _attach(aml, call, now=now)
    return aml


def aml_attach_pending(*, call: Call, now: datetime | None = None) -> AmlLocation | None:
    """When a call arrives: attach the newest unmatched AML fix of its number within the window.

    Call it inside the transaction that records the call, with the call row locked or just created.
    """
    if call.caller_id is None:
        return None
    start, end = pending_fix_window(call.received_at)
    return aml_attach_fix(call=call, fix_id=pending_fix_id(call.caller.number, start, end), now=now)


def aml_attach_fix(*, call: Call, fix_id: int | None, now: datetime | None = None) -> AmlLocation | None:
    """Attach a fix found (and locked) by `pending_fix_query` to the call, in the call's transaction."""
    if fix_id is None:
        return None
    aml = AmlLocation.objects.get(pk=fix_id)
    _attach(aml, call, now=now or timezone.now())
    return aml


def pending_fix_window(received_at: datetime) -> tuple[datetime, datetime]:
    """The fixes a call received at `received_at` takes: those received within the window either side."""
    window = _window()
    return received_at - window, received_at + window


def pending_fix_query(number: str, start: datetime, end: datetime) -> tuple[str, list]:
    """The statement that finds the newest unmatched fix of the number in [start, end] and locks it
    (skipping one that another call holds), with its parameters. Served by the partial index
    `calls_aml_pending`. The intake runs it inside its caller statement on PostgreSQL."""
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    adapt = connection.ops.adapt_datetimefield_value
    return (
        f"SELECT id FROM {connection.ops.quote_name(AmlLocation._meta.db_table)}"  # nosec B608 - names from the model
        " WHERE call_id IS NULL AND caller_number = %s AND received_at >= %s AND received_at <= %s"
        f" ORDER BY received_at DESC LIMIT 1{lock}",
        [number, adapt(start), adapt(end)],
    )


def pending_fix_id(number: str, start: datetime, end: datetime) -> int | None:
    """The newest unmatched fix of the number in [start, end], locked; None when there is none.

    Every new call asks this and almost always finds nothing, so it is one plain statement: the ORM
    spent several times the query's own cost building it.
    """
    sql, params = pending_fix_query(number, start, end)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def latest_aml_for_call(call_id: int) -> AmlLocation | None:
    return AmlLocation.objects.select_related("kelurahan").filter(call_id=call_id).order_by("-received_at", "-pk").first()
