"""A fire is dispatched from the incident page to two agencies; each sees it live in its
console; one works it, the other stays silent and escalates; a second call about the
same fire is linked, not dispatched again; the operator closes the ticket."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from calls import services as call_services
from calls.models import Call
from dispatch import services as dispatch_services
from dispatch.models import Dispatch, DispatchTransition, Incident
from dispatch.sweep import run_sweep
from tests.browser.support import FaultOnFirstTry, lose_the_answer, wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

PAGAR_DEWA = (-3.84067, 102.32073)


@pytest.fixture
def same_channel_prefix(settings):
    """Broadcast from this process on the channel prefix the server subprocess uses.

    tests/conftest.py sets CHANNEL_PREFIX after pytest-django has already read the
    settings, so this process would otherwise publish under the default prefix."""
    import copy
    import os

    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["prefix"] = os.environ["CHANNEL_PREFIX"]
    settings.CHANNEL_LAYERS = layers


def _sweep_in_thread() -> dict:
    """Run the sweep as the worker would: off the main thread, whose event loop belongs to Playwright
    (the broadcast after commit uses async_to_sync, which refuses a thread with a running loop)."""
    result = {}

    def work():
        try:
            result.update(run_sweep())
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    return result


def _card(page, dispatch_id):
    return page.locator(f"article[data-dispatch-id='{dispatch_id}']")


def test_fire_dispatched_to_two_agencies_escalates_links_and_closes(ref, make_user, login, asgi_server, same_channel_prefix):
    operator = make_user("operator", username="op_flow")
    make_user("agency", agency="DAMKAR", username="damkar_flow")
    make_user("agency", agency="POLRESTA", username="polresta_flow")
    call, _ = call_services.call_create(
        operator=operator, caller_number="081234567001", notes="ruko terbakar, asap hitam",
        location=call_services.Location(lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], address="Jl. Pagar Dewa, depan masjid"),
    )
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    incident = call.incident

    damkar = login("damkar_flow", PASSWORD)
    polresta = login("polresta_flow", PASSWORD)
    expect(damkar.locator("#agency")).to_contain_text("Tidak ada pengiriman aktif")

    # The operator dispatches in one action: Damkar is pre-checked, Polresta added.
    op = login("op_flow", PASSWORD)
    op.goto(f"{asgi_server}/incidents/{incident.pk}/")
    expect(op.locator("input[name=agency][value=DAMKAR]")).to_be_checked()
    expect(op.locator("input[name=agency][value=POLRESTA]")).not_to_be_checked()
    op.check("input[name=agency][value=POLRESTA]")
    op.click("#dispatch-submit")
    expect(op.locator("#incident-dispatches tbody tr[data-dispatch-id]")).to_have_count(2)
    d_damkar = Dispatch.objects.get(incident=incident, agency__code="DAMKAR")
    d_polresta = Dispatch.objects.get(incident=incident, agency__code="POLRESTA")
    assert d_damkar.is_primary and not d_polresta.is_primary

    # Each agency sees only its own dispatch, live, with the caller's number to call back.
    expect(_card(damkar, d_damkar.pk)).to_contain_text("+6281234567001")
    expect(_card(damkar, d_damkar.pk)).to_contain_text("Jl. Pagar Dewa")
    expect(_card(polresta, d_polresta.pk)).to_be_visible()
    expect(_card(damkar, d_polresta.pk)).to_have_count(0)
    expect(_card(polresta, d_damkar.pk)).to_have_count(0)

    # Damkar acknowledges with one click and reports its way to the scene.
    _card(damkar, d_damkar.pk).locator("[data-action=acknowledge]").click()
    expect(_card(damkar, d_damkar.pk)).to_have_attribute("data-status", "acknowledged")
    _card(damkar, d_damkar.pk).locator("[data-action=en_route]").click()
    expect(_card(damkar, d_damkar.pk)).to_have_attribute("data-status", "en_route")
    _card(damkar, d_damkar.pk).locator("input.note").fill("2 unit dari pos Sawah Lebar")
    _card(damkar, d_damkar.pk).locator("[data-action=on_scene]").click()
    expect(_card(damkar, d_damkar.pk)).to_have_attribute("data-status", "on_scene")
    expect(op.locator(f"#incident-dispatches tr[data-dispatch-id='{d_damkar.pk}']")).to_have_attribute("data-status", "on_scene")

    # Polresta stays silent past its deadline: the sweep escalates it, every screen shows it.
    Dispatch.objects.filter(pk=d_polresta.pk).update(ack_deadline=timezone.now() - timedelta(seconds=1))
    assert _sweep_in_thread()["escalated"] == 1
    expect(_card(polresta, d_polresta.pk).locator(".badge.escalated")).to_be_visible()
    expect(op.locator(f"#incident-dispatches tr[data-dispatch-id='{d_polresta.pk}'] .badge.escalated")).to_be_visible()
    assert DispatchTransition.objects.filter(dispatch=d_polresta, reason_code__in=["escalated", "officer_notified"]).count() == 1

    # A second caller reports the same fire: the operator finds the duplicate and links the call.
    second = op.evaluate(
        """async ([lat, lon]) => {
            const call = await App.api("POST", "/api/v1/calls/", {caller_number: "081234567002", notes: "ada kebakaran dekat masjid",
                location: {lat: lat, lon: lon, address: "belakang masjid"}}, "flow-second-call");
            const dups = await App.api("GET", "/api/v1/calls/" + call.id + "/duplicates/?incident_type=kebakaran_bangunan");
            await App.api("POST", "/api/v1/calls/" + call.id + "/classify/", {call_type: "emergency", duplicate_of: dups.candidates[0].id});
            return {id: call.id, candidates: dups.candidates};
        }""",
        [PAGAR_DEWA[0] + 0.001, PAGAR_DEWA[1]],
    )
    assert [c["id"] for c in second["candidates"]] == [incident.pk]
    assert Call.objects.get(pk=second["id"]).incident_id == incident.pk
    assert Incident.objects.count() == 1 and Dispatch.objects.filter(incident=incident).count() == 2
    expect(op.locator("#incident-calls tbody tr")).to_have_count(2)

    # Polresta acknowledges late and both finish; the operator closes the ticket.
    _card(polresta, d_polresta.pk).locator("[data-action=acknowledge]").click()
    expect(_card(polresta, d_polresta.pk)).to_have_attribute("data-status", "acknowledged")
    _card(polresta, d_polresta.pk).locator("[data-action=resolved]").click()
    expect(_card(polresta, d_polresta.pk)).to_have_count(0)
    _card(damkar, d_damkar.pk).locator("input.note").fill("api padam, tidak ada korban")
    _card(damkar, d_damkar.pk).locator("[data-action=resolved]").click()
    expect(damkar.locator("#agency")).to_contain_text("Tidak ada pengiriman aktif")
    expect(op.locator(f"#incident-dispatches tr[data-dispatch-id='{d_damkar.pk}']")).to_have_attribute("data-status", "resolved")
    op.click("#close-incident")
    expect(op.locator("#incident-status")).to_have_attribute("data-status", "closed")
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_by == operator
    d_damkar.refresh_from_db()
    assert d_damkar.note == "api padam, tidak ada korban" and d_damkar.resolved_at is not None


def test_a_dispatch_whose_answer_was_lost_is_sent_again_and_the_agency_gets_it_once(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_dispatch_retry")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567777", notes="gudang terbakar")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    answer_lost_once = FaultOnFirstTry(lose_the_answer)

    op = login("op_dispatch_retry", PASSWORD)
    op.route(f"**/api/v1/incidents/{call.incident_id}/dispatch/", answer_lost_once)
    op.goto(f"{asgi_server}/incidents/{call.incident_id}/")
    expect(op.locator("input[name=agency][value=DAMKAR]")).to_be_checked()
    op.fill("#no-place-reason", "lokasi menyusul")  # a P1 fire with no place yet
    op.click("#dispatch-submit")
    expect(op.locator("#dispatch-status")).to_contain_text("dikirim ulang")
    expect(op.locator("#incident-dispatches tbody tr[data-dispatch-id]")).to_have_count(1, timeout=15_000)
    expect(op.locator("#dispatch-status")).to_have_text("Terkirim ke DAMKAR")

    sent = answer_lost_once.sent
    assert len(sent) == 2 and sent[0] == sent[1]
    assert list(Dispatch.objects.filter(incident_id=call.incident_id).values_list("agency__code", flat=True)) == ["DAMKAR"]


def test_a_reopening_whose_answer_was_lost_is_sent_again_and_the_ticket_reopens_once(ref, make_user, login, asgi_server):
    """Reopening an open ticket is refused, so the retry after a lost answer finds it open: the page
    takes that as done, shows no error, and the ticket was reopened once."""
    from dispatch import services as dispatch_services
    from dispatch.models import IncidentTransition

    operator = make_user("operator", username="op_reopen_retry")
    call, _ = call_services.call_create(operator=operator, caller_number="081234568888", notes="pohon tumbang")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="pohon_tumbang")
    dispatch_services.incident_close(incident_id=call.incident_id, user=operator)
    answer_lost_once = FaultOnFirstTry(lose_the_answer)

    op = login("op_reopen_retry", PASSWORD)
    op.route(f"**/api/v1/incidents/{call.incident_id}/reopen/", answer_lost_once)
    op.goto(f"{asgi_server}/incidents/{call.incident_id}/")
    expect(op.locator("#incident-status")).to_have_attribute("data-status", "closed")
    op.fill("#reopen-reason", "pohon kedua masih menutup jalan")
    op.click("#reopen-incident")
    # The whole ticket is drawn again once the page takes the reopening as done: it can be closed again.
    expect(op.locator("#close-incident")).to_be_visible(timeout=15_000)
    expect(op.locator("#incident-status")).to_have_attribute("data-status", "open")
    expect(op.locator("#ticket-status")).to_have_text("")

    sent = answer_lost_once.sent
    assert len(sent) == 2 and sent[0] == sent[1]
    reopenings = IncidentTransition.objects.filter(incident_id=call.incident_id, from_status="closed", to_status="open")
    assert list(reopenings.values_list("reason", flat=True)) == ["pohon kedua masih menutup jalan"]


def test_the_operator_places_an_incident_after_dispatch_and_the_agency_sees_it_live(ref, make_user, login, asgi_server):
    from agencies.models import Landmark

    operator = make_user("operator", username="op_move")
    make_user("agency", agency="DAMKAR", username="damkar_move")
    # The caller could not say where: the fire is dispatched without a place.
    call, _ = call_services.call_create(operator=operator, caller_number="081234567055", notes="asap tebal, toko terbakar")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    incident = call.incident
    op = login("op_move", PASSWORD)
    op.goto(f"{asgi_server}/incidents/{incident.pk}/")
    expect(op.locator("#incident-location")).to_contain_text("Lokasi belum ditentukan")
    # A P1 fire with no place goes out only with the operator's reason.
    op.click("#dispatch-submit")
    expect(op.locator("#dispatch-status")).to_contain_text("tanpa lokasi")
    assert not Dispatch.objects.filter(incident=incident).exists()
    op.fill("#no-place-reason", "penelepon belum bisa menyebut tempat")
    op.click("#dispatch-submit")
    expect(op.locator("#incident-dispatches tbody tr[data-dispatch-id]")).to_have_count(1)
    dispatch = Dispatch.objects.get(incident=incident, agency__code="DAMKAR")
    damkar = login("damkar_move", PASSWORD)
    expect(_card(damkar, dispatch.pk)).to_be_visible()

    # A second caller names the landmark: the operator types it, picks the offered place, saves.
    op.fill("#loc-address", "Toko depan Mega Mall")
    mall = Landmark.objects.select_related("kelurahan__kecamatan").get(name="Mega Mall")
    op.click("#loc-places button[data-place='Mega Mall']")
    expect(op.locator("#loc-kelurahan")).to_have_value(f"{mall.kelurahan.name} — {mall.kelurahan.kecamatan.name}")
    op.click("#location-save")
    expect(op.locator("#location-status")).to_contain_text("Lokasi tersimpan")
    expect(op.locator("#incident-location")).to_contain_text("Toko depan Mega Mall")
    expect(op.locator("#incident-location")).to_contain_text(mall.kelurahan.name)

    incident.refresh_from_db()
    assert (incident.lat, incident.lon) == (mall.lat, mall.lon)
    assert incident.kelurahan_id == mall.kelurahan_id and incident.address == "Toko depan Mega Mall"
    # The fire brigade's console shows the new place without a reload.
    expect(_card(damkar, dispatch.pk)).to_contain_text("Toko depan Mega Mall")
    expect(_card(damkar, dispatch.pk)).to_contain_text(mall.kelurahan.name)
    expect(_card(damkar, dispatch.pk).locator(".moved")).to_contain_text("Lokasi diperbarui")


def test_an_incident_opened_without_a_place_offers_the_places_its_notes_name(ref, make_user, login, asgi_server):
    from agencies.models import Landmark

    operator = make_user("operator", username="op_named")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567056", notes="asap hitam dari gudang dekat bandara")
    incident = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    op = login("op_named", PASSWORD)
    op.goto(f"{asgi_server}/incidents/{incident.pk}/")
    airport = Landmark.objects.select_related("kelurahan__kecamatan").get(name="Bandara Fatmawati Soekarno")
    offer = op.locator("#loc-places button[data-place='Bandara Fatmawati Soekarno']")
    expect(offer).to_contain_text(airport.kelurahan.name)
    offer.click()  # fills in the form; nothing is saved yet
    expect(op.locator("#loc-address")).to_have_value("Bandara Fatmawati Soekarno")
    expect(op.locator("#loc-kelurahan")).to_have_value(f"{airport.kelurahan.name} — {airport.kelurahan.kecamatan.name}")
    incident.refresh_from_db()
    assert incident.lat is None and incident.address == ""
    op.click("#location-save")
    expect(op.locator("#location-status")).to_contain_text("Lokasi tersimpan")
    incident.refresh_from_db()
    assert (incident.lat, incident.lon, incident.kelurahan_id) == (airport.lat, airport.lon, airport.kelurahan_id)
    assert incident.address == "Bandara Fatmawati Soekarno"
    op.reload()  # placed now: nothing more is offered
    expect(op.locator("#loc-address")).to_have_value("Bandara Fatmawati Soekarno")
    expect(op.locator("#loc-places")).to_be_hidden()


def test_what_a_later_caller_adds_reaches_the_agencys_card_live(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_more")
    make_user("agency", agency="DAMKAR", username="damkar_more")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567057", notes="asap tebal, toko terbakar")
    incident = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    # No place yet: a P1 incident goes out only with a reason.
    dispatch = dispatch_services.incident_dispatch(
        incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"], no_place_reason="tempat menyusul")[0]
    damkar = login("damkar_more", PASSWORD)
    card = _card(damkar, dispatch.pk)
    expect(card).to_contain_text("asap tebal, toko terbakar")
    expect(card.locator(".notes.more")).to_have_count(0)
    # A neighbour calls: two people are trapped upstairs. The call joins the incident.
    second, _ = call_services.call_create(operator=operator, caller_number="081234567058", notes="dua orang terjebak di lantai 2")
    call_services.call_classify(call_id=second.pk, user=operator, call_type="emergency", duplicate_of=incident.pk)
    more = card.locator(f".notes.more[data-call-id='{second.pk}']")
    expect(more).to_contain_text("Penelepon lain")
    expect(more).to_contain_text("dua orang terjebak di lantai 2")


def test_a_cancel_reason_being_typed_stays_while_an_agencys_answer_redraws_the_dispatches(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_typing")
    damkar_staff = make_user("agency", agency="DAMKAR", username="damkar_typing")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567059", notes="ruko terbakar")
    incident = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    damkar, pln = dispatch_services.incident_dispatch(
        incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "PLN"], no_place_reason="tempat menyusul")

    op = login("op_typing", PASSWORD)
    op.goto(f"{asgi_server}/incidents/{incident.pk}/")
    wait_js(op, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    reason = op.locator(f"[data-reason-for='{pln.pk}']")
    reason.fill("listrik sudah dipadamkan warga")
    # Damkar acknowledges meanwhile: the dispatches are drawn again with its answer.
    dispatch_services.dispatch_acknowledge(dispatch_id=damkar.pk, user=damkar_staff)
    expect(op.locator(f"#incident-dispatches tr[data-dispatch-id='{damkar.pk}']")).to_have_attribute("data-status", "acknowledged")
    expect(reason).to_have_value("listrik sudah dipadamkan warga")
    assert op.evaluate("document.activeElement.dataset.reasonFor") == str(pln.pk)
    op.locator(f"button[data-action=cancel][data-id='{pln.pk}']").click()
    expect(op.locator(f"#incident-dispatches tr[data-dispatch-id='{pln.pk}']")).to_have_attribute("data-status", "cancelled")
    assert Dispatch.objects.get(pk=pln.pk).reason == "listrik sudah dipadamkan warga"
