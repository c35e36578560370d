"""Writes about hazard alerts and disaster mode.

Owns: storing an alert by its identifier (once; an Update or a Cancel changes the alert it
references), deciding from the assessment whether the centre goes into disaster mode, the
disaster period's start (a major incident for BPBD, its duty officers and BASARNAS's and
DAMKAR's notified), update and end (a supervisor, the alert's expiry or its cancellation), the
operators' script, and polling the configured feeds. Every change emits `disaster.*` after commit.
"""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, IncidentType, Kecamatan
from dispatch import events
from dispatch.audit import audit
from dispatch.errors import Conflict, InvalidInput
from dispatch.event_types import (
    DisasterEnded,
    DisasterStarted,
    DisasterState,
    DisasterUpdated,
    HazardAlertSnapshot,
    IncidentCreated,
)
from dispatch.http import FetchRefused, fetch_capped
from hazards.assessment import Thresholds, assess
from hazards.models import DisasterPeriod, DisasterScript, FeedSource, HazardAlert, HazardThresholds, Kind
from hazards.parsing import WIB, HazardParseError, ParsedAlert, parse_bmkg_feed, parse_cap

logger = logging.getLogger(__name__)

# The agencies whose duty officers hear of a disaster at once; the incident goes to the first.
DISASTER_AGENCIES = ("BPBD", "BASARNAS", "DAMKAR")
INCIDENT_TYPE = "gempa_tsunami"
DEFAULT_SCRIPTS = {
    Kind.EARTHQUAKE_FELT: (
        "Tetap tenang. Jauhi kaca, lemari dan bangunan yang retak. Jika berada di dalam bangunan yang rusak, "
        "keluar dengan hati-hati ke tempat terbuka. Apakah ada yang terluka atau terjebak? Di mana alamatnya?"
    ),
    Kind.TSUNAMI: (
        "Segera menjauh dari pantai dan sungai menuju tempat tinggi atau bangunan evakuasi. Jangan menunggu "
        "sirene, jangan kembali ke pantai sampai peringatan diakhiri. Apakah ada yang tidak bisa mengungsi?"
    ),
}


def thresholds_get() -> HazardThresholds:
    row, _ = HazardThresholds.objects.get_or_create(pk=1)
    return row


def script_for(kind: str) -> str:
    if not kind:
        return ""
    row = DisasterScript.objects.filter(kind=kind).first()
    return row.text if row else DEFAULT_SCRIPTS.get(kind, "")


def script_update(*, kind: str, text: str, user) -> DisasterScript:
    """A supervisor's new wording of the script read to callers (audited)."""
    if kind not in (Kind.EARTHQUAKE_FELT, Kind.TSUNAMI):
        raise InvalidInput(_("Jenis naskah tidak dikenal."), field="kind")
    text = (text or "").strip()
    if not 1 <= len(text) <= 2000:
        raise InvalidInput(_("Naskah harus 1–2.000 karakter."), field="text")
    with transaction.atomic():
        row, _created = DisasterScript.objects.update_or_create(kind=kind, defaults={"text": text, "updated_by": user})
        audit("disaster.script", user=user, obj=row, detail={"kind": kind})
    return row


def _kecamatan_centroids() -> list[tuple[str, float, float]]:
    return list(Kecamatan.objects.values_list("name", "lat", "lon"))


def alert_snapshot(alert: HazardAlert) -> HazardAlertSnapshot:
    sent_wib = alert.sent.astimezone(WIB)
    return HazardAlertSnapshot(
        id=alert.pk,
        identifier=alert.identifier,
        msg_type=alert.msg_type,
        event=alert.event,
        headline=alert.headline,
        sent=alert.sent.isoformat(),
        sent_wib=f"{sent_wib:%d-%m-%Y %H:%M} WIB",
        expires=alert.expires.isoformat() if alert.expires else None,
        magnitude=alert.magnitude,
        depth_km=alert.depth_km,
        lat=alert.lat,
        lon=alert.lon,
        area=alert.area,
        felt=alert.felt,
        mmi_bengkulu=alert.mmi_bengkulu,
        distance_km=alert.distance_km,
        nearest_kecamatan=alert.nearest_kecamatan,
        tsunami=alert.tsunami,
        tsunami_level=alert.tsunami_level,
        kind=alert.kind or None,
    )


