"""Agencies, their posts and staff, duty rosters, and the reference data the
city is routed by: kecamatan, kelurahan, incident types and routing rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    code = models.CharField(max_length=16, unique=True)
    short_name = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    telegram_chat_id = models.CharField(
        max_length=64, blank=True, help_text=_("Fallback chat for duty-officer notifications.")
    )
    # Acknowledgement deadlines in seconds per incident priority; null = the default.
    ack_seconds_p1 = models.PositiveIntegerField(null=True, blank=True)
    ack_seconds_p2 = models.PositiveIntegerField(null=True, blank=True)
    ack_seconds_p3 = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    DEFAULT_ACK_SECONDS = {1: 60, 2: 180, 3: 600}

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.code

    def ack_seconds(self, priority: int) -> int:
        override = {1: self.ack_seconds_p1, 2: self.ack_seconds_p2, 3: self.ack_seconds_p3}.get(priority)
        return override or self.DEFAULT_ACK_SECONDS.get(priority, 600)


class Station(models.Model):
    """A post of an agency (a Damkar fire post, a Polsek, a Puskesmas, an office).

    Posts come from public sources (`dispatch/data/stations.json`), none of them official: their
    positions are `approximate` until an admin checks them. A post whose position no source gives
    has no point and is never anyone's nearest post.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="stations")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    approximate = models.BooleanField(
        default=False, help_text=_("The position is not checked: a landmark nearby, a kelurahan centre or an unofficial source.")
    )
    source = models.TextField(blank=True, help_text=_("Where the post and its position come from."))
    confidence_note = models.TextField(blank=True, help_text=_("How far the post and its position can be trusted."))
    external_id = models.CharField(
        max_length=32, blank=True, default="", help_text=_("The post's id in the reference data (stations.json).")
    )
    # What `load_bengkulu` last wrote (name, address, lat, lon, approximate): a row that differs
    # from it was edited in the product, and the loader leaves it alone.
    loaded_values = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["agency__code", "name"]
        constraints = [
            # One post name per agency, so the loader can update posts in place.
            models.UniqueConstraint(fields=["agency", "name"], name="agencies_station_unique_name"),
            # The loader finds a post of the reference data by its id.
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="agencies_station_unique_external_id"
            ),
            # A point has both coordinates or none.
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True, lon__isnull=True) | models.Q(lat__isnull=False, lon__isnull=False),
                name="agencies_station_point_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code} {self.name}"

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class Membership(models.Model):
    """A user's role on the floor; agency staff are bound to exactly one agency."""

    class Role(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        AGENCY = "agency", _("Staf instansi")
        SUPERVISOR = "supervisor", _("Supervisor")
        ADMIN = "admin", _("Admin")
        PBX = "pbx", _("Sistem telepon (PBX)")
        FEED = "feed", _("Umpan peringatan bahaya")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=Role.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    extension = models.CharField(max_length=16, blank=True, help_text=_("PBX extension of an operator's desk."))
    telegram_chat_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["operator", "agency", "supervisor", "admin", "pbx", "feed"]), name="agencies_membership_role_valid"
            ),
            # Agency staff need an agency; nobody else has one.
            models.CheckConstraint(
                condition=(Q(role="agency") & Q(agency__isnull=False)) | (~Q(role="agency") & Q(agency__isnull=True)),
                name="agencies_membership_agency_iff_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class DutyRoster(models.Model):
    """Who is on duty (piket) for an agency on one shift of one WIB day."""

    class Shift(models.TextChoices):
        MORNING = "pagi", _("Pagi 07-14")
        AFTERNOON = "siang", _("Siang 14-21")
        NIGHT = "malam", _("Malam 21-07")

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="rosters")
    date = models.DateField(help_text=_("The WIB day the shift starts on."))
    shift = models.CharField(max_length=8, choices=Shift.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duties")
    is_duty_officer = models.BooleanField(default=True)

    class Meta:
        ordering = ["-date", "shift"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift__in=["pagi", "siang", "malam"]), name="agencies_dutyroster_shift_valid"
            ),
            # A person is rostered once per shift.
            models.UniqueConstraint(
                fields=["agency", "date", "shift", "user"], name="agencies_dutyroster_unique_person"
            ),
        ]
        indexes = [
            # Escalation looks up the duty officers of an agency for the current shift.
            models.Index(fields=["agency", "date", "shift"], name="agencies_dutyroster_lookup"),
        ]


class Kecamatan(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "kecamatan"

    def __str__(self) -> str:
        return self.name


class Kelurahan(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    aliases = models.JSONField(default=list, blank=True)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="kelurahan")
    lat = models.FloatField()
    lon = models.FloatField()
    boundary = models.JSONField(null=True, blank=True, help_text=_("GeoJSON MultiPolygon geometry."))

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "kelurahan"

    def __str__(self) -> str:
        return self.name


class Landmark(models.Model):
    """A place callers name instead of an address ("dekat Mega Mall"): the desk offers it as the location."""

    name = models.CharField(max_length=120, unique=True)
    aliases = models.JSONField(default=list, blank=True, help_text=_("Other names callers use, e.g. UNIB."))
    lat = models.FloatField()
    lon = models.FloatField()
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.SET_NULL, null=True, blank=True, related_name="landmarks")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180), name="agencies_landmark_coordinates_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class IncidentType(models.Model):
    code = models.CharField(max_length=48, unique=True)
    label_id = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    priority = models.PositiveSmallIntegerField()
    keywords = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["priority", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(priority__gte=1) & Q(priority__lte=3), name="agencies_incidenttype_priority_range"),
        ]

    @property
    def label(self) -> str:
        """The name in the language of the request (English when chosen, else Bahasa Indonesia)."""
        return self.label_en if (get_language() or "").startswith("en") and self.label_en else self.label_id

    def __str__(self) -> str:
        return self.label


class RoutingRule(models.Model):
    """Which agencies an incident type goes to: one primary, any supporting."""

    incident_type = models.OneToOneField(IncidentType, on_delete=models.CASCADE, related_name="routing")
    primary_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="primary_rules")
    supporting_agencies = models.ManyToManyField(Agency, blank=True, related_name="supporting_rules")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.incident_type.code} -> {self.primary_agency.code}"
