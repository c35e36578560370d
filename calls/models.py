"""Callers, calls, their classification, blocks of repeat pranksters,
supplemental locations and ghost-call call-backs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Kelurahan
from dispatch.models import Incident, Transition


class Caller(models.Model):
    """A phone number in E.164. SIM-less calls have no caller."""

    number = models.CharField(max_length=20, unique=True)
    first_seen_at = models.DateTimeField()
    # Set when numbers are pseudonymised under the retention policy.
    pseudonymised_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.number


class CallType(models.TextChoices):
    EMERGENCY = "emergency", _("Darurat")
    INFORMATION = "information", _("Informasi")
    COMPLAINT = "complaint", _("Pengaduan")
    GHOST = "ghost", _("Ghost call")
    PRANK = "prank", _("Prank / iseng")


class Call(models.Model):
    class Status(models.TextChoices):
        RINGING = "ringing", _("Berdering")
        ACTIVE = "active", _("Ditangani")
        CLASSIFIED = "classified", _("Terklasifikasi")
        ABANDONED = "abandoned", _("Terputus sebelum dijawab")

    class Channel(models.TextChoices):
        VOICE = "voice", _("Suara")
        SMS = "sms", _("SMS")
        APP = "app", _("Aplikasi")
        WALK_IN = "walk_in", _("Datang langsung")

    TRANSITIONS: dict[str, set[str]] = {
        "ringing": {"active", "abandoned", "classified"},
        "active": {"classified"},
        # A late PBX "answered" event whose time is before the hangup corrects an abandoned call.
        "abandoned": {"active", "classified"},
        "classified": {"classified"},
    }

    caller = models.ForeignKey(Caller, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    caller_number_raw = models.CharField(max_length=64, blank=True, help_text=_("The number as received or typed."))
    number_invalid = models.BooleanField(default=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="calls_taken")
    received_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    # The operator's last edit of the call, or its take-over: while a call is handled, the last sign
    # that someone is at work on it (null: none since it was answered). See `last_touched_at`.
    touched_at = models.DateTimeField(null=True, blank=True)
    classified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="calls_classified")
    call_type = models.CharField(max_length=16, choices=CallType.choices, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    notes = models.TextField(blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    kelurahan = models.ForeignKey(Kelurahan, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    outside_city = models.BooleanField(default=False)
    caller_blocked = models.BooleanField(default=False, help_text=_("The number was blocked when the call arrived."))
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    request_hash = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    pbx_call_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    extension = models.CharField(max_length=16, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ringing", "active", "classified", "abandoned"]), name="calls_call_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(call_type__in=["", "emergency", "information", "complaint", "ghost", "prank"]),
                name="calls_call_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["voice", "sms", "app", "walk_in"]), name="calls_call_channel_valid"
            ),
            # A classified call has its type and the time it was classified.
            models.CheckConstraint(
                condition=~Q(status="classified") | (~Q(call_type="") & Q(classified_at__isnull=False)),
                name="calls_call_classified_complete",
            ),
            # Only emergencies belong to incidents.
            models.CheckConstraint(
                condition=Q(incident__isnull=True) | Q(call_type="emergency"), name="calls_call_incident_only_emergency"
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | (Q(lat__gte=-90) & Q(lat__lte=90) & Q(lon__gte=-180) & Q(lon__lte=180)),
                name="calls_call_coordinates_valid",
            ),
        ]
        indexes = [
            # The daily log and today's list: calls by received time.
            models.Index(fields=["received_at"], name="calls_call_received"),
            # Caller history at ring time.
            models.Index(fields=["caller", "received_at"], name="calls_call_caller_history"),
            # The operator board: calls not yet classified.
            models.Index(fields=["received_at"], condition=Q(status__in=["ringing", "active"]), name="calls_call_open"),
            # Reports: the incidents with a call in a period (emergencies only, < 1 % of calls).
            models.Index(fields=["received_at", "incident"], condition=Q(incident__isnull=False), name="calls_call_incident_received"),
        ]

    def __str__(self) -> str:
        return f"Call #{self.pk}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    @property
    def caller_number(self) -> str | None:
        return self.caller.number if self.caller_id else None

    @property
    def last_touched_at(self):
        """Since when nobody changed the call: its last edit or take-over, else its answer, else its arrival.
        A colleague's call quiet for CALL_TAKE_OVER_AFTER_SECONDS is offered for taking over."""
        return self.touched_at or self.answered_at or self.received_at


class CallTransition(Transition):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="transitions")
    STATUSES = Call.Status

    class Meta(Transition.Meta):
        pass