State = TypeVar("State", bound=DisasterState)


def disaster_state(state_type: type[State], period: DisasterPeriod | None) -> State:
    """Disaster mode as `period` leaves it (None: not active), as a `disaster.*` event or the plain state."""
    if period is None:
        return state_type(active=False, kind=None, since=None, alert=None, period_id=None, ended_at=None,
                          end_reason=None, script="")
    return state_type(
        active=period.active,
        kind=period.kind,
        since=period.started_at.isoformat(),
        alert=alert_snapshot(period.alert),
        period_id=period.pk,
        ended_at=period.ended_at.isoformat() if period.ended_at else None,
        end_reason=period.end_reason or None,
        script=script_for(period.kind) if period.active else "",
    )


def disaster_state_data(period: DisasterPeriod | None) -> dict:
    """What `GET /api/v1/disaster/` answers and every `disaster.*` event carries."""
    return disaster_state(DisasterState, period).as_data()


# Receiving alerts -------------------------------------------------------------------------------

def alert_receive_cap(*, data: bytes, user=None) -> tuple[HazardAlert, bool]:
    """A pushed CAP 1.2 message: (the stored alert, whether it is new). InvalidInput when it is not valid CAP,
    from a sender not configured, or an Update/Cancel of an alert we do not have; nothing is stored then."""
    try:
        parsed = parse_cap(data)
    except HazardParseError as exc:
        raise InvalidInput(_("Bukan pesan CAP 1.2 yang sah: %(reason)s") % {"reason": str(exc)[:300]}) from exc
    return alert_store(parsed, source=HazardAlert.Source.CAP, user=user, raw=data.decode("utf-8", "replace"))


def alert_store(parsed: ParsedAlert, *, source: str, user=None, raw: str = "") -> tuple[HazardAlert, bool]:
    """Store an alert once by its identifier and apply it to disaster mode, in one transaction."""
    if parsed.sender not in settings.HAZARD_CAP_SENDERS:
        raise InvalidInput(_("Pengirim %(sender)s tidak diterima.") % {"sender": parsed.sender[:100]}, field="sender")
    if not parsed.identifier or len(parsed.identifier) > 255:
        raise InvalidInput(_("Identifier peringatan kosong atau terlalu panjang."), field="identifier")
    existing = HazardAlert.objects.filter(identifier=parsed.identifier).first()
    if existing is not None:
        return existing, False
    try:
        return _store_new(parsed, source=source, user=user, raw=raw), True
    except IntegrityError:
        # The same identifier stored by a concurrent request (or a second disaster period raced): that one stands.
        existing = HazardAlert.objects.filter(identifier=parsed.identifier).first()
        if existing is None:
            raise
        return existing, False


# Disaster periods started inside `_store_new`'s transaction, mobilised after it has committed.
_started: contextvars.ContextVar[list[int]] = contextvars.ContextVar("hazards_started")


def _store_new(parsed: ParsedAlert, *, source: str, user, raw: str) -> HazardAlert:
    token = _started.set([])
    try:
        alert = _store_new_in_transaction(parsed, source=source, user=user, raw=raw)
        started = _started.get()
    finally:
        _started.reset(token)
    for period_id in started:
        try:
            disaster_mobilise(period_id=period_id)
        except Exception:  # noqa: BLE001 - disaster mode is on and shown; the incident can be opened by hand
            logger.exception("disaster period %s: opening the BPBD incident or notifying failed", period_id)
    return alert


