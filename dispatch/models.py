"""Incidents, dispatches to agencies, their transitions, the live event
stream and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, IncidentType, Kelurahan, Station


class Reason(models.TextChoices):
    """Why the system made a change, as a code; each label is the sentence the timeline shows, its
    named placeholders filled from the transition's `reason_params` (see dispatch/trail.py)."""

    INCIDENT_FROM_CALL = "incident_from_call", _("panggilan #%(id)s")  # {"id": call id}
    CALL_LINKED = "call_linked", _("panggilan #%(id)s digabungkan")  # {"id": call id}
    CALL_UNLINKED = "call_unlinked", _("panggilan #%(id)s dilepas")  # {"id": call id}
    RETYPED = "retyped", _("jenis %(from)s → %(to)s")  # {"from", "to": incident type codes}
    RELOCATED = "relocated", _("lokasi: %(place)s")  # {"place": the place as shown}
    CLASSIFIED = "classified", _("klasifikasi %(from)s → %(to)s")  # {"from": call type or null, "to": call type}
    OWN_INCIDENT = "own_incident", _("dilepas dari kejadian #%(from)s; menjadi kejadian #%(to)s")  # {"from", "to": incident ids}
    IMPORTED = "imported", _("impor")
    IMPORTED_UNACKNOWLEDGED = "imported_unacknowledged", _("impor: ditutup tanpa diterima")
    IMPORTED_AS = "imported_as", _("impor: %(type)s")  # {"type": call type}
    LATE_RINGING = "late_ringing", _("dering tercatat terlambat")
    ANSWERED_BEFORE_RINGING = "answered_before_ringing", _("dijawab sebelum dering tercatat")
    ANSWERED_AT_EXTENSION = "answered_at_extension", _("dijawab di ekstensi %(ext)s")  # {"ext": extension or "-"}
    HANGUP_BEFORE_ANSWER = "hangup_before_answer", _("ditutup sebelum dijawab")
    HANGUP = "hangup", _("panggilan berakhir")
    CLAIMED_AT_DESK = "claimed_at_desk", _("diambil di meja operator")
    TAKEN_OVER = "taken_over", _("diambil alih dari %(who)s")  # {"who": username or "-"}
    ESCALATED = "escalated", _("eskalasi: tidak diterima tepat waktu")
    OFFICER_NOTIFIED = "officer_notified", _("eskalasi: petugas piket diberi tahu")
    # The operator's words why it went anyway are the transition's `reason`, as typed.
    NO_PLACE = "no_place", _("dikirim tanpa lokasi: %(reason)s")
    HAZARD = "hazard", _("peringatan bahaya %(alert)s")  # {"alert": the alert's identifier}


class Transition(models.Model):
    """One state change: who, when, from, to, why. The audit trail and the timeline.

    Why: `reason_code` with its `reason_params` when the system made the change, and `reason`, the
    words a person typed (a cancellation, a reopening), kept and shown exactly as typed.
    """

    at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=32, choices=Reason.choices, blank=True, default="")
    reason_params = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
        constraints = [
            # Only the codes the timeline can word (or none: a person's words alone).
            models.CheckConstraint(
                condition=Q(reason_code__in=["", *Reason.values]), name="%(app_label)s_%(class)s_reason_code_valid"
            ),
        ]

    # The statuses of what changed (set by each concrete class), so the timeline shows their labels.
    STATUSES: type[models.TextChoices]

    def _label(self, code: str) -> str:
        try:
            return str(self.STATUSES(code).label) if code else ""
        except ValueError:  # a status no longer in the choices: shown as stored
            return code

    @property
    def from_label(self) -> str:
        return self._label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._label(self.to_status)

    @property
    def reason_text(self) -> str:
        """Why, in the reader's language: the code's sentence, a person's words as typed (dispatch/trail.py)."""
        from dispatch.trail import reason_text

        return reason_text(self.reason_code, self.reason_params, self.reason)


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        DISPATCHED = "dispatched", _("Dikirim")
        CLOSED = "closed", _("Ditutup")

    TRANSITIONS: dict[str, set[str]] = {
        "open": {"dispatched", "closed"},
        "dispatched": {"closed"},
        "closed": {"open"},
    }

    incident_type = models.ForeignKey(IncidentType, on_delete=models.PROTECT, related_name="incidents")
    priority = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    kelurahan = models.ForeignKey(Kelurahan, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents")
    # When an operator last set or moved the place after the incident opened (incident_relocate).
    located_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    # When the sweep raised the "P1 not dispatched" alert for this incident (claimed once, dispatch/alarms.py).
    p1_alarmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "dispatched", "closed"]), name="dispatch_incident_status_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1) & Q(priority__lte=3), name="dispatch_incident_priority_range"),
            # A closed ticket records when it was closed.
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False), name="dispatch_incident_closed_has_time"),
        ]
        indexes = [
            # Duplicate detection and the boards scan open incidents only.
            models.Index(fields=["created_at"], condition=~Q(status="closed"), name="dispatch_incident_open"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.incident_type.code}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class IncidentNote(models.Model):
    """What an operator learned after the incident opened (the caller called back, the fire spread),
    written for the agencies on it. Appended, never edited: each one is shown with its time."""

    TEXT_MAX_LENGTH = 1000

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="dispatch_incidentnote_text_not_empty")]
        indexes = [models.Index(fields=["incident", "at"], name="dispatch_incidentnote_by_time")]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.at:%Y-%m-%d %H:%M}"


