"""The routing matrix in Chromium: one screen wide at 1366x768 and 1920x1080, saved from one form."""

from __future__ import annotations

import os

import pytest

from tests.browser.a11y import axe_violations
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-routing")


def _supervisor_page(make_user, login, username: str, *, locale: str = "id-ID"):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    supervisor = make_user("supervisor", username=username)
    device = TOTPDevice.objects.create(user=supervisor, name="test", confirmed=True)
    page = login(username, PASSWORD, locale=locale)
    page.fill("input[name=token]", str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6))
    page.locator("input[name=token]").press("Enter")
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}])
def test_the_matrix_fits_the_width_and_saves_a_changed_row(ref, make_user, login, asgi_server, viewport):
    from agencies.models import RoutingRule
    from dispatch.models import AuditLog

    page = _supervisor_page(make_user, login, f"sup_routing_{viewport['width']}")
    page.set_viewport_size(viewport)
    page.goto(asgi_server + "/routing/")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert page.evaluate("(() => { const s = document.querySelector('.routing-scroll'); return s.scrollWidth <= s.clientWidth; })()"), \
        "the matrix scrolls sideways"
    save = page.get_by_role("button", name="Simpan perubahan")
    box = save.bounding_box()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/routing-{viewport['width']}x{viewport['height']}.png")
    assert box and box["y"] + box["height"] <= viewport["height"], "the save button is below the fold"
    assert axe_violations(page) == []

    # Flood goes to Basarnas first; the box Basarnas had as supporting is cleared and locked.
    page.get_by_label("Basarnas utama untuk Banjir / genangan").check()
    assert page.get_by_label("Basarnas pendukung untuk Banjir / genangan").is_disabled()
    assert "1 jenis kejadian berubah" in page.locator("#routing-dirty").inner_text()
    save.click()
    page.wait_for_load_state("networkidle")
    assert RoutingRule.objects.get(incident_type__code="banjir").primary_agency.code == "BASARNAS"
    assert AuditLog.objects.filter(action="routing.update", detail__incident_type="banjir").count() == 1
    assert "Aturan rute disimpan untuk 1 jenis kejadian" in page.content()
