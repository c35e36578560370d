"""AML (ETSI TS 103 625): parsing both forms, matching to the call, pending fixes, never overwriting the operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from calls.aml import parse_aml
from calls.models import AmlLocation, Call
from dispatch.errors import InvalidInput
from dispatch.models import Event

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)
# Inside kelurahan Pagar Dewa (its centroid), as in tests/calls/test_api.py.
PAGAR_DEWA = (-3.84067, 102.32073)
SMS = 'A"ML=1;lt=-3.84067;lg=+102.32073;rd=50;top=20261128010203;lc=68;pm=G;si=510101234567890;ei=356938035643809;mcc=510;mnc=10;ml=124'


@pytest.fixture
def pbx_api(ref, make_user, client_for):
    return client_for(make_user("pbx", username="aml-gw"))


def ring(pbx_api, number="081234567890", call_id="c-1"):
    return pbx_api.post(
        "/api/v1/telephony/events/",
        {"event": "ringing", "pbx_call_id": call_id, "caller_number": number, "at": datetime.now(UTC).isoformat()},
        format="json",
    ).json()["id"]


def test_sms_form_is_parsed_with_the_spec_field_names():
    message = parse_aml({"sms": SMS, "from": "+6281234567890"})
    assert message.number == "+6281234567890"
    assert (message.lat, message.lon, message.radius_m, message.confidence) == (-3.84067, 102.32073, 50.0, 68)
    assert message.positioned_at == datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)
    assert message.method == "gnss" and message.imsi == "510101234567890" and message.imei == "356938035643809"
    assert (message.mcc, message.mnc, message.source) == ("510", "10", "sms")


def test_https_form_accepts_short_and_long_names():
    short = parse_aml({"lat": "-3.8", "lon": "102.3", "radius": "20", "from": "0812 3456 7890", "pm": "W"})
    long = parse_aml(
        {"location_latitude": -3.8, "location_longitude": 102.3, "location_accuracy": 20, "device_number": "6281234567890",
         "location_time": "1795827723000", "location_source": "wifi"}
    )
    for message in (short, long):
        assert (message.lat, message.lon, message.radius_m, message.number, message.method) == (-3.8, 102.3, 20.0, "+6281234567890", "wifi")
        assert message.source == "https"
    assert long.positioned_at == datetime.fromtimestamp(1795827723, tz=UTC)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sms": "hello", "from": "+6281234567890"}, "sms"),
        ({"sms": 'A"ML=1;lg=102.3;rd=5', "from": "+6281234567890"}, "lt"),
        ({"sms": 'A"ML=1;lt=abc;lg=102.3', "from": "+6281234567890"}, "lt"),
        ({"sms": 'A"ML=1;lt=-95;lg=102.3', "from": "+6281234567890"}, "lt"),
        ({"sms": 'A"ML=1;lt=-3.8;lg=102.3;top=20261399', "from": "+6281234567890"}, "top"),
        ({"sms": 'A"ML=1;lt=-3.8;lg=102.3;garbage', "from": "+6281234567890"}, "sms"),
        ({"sms": 'A"ML=1;lt=-3.8;lg=102.3'}, "from"),
        ({"lat": "-3.8", "lon": "102.3", "from": "12ab"}, "from"),
    ],
)
def test_malformed_messages_are_refused_with_the_field_named(body, field):
    with pytest.raises(InvalidInput) as caught:
        parse_aml(body)
    assert caught.value.field == field and caught.value.message


def test_malformed_message_over_http_is_a_readable_400_and_logged(pbx_api, caplog):
    response = pbx_api.post("/api/v1/aml/", {"sms": 'A"ML=1;lt=x;lg=102.3', "from": "+6281234567890"}, format="json")
    assert response.status_code == 400
    assert "lintang" in response.json()["detail"]
    assert "AML message refused" in caplog.text
    assert pbx_api.post("/api/v1/aml/", [1, 2], format="json").status_code == 400
    assert pbx_api.post("/api/v1/aml/", "{nope", content_type="application/json").status_code == 400
    assert AmlLocation.objects.count() == 0


def test_sms_matching_a_ringing_call_is_201_with_the_kelurahan_and_fills_an_empty_location(pbx_api):
    call_id = ring(pbx_api)
    response = pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["call_id"] == call_id and body["kelurahan_code"] == "17.71.01.1001" and body["radius_m"] == 50
    call = Call.objects.get(pk=call_id)
    assert (call.lat, call.lon, call.kelurahan.code) == (*PAGAR_DEWA, "17.71.01.1001")
    event = Event.objects.filter(type="call.updated", data__id=call_id).latest("seq")
    assert event.data["aml"]["radius_m"] == 50 and event.data["aml"]["applied"] is True


def test_form_encoded_https_message_is_accepted(pbx_api):
    call_id = ring(pbx_api)
    response = pbx_api.post("/api/v1/aml/", {"lt": "-3.84067", "lg": "102.32073", "rd": "12", "from": "081234567890"})
    assert response.status_code == 201, response.content
    assert response.json()["call_id"] == call_id
    assert AmlLocation.objects.get().source == "https"


def test_aml_never_overwrites_a_location_the_operator_set(pbx_api, api):
    call_id = ring(pbx_api)
    api.patch(f"/api/v1/calls/{call_id}/", {"location": {"lat": -3.80, "lon": 102.27, "address": "pasar minggu"}}, format="json")
    response = pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.status_code == 201
    assert response.json()["applied"] is False
    call = Call.objects.get(pk=call_id)
    assert (call.lat, call.lon, call.address) == (-3.80, 102.27, "pasar minggu")
    # The operator sees it beside the call.
    aml = api.get(f"/api/v1/calls/{call_id}/aml/").json()["aml"]
    assert aml["lat"] == PAGAR_DEWA[0] and aml["radius_m"] == 50


def test_a_newer_fix_replaces_an_earlier_aml_fix_but_not_the_operator(pbx_api):
    call_id = ring(pbx_api)
    pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    better = 'A"ML=1;lt=-3.7960;lg=102.2650;rd=8;top=20261128010303;lc=68;pm=G'
    assert pbx_api.post("/api/v1/aml/", {"sms": better, "from": "+6281234567890"}, format="json").json()["applied"] is True
    assert Call.objects.get(pk=call_id).lat == -3.7960


def test_aml_before_the_call_is_202_and_attached_when_the_call_rings(pbx_api):
    response = pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.status_code == 202
    assert response.json()["call_id"] is None
    ringing = pbx_api.post(
        "/api/v1/telephony/events/",
        {"event": "ringing", "pbx_call_id": "late", "caller_number": "0812-3456-7890", "at": datetime.now(UTC).isoformat()},
        format="json",
    )
    assert ringing.status_code == 201
    assert ringing.json()["aml"]["kelurahan_code"] == "17.71.01.1001"
    assert "location" not in ringing.json()  # the PBX reads no call content; the floor's answer shows it
    from calls.models import Call

    assert Call.objects.get(pk=ringing.json()["id"]).kelurahan.code == "17.71.01.1001"
    assert AmlLocation.objects.get().call_id == ringing.json()["id"]


def test_a_pending_fix_is_attached_to_the_call_an_operator_records_from_its_number(pbx_api, api):
    """The intake looks the fix up in the statement that stores the caller (on PostgreSQL)."""
    assert pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json").status_code == 202
    other = api.post("/api/v1/calls/", {"caller_number": "081299990000"}, format="json").json()
    call = api.post("/api/v1/calls/", {"caller_number": "0812 3456 7890", "notes": "asap"}, format="json").json()

    assert other["location"]["kelurahan_code"] is None
    assert call["location"]["kelurahan_code"] == "17.71.01.1001"
    aml = AmlLocation.objects.get()
    assert aml.call_id == call["id"] and aml.applied
    again = api.post("/api/v1/calls/", {"caller_number": "081234567890"}, format="json").json()
    assert again["location"]["kelurahan_code"] is None  # a fix goes to one call only


def test_aml_outside_the_window_does_not_match(pbx_api):
    with time_machine.travel(T0, tick=False):
        ring(pbx_api)
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        response = pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.status_code == 202
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        ring(pbx_api, call_id="c-2")
    assert AmlLocation.objects.get().call_id is None


def test_aml_from_another_number_does_not_match(pbx_api):
    ring(pbx_api, number="081299999999")
    assert pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json").status_code == 202


def test_aml_matches_the_nearest_call_of_the_number(pbx_api):
    with time_machine.travel(T0, tick=False):
        ring(pbx_api, call_id="old")
    with time_machine.travel(T0 + timedelta(minutes=8), tick=False):
        newest = ring(pbx_api, call_id="new")
        response = pbx_api.post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.json()["call_id"] == newest


def test_aml_outside_the_city_is_stored_without_kelurahan(pbx_api):
    ring(pbx_api)
    response = pbx_api.post("/api/v1/aml/", {"sms": 'A"ML=1;lt=-3.47;lg=102.52;rd=30', "from": "+6281234567890"}, format="json")
    assert response.status_code == 201 and response.json()["kelurahan_code"] is None
    assert Call.objects.get().outside_city is True


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_only_the_pbx_may_post_aml(ref, make_user, client_for, role):
    response = client_for(make_user(role)).post("/api/v1/aml/", {"sms": SMS, "from": "+6281234567890"}, format="json")
    assert response.status_code == 403