class Block(models.Model):
    """One step on a number's block ladder: a warning, a timed block, or a block pending review."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Peringatan")
        DAY = "day", _("Blokir 24 jam")
        WEEK = "week", _("Blokir 7 hari")
        REVIEW = "review", _("Blokir sampai ditinjau supervisor")
        MANUAL = "manual", _("Blokir manual")

    caller = models.ForeignKey(Caller, on_delete=models.CASCADE, related_name="blocks")
    level = models.CharField(max_length=16, choices=Level.choices)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: until a supervisor lifts it."))
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["warning", "day", "week", "review", "manual"]), name="calls_block_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gte=models.F("starts_at")),
                name="calls_block_expiry_after_start",
            ),
        ]
        indexes = [
            # Is this number blocked now? Unlifted blocks of a caller.
            models.Index(fields=["caller", "starts_at"], condition=Q(lifted_at__isnull=True), name="calls_block_unlifted"),
        ]

    @property
    def blocks_calls(self) -> bool:
        return self.level != self.Level.WARNING


class BlockPolicy(models.Model):
    """The block ladder, editable by supervisors (a single row)."""

    window_days = models.PositiveSmallIntegerField(default=30, help_text=_("Prank and ghost calls counted over this many days."))
    threshold = models.PositiveSmallIntegerField(default=3, help_text=_("Prank/ghost calls in the window that move a number one step up."))
    ladder_reset_days = models.PositiveSmallIntegerField(default=90, help_text=_("Steps older than this no longer count."))
    day_hours = models.PositiveSmallIntegerField(default=24)
    week_days = models.PositiveSmallIntegerField(default=7)
    burst_calls = models.PositiveSmallIntegerField(default=3, help_text=_("Calls from a blocked number that alert supervisors..."))
    burst_minutes = models.PositiveSmallIntegerField(default=10, help_text=_("...within this many minutes."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class AmlLocation(models.Model):
    """A handset-derived location (Advanced Mobile Location, ETSI TS 103 625)."""

    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="aml_locations")
    caller_number = models.CharField(max_length=20, db_index=True)
    lat = models.FloatField()
    lon = models.FloatField()
    radius_m = models.FloatField(null=True, blank=True)
    positioned_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=32, blank=True)
    imei = models.CharField(max_length=32, blank=True)
    imsi = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=8)
    raw = models.TextField()
    received_at = models.DateTimeField()
    kelurahan = models.ForeignKey(Kelurahan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confidence = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Level of confidence (lc), percent."))
    mcc = models.CharField(max_length=3, blank=True)
    mnc = models.CharField(max_length=3, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    applied = models.BooleanField(default=False, help_text=_("Copied into the call's location (the call had none of the operator's)."))

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90) & Q(lat__lte=90) & Q(lon__gte=-180) & Q(lon__lte=180),
                name="calls_amllocation_coordinates_valid",
            ),
            models.CheckConstraint(condition=Q(source__in=["sms", "https"]), name="calls_amllocation_source_valid"),
        ]
        indexes = [
            # Pending AML waiting for its call: unmatched messages of a number by arrival time.
            models.Index(fields=["caller_number", "received_at"], condition=Q(call__isnull=True), name="calls_aml_pending"),
        ]


class TelephonyEvent(models.Model):
    """One event from the phone system, kept once per call and kind: a retry finds it and changes nothing."""

    class Kind(models.TextChoices):
        RINGING = "ringing", _("Berdering")
        ANSWERED = "answered", _("Dijawab")
        HANGUP = "hangup", _("Ditutup")

    pbx_call_id = models.CharField(max_length=128)
    event = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(help_text=_("The PBX's timestamp."))
    received_at = models.DateTimeField()
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="telephony_events")
    extension = models.CharField(max_length=16, blank=True)
    caller_number = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=32, blank=True, help_text=_("What the event did: applied, ignored and why."))

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            # Retries are idempotent: one row per PBX call id and event kind.
            models.UniqueConstraint(fields=["pbx_call_id", "event"], name="calls_telephonyevent_unique"),
            models.CheckConstraint(condition=Q(event__in=["ringing", "answered", "hangup"]), name="calls_telephonyevent_kind_valid"),
        ]


class Callback(models.Model):
    """A call-back owed to a ghost caller."""

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("Tidak diangkat")
        EMERGENCY = "emergency", _("Ternyata darurat")
        PRANK = "prank", _("Iseng")
        ACCIDENTAL = "accidental", _("Tidak sengaja")

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="callback")
    created_at = models.DateTimeField()
    deadline = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["", "no_answer", "emergency", "prank", "accidental"]), name="calls_callback_outcome_valid"
            ),
            models.CheckConstraint(
                condition=(Q(done_at__isnull=True) & Q(outcome="")) | (Q(done_at__isnull=False) & ~Q(outcome="")),
                name="calls_callback_done_has_outcome",
            ),
        ]
        indexes = [
            # The call-back queue and the overdue sweep.
            models.Index(fields=["deadline"], condition=Q(done_at__isnull=True), name="calls_callback_open"),
        ]


class QualityReview(models.Model):
    """A supervisor's check of a sampled prank/ghost classification."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="review")
    sampled_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    original_type = models.CharField(max_length=16)
    corrected_type = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
