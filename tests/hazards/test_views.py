"""The disaster board, ending disaster mode, the script, the BPBD export, and the banner on every screen."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.test import Client

from calls import services as call_services
from hazards import services
from hazards.models import DisasterPeriod
from tests.hazards.conftest import FIXTURE_NOW, fixture_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.membership.role in ("supervisor", "admin"):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def quake(ref, feed_user):
    with time_machine.travel(FIXTURE_NOW, tick=True) as traveller:
        services.alert_receive_cap(data=fixture_bytes("cap_earthquake.xml"), user=feed_user)
        yield traveller


@pytest.mark.parametrize("role, agency, status", [
    ("operator", None, 200), ("supervisor", None, 200), ("agency", "BPBD", 200), ("agency", "DAMKAR", 403), ("feed", None, 403),
])
def test_who_sees_the_disaster_board(ref, make_user, role, agency, status):
    assert logged_in(make_user(role, agency=agency)).get("/disaster/").status_code == status


def test_the_banner_is_rendered_on_load_on_the_desk_and_the_agency_console(quake, make_user):
    desk = logged_in(make_user("operator")).get("/desk/").content.decode()
    assert 'id="disaster-banner"' in desk and 'id="disaster-alarm"' in desk
    assert "M6.2" in desk and "km dari Kota Bengkulu" in desk and "22:10 WIB" in desk and "Tidak berpotensi tsunami" in desk
    assert 'id="disaster-desk"' in desk
    console = logged_in(make_user("agency", agency="DAMKAR")).get("/agency/").content.decode()
    assert 'id="disaster-alarm"' in console and "M6.2" in console and "disaster-banner kind-earthquake_felt" in console


def test_without_disaster_mode_the_banner_is_hidden(ref, make_user):
    page = logged_in(make_user("operator")).get("/desk/").content.decode()
    assert 'id="disaster-banner" class="disaster-banner" aria-labelledby="disaster-alarm" hidden' in page


def test_calls_are_grouped_by_kelurahan_with_their_tags_and_exported_for_bpbd(quake, make_user):
    from agencies.models import Kelurahan

    operator = make_user("operator")
    kelurahan = Kelurahan.objects.order_by("name").first()
    location = call_services.Location(kelurahan_code=kelurahan.code)
    call_services.call_create(operator=operator, caller_number="081234500101", notes="rumah retak #bangunan_runtuh #orang_terjebak", location=location)
    call_services.call_create(operator=operator, caller_number="081234500102", notes="apakah ada tsunami? #tanya_gempa")
    call_services.call_create(operator=operator, caller_number="081234500103", notes="=HYPERLINK(\"x\") kucing di pohon")
    board = logged_in(make_user("agency", agency="BPBD")).get("/disaster/").content.decode()
    assert kelurahan.name in board and "Bangunan runtuh" in board
    period = DisasterPeriod.objects.get()
    response = logged_in(make_user("agency", agency="BPBD")).get(f"/disaster/{period.pk}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:6] == ["# calls_total", "3", "quake_calls", "2", "calls_per_hour", rows[1][5]]
    by_notes = {row[-1]: row for row in rows[3:]}
    assert by_notes["rumah retak #bangunan_runtuh #orang_terjebak"][4] == kelurahan.name
    assert by_notes["rumah retak #bangunan_runtuh #orang_terjebak"][8] == "bangunan_runtuh orang_terjebak"
    assert "'=HYPERLINK(\"x\") kucing di pohon" in by_notes  # no formula reaches a spreadsheet
    assert logged_in(make_user("agency", agency="DAMKAR")).get(f"/disaster/{period.pk}/export.csv").status_code == 403


def test_a_supervisor_ends_disaster_mode_from_the_board_an_operator_cannot(quake, make_user):
    assert logged_in(make_user("operator")).post("/disaster/end/").status_code == 403
    assert DisasterPeriod.objects.get().active
    response = logged_in(make_user("supervisor")).post("/disaster/end/")
    assert response.status_code == 302
    assert DisasterPeriod.objects.get().end_reason == "supervisor"


def test_a_supervisor_edits_the_script_shown_on_the_desk(quake, make_user):
    supervisor = logged_in(make_user("supervisor"))
    supervisor.post("/disaster/script/", {"kind": "earthquake_felt", "text": "Keluar ke lapangan terbuka, jauhi gedung."})
    assert services.disaster_state_data(DisasterPeriod.objects.get())["script"] == "Keluar ke lapangan terbuka, jauhi gedung."
    assert logged_in(make_user("operator")).post("/disaster/script/", {"kind": "tsunami", "text": "x"}).status_code == 403


def test_the_daily_log_lists_the_disaster_period_with_its_kpis(quake, make_user):
    operator = make_user("operator")
    call_services.call_create(operator=operator, caller_number="081234500201", notes="#tanya_gempa")
    call_services.call_create(operator=operator, caller_number="081234500202", notes="motor mogok")
    page = logged_in(make_user("supervisor")).get("/reports/daily/?date=2023-04-15").content.decode()
    period = DisasterPeriod.objects.get()
    assert f'data-period="{period.pk}"' in page and "Periode bencana" in page
    assert "1 (50,0 %)" in page  # Indonesian decimals and f"/disaster/{period.pk}/export.csv" in page


def test_the_kpi_page_shows_the_disaster_period_for_its_day_shift_and_year_and_not_for_another_day(quake, make_user):
    operator = make_user("operator")
    call_services.call_create(operator=operator, caller_number="081234500211", notes="#tanya_gempa")
    call_services.call_create(operator=operator, caller_number="081234500212", notes="#tanya_gempa rumah retak")
    call_services.call_create(operator=operator, caller_number="081234500213", notes="motor mogok")
    supervisor = logged_in(make_user("supervisor"))
    period = DisasterPeriod.objects.get()
    # The fixture's quake is at 22:07 WIB on 15 April 2023: the night shift (21-07) of that day.
    for query in ("period=day&date=2023-04-15", "period=shift&date=2023-04-15&shift=malam", "period=year&year=2023"):
        page = supervisor.get(f"/reports/kpi/?{query}").content.decode()
        assert f'data-period="{period.pk}"' in page, query
        assert "Periode bencana" in page and "2 (66,7 %)" in page, query
    for query in ("period=day&date=2023-04-13", "period=shift&date=2023-04-15&shift=pagi"):
        page = supervisor.get(f"/reports/kpi/?{query}").content.decode()
        assert "Periode bencana" not in page, query
