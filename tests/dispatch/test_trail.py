"""A transition's reason is a code worded in the reader's language at display time; the words a
person typed are shown exactly as typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from dispatch import services
from dispatch.models import IncidentTransition, Reason
from dispatch.trail import reason_text

pytestmark = pytest.mark.django_db

# code, params, the words a person typed, Indonesian, English
WORDED = [
    (Reason.INCIDENT_FROM_CALL, {"id": 12}, "", "panggilan #12", "call #12"),
    (Reason.CALL_LINKED, {"id": 12}, "", "panggilan #12 digabungkan", "call #12 linked"),
    (Reason.CALL_UNLINKED, {"id": 12}, "", "panggilan #12 dilepas", "call #12 unlinked"),
    (Reason.RETYPED, {"from": "kebakaran_bangunan", "to": "pohon_tumbang"}, "",
     "jenis Kebakaran rumah/bangunan/ruko → Pohon tumbang / angin kencang", "type Structure fire → Fallen tree / windstorm"),
    (Reason.RELOCATED, {"place": "Depan Mega Mall"}, "", "lokasi: Depan Mega Mall", "location: Depan Mega Mall"),
    (Reason.CLASSIFIED, {"from": None, "to": "emergency"}, "", "klasifikasi — → Darurat", "classified — → Emergency"),
    (Reason.OWN_INCIDENT, {"from": 3, "to": 9}, "", "dilepas dari kejadian #3; menjadi kejadian #9",
     "unlinked from incident #3; now incident #9"),
    (Reason.IMPORTED, {}, "", "impor", "import"),
    (Reason.IMPORTED_UNACKNOWLEDGED, {}, "", "impor: ditutup tanpa diterima", "import: closed without acknowledgement"),
    (Reason.IMPORTED_AS, {"type": "ghost"}, "", "impor: Ghost call", "import: Ghost call"),
    (Reason.LATE_RINGING, {}, "", "dering tercatat terlambat", "ringing recorded late"),
    (Reason.ANSWERED_BEFORE_RINGING, {}, "", "dijawab sebelum dering tercatat", "answered before the ringing was recorded"),
    (Reason.ANSWERED_AT_EXTENSION, {"ext": "201"}, "", "dijawab di ekstensi 201", "answered at extension 201"),
    (Reason.HANGUP_BEFORE_ANSWER, {}, "", "ditutup sebelum dijawab", "hung up before answer"),
    (Reason.HANGUP, {}, "", "panggilan berakhir", "call ended"),
    (Reason.CLAIMED_AT_DESK, {}, "", "diambil di meja operator", "claimed at the desk"),
    (Reason.TAKEN_OVER, {"who": "op_pagi"}, "", "diambil alih dari op_pagi", "taken over from op_pagi"),
    (Reason.ESCALATED, {}, "", "eskalasi: tidak diterima tepat waktu", "escalated: not acknowledged in time"),
    (Reason.OFFICER_NOTIFIED, {}, "", "eskalasi: petugas piket diberi tahu", "escalated: duty officer notified"),
    (Reason.NO_PLACE, {}, "penelepon panik", "dikirim tanpa lokasi: penelepon panik", "sent without a place: penelepon panik"),
    (Reason.HAZARD, {"alert": "bmkg-20261208"}, "", "peringatan bahaya bmkg-20261208", "hazard alert bmkg-20261208"),
]


@pytest.mark.parametrize(("code", "params", "typed", "indonesian", "english"), WORDED, ids=[row[0].value for row in WORDED])
def test_each_reason_code_is_worded_in_both_languages(ref, code, params, typed, indonesian, english):
    with translation.override("id"):
        assert reason_text(code, params, typed) == indonesian
    with translation.override("en"):
        assert reason_text(code, params, typed) == english


def test_every_reason_code_has_its_wording_stated_above():
    assert sorted(row[0].value for row in WORDED) == sorted(Reason.values)


@pytest.mark.parametrize("typed", [
    "call 5 linked", "type a -> b", "escalated: not acknowledged in time", "- -> emergency", "import",
    "no place: di mana saja", "unit sudah di lokasi lain",
])
def test_a_typed_reason_is_shown_exactly_as_typed_in_either_language(typed):
    for language in ("id", "en"):
        with translation.override(language):
            assert reason_text("", {}, typed) == typed


def test_an_unknown_incident_type_in_a_retype_is_named_by_its_code(ref):
    with translation.override("id"):
        assert reason_text(Reason.RETYPED, {"from": "no_such_type", "to": "pohon_tumbang"}, "") == "jenis no_such_type → Pohon tumbang / angin kencang"


def test_a_parameter_a_row_lacks_reads_as_a_question_mark():
    with translation.override("en"):
        assert reason_text(Reason.CALL_LINKED, {}, "") == "call #? linked"


def test_a_code_this_version_does_not_know_is_shown_as_stored():
    assert reason_text("from_the_future", {"x": 1}, "kata orang") == "from_the_future kata orang"


def test_the_system_writes_codes_and_a_person_s_reason_verbatim(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    call = incident.calls.get()
    services.incident_close(incident_id=incident.pk, user=operator, reason="call 5 linked")
    opened, closed = IncidentTransition.objects.filter(incident=incident).order_by("at", "id")
    assert (opened.reason_code, opened.reason_params, opened.reason) == (Reason.INCIDENT_FROM_CALL, {"id": call.pk}, "")
    assert (closed.reason_code, closed.reason_params, closed.reason) == ("", {}, "call 5 linked")


def test_the_incident_page_words_the_codes_and_shows_a_typed_reason_as_typed(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    call = incident.calls.get()
    services.incident_close(incident_id=incident.pk, user=operator, reason="type a -> b")
    services.incident_reopen(incident_id=incident.pk, user=operator, reason="call 5 linked")
    client = Client()
    client.force_login(operator)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"(panggilan #{call.pk})" in html
    assert "(type a -&gt; b)" in html and "(call 5 linked)" in html
    assert "#5 digabungkan" not in html and "jenis a" not in html
    client.cookies["django_language"] = "en"
    english = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"(call #{call.pk})" in english and "(type a -&gt; b)" in english and "(call 5 linked)" in english


def test_the_calls_timeline_words_the_reasons(open_incident, operator, supervisor):
    from tests.test_accounts import login_with_otp

    incident = open_incident("kebakaran_bangunan")
    call = incident.calls.get()
    reports = Client()
    login_with_otp(reports, supervisor)
    page = reports.get(f"/reports/calls/{call.pk}/").content.decode()
    assert "klasifikasi — → Darurat" in page and f"panggilan #{call.pk}" in page
    assert "<td>Ditangani</td><td>Terklasifikasi</td>" in page
