"""Reference data for maps: kelurahan boundaries and reverse geocoding."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
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
        return JsonResponse({"detail": "lat dan lon wajib berupa angka."}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JsonResponse({"detail": "Koordinat tidak mungkin."}, status=400)
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
