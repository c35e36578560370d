"""Request serializers copy their declared fields shallowly: each instance must still own its fields."""

from rest_framework import serializers

from calls.serializers import CallCreateSerializer, LocationSerializer, RequestSerializer
from dispatch.serializers import DispatchRequestSerializer


def test_each_instance_binds_its_own_fields():
    first = CallCreateSerializer(data={"notes": "a"})
    second = CallCreateSerializer(data={"notes": "b"})
    for name in CallCreateSerializer._declared_fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name] is not CallCreateSerializer._declared_fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert first.fields[name].field_name == name
    # The declared fields themselves are never bound.
    assert CallCreateSerializer._declared_fields["notes"].field_name is None


def test_a_nested_serializer_builds_its_own_fields_bound_to_its_copy():
    first = CallCreateSerializer(data={})
    second = CallCreateSerializer(data={})
    location = first.fields["location"]
    assert location.fields["lat"].parent is location
    assert location.fields["lat"] is not second.fields["location"].fields["lat"]
    assert location.fields["lat"].root is first


def test_fields_a_declared_nested_serializer_once_built_are_not_shared():
    class WithPlace(RequestSerializer):
        place = LocationSerializer(required=False)

    declared = WithPlace._declared_fields["place"]
    assert "lat" in declared.fields  # built on the class's own instance, as a schema generator might
    made = WithPlace(data={})
    assert made.fields["place"].fields["lat"] is not declared.fields["lat"]
    assert made.fields["place"].fields["lat"].root is made


def test_validation_runs_per_instance_with_nested_errors():
    bad = CallCreateSerializer(data={"caller_number": "0812", "location": {"lat": 200, "lon": 102.26}})
    good = CallCreateSerializer(data={"caller_number": "0813", "location": {"lat": -3.8, "lon": 102.26, "address": "Jl. Suprapto"}})
    assert not bad.is_valid()
    assert set(bad.errors) == {"location"} and set(bad.errors["location"]) == {"lat"}
    assert good.is_valid(), good.errors
    assert good.validated_data["location"] == {"lat": -3.8, "lon": 102.26, "address": "Jl. Suprapto", "kelurahan_code": ""}
    assert good.validated_data["caller_number"] == "0813"


def test_a_partial_instance_skips_missing_fields_without_touching_the_others():
    class Named(RequestSerializer):
        name = serializers.CharField()

    assert not Named(data={}).is_valid()
    partial = Named(data={}, partial=True)
    assert partial.is_valid(), partial.errors
    assert not Named(data={}).is_valid()


def test_a_list_field_keeps_its_child_bound_to_its_own_copy():
    made = DispatchRequestSerializer(data={"agencies": ["DAMKAR", "x" * 17]})
    agencies = made.fields["agencies"]
    assert agencies is not DispatchRequestSerializer._declared_fields["agencies"]
    assert agencies.child.parent is agencies
    assert agencies.child is not DispatchRequestSerializer._declared_fields["agencies"].child
    assert not made.is_valid()
    assert set(made.errors["agencies"]) == {1}


# --- strict input over the API ------------------------------------------------------------------

import json  # noqa: E402

import pytest  # noqa: E402
from django.test import Client  # noqa: E402


@pytest.mark.django_db
@pytest.mark.parametrize("location", [{"lat": True, "lon": 102.27}, {"lat": -3.8, "lon": False}, {"lat": [1], "lon": 102.0}])
def test_a_boolean_is_not_a_coordinate(api, location):
    response = api.post("/api/v1/calls/", {"caller_number": "081234567890", "location": location}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert "location" in response.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("notes", [12345, 1.5, {"a": 1}, ["x"], True])
def test_notes_must_be_a_string(api, notes):
    response = api.post("/api/v1/calls/", {"caller_number": "081234567890", "notes": notes}, format="json")
    assert response.status_code == 400, response.content
    assert "notes" in response.json()["errors"]


@pytest.mark.django_db
def test_notes_must_be_a_string_on_edit_and_classify(api):
    call = api.post("/api/v1/calls/", {"caller_number": "081234567890"}, format="json").json()
    assert api.patch(f"/api/v1/calls/{call['id']}/", {"notes": 7}, format="json").status_code == 400
    assert api.post(f"/api/v1/calls/{call['id']}/classify/", {"call_type": "information", "notes": 7}, format="json").status_code == 400
    assert api.patch(f"/api/v1/calls/{call['id']}/", {"location": {"lat": True, "lon": True}}, format="json").status_code == 400


@pytest.mark.django_db
def test_valid_bodies_are_recorded_as_before(api):
    body = {"caller_number": "081234567890", "notes": "kebakaran", "location": {"lat": -3.8, "lon": 102.27, "address": "Jl. Suprapto"}}
    response = api.post("/api/v1/calls/", body, format="json")
    assert response.status_code == 201
    assert response.json()["notes"] == "kebakaran"
    assert response.json()["location"]["lat"] == -3.8
    # Integer coordinates are numbers too.
    assert api.post("/api/v1/calls/", {"caller_number": "081234567891", "location": {"lat": -4, "lon": 102}}, format="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["nope", "2026-13-01", "2026-03-10\x00", "9999-12-31", "0001-01-01"])
def test_a_bad_date_on_the_call_list_is_a_400_not_every_call(api, value):
    api.post("/api/v1/calls/", {"caller_number": "081234567890"}, format="json")
    response = api.get("/api/v1/calls/", {"date": value})
    assert response.status_code == 400
    assert response.json()["field"] == "date"


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404(operator):
    client = Client()
    client.force_login(operator)
    for path in ("/api/v1/nope/", "/api/v1/calls/abc/", "/api/v2/calls/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_body_too_large_is_a_json_413(operator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = Client()
    client.force_login(operator)
    body = json.dumps({"caller_number": "081234567890", "notes": "x" * 20_000})
    response = client.post("/api/v1/calls/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    from calls.models import Call

    assert not Call.objects.exists()
    small = client.post("/api/v1/calls/", json.dumps({"caller_number": "081234567890"}), content_type="application/json")
    assert small.status_code == 201


@pytest.mark.django_db
def test_an_unexpected_api_failure_is_a_json_500(operator, monkeypatch):
    from calls import api as calls_api

    def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(calls_api.CallListCreateApi, "get", broken)
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    response = client.get("/api/v1/calls/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    assert "boom" not in response.content.decode()
