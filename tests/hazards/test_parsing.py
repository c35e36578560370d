"""Reading BMKG's JSON feed and InaTEWS CAP 1.2, and refusing what is not (hardened XML)."""

from __future__ import annotations

import pytest

from hazards.parsing import MAX_MESSAGE_BYTES, HazardParseError, parse_bmkg_feed, parse_cap
from tests.hazards.conftest import fixture_bytes


def test_an_inatews_earthquake_alert_yields_its_identifier_magnitude_depth_and_epicentre():
    alert = parse_cap(fixture_bytes("cap_earthquake.xml"))
    assert alert.identifier == "Indonesia-InaTEWS-earthquakes-20230415221056"
    assert (alert.sender, alert.msg_type, alert.status, alert.event) == ("BMKG", "alert", "Actual", "Gempabumi")
    assert (alert.magnitude, alert.depth_km, alert.lat, alert.lon) == (6.2, 25.0, -4.05, 102.02)
    assert alert.sent.isoformat() == "2023-04-15T22:10:56+07:00"
    assert alert.expires.isoformat() == "2023-04-16T04:10:56+07:00"
    assert alert.tsunami == "Tidak berpotensi tsunami"


def test_an_update_and_a_cancel_name_the_identifier_they_reference():
    assert parse_cap(fixture_bytes("cap_earthquake_update.xml")).references == ["Indonesia-InaTEWS-earthquakes-20230415221056"]
    cancel = parse_cap(fixture_bytes("cap_earthquake_cancel.xml"))
    assert cancel.msg_type == "cancel" and cancel.references == ["Indonesia-InaTEWS-earthquakes-20230415221056"]


def test_a_tsunami_warning_gives_the_level_of_each_coastal_area():
    alert = parse_cap(fixture_bytes("cap_tsunami.xml"))
    assert alert.warning_levels == {"KOTA BENGKULU": "awas", "SELUMA-BENGKULU": "siaga", "PESISIR BARAT-LAMPUNG": "waspada"}
    assert (alert.lat, alert.lon, alert.magnitude) == (-4.6, 101.6, 7.8)


@pytest.mark.parametrize("name, reason", [
    ("bomb.xml", "DTDForbidden"),
    ("xxe.xml", "DTDForbidden"),
    ("cap_invalid.xml", "not valid CAP 1.2"),
])
def test_entity_bombs_external_entities_and_schema_violations_are_refused(name, reason):
    with pytest.raises(HazardParseError, match=reason):
        parse_cap(fixture_bytes(name))


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"<alert><unclosed></alert>", "not well-formed"),
    (b"<rss version='2.0'><channel/></rss>", "not a CAP 1.2 alert"),
    (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "not a CAP 1.2 alert"),
    (b"{\"Infogempa\": {}}", "not well-formed"),
])
def test_garbage_and_other_xml_are_refused_with_a_reason(data, reason):
    with pytest.raises(HazardParseError, match=reason):
        parse_cap(data)


def test_a_message_over_the_size_limit_is_refused_unread():
    with pytest.raises(HazardParseError, match="larger than"):
        parse_cap(b"<" + b"a" * MAX_MESSAGE_BYTES + b"/>")


def test_autogempa_gives_one_quake_keyed_by_its_utc_time_with_felt_and_potential():
    [quake] = parse_bmkg_feed(fixture_bytes("autogempa.json"))
    assert quake.identifier == "BMKG-gempa-20230415150707"
    assert (quake.magnitude, quake.depth_km, quake.lat, quake.lon) == (5.6, 25.0, -4.05, 102.02)
    assert quake.felt.startswith("IV Kota Bengkulu")
    assert quake.tsunami == "Tidak berpotensi tsunami"
    assert quake.expires - quake.sent == __import__("datetime").timedelta(hours=6)


def test_gempadirasakan_gives_every_quake_of_its_list():
    quakes = parse_bmkg_feed(fixture_bytes("gempadirasakan.json"))
    assert [q.magnitude for q in quakes] == [4.4, 4.9, 3.1]


@pytest.mark.parametrize("data", [b"<html>502 Bad Gateway</html>", b"[]", b'{"Infogempa": {"gempa": "x"}}',
                                  b'{"Infogempa": {"gempa": [{"DateTime": "kemarin"}]}}',
                                  b'{"Infogempa": {"gempa": {"DateTime": "2023-04-15T15:07:07+00:00", "Coordinates": "-95,102", "Magnitude": "5"}}}'])
def test_a_feed_answering_garbage_is_refused(data):
    with pytest.raises(HazardParseError):
        parse_bmkg_feed(data)
