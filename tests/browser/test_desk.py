"""A new operator logs in, takes a call in Bahasa Indonesia and sees it in today's list."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from calls.models import Call
from tests.browser.support import FaultOnFirstTry, answer_busy, lose_the_answer, wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _start_call(page, number: str) -> None:
    """Type the caller's number and start the call, as an operator does; wait until it is saved."""
    page.fill("#caller-number", number)
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("tersimpan")


def test_operator_takes_a_call_and_sees_it_in_todays_list_when_opened(ref, make_user, login, asgi_server):
    make_user("operator", username="op_desk")
    page = login("op_desk", PASSWORD)
    expect(page.locator("h1#call-form-title")).to_contain_text("Panggilan")
    _start_call(page, "0812 7000 1234")
    # The call is saved the moment it starts, before it is classified.
    call = Call.objects.get(caller__number="+6281270001234")
    assert call.status == "active" and call.call_type == ""
    today_reads: list[str] = []
    page.on("request", lambda r: today_reads.append(r.url) if "/desk/today/" in r.url else None)
    page.fill("#notes", "rumah terbakar di dekat pasar, api besar")
    page.select_option("#incident-type", "kebakaran_bangunan")
    expect(page.locator("#suggestion")).to_contain_text("Darurat")  # the suggestion box also carries the call type
    page.keyboard.press("Alt+1")
    # Named by the classify button's label, not by the suggestion box that carries the same type.
    expect(page.locator("#form-status")).to_contain_text("diklasifikasi: Darurat")
    call.refresh_from_db()
    assert call.call_type == "emergency" and call.incident is not None
    assert call.notes.startswith("rumah terbakar")
    # Today's list is folded away: not read again on every change while nobody looks at it ...
    page.wait_for_timeout(600)
    assert today_reads == []
    row = page.locator(f"#today-table tr[data-call-id='{call.pk}']")
    expect(row).to_have_count(0)
    # ... and read when opened, with the call classified.
    page.get_by_role("heading", name="Panggilan hari ini").click()
    expect(row).to_be_visible()
    assert len(today_reads) == 1
    expect(row).to_contain_text("+6281270001234")
    expect(row).to_contain_text("Darurat")


def test_a_call_the_server_could_not_take_at_once_is_sent_again_with_its_key_and_stored_once(ref, make_user, login, asgi_server):
    """No answer, then 503 with Retry-After: the desk sends the same call again with the same key."""
    make_user("operator", username="op_retry")
    page = login("op_retry", PASSWORD)
    attempts: list[str] = []

    def flaky_intake(route, request):
        if request.method != "POST":
            route.continue_()
            return
        attempts.append(request.headers.get("idempotency-key", ""))
        if len(attempts) == 1:
            route.abort("connectionrefused")
        elif len(attempts) == 2:
            answer_busy(route)
        else:
            route.continue_()

    page.route("**/api/v1/calls/", flaky_intake)
    page.fill("#caller-number", "0812 7000 5678")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("dikirim ulang")
    page.keyboard.press("Enter")  # pressed again while it retries: no second call
    expect(page.locator("#form-status")).to_contain_text("tersimpan", timeout=15_000)
    assert len(attempts) == 3 and len(set(attempts)) == 1 and attempts[0]
    call = Call.objects.get(caller__number="+6281270005678")
    assert call.idempotency_key == attempts[0]
    expect(page.locator("#call-id")).to_have_text(f"#{call.pk}")


def test_a_call_the_server_refuses_as_invalid_is_not_sent_again(ref, make_user, login, asgi_server):
    make_user("operator", username="op_refused")
    page = login("op_refused", PASSWORD)
    attempts: list[str] = []

    def refuse(route, request):
        if request.method == "POST":
            attempts.append(request.headers.get("idempotency-key", ""))
            route.fulfill(status=400, content_type="application/json", body='{"detail": "Catatan terlalu panjang.", "code": "invalid"}')
        else:
            route.continue_()

    page.route("**/api/v1/calls/", refuse)
    page.fill("#caller-number", "0812 7000 9999")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("Catatan terlalu panjang")
    page.wait_for_timeout(1500)
    assert len(attempts) == 1
    assert not Call.objects.filter(caller__number="+6281270009999").exists()


