"""Bahasa Indonesia unless English was chosen; token clients get the language they ask for."""

from __future__ import annotations

import pytest
from django.test import Client
from dispatch.tokens import token_create

pytestmark = pytest.mark.django_db


def _lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_browser_set_to_english_still_gets_bahasa_indonesia_until_english_is_chosen(ref):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/login/")
    assert _lang(page) == "id" and "Masuk" in page.content.decode()

    chosen = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert chosen.status_code == 302
    page = client.get("/login/")
    assert _lang(page) == "en" and "Log in" in page.content.decode()

    client.post("/i18n/setlang/", {"language": "id", "next": "/login/"})
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")) == "id"


def test_an_unknown_language_in_the_cookie_falls_back_to_bahasa_indonesia(ref):
    client = Client()
    client.cookies["django_language"] = "fr"
    assert _lang(client.get("/login/")) == "id"


def test_the_header_shows_the_role_in_the_chosen_language(ref, make_user):
    client = Client()
    client.force_login(make_user("agency", "DAMKAR", username="staf_lang"))
    assert "staf_lang · Staf instansi" in client.get("/agency/").content.decode()
    client.cookies["django_language"] = "en"
    assert "staf_lang · Agency staff" in client.get("/agency/").content.decode()


def test_the_script_catalog_follows_the_chosen_language(ref):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "Select at least one agency." not in client.get("/jsi18n/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Select at least one agency." in client.get("/jsi18n/").content.decode()


def test_every_page_loads_the_script_catalog_before_its_scripts(ref):
    page = Client().get("/login/").content.decode()
    assert page.index('src="/jsi18n/"') < page.index("js/common.js")


def test_the_api_answers_a_token_client_in_the_language_it_asks_for_and_the_desk_in_the_pages(ref, operator):
    from calls.services import call_create

    call, _ = call_create(operator=operator, caller_number="081211119999")
    body = {"call_type": "salah"}
    token = token_create(user=operator).key

    url = f"/api/v1/calls/{call.pk}/classify/"

    as_pbx = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    answer = as_pbx.post(url, body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["detail"] == "Invalid input."
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").post(url, body, content_type="application/json").json()["detail"] == "Masukan tidak valid."

    desk = Client(HTTP_ACCEPT_LANGUAGE="en")
    desk.force_login(operator)
    answer = desk.post(url, body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["detail"] == "Masukan tidak valid."
    desk.cookies["django_language"] = "en"
    assert desk.post(url, body, content_type="application/json").json()["detail"] == "Invalid input."


def test_incident_types_are_named_in_the_chosen_language(ref, operator):
    from django.utils import translation

    from agencies.models import IncidentType

    fire = IncidentType.objects.get(code="kebakaran_bangunan")
    with translation.override("en"):
        assert fire.label == "Structure fire" == str(fire)
    with translation.override("id"):
        assert fire.label == "Kebakaran rumah/bangunan/ruko" == str(fire)

    desk = Client()
    desk.force_login(operator)
    page = desk.get("/desk/").content.decode()
    assert "P1 · Kebakaran rumah/bangunan/ruko" in page and "kosong jika tanpa SIM" in page
    desk.cookies["django_language"] = "en"
    page = desk.get("/desk/").content.decode()
    assert "P1 · Structure fire" in page and "kosong jika tanpa SIM" not in page


def test_the_api_the_wall_and_the_daily_log_name_types_and_statuses_in_the_readers_language(ref, operator, supervisor):
    from calls import services as call_services
    from dispatch import services as dispatch_services

    place = call_services.Location(lat=-3.84067, lon=102.32073, address="Jl. Pagar Dewa")
    first, _ = call_services.call_create(operator=operator, caller_number="081234500001", notes="api besar", location=place)
    incident = call_services.call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    dispatch_services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    second, _ = call_services.call_create(operator=operator, caller_number="081234500002", notes="ada asap", location=place)
    token = token_create(user=operator).key

    for language, label in ((None, "Kebakaran rumah/bangunan/ruko"), ("en", "Structure fire")):
        api = Client(HTTP_AUTHORIZATION=f"Token {token}", **({"HTTP_ACCEPT_LANGUAGE": language} if language else {}))
        assert api.get(f"/api/v1/incidents/{incident.pk}/").json()["incident_label"] == label
        offered = api.get(f"/api/v1/calls/{second.pk}/duplicates/").json()
        assert [(c["id"], c["incident_label"]) for c in offered["candidates"]] == [(incident.pk, label)]

    floor = Client()
    floor.force_login(supervisor)
    for language, label, status, type_option in (
        ("id", "Kebakaran rumah/bangunan/ruko", "Dikirim", ">Kebakaran rumah/bangunan/ruko</option>"),
        ("en", "Structure fire", "Dispatched", ">Structure fire</option>"),
    ):
        floor.cookies["django_language"] = language
        [shown] = floor.get("/wall/incidents.json").json()["incidents"]
        assert shown["label"] == label
        assert shown["agencies"] == [{"agency": "DAMKAR", "status": "dispatched", "status_label": status}]
        assert type_option in floor.get("/reports/daily/").content.decode()
