"""Hazard alerts (BMKG's earthquake feed, InaTEWS CAP 1.2) and the disaster periods they start."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NONE = "", _("Tidak ada")
    EARTHQUAKE_FELT = "earthquake_felt", _("Gempa dirasakan")
    TSUNAMI = "tsunami", _("Tsunami")


class HazardThresholds(models.Model):
    """When an alert puts the centre into disaster mode. One row (pk 1), edited in the admin."""

    felt_mmi_min = models.PositiveSmallIntegerField(
        default=3, help_text=_("Intensitas MMI di Kota Bengkulu (dari 'Dirasakan') yang memicu mode bencana."))
    magnitude_min = models.FloatField(default=5.0, help_text=_("Magnitudo minimum untuk gempa dekat."))
    radius_km = models.FloatField(default=150.0, help_text=_("Jarak maksimum (km) dari Kota Bengkulu untuk gempa dekat."))
    tsunami_radius_km = models.FloatField(
        default=1000.0, help_text=_("Gempa berpotensi tsunami dalam jarak ini (km) berarti tsunami untuk pantai Bengkulu."))

    class Meta:
        verbose_name = _("ambang bahaya")
        verbose_name_plural = _("ambang bahaya")
        constraints = [
            # A single row: the assessment reads pk 1.
            models.CheckConstraint(condition=Q(pk=1), name="hazards_hazardthresholds_single_row"),
            models.CheckConstraint(condition=Q(felt_mmi_min__gte=1, felt_mmi_min__lte=12), name="hazards_hazardthresholds_mmi_valid"),
        ]

    def __str__(self) -> str:
        return f"MMI ≥ {self.felt_mmi_min} / M ≥ {self.magnitude_min} ≤ {self.radius_km} km"


class DisasterScript(models.Model):
    """What operators read to callers in disaster mode, per kind; supervisors edit it."""

    kind = models.CharField(max_length=16, choices=[c for c in Kind.choices if c[0]], unique=True)
    text = models.TextField(max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("naskah operator")
        verbose_name_plural = _("naskah operator")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["earthquake_felt", "tsunami"]), name="hazards_disasterscript_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.kind


class HazardAlert(models.Model):
    """One alert as received, kept by its identifier; Updates and Cancels point back by `references`."""

    class Source(models.TextChoices):
        CAP = "cap", "CAP"
        FEED = "feed", _("Umpan BMKG")

    class MsgType(models.TextChoices):
        ALERT = "alert", "Alert"
        UPDATE = "update", "Update"
        CANCEL = "cancel", "Cancel"
        ACK = "ack", "Ack"
        ERROR = "error", "Error"

    identifier = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    sender = models.CharField(max_length=255)
    msg_type = models.CharField(max_length=8, choices=MsgType.choices)
    status = models.CharField(max_length=16, default="Actual")
    event = models.CharField(max_length=255, blank=True)
    headline = models.CharField(max_length=500, blank=True)
    sent = models.DateTimeField()
    expires = models.DateTimeField(null=True, blank=True)
    references = models.JSONField(default=list, blank=True)
    magnitude = models.FloatField(null=True, blank=True)
    depth_km = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    area = models.CharField(max_length=500, blank=True)
    felt = models.CharField(max_length=500, blank=True)
    tsunami = models.CharField(max_length=255, blank=True, help_text=_("Potensi tsunami menurut BMKG."))
    tsunami_level = models.CharField(max_length=16, blank=True, help_text=_("Tingkat peringatan untuk pantai Bengkulu."))
    # The assessment, stored with the alert so the list shows why it did (or did not) count.
    mmi_bengkulu = models.PositiveSmallIntegerField(null=True, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    nearest_kecamatan = models.CharField(max_length=120, blank=True)
    nearest_kecamatan_km = models.FloatField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, blank=True, default="")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes")
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["-sent"]
        verbose_name = _("peringatan bahaya")
        verbose_name_plural = _("peringatan bahaya")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["", "earthquake_felt", "tsunami"]), name="hazards_hazardalert_kind_valid"),
            models.CheckConstraint(condition=Q(source__in=["cap", "feed"]), name="hazards_hazardalert_source_valid"),
            models.CheckConstraint(
                condition=Q(msg_type__in=["alert", "update", "cancel", "ack", "error"]), name="hazards_hazardalert_msg_type_valid"),
        ]
        indexes = [
            # The disaster board's list of recent alerts, newest first.
            models.Index(fields=["-received_at"], name="hazards_hazardalert_recent"),
        ]

    def __str__(self) -> str:
        return self.identifier


class DisasterPeriod(models.Model):
    """A stretch of disaster mode: from the alert that started it to its end (supervisor, expiry, cancel)."""

    class EndReason(models.TextChoices):
        SUPERVISOR = "supervisor", _("Diakhiri supervisor")
        EXPIRED = "expired", _("Peringatan kedaluwarsa")
        CANCELLED = "cancelled", _("Peringatan dibatalkan")
        DOWNGRADED = "downgraded", _("Pembaruan tidak lagi memenuhi ambang")

    kind = models.CharField(max_length=16, choices=[c for c in Kind.choices if c[0]])
    alert = models.ForeignKey(HazardAlert, on_delete=models.PROTECT, related_name="periods")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    incident = models.ForeignKey("dispatch.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # True while it lasts; the unique constraint below allows one at a time.
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("periode bencana")
        verbose_name_plural = _("periode bencana")
        constraints = [
            # One disaster mode at a time: a second alert updates the running one.
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="hazards_disasterperiod_one_active"),
            models.CheckConstraint(condition=Q(kind__in=["earthquake_felt", "tsunami"]), name="hazards_disasterperiod_kind_valid"),
            models.CheckConstraint(
                condition=Q(active=True, ended_at__isnull=True) | Q(active=False, ended_at__isnull=False),
                name="hazards_disasterperiod_active_iff_not_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class FeedSource(models.Model):
    """A polled feed URL: when it was last polled (claimed) and how that went."""

    url = models.URLField(max_length=500, unique=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=500, blank=True)
    items_stored = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("umpan bahaya")
        verbose_name_plural = _("umpan bahaya")

    def __str__(self) -> str:
        return self.url
