"""`POST /api/v1/hazards/cap/` (the feed account only) and `GET /api/v1/disaster/` (everyone logged in)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from hazards.models import DisasterPeriod, HazardAlert
from tests.hazards.conftest import FIXTURE_NOW, fixture_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db]
CAP_URL = "/api/v1/hazards/cap/"


def push(client, name_or_bytes):
    data = fixture_bytes(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return client.post(CAP_URL, data=data, content_type="application/xml")


@pytest.fixture
def feed(feed_user, client_for):
    return client_for(feed_user)


def test_a_new_alert_is_201_the_same_again_200_with_the_same_answer(feed):
    with time_machine.travel(FIXTURE_NOW, tick=True):
        first = push(feed, "cap_earthquake.xml")
        again = push(feed, "cap_earthquake.xml")
    assert first.status_code == 201, first.content
    assert first.json()["disaster_mode"] is True and first.json()["alert_id"] == HazardAlert.objects.get().pk
    assert again.status_code == 200 and again.json() == first.json()


@pytest.mark.parametrize("name", ["cap_invalid.xml", "bomb.xml", "xxe.xml", "cap_other_sender.xml", "cap_cancel_unknown.xml"])
def test_invalid_cap_entities_other_senders_and_unknown_references_are_a_clear_400_and_store_nothing(feed, name):
    response = push(feed, name)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert "/etc/passwd" not in response.content.decode() and "root:" not in response.content.decode()
    assert not HazardAlert.objects.exists()


@pytest.mark.parametrize("body", [b"", b"not xml at all", b'{"identifier": "x"}', "<alert>\u00e9</alert>".encode("latin-1")])
def test_garbage_bodies_are_400_never_500(feed, body):
    response = feed.post(CAP_URL, data=body, content_type="application/xml")
    assert response.status_code == 400


def test_an_oversized_body_is_refused(feed):
    response = push(feed, b"<a>" + b"x" * 300_000 + b"</a>")
    assert response.status_code == 400 and response.json()["code"] == "too_large"


@pytest.mark.parametrize("role, agency", [("operator", None), ("supervisor", None), ("agency", "BPBD"), ("pbx", None)])
def test_only_the_feed_account_may_push(ref, make_user, client_for, role, agency):
    response = push(client_for(make_user(role, agency=agency)), "cap_earthquake.xml")
    assert response.status_code == 403
    assert not HazardAlert.objects.exists()
    assert APIClient().post(CAP_URL, data=fixture_bytes("cap_earthquake.xml"), content_type="application/xml").status_code in (401, 403)


@pytest.mark.parametrize("path", ["/api/v1/calls/", "/api/v1/events/?after=0", "/api/v1/disaster/", "/api/v1/dispatches/"])
def test_the_feed_account_reads_no_call_content(feed, path):
    assert feed.get(path).status_code == 403


def test_disaster_state_for_the_floor_and_agency_staff(ref, make_user, client_for, feed):
    operator, damkar = client_for(make_user("operator")), client_for(make_user("agency", agency="DAMKAR"))
    assert operator.get("/api/v1/disaster/").json()["active"] is False
    with time_machine.travel(FIXTURE_NOW, tick=True):
        push(feed, "cap_tsunami.xml")
        for client in (operator, damkar):
            body = client.get("/api/v1/disaster/").json()
            assert (body["active"], body["kind"]) == (True, "tsunami")
            assert body["since"] and body["alert"]["tsunami_level"] == "awas" and body["alert"]["magnitude"] == 7.8


def test_agency_staff_replay_disaster_events_but_not_other_agencies_dispatches(ref, make_user, client_for, feed):
    damkar = client_for(make_user("agency", agency="DAMKAR"))
    with time_machine.travel(FIXTURE_NOW, tick=True):
        push(feed, "cap_earthquake.xml")
    types = [e["type"] for e in damkar.get("/api/v1/events/?after=0").json()]
    assert types == ["disaster.started"]  # the BPBD incident's dispatch is not Damkar's to see
    bpbd = client_for(make_user("agency", agency="BPBD"))
    assert {"disaster.started", "dispatch.created"} <= {e["type"] for e in bpbd.get("/api/v1/events/?after=0").json()}


def test_add_user_creates_a_feed_account(ref):
    call_command("add_user", "bmkg_feed", "--role", "feed", "--password", "a-long-feed-password-112")
    from agencies.models import Membership

    assert Membership.objects.get(user__username="bmkg_feed").role == "feed"
