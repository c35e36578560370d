"""The dispatch API and screens over HTTP: who may do what (a table), conflicts with
their reason, duplicates and unlink, the incident page, the agency console, routing."""

from __future__ import annotations

import pytest
from django.test import Client

from agencies.models import RoutingRule
from dispatch import services
from dispatch.models import AuditLog, Dispatch, Incident
from tests.dispatch.conftest import PAGAR_DEWA

pytestmark = pytest.mark.django_db


@pytest.fixture
def fire(open_incident, operator):
    incident = open_incident("kebakaran_bangunan", number="081234500777")
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    return dispatch


# role, agency, method, path template, body -> expected status
ACCESS = [
    ("agency", "DAMKAR", "get", "/api/v1/incidents/{incident}/", None, 200),
    ("agency", "PLN", "get", "/api/v1/incidents/{incident}/", None, 404),
    ("agency", "DAMKAR", "get", "/api/v1/dispatches/{dispatch}/", None, 200),
    ("agency", "PLN", "get", "/api/v1/dispatches/{dispatch}/", None, 404),
    ("agency", "DAMKAR", "post", "/api/v1/dispatches/{dispatch}/acknowledge/", {}, 200),
    ("agency", "PLN", "post", "/api/v1/dispatches/{dispatch}/acknowledge/", {}, 404),
    ("agency", "PLN", "post", "/api/v1/dispatches/{dispatch}/status/", {"status": "declined", "note": "x"}, 404),
    ("agency", "DAMKAR", "post", "/api/v1/dispatches/{dispatch}/status/", {"status": "declined", "note": "armada habis"}, 200),
    ("agency", "DAMKAR", "post", "/api/v1/dispatches/{dispatch}/status/", {"status": "cancelled", "note": "x"}, 403),
    ("agency", "DAMKAR", "post", "/api/v1/incidents/{incident}/dispatch/", {"agencies": ["PLN"]}, 403),
    ("agency", "DAMKAR", "post", "/api/v1/incidents/{incident}/close/", {}, 403),
    ("agency", "DAMKAR", "get", "/api/v1/calls/{call}/duplicates/", None, 403),
    ("operator", None, "post", "/api/v1/dispatches/{dispatch}/acknowledge/", {}, 403),
    ("operator", None, "post", "/api/v1/dispatches/{dispatch}/status/", {"status": "en_route"}, 403),
    ("operator", None, "post", "/api/v1/dispatches/{dispatch}/status/", {"status": "cancelled", "note": "salah instansi"}, 200),
    ("operator", None, "post", "/api/v1/incidents/{incident}/dispatch/", {"agencies": ["PLN"]}, 201),
    ("supervisor", None, "get", "/api/v1/incidents/{incident}/", None, 200),
    ("pbx", None, "get", "/api/v1/dispatches/{dispatch}/", None, 403),
    ("pbx", None, "post", "/api/v1/incidents/{incident}/dispatch/", {}, 403),
]


@pytest.mark.parametrize("role, agency, method, path, body, expected", ACCESS)
def test_access_table(fire, make_user, client_for, role, agency, method, path, body, expected):
    call = fire.incident.calls.get()
    url = path.format(incident=fire.incident_id, dispatch=fire.pk, call=call.pk)
    client = client_for(make_user(role, agency=agency))
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    assert response.status_code == expected, response.content


def test_agency_staff_list_and_events_show_only_their_own(fire, open_incident, operator, staff, client_for):
    other = open_incident("listrik")
    services.incident_dispatch(incident_id=other.pk, user=operator, agency_codes=["PLN"])
    damkar = client_for(staff("DAMKAR"))
    assert [d["agency"] for d in damkar.get("/api/v1/dispatches/").json()] == ["DAMKAR"]
    events = damkar.get("/api/v1/events/?after=0").json()
    assert events and all(e["type"].startswith("dispatch.") and e["data"]["agency"] == "DAMKAR" for e in events)
    assert len(client_for(operator).get("/api/v1/dispatches/").json()) == 2


