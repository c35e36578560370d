"""The PBX rings; two operators see the call appear; one takes it, the other sees it taken;
the PBX's answered and hangup times give the answer time and the call length."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from dispatch.tokens import token_create

from calls.models import Call
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_operators_see_a_ringing_call_one_claims_it_and_pbx_times_give_the_kpis(ref, make_user, login, asgi_server):
    from agencies.models import Membership

    make_user("operator", username="op_claim_a")
    make_user("operator", username="op_claim_b")
    Membership.objects.filter(user__username="op_claim_a").update(extension="201")
    pbx_token = token_create(user=make_user("pbx", username="pbx_claim")).key
    pbx = httpx.Client(base_url=asgi_server, headers={"Authorization": "Token " + pbx_token}, timeout=10)

    page_a = login("op_claim_a", PASSWORD)
    page_b = login("op_claim_b", PASSWORD)
    for page in (page_a, page_b):
        page.wait_for_function("window.Live && window.Live.lastSeq !== null")
        expect(page.locator("#ringing-empty")).to_be_visible()

    rang = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)
    response = pbx.post(
        "/api/v1/telephony/events/",
        json={"event": "ringing", "pbx_call_id": "1764291600.42", "caller_number": "0812 7000 5555", "at": rang.isoformat()},
    )
    assert response.status_code == 201, response.text
    call_id = response.json()["id"]

    # Both screens show it without a reload.
    rows = [page.locator(f"#ringing-list li[data-call-id='{call_id}']") for page in (page_a, page_b)]
    for row in rows:
        expect(row).to_contain_text("+6281270005555")
        expect(row.locator("[data-claim]")).to_be_visible()

    rows[0].locator("[data-claim]").click()
    expect(page_a.locator("#call-id")).to_have_text(f"#{call_id}")
    expect(page_a.locator("#caller-number")).to_have_value("+6281270005555")
    expect(page_a.locator("#notes")).to_be_enabled()
    expect(rows[0]).to_have_count(0)
    # The other operator sees it taken and can no longer take it.
    expect(rows[1]).to_contain_text("Diambil oleh op_claim_a")
    expect(rows[1].locator("[data-claim]")).to_be_hidden()
    lost = page_b.evaluate(f"App.api('POST', '/api/v1/calls/{call_id}/claim/').then(() => 200, (e) => e.status)")
    assert lost == 409

    # The handset's AML fix arrives: drawn with its accuracy circle; the call had no location, so the form takes it.
    sms = 'A"ML=1;lt=-3.84067;lg=102.32073;rd=50;top=20261128010203;lc=68;pm=G;mcc=510;mnc=10;ml=90'
    assert pbx.post("/api/v1/aml/", json={"sms": sms, "from": "+6281270005555"}).status_code == 201
    expect(page_a.locator("#aml-info")).to_contain_text("±50 m")
    expect(page_a.locator("#aml-info")).to_contain_text("Pagar Dewa")
    expect(page_a.locator("#use-aml")).to_be_visible()
    expect(page_a.locator("#map path.leaflet-interactive[stroke='#c0392b']").first).to_be_attached()
    expect(page_a.locator("#kelurahan")).to_have_value(re.compile("^Pagar Dewa"))

    answered, hung_up = rang + timedelta(seconds=6), rang + timedelta(seconds=90)
    for event, at in (("answered", answered), ("hangup", hung_up)):
        r = pbx.post("/api/v1/telephony/events/", json={"event": event, "pbx_call_id": "1764291600.42", "extension": "201", "at": at.isoformat()})
        assert r.status_code == 200, r.text

    call = Call.objects.get(pk=call_id)
    assert call.operator.username == "op_claim_a" and call.status == "active"
    assert (call.answered_at - call.received_at).total_seconds() == 6
    assert (call.ended_at - call.answered_at).total_seconds() == 84
    pbx.close()

    # The supervisor's daily log shows the PBX's times, in WIB, on the call's timeline.
    from django.test import Client
    from django.utils import timezone

    supervisor = Client()
    supervisor.force_login(make_user("supervisor", username="sup_claim"))
    page = supervisor.get(f"/reports/calls/{call_id}/").content.decode()
    for moment in (call.received_at, call.answered_at, call.ended_at):
        assert timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") in page