def test_notes_and_a_classification_the_server_did_not_answer_are_sent_again_and_applied_once(ref, make_user, login, asgi_server):
    """The notes' save meets a 503; the classification reaches the server but its answer is lost."""
    from calls.models import CallTransition
    from dispatch.models import Incident

    make_user("operator", username="op_classify_retry")
    page = login("op_classify_retry", PASSWORD)
    _start_call(page, "0812 7000 4321")
    call = Call.objects.get(caller__number="+6281270004321")
    busy_once, answer_lost_once = FaultOnFirstTry(answer_busy, method="PATCH"), FaultOnFirstTry(lose_the_answer)
    classifications = answer_lost_once.sent

    page.route(f"**/api/v1/calls/{call.pk}/", busy_once)
    page.route(f"**/api/v1/calls/{call.pk}/classify/", answer_lost_once)
    page.fill("#notes", "rumah terbakar di belakang pasar")
    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("dikirim ulang")
    page.keyboard.press("Alt+1")  # pressed again while it retries: nothing more is sent
    expect(page.locator("#form-status")).to_contain_text("diklasifikasi", timeout=20_000)

    call.refresh_from_db()
    assert call.call_type == "emergency" and call.notes == "rumah terbakar di belakang pasar"
    assert len(classifications) == 2 and classifications[0] == classifications[1]
    assert Incident.objects.filter(calls=call).count() == 1
    assert CallTransition.objects.filter(call=call, to_status="classified").count() == 1


def test_an_operator_whose_browser_is_in_english_works_in_bahasa_indonesia_until_choosing_english(ref, make_user, login, asgi_server):
    make_user("operator", username="op_english")
    page = login("op_english", PASSWORD, locale="en-US")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("#start-call")).to_contain_text("Mulai")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # the menu submits itself
    page.wait_for_load_state("networkidle")  # the desk's script is running before we type
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#start-call")).to_contain_text("Start call")
    page.fill("#caller-number", "0812 7000 2468")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("saved")
    call_id = Call.objects.get(caller__number="+6281270002468").pk
    # The desk's own messages come from the script catalog in the chosen language.
    expect(page.locator("#form-status")).to_have_text(f"Call #{call_id} saved.")
    page.fill("#notes", "rumah terbakar di dekat pasar")
    page.select_option("#incident-type", "kebakaran_bangunan")
    expect(page.locator("#incident-type option:checked")).to_contain_text("Structure fire")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text(f"Call #{call_id} classified: Emergency · incident #")


def test_a_landmark_in_the_notes_is_offered_and_one_click_makes_it_the_calls_location(ref, make_user, login, asgi_server):
    from agencies.models import Landmark

    make_user("operator", username="op_place")
    page = login("op_place", PASSWORD)
    _start_call(page, "0812 7000 4321")
    page.fill("#notes", "api besar di toko dekat mega mall, ada orang terjebak")
    # The suggestion speaks the form's words, and the place the caller named is offered.
    expect(page.locator("#suggestion")).to_contain_text("Darurat")
    expect(page.locator("#suggestion")).to_contain_text("Kebakaran")
    mall = Landmark.objects.select_related("kelurahan").get(name="Mega Mall")
    offer = page.locator("#places button[data-place='Mega Mall']")
    expect(offer).to_contain_text(mall.kelurahan.name)
    offer.click()
    expect(page.locator("#kelurahan")).to_have_value(f"{mall.kelurahan.name} — {mall.kelurahan.kecamatan.name}")
    expect(page.locator("#address")).to_have_value("Mega Mall")
    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("diklasifikasi: Darurat")
    call = Call.objects.get(caller__number="+6281270004321")
    assert (call.lat, call.lon) == (mall.lat, mall.lon)
    assert call.kelurahan_id == mall.kelurahan_id and call.address == "Mega Mall"
    assert call.incident.lat == mall.lat and call.incident.kelurahan_id == mall.kelurahan_id
    # The emergency opened the dispatch panel; Esc leaves it (the incident stays open) for the next call.
    expect(page.locator("#dispatch-incident")).to_have_text(f"Kejadian #{call.incident_id}")
    page.keyboard.press("Escape")
    expect(page.locator("#caller-number")).to_be_focused()
    # The same number calls again: its history names the earlier call's type in the form's words.
    page.fill("#caller-number", "0812 7000 4321")
    page.keyboard.press("Enter")
    expect(page.locator("#caller-history li")).to_have_count(1)  # the call on the desk is not listed
    expect(page.locator("#caller-history li").last).to_contain_text("Darurat · api besar di toko dekat mega mall")
    # A caller asking again where the help is: the earlier call's incident is one click away.
    link = page.locator("#caller-history li a")
    expect(link).to_have_text(f"kejadian #{call.incident_id}")
    expect(link).to_have_attribute("href", f"/incidents/{call.incident_id}/")


