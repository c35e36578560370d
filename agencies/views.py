"""Reference data for maps: kelurahan boundaries and reverse geocoding."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from agencies.geo import kelurahan_at
from agencies.models import Kelurahan


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def kelurahan_geojson(request):
    features = [
        {
            "type": "Feature",
            "properties": {"code": k.code, "name": k.name, "kecamatan": k.kecamatan.name},
            "geometry": k.boundary,
        }
        for k in Kelurahan.objects.select_related("kecamatan").exclude(boundary=None)
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def reverse_geocode(request):
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return JsonResponse({"detail": _("lat dan lon wajib berupa angka.")}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JsonResponse({"detail": _("Koordinat tidak mungkin.")}, status=400)
    kelurahan = kelurahan_at(lat, lon)
    if kelurahan is None:
        return JsonResponse({"inside_city": False, "kelurahan": None, "kecamatan": None})
    return JsonResponse(
        {
            "inside_city": True,
            "kelurahan": {"code": kelurahan.code, "name": kelurahan.name},
            "kecamatan": {"code": kelurahan.kecamatan.code, "name": kelurahan.kecamatan.name},
        }
    )


def _require_supervisor(request) -> None:
    from django.core.exceptions import PermissionDenied

    from agencies.selectors import actor_for_user

    if not actor_for_user(request.user).is_supervisor:
        raise PermissionDenied


@login_required
def routing_rules(request):
    """Supervisors and admins see and change which agencies each incident type goes to."""
    from django.contrib import messages
    from django.shortcuts import redirect, render

    from agencies.models import Agency, IncidentType
    from agencies.services import routing_rule_update
    from dispatch.errors import ServiceError

    _require_supervisor(request)
    if request.method == "POST" and request.POST.get("matrix"):
        return _routing_matrix_save(request)
    if request.method == "POST":
        code = request.POST.get("incident_type", "")
        try:
            routing_rule_update(
                incident_type_code=code,
                primary_agency_code=request.POST.get("primary", ""),
                supporting_codes=request.POST.getlist("supporting"),
                user=request.user,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Aturan rute %(code)s disimpan.") % {"code": code})
        return redirect(f"{request.path}#rule-{code}")
    types = IncidentType.objects.select_related("routing__primary_agency").prefetch_related("routing__supporting_agencies")
    rows = []
    for itype in types:
        rule = getattr(itype, "routing", None)
        rows.append(
            {
                "type": itype,
                "primary": rule.primary_agency.code if rule else "",
                "supporting": {a.code for a in rule.supporting_agencies.all()} if rule else set(),
            }
        )
    agencies = list(Agency.objects.filter(active=True))
    for row in rows:
        row["cells"] = [{"agency": a, "primary": a.code == row["primary"], "supporting": a.code in row["supporting"]} for a in agencies]
    return render(request, "agencies/routing.html", {"rows": rows, "agencies": agencies})


def _routing_matrix_save(request):
    """The matrix posts every row: `primary:<type>` (one agency) and `supporting:<type>` (any number)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from agencies.models import IncidentType
    from agencies.services import routing_rules_update
    from dispatch.errors import ServiceError

    changes = {}
    for code in IncidentType.objects.values_list("code", flat=True):
        primary = request.POST.get(f"primary:{code}", "")
        if primary:
            changes[code] = (primary, request.POST.getlist(f"supporting:{code}"))
    try:
        changed = routing_rules_update(changes=changes, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(request, _("Aturan rute disimpan untuk %(count)s jenis kejadian.") % {"count": len(changed)})
        else:
            messages.info(request, _("Tidak ada perubahan."))
    return redirect(request.path)


@login_required
def posts(request, station_id: int | None = None):
    """Agency posts: every post with a point on the map; the posts the user may place listed, one
    of them selected (`?post=ID`) to place by a click on the map or by its coordinates.
    POST (to the post's own address): `lat`, `lon`, `checked` -> `station_place`."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect, render

    from agencies.selectors import post_edit_scope, station_for_editor, stations_editable_by, stations_on_map
    from agencies.services import station_place
    from dispatch.errors import ServiceError

    if post_edit_scope(request.user) is None:
        raise PermissionDenied
    error = None
    typed = {}
    if station_id is not None:
        selected = station_for_editor(request.user, station_id)
        if request.method != "POST":
            return redirect(_posts_url(selected))
        typed = {"lat": request.POST.get("lat", "").strip(), "lon": request.POST.get("lon", "").strip(),
                 "checked": request.POST.get("checked") == "1"}
        try:
            station = station_place(station_id=station_id, lat=_decimal(typed["lat"]), lon=_decimal(typed["lon"]),
                                    checked=typed["checked"], user=request.user)
        except ServiceError as exc:
            error = exc
        else:
            if station.approximate:
                messages.success(request, _("Posisi %(name)s disimpan (perkiraan).") % {"name": station.name})
            else:
                messages.success(request, _("Posisi %(name)s disimpan dan ditandai sudah dicek.") % {"name": station.name})
            return redirect(_posts_url(station))
    else:
        selected = station_for_editor(request.user, request.GET["post"]) if request.GET.get("post") else None
    editable = list(stations_editable_by(request.user).order_by("agency__code", "name"))
    on_map = [
        {"id": s.pk, "name": s.name, "agency": s.agency.short_name, "lat": s.lat, "lon": s.lon, "approximate": s.approximate}
        for s in stations_on_map()
    ]
    context = {
        "editable": editable,
        "selected": selected,
        "on_map": on_map,
        "error": error,
        "typed": typed,
        "without_point": sum(1 for s in editable if not s.has_point),
        # Written with a decimal point in every language, as typed back into the form.
        "point": {"lat": repr(round(selected.lat, 6)), "lon": repr(round(selected.lon, 6))} if selected and selected.has_point else None,
    }
    return render(request, "agencies/posts.html", context, status=400 if error else 200)


def _decimal(text: str) -> str:
    """A number as typed: a decimal comma, as Indonesian writes numbers ("-3,84"), is read as a point."""
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def _posts_url(station) -> str:
    from django.urls import reverse

    return f"{reverse('agency-posts')}?post={station.pk}"
