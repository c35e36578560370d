"""The agency console keeps working through a busy or unreachable server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from calls import services as call_services
from dispatch import services as dispatch_services
from dispatch.models import DispatchTransition
from tests.browser.support import FaultOnFirstTry, answer_busy, lose_the_answer
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_an_acknowledgement_whose_answer_was_lost_and_a_report_met_by_a_503_are_sent_again_and_recorded_once(
    ref, make_user, login, asgi_server
):
    operator = make_user("operator", username="op_agency_retry")
    make_user("agency", agency="DAMKAR", username="damkar_retry")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567555", notes="kebakaran gudang")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])

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
