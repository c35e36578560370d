"""What the dispatch pages read: here, the places an incident's notes name."""

from __future__ import annotations

import pytest

from agencies.geo import Location
from calls import services as call_services
from dispatch import services
from dispatch.selectors import places_named_for

pytestmark = pytest.mark.django_db


def _incident_without_place(operator, notes: str):
    call, _ = call_services.call_create(operator=operator, caller_number="081234567801", notes=notes)
    return call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident


def test_an_incident_without_a_place_is_offered_the_places_its_calls_name(ref, operator):
    incident = _incident_without_place(operator, "asap tebal dari gudang dekat bandara")
    second, _ = call_services.call_create(operator=operator, caller_number="081234567802", notes="api terlihat dari Mega Mall")
    calls = [incident.calls.get(), second]
    named = places_named_for(incident, calls)
    assert [(p["kind"], p["name"]) for p in named] == [("landmark", "Bandara Fatmawati Soekarno"), ("landmark", "Mega Mall")]
    assert named[0]["kelurahan"] is not None and named[0]["lat"] == -3.86042


def test_an_incident_with_a_place_is_offered_none(ref, operator):
    from agencies.models import Landmark

    incident = _incident_without_place(operator, "asap tebal dari gudang dekat bandara")
    airport = Landmark.objects.get(name="Bandara Fatmawati Soekarno")
    services.incident_relocate(
        incident_id=incident.pk, user=operator, location=Location(lat=airport.lat, lon=airport.lon, address="Gudang kargo"),
    )
    incident.refresh_from_db()
    assert places_named_for(incident, list(incident.calls.all())) == []


def test_the_incident_page_offers_a_street_only_from_the_cache_and_never_asks_the_geocoder(ref, operator, nominatim):
    from agencies.geocoder import street_places
    from agencies.models import Landmark
    from tests.nominatim import result

    airport = Landmark.objects.get(name="Bandara Fatmawati Soekarno")
    nominatim.results = [result(airport.lat, airport.lon, name="Jalan Raden Fatah")]
    incident = _incident_without_place(operator, "asap tebal dari gudang di jalan Raden Fatah")
    calls = list(incident.calls.all())
    assert places_named_for(incident, calls) == []
    assert nominatim.requests == []
    street_places("gudang di jalan Raden Fatah ", mode="lookup")  # as the desk asked while the notes were typed
    named = places_named_for(incident, calls)
    assert [(p["kind"], p["name"], p["lat"]) for p in named] == [("street", "Jl. Raden Fatah", airport.lat)]
    assert len(nominatim.requests) == 1
