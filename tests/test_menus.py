"""Every screen a supervisor may use is reachable from a menu."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_reports_menu_leads_to_the_blocks_and_the_classification_review(ref, supervisor):
    client = Client()
    client.force_login(supervisor)
    session = client.session
    # Past the second factor, as after a TOTP login.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=supervisor, name="menu", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    for page in ("/reports/", "/supervisor/blocks/", "/supervisor/quality/"):
        response = client.get(page, follow=True)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert 'href="/supervisor/blocks/"' in html and 'href="/supervisor/quality/"' in html, page