def _store_new_in_transaction(parsed: ParsedAlert, *, source: str, user, raw: str) -> HazardAlert:
    now = timezone.now()
    with events.atomic():
        referenced: list[HazardAlert] = []
        if parsed.msg_type in ("update", "cancel"):
            if not parsed.references:
                raise InvalidInput(_("Pesan %(type)s tanpa references.") % {"type": parsed.msg_type}, field="references")
            referenced = list(HazardAlert.objects.select_for_update().filter(identifier__in=parsed.references))
            unknown = sorted(set(parsed.references) - {a.identifier for a in referenced})
            if unknown:
                raise InvalidInput(
                    _("Pesan merujuk peringatan yang tidak dikenal: %(ids)s") % {"ids": ", ".join(unknown)[:300]},
                    field="references")
        t = thresholds_get()
        assessment = assess(parsed, thresholds=Thresholds(t.felt_mmi_min, t.magnitude_min, t.radius_km, t.tsunami_radius_km),
                            kecamatan=_kecamatan_centroids())
        counts = parsed.msg_type in ("alert", "update") and parsed.status == "Actual"
        alert = HazardAlert.objects.create(
            identifier=parsed.identifier, source=source, sender=parsed.sender, msg_type=parsed.msg_type,
            status=parsed.status, event=parsed.event[:255], headline=parsed.headline[:500], sent=parsed.sent,
            expires=parsed.expires, references=parsed.references, magnitude=parsed.magnitude, depth_km=parsed.depth_km,
            lat=parsed.lat, lon=parsed.lon, area=parsed.area[:500], felt=parsed.felt[:500], tsunami=parsed.tsunami[:255],
            tsunami_level=assessment.tsunami_level, mmi_bengkulu=assessment.mmi_bengkulu,
            distance_km=assessment.distance_km, nearest_kecamatan=assessment.nearest_kecamatan[:120],
            nearest_kecamatan_km=assessment.nearest_kecamatan_km, kind=assessment.kind if counts else "",
            received_at=now, received_by=user, raw=raw[:300_000],
        )
        # A Cancel of the first message also ends the Update that superseded it: the whole line counts.
        related = _with_successors(referenced)
        if referenced:
            HazardAlert.objects.filter(pk__in=[a.pk for a in referenced]).update(
                superseded_by=alert, **({"cancelled_at": now} if parsed.msg_type == "cancel" else {}))
        audit("hazard.alert", user=user, obj=alert, detail={
            "identifier": alert.identifier, "msg_type": alert.msg_type, "kind": alert.kind,
            "reasons": list(assessment.reasons), "references": parsed.references})
        _apply(alert, referenced_ids=related, now=now)
    return alert


def _with_successors(alerts: list[HazardAlert]) -> set[int]:
    """The ids of these alerts and of every later message that superseded them."""
    ids: set[int] = set()
    for alert in alerts:
        current: HazardAlert | None = alert
        while current is not None and current.pk not in ids:
            ids.add(current.pk)
            current = current.superseded_by
    return ids


def _apply(alert: HazardAlert, *, referenced_ids: set[int], now: datetime) -> None:
    """Start, update or end disaster mode for a newly stored alert (inside its transaction)."""
    period = DisasterPeriod.objects.select_for_update().select_related("alert").filter(active=True).first()
    about_period = period is not None and period.alert_id in referenced_ids
    if alert.msg_type == HazardAlert.MsgType.CANCEL:
        if about_period:
            _end(period, reason=DisasterPeriod.EndReason.CANCELLED, user=None, now=now, alert=alert)
        return
    if about_period:
        if alert.kind:
            _update(period, alert=alert)
        else:
            _end(period, reason=DisasterPeriod.EndReason.DOWNGRADED, user=None, now=now, alert=alert)
        return
    if not alert.kind or (alert.expires is not None and alert.expires <= now):
        return  # listed on the board, nothing else: a far quake, an exercise, a stale feed entry
    if period is None:
        _start(alert, now=now)
    elif alert.kind == Kind.TSUNAMI and period.kind != Kind.TSUNAMI:
        _update(period, alert=alert)


