"""A new operator logs in, takes a call in Bahasa Indonesia and sees it in today's list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from calls.models import Call
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_operator_takes_a_call_and_sees_it_in_todays_list(ref, make_user, login, asgi_server):
    make_user("operator", username="op_desk")
    page = login("op_desk", PASSWORD)
    expect(page.locator("h1#call-form-title")).to_contain_text("Panggilan")
    page.fill("#caller-number", "0812 7000 1234")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("tersimpan")
    # The call is saved the moment it starts, before it is classified.
    call = Call.objects.get(caller__number="+6281270001234")
    assert call.status == "active" and call.call_type == ""
    page.fill("#notes", "rumah terbakar di dekat pasar, api besar")
    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("diklasifikasi")
    call.refresh_from_db()
    assert call.call_type == "emergency" and call.incident is not None
    assert call.notes.startswith("rumah terbakar")
    row = page.locator(f"#today-table tr[data-call-id='{call.pk}']")
    expect(row).to_contain_text("+6281270001234")
    expect(row).to_contain_text("Darurat")
