"""Writes about accounts, roles, rosters, routing rules and the agencies' posts."""

from __future__ import annotations

import math

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from agencies.geo import metres_outside_city
from agencies.models import Agency, Membership, Station
from agencies.selectors import AGENCY_ADMIN_GROUP, post_edit_scope, stations_editable_by
from dispatch.errors import Forbidden, InvalidInput


@transaction.atomic
def user_upsert(*, username: str, role: str, password: str, agency_code: str | None = None, validate: bool = True):
    """Create or update an account with its role (idempotent)."""
    if role not in Membership.Role.values:
        raise InvalidInput(f"unknown role {role}")
    agency = None
    if role == Membership.Role.AGENCY:
        if not agency_code:
            raise InvalidInput("--agency is required for the role agency")
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise InvalidInput(f"unknown agency {agency_code}")
    elif agency_code:
        raise InvalidInput("--agency applies only to the role agency")
    User = get_user_model()
    # Django's username characters only (letters, digits and @ . + - _): the name is shown in pages and reports.
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise InvalidInput(f"invalid username {username!r}: " + " ".join(error.messages), field="username") from None
    if not username or len(username) > User._meta.get_field("username").max_length:
        raise InvalidInput(f"invalid username {username!r}: 1 to 150 characters", field="username")
    user = User.objects.filter(username=username).first() or User(username=username)
    if validate:
        validate_password(password, user)
    if user.pk is None or not user.check_password(password):
        user.set_password(password)  # a new hash only for a new password: a changed one revokes the tokens
    user.is_staff = role == Membership.Role.ADMIN
    user.is_superuser = role == Membership.Role.ADMIN
    user.is_active = True
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"role": role, "agency": agency})
    from dispatch.events import close_user_sockets

    transaction.on_commit(lambda: close_user_sockets(user.pk))
    return user


def agency_admin_group():
    """The group "Admin instansi" with the right to place posts (made by a migration; made again
    here when a database was emptied since)."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=AGENCY_ADMIN_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="agencies", codename="change_station"))
    return group


@transaction.atomic
def agency_admin_upsert(*, username: str, agency_code: str, password: str, validate: bool = True):
    """An agency admin: staff of one agency who may also place that agency's posts (idempotent)."""
    user = user_upsert(username=username, role=Membership.Role.AGENCY, password=password, agency_code=agency_code,
                       validate=validate)
    user.groups.add(agency_admin_group())
    return user


def routing_rule_update(*, incident_type_code: str, primary_agency_code: str, supporting_codes: list[str], user):
    """Change which agencies an incident type is routed to (supervisors and admins), audited."""
    from agencies.models import IncidentType, RoutingRule
    from dispatch.audit import audit

    codes = list(dict.fromkeys(c for c in supporting_codes if c and c != primary_agency_code))
    with transaction.atomic():
        itype = IncidentType.objects.filter(code=incident_type_code).first()
        if itype is None:
            raise InvalidInput(f"Jenis kejadian tidak dikenal: {incident_type_code}", field="incident_type")
        agencies = {a.code: a for a in Agency.objects.filter(code__in=[primary_agency_code, *codes], active=True)}
        unknown = [c for c in [primary_agency_code, *codes] if c not in agencies]
        if unknown:
            raise InvalidInput(f"Instansi tidak dikenal: {', '.join(unknown)}", field="agencies")
        rule = RoutingRule.objects.select_for_update().filter(incident_type=itype).first()
        before = None
        if rule is None:
            rule = RoutingRule.objects.create(incident_type=itype, primary_agency=agencies[primary_agency_code])
        else:
            before = {
                "primary": rule.primary_agency.code,
                "supporting": sorted(rule.supporting_agencies.values_list("code", flat=True)),
            }
            rule.primary_agency = agencies[primary_agency_code]
            rule.save(update_fields=["primary_agency", "updated_at"])
        rule.supporting_agencies.set([agencies[c] for c in codes])
        after = {"primary": primary_agency_code, "supporting": sorted(codes)}
        audit("routing.update", user=user, obj=rule, detail={"incident_type": itype.code, "before": before, "after": after})
    return rule


def routing_rules_update(*, changes: dict[str, tuple[str, list[str]]], user) -> list[str]:
    """Several incident types' routing at once (the routing matrix): all saved or none, each change
    audited as `routing_rule_update` audits it. `changes`: {incident type code: (primary, supporting)}.
    Returns the codes whose rule actually changed."""
    from agencies.models import RoutingRule

    changed = []
    with transaction.atomic():
        current = {
            rule.incident_type.code: (rule.primary_agency.code, sorted(a.code for a in rule.supporting_agencies.all()))
            for rule in RoutingRule.objects.select_related("incident_type", "primary_agency").prefetch_related("supporting_agencies")
        }
        for code, (primary, supporting) in changes.items():
            wanted = (primary, sorted(dict.fromkeys(c for c in supporting if c and c != primary)))
            if current.get(code) == wanted:
                continue
            routing_rule_update(incident_type_code=code, primary_agency_code=primary, supporting_codes=supporting, user=user)
            changed.append(code)
    return changed


# A post may stand a little outside the kelurahan boundaries (the coast, a road at the city's
# edge); farther out a click went astray.
POST_NEAR_CITY_M = 1000


def _coordinate(value, low: float, high: float, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(_("Lintang dan bujur wajib berupa angka."), field=field)
    if not low <= number <= high:
        raise InvalidInput(_("Koordinat tidak mungkin: lintang -90..90, bujur -180..180."), field=field)
    return number


def station_place(*, station_id: int, lat, lon, checked: bool, user) -> Station:
    """Place or move an agency's post (an admin: any agency's; an agency admin: their own).

    The point must lie in Kota Bengkulu or within `POST_NEAR_CITY_M` of it. `checked` says a person
    who stood at the post confirmed the point; otherwise the post stays (or becomes) approximate.
    The edit differs from what `load_bengkulu` last wrote, so the loader leaves it alone.
    """
    from dispatch.audit import audit

    if post_edit_scope(user) is None:
        raise Forbidden(_("Anda tidak boleh mengubah pos instansi."))
    lat = _coordinate(lat, -90, 90, "lat")
    lon = _coordinate(lon, -180, 180, "lon")
    outside = metres_outside_city(lat, lon)
    if outside is None or outside > POST_NEAR_CITY_M:
        raise InvalidInput(
            _("Titik itu di luar Kota Bengkulu. Klik di dalam batas kota (paling jauh %(metres)s m di luarnya).")
            % {"metres": POST_NEAR_CITY_M},
            field="lat",
        )
    with transaction.atomic():
        station = stations_editable_by(user).select_for_update(of=("self",)).filter(pk=station_id).first()
        if station is None:
            raise Http404("Pos tidak ditemukan.")
        before = {"lat": station.lat, "lon": station.lon, "approximate": station.approximate}
        station.lat, station.lon, station.approximate = lat, lon, not checked
        station.save(update_fields=["lat", "lon", "approximate"])
        after = {"lat": lat, "lon": lon, "approximate": station.approximate}
        audit(
            "station.place",
            user=user,
            obj=station,
            detail={"agency": station.agency.code, "name": station.name, "checked": bool(checked), "before": before, "after": after},
        )
    return station