def test_the_callers_history_shows_wib_times_whatever_the_browsers_own_time_zone(ref, make_user, login, asgi_server):
    from zoneinfo import ZoneInfo

    from calls.services import call_intake

    operator = make_user("operator", username="op_utc")
    # An earlier call from the number, still unclassified (another operator has it on the desk).
    first = call_intake(operator=operator, caller_number="0812 7000 8765").call
    page = login("op_utc", PASSWORD, timezone_id="Europe/London")  # a workstation not set to WIB
    _start_call(page, "0812 7000 8765")
    # The call on the desk is counted, not listed: only the earlier one is.
    expect(page.locator("#caller-history")).to_contain_text("total 2")
    shown = first.received_at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%d/%m/%Y, %H:%M WIB")
    earlier = page.locator("#caller-history li")
    expect(earlier).to_have_count(1)
    expect(earlier.first).to_have_attribute("data-call-id", str(first.pk))
    expect(earlier.first).to_have_text(f"{shown} · belum diklasifikasi")


def test_a_call_left_unfinished_comes_back_to_the_desk_with_what_it_held(ref, make_user, login, asgi_server):
    """The page is reloaded mid-call: the call waits under the operator's unfinished calls and one
    click puts it back on the desk, notes and place included. A second tab sees it come and go live."""
    from agencies.models import Landmark

    make_user("operator", username="op_resume")
    page = login("op_resume", PASSWORD)
    other_tab = page.context.new_page()
    other_tab.goto(page.url)
    wait_js(other_tab, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    expect(other_tab.locator("#unfinished")).to_be_hidden()  # nothing unfinished: no empty section
    _start_call(page, "0812 7000 2468")
    call = Call.objects.get(caller__number="+6281270002468")
    page.fill("#notes", "asap tebal dari gudang dekat mega mall")
    # The other tab learns of the call as it starts: it is this operator's and on another desk.
    row = other_tab.locator(f"#unfinished-list li[data-call-id='{call.pk}']")
    expect(row).to_contain_text("+6281270002468")
    expect(page.locator("#unfinished")).to_be_hidden()  # the desk that has it does not list it
    page.locator("#places button[data-place='Mega Mall']").click()

    page.reload()  # at once: the place is not saved yet, and goes with the page as it leaves
    deadline = time.monotonic() + 5
    while (call.notes, call.address) != ("asap tebal dari gudang dekat mega mall", "Mega Mall"):
        assert time.monotonic() < deadline, (call.notes, call.address)
        time.sleep(0.1)
        call.refresh_from_db()
    expect(page.locator("#unfinished-count")).to_have_text("1")
    page.locator(f"#unfinished-list li[data-call-id='{call.pk}'] [data-resume]").click()
    expect(page.locator("#form-status")).to_contain_text(f"Panggilan dilanjutkan #{call.pk}")
    expect(page.locator("#call-id")).to_have_text(f"#{call.pk}")
    expect(page.locator("#notes")).to_have_value("asap tebal dari gudang dekat mega mall")
    mall = Landmark.objects.select_related("kelurahan__kecamatan").get(name="Mega Mall")
    expect(page.locator("#address")).to_have_value("Mega Mall")
    expect(page.locator("#kelurahan")).to_have_value(f"{mall.kelurahan.name} — {mall.kelurahan.kecamatan.name}")
    expect(page.locator("#unfinished")).to_be_hidden()

    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("diklasifikasi: Darurat")
    call.refresh_from_db()
    assert call.status == "classified" and call.incident is not None
    assert (call.lat, call.lon, call.address) == (mall.lat, mall.lon, "Mega Mall")
    expect(other_tab.locator("#unfinished")).to_be_hidden()  # classified: gone from every tab


def test_a_colleagues_call_left_for_long_is_taken_over_and_leaves_their_desk(ref, make_user, login, asgi_server):
    from datetime import timedelta

    from django.utils import timezone

    from calls.services import call_intake

    make_user("operator", username="op_left")
    taker = make_user("operator", username="op_taker")
    left_desk = login("op_left", PASSWORD)
    _start_call(left_desk, "0812 7000 1357")
    left_desk.fill("#notes", "pohon tumbang menimpa rumah")
    call = Call.objects.get(caller__number="+6281270001357")
    expect(left_desk.locator("#form-status")).to_contain_text("Tersimpan")
    # Nobody has changed it for 20 minutes now. Not offered: a colleague's call of a minute ago, nor
    # one 20 minutes long whose operator typed a minute ago (still at work on it).
    long_ago = timezone.now() - timedelta(minutes=20)
    Call.objects.filter(pk=call.pk).update(received_at=long_ago, answered_at=long_ago, touched_at=long_ago)
    fresh = call_intake(operator=call.operator, caller_number="0812 7000 1358").call
    typing = call_intake(operator=call.operator, caller_number="0812 7000 1359").call
    Call.objects.filter(pk=typing.pk).update(received_at=long_ago, answered_at=long_ago, touched_at=timezone.now() - timedelta(minutes=1))
    desk = login("op_taker", PASSWORD)
    row = desk.locator(f"#unfinished-list li[data-call-id='{call.pk}']")
    expect(row).to_contain_text("op_left")
    expect(row.locator("[data-resume]")).to_be_hidden()
    expect(desk.locator(f"#unfinished-list li[data-call-id='{fresh.pk}']")).to_have_count(0)
    expect(desk.locator(f"#unfinished-list li[data-call-id='{typing.pk}']")).to_have_count(0)
    # The operators' board marks the call left alone for long, not the fresh one nor the one being typed.
    board = desk.context.new_page()
    board.goto(f"{asgi_server}/board/")
    expect(board.locator(f"tr[data-call-id='{call.pk}'] td.timer")).to_have_class("timer late")
    expect(board.locator(f"tr[data-call-id='{fresh.pk}'] td.timer")).to_have_class("timer")
    expect(board.locator(f"tr[data-call-id='{typing.pk}'] td.timer")).to_have_class("timer")
    board.close()

    row.locator("[data-take-over]").click()
    expect(desk.locator("#form-status")).to_contain_text(f"Panggilan diambil alih #{call.pk}")
    expect(desk.locator("#notes")).to_have_value("pohon tumbang menimpa rumah")
    call.refresh_from_db()
    assert call.operator == taker
    # The desk it was left on lets go of it, saying who has it.
    expect(left_desk.locator("#form-status")).to_contain_text(f"Panggilan #{call.pk} diambil alih oleh op_taker")
    expect(left_desk.locator("#call-id")).to_have_text("")
    desk.keyboard.press("Alt+2")
    expect(desk.locator("#form-status")).to_contain_text("diklasifikasi: Informasi")
    call.refresh_from_db()
    assert call.status == "classified" and call.classified_by == taker


def test_a_second_caller_of_a_fire_is_offered_its_open_incident_and_joins_it(ref, make_user, login, asgi_server):
    from agencies.geo import Location
    from agencies.models import Landmark
    from calls.services import call_classify, call_intake

    operator = make_user("operator", username="op_join")
    mall = Landmark.objects.get(name="Mega Mall")
    # The first caller's fire, placed at the mall a few minutes ago.
    first = call_intake(operator=operator, caller_number="0812 7000 3001", notes="toko terbakar",
                        location=Location(lat=mall.lat, lon=mall.lon, address="Mega Mall")).call
    incident = call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    page = login("op_join", PASSWORD)
    _start_call(page, "0812 7000 3002")
    expect(page.locator("#duplicates")).to_be_hidden()  # no place yet: nothing to compare
    page.fill("#notes", "asap tebal dari toko dekat mega mall")
    page.locator("#places button[data-place='Mega Mall']").click()
    offer = page.locator(f"#duplicates li[data-incident-id='{incident.pk}']")
    expect(offer).to_contain_text(f"#{incident.pk} P1 · Kebakaran rumah")
    expect(offer).to_contain_text("0 m dari sini")
    offer.locator("[data-join]").click()
    expect(page.locator("#form-status")).to_contain_text(f"diklasifikasi: Darurat · kejadian #{incident.pk}")
    expect(page.locator("#duplicates")).to_be_hidden()
    second = Call.objects.get(caller__number="+6281270003002")
    assert second.call_type == "emergency" and second.incident_id == incident.pk
    assert incident.calls.count() == 2