class IncidentTransition(Transition):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions")
    STATUSES = Incident.Status

    class Meta(Transition.Meta):
        pass


class Dispatch(models.Model):
    """An incident sent to one agency, with its own lifecycle."""

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", _("Dikirim")
        ACKNOWLEDGED = "acknowledged", _("Diterima")
        EN_ROUTE = "en_route", _("Menuju lokasi")
        ON_SCENE = "on_scene", _("Di lokasi")
        RESOLVED = "resolved", _("Selesai")
        DECLINED = "declined", _("Ditolak")
        CANCELLED = "cancelled", _("Dibatalkan")

    TRANSITIONS: dict[str, set[str]] = {
        "dispatched": {"acknowledged", "declined", "cancelled"},
        "acknowledged": {"en_route", "on_scene", "resolved", "cancelled"},
        "en_route": {"on_scene", "resolved", "cancelled"},
        "on_scene": {"resolved", "cancelled"},
        "resolved": set(),
        "declined": set(),
        "cancelled": set(),
    }
    # Who may move a dispatch to which status, by role: the agency sent reports its own progress
    # (or declines); the floor may only cancel. Everyone else sets none.
    SET_BY_ROLE: dict[str, frozenset[str]] = {
        "agency": frozenset({"acknowledged", "en_route", "on_scene", "resolved", "declined"}),
        "operator": frozenset({"cancelled"}),
        "supervisor": frozenset({"cancelled"}),
        "admin": frozenset({"cancelled"}),
    }
    ACTIVE = ("dispatched", "acknowledged", "en_route", "on_scene")
    FINISHED = ("resolved", "declined", "cancelled")
    # The timestamp field each status sets.
    STAMP = {
        "acknowledged": "acknowledged_at",
        "en_route": "en_route_at",
        "on_scene": "on_scene_at",
        "resolved": "resolved_at",
        "declined": "declined_at",
        "cancelled": "cancelled_at",
    }

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="dispatches")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dispatches")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="dispatches")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DISPATCHED)
    is_primary = models.BooleanField(default=False)
    dispatched_at = models.DateTimeField(db_index=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ack_deadline = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    # 0 = on time, 1 = escalated to supervisors, 2 = duty officer notified.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    officer_notified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # The Idempotency-Key of the request that sent it: the same request again answers these dispatches.
    request_key = models.CharField(max_length=128, null=True, blank=True)

    class Meta:
        ordering = ["-dispatched_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["dispatched", "acknowledged", "en_route", "on_scene", "resolved", "declined", "cancelled"]),
                name="dispatch_dispatch_status_valid",
            ),
            # One live dispatch per incident and agency: a fire is dispatched once.
            models.UniqueConstraint(
                fields=["incident", "agency"],
                condition=Q(status__in=["dispatched", "acknowledged", "en_route", "on_scene"]),
                name="dispatch_dispatch_one_active_per_agency",
            ),
            # Anything past "dispatched" (other than decline/cancel) has been acknowledged.
            models.CheckConstraint(
                condition=Q(status__in=["dispatched", "declined", "cancelled"]) | Q(acknowledged_at__isnull=False),
                name="dispatch_dispatch_ack_recorded",
            ),
            models.CheckConstraint(condition=Q(escalation_level__lte=2), name="dispatch_dispatch_escalation_range"),
        ]
        indexes = [
            # A dispatch request sent again: the dispatches its Idempotency-Key created (`incident_dispatch`).
            models.Index(fields=["request_key"], condition=Q(request_key__isnull=False), name="dispatch_dispatch_request_key"),
            # The escalation sweep: unacknowledged dispatches by deadline.
            models.Index(fields=["ack_deadline"], condition=Q(status="dispatched"), name="dispatch_dispatch_unacked"),
            # Agency consoles list their live dispatches.
            models.Index(fields=["agency", "dispatched_at"], condition=Q(status__in=["dispatched", "acknowledged", "en_route", "on_scene"]), name="dispatch_dispatch_agency_live"),
        ]

    def __str__(self) -> str:
        return f"Dispatch #{self.pk} {self.agency.code} {self.status}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    @classmethod
    def role_may_set(cls, role: str | None, status: str) -> bool:
        return status in cls.SET_BY_ROLE.get(role or "", frozenset())

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class DispatchTransition(Transition):
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="transitions")
    STATUSES = Dispatch.Status

    class Meta(Transition.Meta):
        pass


