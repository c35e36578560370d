"""The incident page's history words the system's reasons in the reader's language and shows a
person's reason exactly as typed, in Bahasa Indonesia and in English."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-reasons")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_the_history_words_the_codes_and_keeps_a_typed_reason_as_typed(ref, make_user, login_at, asgi_server, width, height):
    operator = make_user("operator", username=f"op_history_{width}")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567001", notes="api di ruko")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    incident_id = call.incident_id
    dispatch_services.incident_close(incident_id=incident_id, user=operator, reason="call 5 linked")
    dispatch_services.incident_reopen(incident_id=incident_id, user=operator, reason="type a -> b")
    os.makedirs(SHOTS, exist_ok=True)

    for locale, opened in (("id", f"(panggilan #{call.pk})"), ("en", f"(call #{call.pk})")):
        page = login_at(asgi_server, f"op_history_{width}", PASSWORD, viewport={"width": width, "height": height})
        if locale == "en":
            page.context.add_cookies([{"name": "django_language", "value": "en", "url": asgi_server}])
        page.goto(f"{asgi_server}/incidents/{incident_id}/")
        page.locator("#incident-timeline-card summary").click()
        history = page.locator("#incident-timeline")
        expect(history).to_contain_text(opened)
        expect(history).to_contain_text("(call 5 linked)")
        expect(history).to_contain_text("(type a -> b)")
        # Not re-worded as the system's own "call linked" or "type changed".
        text = history.inner_text()
        assert "#5 digabungkan" not in text and "#5 linked" not in text and "jenis a" not in text and "type a →" not in text
        history.scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/incident-history-{locale}-{width}x{height}.png")
        assert axe_violations(page) == []
