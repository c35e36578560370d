"""The supervisors' daily digest: its text, its recipients, and the sweep's step that sends it once a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.translation import gettext_lazy as _

from dispatch.models import Delivery
from dispatch.labels import call_type_label, incident_type_label
from dispatch.notifications import deliver
from dispatch.shifts import WIB
from reports.models import DailyDigest
from reports.selectors import daily_summary

# The digest of a day goes out this long after the day ends (00:05 WIB the next day).
DIGEST_AFTER = timedelta(minutes=5)


def digest_text(day: date) -> str:
    summary = daily_summary(day)
    lines = [
        str(_("Ringkasan harian Call Center 112 Kota Bengkulu, %(d)s (WIB)") % {"d": day.isoformat()}),
        "",
        str(_("Total panggilan: %(n)d") % {"n": summary["calls_total"]}),
    ]
    lines += [f"  {call_type_label(t)}: {n}" for t, n in summary["by_call_type"].items()]
    if summary["answer_seconds"]["median"] is None:
        answer_line = str(_("Waktu jawab: tidak ada data sistem telepon (PBX)."))
    else:
        answer_line = str(_("Waktu jawab median/p90: %(m)s / %(p)s s; dalam 15 s: %(w)s %%")
                          % {"m": summary["answer_seconds"]["median"], "p": summary["answer_seconds"]["p90"], "w": summary["answered_within_15s_pct"]})
    lines += [
        answer_line,
        str(_("Waktu proses median/p90: %(m)s / %(p)s s")
            % {"m": summary["processing_seconds"]["median"], "p": summary["processing_seconds"]["p90"]}),
        "",
        str(_("Kejadian per jenis:")),
    ]
    lines += [f"  {incident_type_label(t)}: {n}" for t, n in summary["by_incident_type"].items()] or ["  -"]
    lines += ["", str(_("Instansi (dikirim / diterima / median terima s):"))]
    lines += [
        f"  {code}: {a['dispatched']} / {a['acknowledged']} / {a['ack_seconds']['median']}"
        for code, a in summary["by_agency"].items()
    ] or ["  -"]
    return "\n".join(lines) + "\n"


def digest_recipients() -> list[str]:
    return sorted(
        get_user_model().objects.filter(is_active=True, membership__role="supervisor").exclude(email="")
        .values_list("email", flat=True).distinct()
    )


def daily_digest_send(*, day: date) -> int:
    """Mail the day's digest to every supervisor with an e-mail address. Returns the number of recipients."""
    recipients = digest_recipients()
    if not recipients:
        return 0
    send_mail(
        subject=str(_("[112 Kota Bengkulu] Ringkasan harian %(d)s") % {"d": day.isoformat()}),
        message=digest_text(day),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    return len(recipients)


def digest_due_day(now: datetime) -> date:
    """The latest WIB day whose digest is due at `now`."""
    return (now - DIGEST_AFTER).astimezone(WIB).date() - timedelta(days=1)


def digest_send_due(*, now: datetime) -> bool:
    """The sweep's step for the supervisors' digest: record the due day's digest, then send it once.

    Driven by the database rather than a scheduled message, so a digest whose moment
    passed while the broker (or the worker) was down goes out when the sweep runs again."""
    digest, _ = DailyDigest.objects.get_or_create(day=digest_due_day(now), defaults={"created_at": now})
    if digest.status in (Delivery.Status.SENT, Delivery.Status.FAILED):
        return False

    def send(digest: DailyDigest) -> dict:
        return {"recipients": daily_digest_send(day=digest.day)}

    # smtplib's errors are OSErrors, as are refused and timed-out connections.
    return deliver(DailyDigest.objects.filter(pk=digest.pk), send, errors=(OSError,))