def test_acknowledge_answer_and_repeat(fire, staff, client_for):
    client = client_for(staff("DAMKAR"))
    first = client.post(f"/api/v1/dispatches/{fire.pk}/acknowledge/")
    second = client.post(f"/api/v1/dispatches/{fire.pk}/acknowledge/")
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == staff("DAMKAR").username
    assert second.json()["acknowledged_at"] == body["acknowledged_at"]


def test_forbidden_transition_is_409_with_the_reason(fire, staff, client_for):
    client = client_for(staff("DAMKAR"))
    response = client.post(f"/api/v1/dispatches/{fire.pk}/status/", {"status": "resolved"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and "tidak diizinkan" in response.json()["detail"]
    response = client.post(f"/api/v1/dispatches/{fire.pk}/status/", {"status": "declined"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"


def test_close_with_live_dispatch_is_409_then_close_and_reopen(fire, api, staff, client_for):
    url = f"/api/v1/incidents/{fire.incident_id}/"
    response = api.post(url + "close/", {}, format="json")
    assert response.status_code == 409 and "DAMKAR" in response.json()["detail"]
    damkar = client_for(staff("DAMKAR"))
    damkar.post(f"/api/v1/dispatches/{fire.pk}/acknowledge/")
    assert damkar.post(f"/api/v1/dispatches/{fire.pk}/status/", {"status": "resolved", "note": "api padam"}, format="json").status_code == 200
    assert api.post(url + "close/", {}, format="json").json()["status"] == "closed"
    assert api.post(url + "reopen/", {"reason": ""}, format="json").status_code == 400
    assert api.post(url + "reopen/", {"reason": "api menyala lagi"}, format="json").json()["status"] == "open"


def test_dispatch_api_default_is_the_primary_and_answer_matches_interface(open_incident, api):
    incident = open_incident("darurat_medis")
    response = api.post(f"/api/v1/incidents/{incident.pk}/dispatch/", {}, format="json")
    assert response.status_code == 201
    [d] = response.json()["dispatches"]
    assert d["agency"] == "DINKES" and {"id", "agency", "status", "dispatched_at"} <= set(d)


def test_duplicates_api_lists_nearby_open_incidents_with_distance(fire, api, operator):
    from calls import services as call_services

    call, _ = call_services.call_create(
        operator=operator, caller_number="081299900003", location=call_services.Location(lat=PAGAR_DEWA[0] + 0.002, lon=PAGAR_DEWA[1])
    )
    response = api.get(f"/api/v1/calls/{call.pk}/duplicates/?incident_type=kebakaran_bangunan")
    assert response.status_code == 200
    [candidate] = response.json()["candidates"]
    assert candidate["id"] == fire.incident_id and 150 < candidate["distance_m"] < 300
    assert candidate["incident_type"] == "kebakaran_bangunan"
    assert api.get(f"/api/v1/calls/{call.pk}/duplicates/?incident_type=kriminal").json()["candidates"] == []
    # Linking the call instead of dispatching again.
    linked = api.post(f"/api/v1/calls/{call.pk}/classify/", {"call_type": "emergency", "duplicate_of": fire.incident_id}, format="json")
    assert linked.status_code == 200
    assert Incident.objects.count() == 1 and Dispatch.objects.count() == 1
    # The call's own incident is not its duplicate.
    assert api.get(f"/api/v1/calls/{call.pk}/duplicates/").json()["candidates"] == []
    # Unlink: it becomes its own incident.
    response = api.post(f"/api/v1/calls/{call.pk}/unlink/", {}, format="json")
    assert response.status_code == 200, response.content
    assert Incident.objects.count() == 2
    assert api.post(f"/api/v1/calls/{call.pk}/unlink/", {}, format="json").status_code == 409


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_incident_page_shows_calls_suggestions_and_dispatches(fire, operator, staff, django_assert_max_num_queries):
    from agencies.models import Agency, Station

    polresta = Agency.objects.get(code="POLRESTA")
    Station.objects.create(agency=polresta, name="Polsek Dekat", lat=PAGAR_DEWA[0] + 0.003, lon=PAGAR_DEWA[1])
    Station.objects.create(agency=polresta, name="Polsek Jauh", lat=PAGAR_DEWA[0] + 0.05, lon=PAGAR_DEWA[1])
    client = _login(operator)
    with django_assert_max_num_queries(40):
        response = client.get(f"/incidents/{fire.incident_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "+6281234500777" in html and "Kebakaran rumah" in html
    # Suggested agencies: Damkar already dispatched (disabled), supporting agencies unchecked.
    assert 'value="DAMKAR" disabled' in html
    assert 'value="POLRESTA">' in html
    assert "pos terdekat: Polsek Dekat (334 m)" in html and "Polsek Jauh" not in html
    assert f'data-dispatch-id="{fire.pk}"' in html and 'data-action="cancel"' in html
    assert _login(staff("DAMKAR")).get(f"/incidents/{fire.incident_id}/").status_code == 403
    assert client.get("/incidents/999999/").status_code == 404


def test_incident_page_names_statuses_by_their_labels_and_says_when_there_is_no_location(fire, open_incident, operator):
    import re

    html = _login(operator).get(f"/incidents/{fire.incident_id}/").content.decode()
    timeline = re.search(r'<ol id="incident-timeline".*?</ol>', html, re.S).group(0)
    assert "— → Terbuka" in timeline and "DAMKAR: — → Dikirim" in timeline and "Terbuka → Dikirim" in timeline
    assert "open" not in timeline and "dispatched" not in timeline
    assert "Lokasi belum ditentukan" not in html  # the fire has a place
    assert "berlangsung" in html  # an open incident: how long it has been open
    nowhere = open_incident("kebakaran_bangunan", number="081200077700", lat=None, lon=None)
    assert nowhere.kelurahan is None and not nowhere.address and nowhere.lat is None
    assert "Lokasi belum ditentukan" in _login(operator).get(f"/incidents/{nowhere.pk}/").content.decode()


def test_incident_page_prechecks_the_primary_before_dispatch(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    html = _login(operator).get(f"/incidents/{incident.pk}/").content.decode()
    assert 'value="DAMKAR" checked' in html
    assert 'value="PLN" checked' not in html


def test_agency_console_shows_own_dispatches_only(fire, open_incident, operator, staff):
    other = open_incident("listrik", number="081200011122")
    [pln] = services.incident_dispatch(incident_id=other.pk, user=operator, agency_codes=["PLN"])
    client = _login(staff("DAMKAR"))
    for url in ("/agency/", "/agency/partial/"):
        html = client.get(url).content.decode()
        assert f'data-dispatch-id="{fire.pk}"' in html and f'data-dispatch-id="{pln.pk}"' not in html
        assert "+6281234500777" in html and "+6281200011122" not in html
    html = client.get("/agency/").content.decode()
    assert 'data-lat="' in html and "api besar di ruko" in html and "Jl. Pagar Dewa" in html
    assert 'data-action="acknowledge"' in html and 'data-action="declined"' in html


def test_routing_page_lets_supervisors_change_rules(ref, supervisor, operator, open_incident):
    client = _login(supervisor)
    assert client.get("/routing/").status_code == 200
    response = client.post(
        "/routing/", {"incident_type": "kebakaran_bangunan", "primary": "BPBD", "supporting": ["DAMKAR", "PLN", "BPBD"]}
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(incident_type__code="kebakaran_bangunan")
    assert rule.primary_agency.code == "BPBD"
    assert sorted(rule.supporting_agencies.values_list("code", flat=True)) == ["DAMKAR", "PLN"]
    log = AuditLog.objects.get(action="routing.update")
    assert log.detail["before"]["primary"] == "DAMKAR" and log.detail["after"]["primary"] == "BPBD"
    # The new rule routes the next dispatch.
    incident = open_incident("kebakaran_bangunan")
    [d] = services.incident_dispatch(incident_id=incident.pk, user=operator)
    assert d.agency.code == "BPBD"
    # Unknown agency: refused, nothing changed.
    client.post("/routing/", {"incident_type": "kebakaran_bangunan", "primary": "NOPE"})
    assert RoutingRule.objects.get(incident_type__code="kebakaran_bangunan").primary_agency.code == "BPBD"
    assert _login(operator).get("/routing/").status_code == 403
    assert _login(operator).post("/routing/", {"incident_type": "kebakaran_bangunan", "primary": "PLN"}).status_code == 403


@pytest.mark.parametrize(
    "model",
    ["agencies/agency", "agencies/station", "agencies/membership", "agencies/dutyroster", "agencies/kelurahan",
     "agencies/kecamatan", "agencies/incidenttype", "agencies/routingrule", "dispatch/incident", "dispatch/dispatch",
     "dispatch/notification", "dispatch/auditlog", "calls/call", "calls/caller"],
)
def test_admin_lists_every_model_and_dispatch_records_are_read_only(fire, make_user, model):
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client = _login(admin)
    assert client.get(f"/admin/{model}/").status_code == 200
    if model.startswith(("dispatch/", "calls/")):
        assert client.get(f"/admin/{model}/add/").status_code == 403


def test_duplicates_of_a_call_that_does_not_exist_is_404(api):
    assert api.get("/api/v1/calls/999999/duplicates/?incident_type=kebakaran_bangunan").status_code == 404


def test_a_duplicates_lookup_costs_two_statements_after_authentication(fire, api, operator, django_assert_num_queries):
    """Every emergency call of a surge asks it: the call's five values, then the candidates."""
    from calls import services as call_services

    call, _ = call_services.call_create(
        operator=operator, caller_number="081299900004", location=call_services.Location(lat=PAGAR_DEWA[0] + 0.002, lon=PAGAR_DEWA[1])
    )
    with django_assert_num_queries(2):
        response = api.get(f"/api/v1/calls/{call.pk}/duplicates/?incident_type=kebakaran_bangunan")
    assert [c["id"] for c in response.json()["candidates"]] == [fire.incident_id]


def test_the_board_shows_an_incidents_kelurahan_and_address_apart_and_a_dash_for_none(open_incident, operator):
    placed = open_incident("kebakaran_bangunan")
    nowhere = open_incident("kebakaran_bangunan", number="081200077701", lat=None, lon=None)
    html = _login(operator).get("/board/").content.decode()
    assert placed.kelurahan is not None
    assert f"<td>{placed.kelurahan.name} · Jl. Pagar Dewa dekat masjid</td>" in html
    assert f'<tr data-incident-id="{nowhere.pk}"' in html
    row = html.split(f'<tr data-incident-id="{nowhere.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td><span class="muted">—</span></td>' in row


def test_the_floor_moves_an_incident_over_the_api_and_agency_staff_cannot(fire, api, staff):
    from rest_framework.test import APIClient

    from agencies.models import Landmark

    mall = Landmark.objects.get(name="Mega Mall")
    url = f"/api/v1/incidents/{fire.incident_id}/"
    answer = api.patch(url, {"location": {"lat": mall.lat, "lon": mall.lon, "address": "Depan Mega Mall"}}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["lat"], body["lon"], body["address"], body["kelurahan"]) == (mall.lat, mall.lon, "Depan Mega Mall", mall.kelurahan.name)
    # A clear error, and nothing changed, for a place that cannot be.
    bad = api.patch(url, {"location": {"lat": 123, "lon": 102.2}}, format="json")
    assert bad.status_code == 400 and "lat" in str(bad.json())
    empty = api.patch(url, {"location": {}}, format="json")
    assert empty.status_code == 400 and "location" in str(empty.json())
    assert api.get(url).json()["address"] == "Depan Mega Mall"
    # Agency staff see the incident sent to them, and cannot move it.
    damkar = APIClient()
    damkar.force_authenticate(staff("DAMKAR"))
    assert damkar.get(url).status_code == 200
    assert damkar.patch(url, {"location": {"address": "elsewhere"}}, format="json").status_code == 403
    assert api.get(url).json()["address"] == "Depan Mega Mall"


def test_a_note_for_the_agencies_goes_through_the_api_to_the_agency_console_and_the_call_timeline(fire, api, operator, staff, supervisor):
    url = f"/api/v1/incidents/{fire.incident_id}/notes/"
    answer = api.post(url, {"text": "Dua orang terjebak di lantai 2"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["text"], body["by"]) == ("Dua orang terjebak di lantai 2", operator.get_username())
    assert body["at"].endswith("+07:00")  # WIB, as every time the API gives
    # A clear error, and nothing stored, for an empty note.
    empty = api.post(url, {"text": "   "}, format="json")
    assert empty.status_code == 400 and "text" in str(empty.json())
    notes = api.get(f"/api/v1/incidents/{fire.incident_id}/").json()["notes"]
    assert [(n["id"], n["text"]) for n in notes] == [(body["id"], "Dua orang terjebak di lantai 2")]

    # The agency sees it on the card, marked as come after the dispatch; the operator on the incident page.
    card = _login(staff("DAMKAR")).get("/agency/partial/").content.decode()
    assert f'data-note-id="{body["id"]}"' in card and "⚠ Info operator" in card and "Dua orang terjebak di lantai 2" in card
    page = _login(operator).get(f"/incidents/{fire.incident_id}/").content.decode()
    assert f'<li data-note-id="{body["id"]}">' in page and 'id="note-form"' in page
    # The supervisor's call timeline lists it with who wrote it.
    call = fire.incident.calls.get()
    timeline = _login(supervisor).get(f"/reports/calls/{call.pk}/").content.decode()
    assert "Catatan untuk instansi #%d" % fire.incident_id in timeline and "Dua orang terjebak di lantai 2" in timeline

    # Closed: no more notes, and no form to write one.
    services.dispatch_set_status(dispatch_id=fire.pk, user=operator, status="cancelled", note="salah instansi")
    services.incident_close(incident_id=fire.incident_id, user=operator, reason="selesai")
    closed = api.post(url, {"text": "api menyala lagi"}, format="json")
    assert closed.status_code == 409, closed.content
    assert 'id="note-form"' not in _login(operator).get(f"/incidents/{fire.incident_id}/").content.decode()


def test_dispatch_api_refuses_a_placeless_p1_without_a_reason_with_a_clear_400(open_incident, api):
    incident = open_incident("kebakaran_bangunan", lat=None)
    url = f"/api/v1/incidents/{incident.pk}/dispatch/"
    refused = api.post(url, {"agencies": ["DAMKAR"]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "no_place_reason" and "tanpa lokasi" in refused.json()["detail"]
    assert api.post(url, {"agencies": ["DAMKAR"], "no_place_reason": "x" * 501}, format="json").status_code == 400
    assert not Dispatch.objects.exists()
    sent = api.post(url, {"agencies": ["DAMKAR"], "no_place_reason": "lokasi menyusul lewat telepon"}, format="json")
    assert sent.status_code == 201 and [d["agency"] for d in sent.json()["dispatches"]] == ["DAMKAR"]
    assert AuditLog.objects.filter(action="incident.dispatch_without_place", object_id=str(incident.pk)).exists()


def test_dispatch_api_with_an_idempotency_key_dispatches_once_and_answers_the_same(open_incident, api):
    incident = open_incident("kebakaran_bangunan")
    url = f"/api/v1/incidents/{incident.pk}/dispatch/"
    body = {"agencies": ["DAMKAR", "BPBD"]}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="desk-abc")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="desk-abc")
    assert first.status_code == again.status_code == 201
    assert sorted(d["id"] for d in again.json()["dispatches"]) == sorted(d["id"] for d in first.json()["dispatches"])
    assert Dispatch.objects.filter(incident=incident).count() == 2
    assert api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 129).status_code == 400
