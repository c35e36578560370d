"""The system's own transition reasons are told in the reader's language; a person's stay as typed."""

from __future__ import annotations

import pytest
from django.utils import translation

from dispatch.trail import reason_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "indonesian", "english"),
    [
        ("call 12", "panggilan #12", "call #12"),
        ("call 12 linked", "panggilan #12 digabungkan", "call #12 linked"),
        ("call 12 unlinked", "panggilan #12 dilepas", "call #12 unlinked"),
        ("location: Depan Mega Mall", "lokasi: Depan Mega Mall", "location: Depan Mega Mall"),
        ("- -> emergency", "klasifikasi — → Darurat", "classified — → Emergency"),
        ("prank -> ghost", "klasifikasi Prank / iseng → Ghost call", "classified Prank → Ghost call"),
        ("unlinked from incident 3; own incident 9", "dilepas dari kejadian #3; menjadi kejadian #9",
         "unlinked from incident #3; now incident #9"),
        ("import: closed without acknowledgement", "impor: ditutup tanpa diterima", "import: closed without acknowledgement"),
        ("import: ghost", "impor: Ghost call", "import: Ghost call"),
        ("answered at extension 201", "dijawab di ekstensi 201", "answered at extension 201"),
        ("taken over from op_pagi", "diambil alih dari op_pagi", "taken over from op_pagi"),
        ("escalated: not acknowledged in time", "eskalasi: tidak diterima tepat waktu", "escalated: not acknowledged in time"),
        # A person's words are shown as typed, whatever the language.
        ("unit sudah di lokasi lain", "unit sudah di lokasi lain", "unit sudah di lokasi lain"),
        ("call 12 sudah ditangani", "call 12 sudah ditangani", "call 12 sudah ditangani"),
    ],
)
def test_a_stored_reason_is_worded_in_the_active_language(stored, indonesian, english):
    with translation.override("id"):
        assert reason_text(stored) == indonesian
    with translation.override("en"):
        assert reason_text(stored) == english


def test_an_incident_types_change_names_the_types_by_their_labels(ref):
    with translation.override("id"):
        assert reason_text("type kebakaran_bangunan -> pohon_tumbang").startswith("jenis Kebakaran rumah")
    assert reason_text("type no_such_type -> pohon_tumbang").startswith("jenis no_such_type → ")


def test_the_incident_page_and_the_calls_timeline_word_the_reasons(open_incident, operator, supervisor):
    from django.test import Client

    from tests.test_accounts import login_with_otp

    incident = open_incident("kebakaran_bangunan")
    call = incident.calls.get()
    client = Client()
    client.force_login(operator)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"(panggilan #{call.pk})" in html and "(call " not in html
    # The supervisor's timeline of the call: statuses by their labels, the classification worded.
    reports = Client()
    login_with_otp(reports, supervisor)
    page = reports.get(f"/reports/calls/{call.pk}/").content.decode()
    assert "klasifikasi — → Darurat" in page and f"panggilan #{call.pk}" in page
    assert "<td>Ditangani</td><td>Terklasifikasi</td>" in page