def _start(alert: HazardAlert, *, now: datetime) -> DisasterPeriod:
    with transaction.atomic():  # a savepoint: a concurrent start loses on the one-active constraint
        period = DisasterPeriod.objects.create(kind=alert.kind, alert=alert, started_at=now)
    audit("disaster.start", obj=period, detail={"alert": alert.identifier, "kind": alert.kind})
    events.emit(disaster_state(DisasterStarted, period))
    _started.get().append(period.pk)
    return period


def disaster_mobilise(*, period_id: int) -> DisasterPeriod | None:
    """After disaster mode has started (its banner is out): the major incident for BPBD and the duty
    officers of BPBD, BASARNAS and DAMKAR told. Its own transaction, so the start's commit and broadcast
    never wait for it; idempotent (a period that has its incident is left alone)."""
    with events.atomic():
        period = DisasterPeriod.objects.select_for_update().select_related("alert").filter(pk=period_id).first()
        if period is None or period.incident_id is not None:
            return period
        now = timezone.now()
        period.incident = _open_major_incident(period.alert, now=now)
        period.save(update_fields=["incident"])
        agencies = list(Agency.objects.filter(code__in=DISASTER_AGENCIES, active=True))
        from dispatch.notifications import queue_agency_notifications

        told = queue_agency_notifications(kind="disaster", agencies=agencies, text=_notification_text(period.alert), now=now)
    from dispatch.notifications import enqueue_after_commit

    enqueue_after_commit([n.pk for n in told])
    return period


def _notification_text(alert: HazardAlert) -> str:
    tsunami = f" PERINGATAN TSUNAMI {alert.tsunami_level.upper()}." if alert.tsunami_level else (
        f" {alert.tsunami}." if alert.tsunami else "")
    distance = f", {alert.distance_km:.0f} km dari Kota Bengkulu" if alert.distance_km is not None else ""
    magnitude = f"M{alert.magnitude:.1f}" if alert.magnitude is not None else alert.event
    return (f"[112 Kota Bengkulu] MODE BENCANA: {magnitude}{distance}, "
            f"{alert.sent.astimezone(WIB):%H:%M} WIB. {alert.area}.{tsunami}").strip()


def _open_major_incident(alert: HazardAlert, *, now: datetime):
    """A priority-1 incident with the quake's data, sent to BPBD through the dispatch service."""
    from dispatch.models import Incident, Reason
    from dispatch.services import _incident_transition, incident_dispatch, incident_event

    itype = IncidentType.objects.filter(code=INCIDENT_TYPE).first()
    if itype is None:
        logger.error("incident type %s missing: no disaster incident opened (load_bengkulu)", INCIDENT_TYPE)
        return None
    magnitude = f"M{alert.magnitude:.1f} " if alert.magnitude is not None else ""
    incident = Incident.objects.create(
        incident_type=itype, priority=1, address=f"{magnitude}{alert.area}"[:300],
        summary=f"{alert.headline}\n{alert.felt}\n{alert.tsunami}".strip()[:1000], created_at=now, created_by=None,
    )
    _incident_transition(incident, by=None, from_status="", to_status=incident.status, at=now,
                         code=Reason.HAZARD, params={"alert": alert.identifier})
    audit("incident.open", obj=incident, detail={"hazard_alert": alert.identifier})
    events.emit(incident_event(IncidentCreated, incident))
    if Agency.objects.filter(code="BPBD", active=True).exists():
        incident_dispatch(incident_id=incident.pk, user=None, agency_codes=["BPBD"])
    return incident


def _update(period: DisasterPeriod, *, alert: HazardAlert) -> None:
    period.alert = alert
    period.kind = alert.kind
    period.version += 1
    period.save(update_fields=["alert", "kind", "version"])
    audit("disaster.update", obj=period, detail={"alert": alert.identifier, "kind": alert.kind})
    events.emit(disaster_state(DisasterUpdated, period))


