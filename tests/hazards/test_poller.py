"""The poller against a local HTTP server serving BMKG's formats: new quakes stored once, a feed that
times out or answers garbage skipped and recorded, the others still polled."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from hazards.models import DisasterPeriod, FeedSource, HazardAlert
from hazards.services import feeds_poll_due
from hazards.tasks import poll_feeds
from tests.hazards.conftest import FIXTURE_NOW, fixture_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def feeds(settings, feed_server, ref):
    feed_server.routes = {
        "/autogempa.json": (200, fixture_bytes("autogempa.json"), 0),
        "/gempadirasakan.json": (200, fixture_bytes("gempadirasakan.json"), 0),
        "/gempaterkini.json": (200, fixture_bytes("gempaterkini_far.json"), 0),
        "/cap.xml": (200, fixture_bytes("cap_tsunami.xml"), 0),
    }
    settings.HAZARD_FEED_TIMEOUT_SECONDS = 1
    settings.HAZARD_FEED_URLS = [feed_server.url(p) for p in feed_server.routes]
    return feed_server


def test_the_poller_stores_each_quake_once_and_starts_disaster_mode_from_the_feed(feeds):
    with time_machine.travel(FIXTURE_NOW, tick=True):
        poll_feeds.delay()
        assert HazardAlert.objects.count() == 1 + 3 + 1 + 1
        assert FeedSource.objects.filter(ok=True).count() == 4
        # Tsunami from the CAP feed; the autogempa quake (felt IV in the city) was first or is listed.
        assert DisasterPeriod.objects.get(active=True).kind == "tsunami"
        far = HazardAlert.objects.get(identifier="BMKG-gempa-20230415164105")
        assert far.kind == "" and far.distance_km > 3000
        # Polled again at once: nothing due. Later: polled, nothing new stored.
        assert feeds_poll_due(stale_after=timedelta(seconds=30)) == {}
    with time_machine.travel("2023-04-15T15:20:00+00:00", tick=True):
        results = feeds_poll_due(stale_after=timedelta(seconds=30))
    assert set(results.values()) == {0} and len(results) == 4
    assert HazardAlert.objects.count() == 6


@pytest.mark.parametrize("route", [
    (200, b"<html><body>Maintenance</body></html>", 0),
    (200, b'{"Infogempa": {"gempa": [{"Magnitude": "x"}]}}', 0),
    (500, b"error", 0),
    (200, fixture_bytes("autogempa.json"), 2.5),  # answers after the timeout
])
def test_a_feed_that_times_out_or_answers_garbage_is_skipped_and_the_others_still_polled(feeds, route):
    feeds.routes["/autogempa.json"] = route
    with time_machine.travel(FIXTURE_NOW, tick=True):
        results = feeds_poll_due(stale_after=timedelta(seconds=30))
    assert len(results) == 4
    broken = FeedSource.objects.get(url=feeds.url("/autogempa.json"))
    assert not broken.ok and broken.error
    assert HazardAlert.objects.count() == 3 + 1 + 1
    assert not HazardAlert.objects.filter(identifier="BMKG-gempa-20230415150707").exists()


def test_an_unreachable_feed_is_recorded_and_the_poll_goes_on(feeds, settings):
    settings.HAZARD_FEED_URLS = ["http://127.0.0.1:9/nothing.json", *settings.HAZARD_FEED_URLS]
    with time_machine.travel(FIXTURE_NOW, tick=True):
        feeds_poll_due(stale_after=timedelta(seconds=30))
    assert "ConnectError" in FeedSource.objects.get(url="http://127.0.0.1:9/nothing.json").error
    assert HazardAlert.objects.count() == 6


def test_a_bad_entry_from_another_sender_in_a_cap_feed_is_skipped_with_nothing_half_stored(feeds):
    feeds.routes["/cap.xml"] = (200, fixture_bytes("cap_other_sender.xml"), 0)
    with time_machine.travel(FIXTURE_NOW, tick=True):
        feeds_poll_due(stale_after=timedelta(seconds=30))
    assert not HazardAlert.objects.filter(source="cap").exists()
    assert HazardAlert.objects.count() == 5
