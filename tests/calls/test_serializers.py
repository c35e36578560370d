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