def _end(period: DisasterPeriod, *, reason: str, user, now: datetime, alert: HazardAlert | None = None) -> None:
    period.active = False
    period.ended_at = now
    period.ended_by = user
    period.end_reason = reason
    period.version += 1
    period.save(update_fields=["active", "ended_at", "ended_by", "end_reason", "version"])
    audit("disaster.end", user=user, obj=period, detail={"reason": reason, "alert": alert.identifier if alert else period.alert.identifier})
    events.emit(disaster_state(DisasterEnded, period))


def disaster_end(*, user, reason: str = "") -> DisasterPeriod:
    """A supervisor ends disaster mode (audited). Conflict when none is active."""
    with events.atomic():
        period = DisasterPeriod.objects.select_for_update().select_related("alert").filter(active=True).first()
        if period is None:
            raise Conflict(_("Mode bencana tidak aktif."))
        _end(period, reason=DisasterPeriod.EndReason.SUPERVISOR, user=user, now=timezone.now())
    return period


def disaster_end_expired(*, now: datetime | None = None) -> bool:
    """The sweep's step: end disaster mode once its alert has expired. Idempotent."""
    now = now or timezone.now()
    if not DisasterPeriod.objects.filter(active=True, alert__expires__lte=now).exists():
        return False
    with events.atomic():
        period = (DisasterPeriod.objects.select_for_update().select_related("alert")
                  .filter(active=True, alert__expires__lte=now).first())
        if period is None:
            return False
        _end(period, reason=DisasterPeriod.EndReason.EXPIRED, user=None, now=now)
    return True


# Polling the feeds ------------------------------------------------------------------------------

def _fetch(url: str) -> bytes:
    """The feed's body, at most 1 MB, within the timeout; httpx errors raise, and so does what
    answered but cannot be read (HazardParseError: not a 200, too large)."""
    try:
        return fetch_capped(url, accept="application/json, application/xml", max_bytes=1024 * 1024,
                            timeout=settings.HAZARD_FEED_TIMEOUT_SECONDS, what="feed")
    except FetchRefused as exc:
        raise HazardParseError(str(exc)) from exc


def feed_poll(url: str) -> int:
    """Fetch one feed and store what is new in it; returns how many alerts were stored. Never raises for
    a feed that times out or answers garbage: that is logged and recorded on its FeedSource row."""
    stored = 0
    error = ""
    try:
        body = _fetch(url)
        if body.lstrip().startswith(b"<"):
            items = [(parse_cap(body), HazardAlert.Source.CAP, body.decode("utf-8", "replace"))]
        else:
            expires = timedelta(hours=settings.HAZARD_FEED_EXPIRES_HOURS)
            items = [(p, HazardAlert.Source.FEED, "") for p in parse_bmkg_feed(body, expires_after=expires)]
        for parsed, source, raw in items:
            try:
                stored += alert_store(parsed, source=source, raw=raw)[1]
            except InvalidInput as exc:
                logger.warning("hazard feed %s: skipped %s: %s", url, parsed.identifier, exc.message)
    except (httpx.HTTPError, HazardParseError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        logger.warning("hazard feed %s skipped: %s", url, error)
    FeedSource.objects.filter(url=url).update(ok=not error, error=error, items_stored=stored)
    return stored


def feeds_poll_due(*, stale_after: timedelta, now: datetime | None = None) -> dict[str, int]:
    """Poll every configured feed not polled for `stale_after`, each claimed by a conditional UPDATE so
    the task queue and a web process standing in never poll one feed twice at once."""
    now = now or timezone.now()
    results: dict[str, int] = {}
    for url in settings.HAZARD_FEED_URLS:
        FeedSource.objects.get_or_create(url=url)
        claimed = FeedSource.objects.filter(url=url).filter(
            Q(polled_at__isnull=True) | Q(polled_at__lte=now - stale_after)).update(polled_at=now)
        if claimed != 1:
            continue
        try:
            results[url] = feed_poll(url)
        except Exception:  # noqa: BLE001 - one feed's failure never stops the others
            logger.exception("hazard feed %s failed", url)
            results[url] = 0
    return results