class EventCounter(models.Model):
    """A single row whose locked increment hands out gapless, commit-ordered event numbers."""

    value = models.BigIntegerField(default=0)


class SweepRun(models.Model):
    """When the sweep last finished, and where it ran: one row per runner ("task" for Celery, "web" for a
    web process standing in while no task sweeps)."""

    runner = models.CharField(max_length=8, primary_key=True)
    finished_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(runner__in=["task", "web"]), name="dispatch_sweeprun_runner_valid")]


class Event(models.Model):
    """A stored live event; `seq` is gapless and in commit order."""

    seq = models.BigIntegerField(primary_key=True)
    type = models.CharField(max_length=32)
    data = models.JSONField()
    # Agency the event concerns; agency staff see only dispatch events of their own.
    agency_code = models.CharField(max_length=16, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The wall's alerts of the last 24 hours (dispatch.selectors.recent_wall_alerts), kept across a reload.
            models.Index(
                fields=["created_at"], condition=Q(type__in=["alert", "dispatch.escalated"]), name="dispatch_event_wall_alerts"
            ),
        ]


class Delivery(models.Model):
    """A message sent outside the dashboard, recorded before it is sent.

    A sender claims the row with a conditional update (dispatch/notifications.py),
    so it goes out once however many tasks and sweeps try; a row left pending by a
    lost task or an unreachable broker is sent by the next sweep."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        SENDING = "sending", _("Mengirim")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True


class Notification(Delivery):
    """A message to a person outside the dashboard (an agency's duty officer).

    Created in the transaction that decides it is needed; sent by a task after commit."""

    kind = models.CharField(max_length=32)
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.CharField(max_length=120)
    channel = models.CharField(max_length=16)
    text = models.TextField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="dispatch_notification_status_valid"),
            # One notification of a kind per dispatch and recipient: escalation notifies once.
            models.UniqueConstraint(fields=["kind", "dispatch", "recipient"], name="dispatch_notification_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status__in=["pending", "sending"]), name="dispatch_notification_unsent"),
        ]


class AuditLog(models.Model):
    """Append-only record of every state-changing action (the database refuses edits)."""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    username = models.CharField(max_length=150, blank=True)
    agency_code = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, default="ok")
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]


class ApiToken(models.Model):
    """An API key for `Authorization: Token <key>`, stored only as its SHA-256 digest and a short prefix.

    The key is shown once, when it is made (dispatch/tokens.py). A token dies at `expires_at`, with a
    password change (`password_mark` no longer matches the user's password) and with deactivation.
    """

    digest = models.CharField(max_length=64)
    prefix = models.CharField(max_length=8, help_text=_("The key's first characters, to tell tokens apart."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    password_mark = models.CharField(max_length=64, help_text=_("Derived from the password the token was issued under."))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Every API request looks its token up by digest: one unique index serves it.
            models.UniqueConstraint(fields=["digest"], name="dispatch_apitoken_unique_digest"),
        ]
        indexes = [
            # The expired-token sweep and a user's tokens in the admin.
            models.Index(fields=["user", "expires_at"], name="dispatch_apitoken_user_exp"),
        ]

    def __str__(self) -> str:
        # Never the key (nor the digest): the admin log keeps this text after a delete.
        return f"{self.prefix}… ({self.user_id})"
