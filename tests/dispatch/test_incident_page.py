"""The incident page as an operator reads it: an empty note list says so once (not as item 1), a
cancelled dispatch names its reason once and keeps no escalation alarm."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from calls import services as call_services
from dispatch import services

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _fire(operator):
    place = call_services.Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto")
    call, _ = call_services.call_create(operator=operator, caller_number="081277799001", notes="api di gudang", location=place)
    return call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident


def test_no_notes_is_said_once_outside_the_numbered_list(ref, make_user):
    operator = make_user("operator")
    incident = _fire(operator)
    client = Client()
    client.force_login(operator)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    notes = re.search(r'<ol id="incident-notes"[^>]*>(.*?)</ol>', page, re.S).group(1)
    assert "<li" not in notes
    assert page.count("Belum ada catatan.") == 1
    services.incident_add_note(incident_id=incident.pk, user=operator, text="Dua lantai, asap tebal")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Belum ada catatan." not in page and "Dua lantai, asap tebal" in page


def test_a_cancelled_escalated_dispatch_names_its_reason_once_and_sounds_no_escalation(ref, make_user):
    operator = make_user("operator")
    incident = _fire(operator)
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    services.escalate_overdue(now=timezone.now() + timezone.timedelta(hours=1))
    client = Client()
    client.force_login(operator)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "⚠ eskalasi" in page  # escalated and still waiting: the alarm shows
    services.dispatch_set_status(dispatch_id=dispatch.pk, user=operator, status="cancelled", note="api sudah padam sendiri")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    row = re.search(rf'<tr data-dispatch-id="{dispatch.pk}"[^>]*>(.*?)</tr>', page, re.S)
    assert row.group(1).count("api sudah padam sendiri") == 1  # once in its row (the history lists it too)
    assert "escalated" not in row.group(0) and "⚠ eskalasi" not in page
