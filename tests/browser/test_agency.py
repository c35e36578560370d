"""The agency console keeps working through a busy or unreachable server, and takes the operator's
notes live without losing what staff are typing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from calls import services as call_services
from dispatch import services as dispatch_services
from dispatch.models import DispatchTransition
from tests.browser.support import FaultOnFirstTry, answer_busy, lose_the_answer, wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]



def _fire_sent_to_damkar(make_user, operator_name: str, staff_name: str, number: str, notes: str):
    """An operator and a Damkar staff member; a fire the operator recorded and sent to Damkar: (call, dispatch)."""
    operator = make_user("operator", username=operator_name)
    make_user("agency", agency="DAMKAR", username=staff_name)
    call, _ = call_services.call_create(operator=operator, caller_number=number, notes=notes)
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(
        incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"], no_place_reason="lokasi menyusul")
    return call, dispatch

def test_an_acknowledgement_whose_answer_was_lost_and_a_report_met_by_a_503_are_sent_again_and_recorded_once(
    ref, make_user, login, asgi_server
):
    _, dispatch = _fire_sent_to_damkar(make_user, "op_agency_retry", "damkar_retry", "081234567555", "kebakaran gudang")

    page = login("damkar_retry", PASSWORD)
    card = page.locator(f"article[data-dispatch-id='{dispatch.pk}']")
    expect(card).to_have_attribute("data-status", "dispatched")
    answer_lost_once, busy_once = FaultOnFirstTry(lose_the_answer), FaultOnFirstTry(answer_busy)

    page.route(f"**/api/v1/dispatches/{dispatch.pk}/acknowledge/", answer_lost_once)
    page.route(f"**/api/v1/dispatches/{dispatch.pk}/status/", busy_once)

    card.locator("[data-action=acknowledge]").click()
    expect(card).to_have_attribute("data-status", "acknowledged", timeout=15_000)
    card.locator("[data-action=en_route]").click()
    expect(page.locator(f"[data-error-for='{dispatch.pk}']")).to_contain_text("dikirim ulang")
    expect(card).to_have_attribute("data-status", "en_route", timeout=15_000)

    sent = {"acknowledge": len(answer_lost_once.sent), "status": len(busy_once.sent)}
    assert sent == {"acknowledge": 2, "status": 2}
    transitions = list(DispatchTransition.objects.filter(dispatch=dispatch).values_list("to_status", flat=True))
    assert transitions.count("acknowledged") == 1 and transitions.count("en_route") == 1


def test_a_note_from_the_incident_page_reaches_the_agency_console_live_and_what_staff_type_stays(ref, make_user, login, asgi_server):
    call, dispatch = _fire_sent_to_damkar(make_user, "op_note", "damkar_note", "081234567556", "kebakaran rumah")

    console = login("damkar_note", PASSWORD)
    wait_js(console, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    card = console.locator(f"article[data-dispatch-id='{dispatch.pk}']")
    box = card.locator(f"[data-note-for='{dispatch.pk}']")
    box.fill("armada sedang disiapkan")  # being typed, not sent: the box keeps the cursor

    desk = login("op_note", PASSWORD)
    desk.goto(asgi_server + f"/incidents/{call.incident_id}/")
    desk.click("#note-add")
    expect(desk.locator("#note-status")).to_contain_text("Tulis catatannya dulu")
    desk.fill("#note-text", "Dua orang terjebak di lantai 2")
    desk.click("#note-add")
    expect(desk.locator("#note-status")).to_contain_text("Catatan terkirim ke instansi")
    expect(desk.locator("#incident-notes li[data-note-id]")).to_contain_text("op_note: Dua orang terjebak di lantai 2")
    expect(desk.locator("#note-text")).to_have_value("")

    # The console draws the card again with the note; what staff were typing stays, with the cursor.
    expect(card.locator("p.notes.update")).to_contain_text("Info operator")
    expect(card.locator("p.notes.update")).to_contain_text("Dua orang terjebak di lantai 2")
    expect(box).to_have_value("armada sedang disiapkan")
    assert console.evaluate("document.activeElement.dataset.noteFor") == str(dispatch.pk)

    # A status sent with that note empties the box.
    card.locator("[data-action=acknowledge]").click()
    expect(card).to_have_attribute("data-status", "acknowledged", timeout=15_000)
    expect(box).to_have_value("armada sedang disiapkan")  # acknowledging does not send the note
    card.locator("[data-action=en_route]").click()
    expect(card).to_have_attribute("data-status", "en_route", timeout=15_000)
    expect(box).to_have_value("")
    assert DispatchTransition.objects.filter(dispatch=dispatch, to_status="en_route").get().reason == "armada sedang disiapkan"
