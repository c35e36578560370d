"""Alarms on the live screens: a sound per kind repeating until handled, a red badge with a count in
the top bar and the row marked; the "Aktifkan suara" prompt remembered per browser; mute per screen."""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.browser.a11y import axe_path
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect
from dispatch.tokens import token_create

from calls import services as call_services
from calls.models import Call, Callback
from dispatch import services as dispatch_services
from dispatch.models import Incident
from tests.browser.support import wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("ALARM_SHOTS_DIR", "/tmp/shots-alarms"))
AXE = Path(axe_path() or "/nonexistent/axe.min.js")


@pytest.fixture
def same_channel_prefix(settings):
    """Broadcast from this process on the channel prefix the server subprocess uses."""
    import copy

    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["prefix"] = os.environ["CHANNEL_PREFIX"]
    settings.CHANNEL_LAYERS = layers


def _off_the_main_thread(work):
    """Run a service as the worker would: off the main thread, whose event loop belongs to Playwright."""
    result = {}

    def run():
        try:
            result["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return result.get("value")


def _pbx(make_user, asgi_server, name="pbx_alarm"):
    token = token_create(user=make_user("pbx", username=name)).key
    return httpx.Client(base_url=asgi_server, headers={"Authorization": "Token " + token}, timeout=10)


def _ring(pbx, pbx_call_id: str, number: str) -> int:
    at = datetime.now(UTC).replace(microsecond=0)
    response = pbx.post("/api/v1/telephony/events/", json={"event": "ringing", "pbx_call_id": pbx_call_id, "caller_number": number, "at": at.isoformat()})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ready(page):
    wait_js(page, "window.Alarms && window.Live && window.Live.lastSeq !== null")


def _enable_sound(page):
    page.get_by_role("button", name="Aktifkan suara").click()
    wait_js(page, "Alarms.enabled && Alarms.audioState() === 'running'")


def _badge(page, kind):
    return page.locator(f"#alarm-bar .alarm-badge[data-kind='{kind}']")


def _starts_over(page, ms: int) -> int:
    """How many oscillators the page started over `ms` milliseconds."""
    before = page.evaluate("Alarms.oscillatorStarts")
    page.wait_for_timeout(ms)
    return page.evaluate("Alarms.oscillatorStarts") - before


def _fire(operator, number="081234567801", type_code="kebakaran_bangunan"):
    # With a place: a P1 incident without one is dispatched only with a reason.
    call, _ = call_services.call_create(operator=operator, caller_number=number, notes="api besar di ruko",
                                        location=call_services.Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto"))
    return call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type=type_code).incident


def test_a_ringing_call_sounds_on_the_desk_with_a_badge_until_it_is_claimed(ref, make_user, login, asgi_server):
    make_user("operator", username="op_alarm_ring")
    pbx = _pbx(make_user, asgi_server)
    page = login("op_alarm_ring", PASSWORD)
    _ready(page)
    _enable_sound(page)
    assert page.evaluate("Alarms.active()") == []
    expect(_badge(page, "ringing")).to_be_hidden()

    call_id = _ring(pbx, "1764291700.1", "0812 7000 6001")
    wait_js(page, "Alarms.active().includes('ringing')")
    expect(_badge(page, "ringing")).to_have_text("Berdering 1")
    row = page.locator(f"#ringing-list li[data-call-id='{call_id}']")
    expect(row).to_have_class(re.compile(r"\balarm-row\b"))
    assert page.evaluate("Alarms.audioState()") == "running"
    wait_js(page, "(Alarms.played().ringing || 0) >= 2", timeout=8)  # it repeats while the call rings

    row.locator("[data-claim]").click()
    expect(page.locator("#call-id")).to_have_text(f"#{call_id}")
    wait_js(page, "!Alarms.active().includes('ringing')")
    expect(_badge(page, "ringing")).to_be_hidden()
    assert _starts_over(page, 3500) == 0


def test_a_ring_and_its_hang_up_sound_and_stop_from_the_event_itself_without_reading_the_state(ref, make_user, login, asgi_server):
    """Twenty desks must not all read the alarm state on every ring: the ringing list follows the
    call's own events. The state API is cut off after the first read, and the ring still sounds,
    then stops when the caller hangs up."""
    make_user("operator", username="op_alarm_event")
    pbx = _pbx(make_user, asgi_server, name="pbx_alarm_event")
    page = login("op_alarm_event", PASSWORD)
    _ready(page)
    _enable_sound(page)
    wait_js(page, "Alarms.counts().ringing === 0")
    reads: list[str] = []

    def refuse(route, request):
        reads.append(request.url)
        route.abort("connectionrefused")

    page.route("**/api/v1/alarms/**", refuse)
    call_id = _ring(pbx, "1764291800.1", "0812 7000 6101")
    wait_js(page, "Alarms.active().includes('ringing')")
    expect(_badge(page, "ringing")).to_have_text("Berdering 1")
    expect(page.locator(f"#ringing-list li[data-call-id='{call_id}']")).to_have_class(re.compile(r"\balarm-row\b"))
    wait_js(page, "(Alarms.played().ringing || 0) >= 1")
    # The row flashes (its outline changes colour twice a second) without a CSS animation, which
    # would recompute the page's styles on every frame while the call rings.
    row = f"#ringing-list li[data-call-id='{call_id}']"
    assert page.evaluate(f"getComputedStyle(document.querySelector(\"{row}\")).animationName") == "none"
    colours = set()
    for _ in range(8):
        colours.add(page.evaluate(f"getComputedStyle(document.querySelector(\"{row}\")).outlineColor"))
        page.wait_for_timeout(150)
    assert len(colours) == 2, colours
    at = datetime.now(UTC).isoformat()
    assert pbx.post("/api/v1/telephony/events/", json={"event": "hangup", "pbx_call_id": "1764291800.1", "at": at}).status_code in (200, 201)
    wait_js(page, "!Alarms.active().includes('ringing')")
    expect(_badge(page, "ringing")).to_be_hidden()
    wait_js(page, "!document.documentElement.classList.contains('alarm-flash')")  # nothing marked: the flash stops
    assert reads == []


def test_an_escalation_sounds_on_the_board_until_the_agency_accepts(ref, make_user, login, asgi_server, same_channel_prefix):
    operator = make_user("operator", username="op_alarm_esc")
    make_user("agency", agency="POLRESTA", username="polresta_alarm")
    incident = _fire(operator, type_code="kriminal")
    [dispatch] = dispatch_services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["POLRESTA"])

    board = login("op_alarm_esc", PASSWORD)
    board.goto(asgi_server + "/board/")
    _ready(board)
    _enable_sound(board)
    assert board.evaluate("Alarms.active()") == []

    later = timezone.now() + timedelta(minutes=10)
    assert _off_the_main_thread(lambda: dispatch_services.escalate_overdue(now=later)) == [dispatch.pk]
    wait_js(board, "Alarms.active().includes('escalated')")
    expect(_badge(board, "escalated")).to_have_text("Eskalasi 1")
    expect(board.locator(f"table.incidents .badge[data-dispatch-id='{dispatch.pk}']")).to_have_attribute("data-alarm", "escalated")
    wait_js(board, "(Alarms.played().escalated || 0) >= 1")

    staff = login("polresta_alarm", PASSWORD)
    staff.locator(f"article[data-dispatch-id='{dispatch.pk}'] [data-action=acknowledge]").click()
    wait_js(board, "!Alarms.active().includes('escalated')", timeout=15)
    expect(_badge(board, "escalated")).to_be_hidden()


def test_a_p1_not_dispatched_turns_red_on_the_board_and_sounds_after_the_setting_until_sent(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_alarm_p1")
    incident = _fire(operator)
    # Opened 40 s ago: the alarm (P1_UNDISPATCHED_ALARM_SECONDS, 60 by default) is due in 20 s, on the page's own clock.
    opened = timezone.now() - timedelta(seconds=40)
    Incident.objects.filter(pk=incident.pk).update(created_at=opened)

    board = login("op_alarm_p1", PASSWORD)
    board.goto(asgi_server + "/board/")
    _ready(board)
    _enable_sound(board)
    late = board.locator(f"tr[data-incident-id='{incident.pk}'] .p1-undispatched")
    expect(late).to_have_text(re.compile(r"^P1 belum dikirim \d+:\d\d"))
    assert late.evaluate("el => getComputedStyle(el).color") == "rgb(176, 0, 32)"
    state = board.evaluate("[Alarms.active(), Alarms.played()]")
    if timezone.now() - opened < timedelta(seconds=58):  # a slow machine may already be past the minute
        assert state == [[], {}]

    wait_js(board, "Alarms.active().includes('p1_undispatched')", timeout=30)
    expect(_badge(board, "p1_undispatched")).to_have_text("P1 belum dikirim 1")
    expect(board.locator(f"tr[data-incident-id='{incident.pk}']")).to_have_attribute("data-alarm", "p1_undispatched")
    wait_js(board, "(Alarms.played().p1_undispatched || 0) >= 1")

    sent = board.evaluate(f"App.api('POST', '/api/v1/incidents/{incident.pk}/dispatch/', {{agencies: ['DAMKAR']}}).then(() => true)")
    assert sent
    wait_js(board, "!Alarms.active().includes('p1_undispatched')", timeout=15)
    expect(_badge(board, "p1_undispatched")).to_be_hidden()


def test_the_sound_prompt_shows_on_first_load_and_not_after_enabling(ref, make_user, login, asgi_server):
    make_user("operator", username="op_alarm_prompt")
    page = login("op_alarm_prompt", PASSWORD)
    _ready(page)
    prompt = page.get_by_role("button", name="Aktifkan suara")
    expect(prompt).to_be_visible()
    expect(page.locator("#alarm-bar .alarm-mute")).to_have_text("Suara aktif")

    prompt.click()
    expect(prompt).to_be_hidden()
    assert page.evaluate("localStorage.getItem('d112.alarms.sound')") == "on"
    page.reload()
    _ready(page)
    expect(page.locator("#alarm-bar .alarm-badge").first).to_be_attached()
    expect(page.get_by_role("button", name="Aktifkan suara")).to_be_hidden()
    page.goto(asgi_server + "/board/")
    _ready(page)
    expect(page.get_by_role("button", name="Aktifkan suara")).to_be_hidden()


def test_the_alarm_controls_and_badges_speak_english_on_an_english_screen(ref, make_user, login, asgi_server):
    make_user("operator", username="op_alarm_en")
    pbx = _pbx(make_user, asgi_server, "pbx_alarm_en")
    page = login("op_alarm_en", PASSWORD)
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    _ready(page)
    expect(page.get_by_role("button", name="Turn on sound")).to_be_visible()
    expect(page.locator("#alarm-bar .alarm-mute")).to_have_text("Sound on")
    _ring(pbx, "1764291700.5", "0812 7000 6005")
    expect(_badge(page, "ringing")).to_have_text("Ringing 1")
    page.locator("#alarm-bar .alarm-mute").click()
    expect(page.locator("#alarm-bar .alarm-mute")).to_have_text("Sound off")


def test_mute_silences_this_screen_but_keeps_the_badge(ref, make_user, login, asgi_server):
    make_user("operator", username="op_alarm_mute")
    pbx = _pbx(make_user, asgi_server, "pbx_alarm_mute")
    page = login("op_alarm_mute", PASSWORD)
    _ready(page)
    _enable_sound(page)
    _ring(pbx, "1764291700.2", "0812 7000 6002")
    wait_js(page, "(Alarms.played().ringing || 0) >= 1")

    mute = page.locator("#alarm-bar .alarm-mute")
    mute.click()
    expect(mute).to_have_text("Suara mati")
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert _starts_over(page, 3500) == 0
    expect(_badge(page, "ringing")).to_have_text("Berdering 1")
    assert page.evaluate("Alarms.active()") == ["ringing"]

    page.reload()  # remembered for this screen
    _ready(page)
    wait_js(page, "Alarms.active().includes('ringing')")
    expect(page.locator("#alarm-bar .alarm-mute")).to_have_text("Suara mati")
    assert _starts_over(page, 3500) == 0
    page.goto(asgi_server + "/board/")  # another screen is not muted
    _ready(page)
    wait_js(page, "(Alarms.played().ringing || 0) >= 1")
    expect(page.locator("#alarm-bar .alarm-mute")).to_have_text("Suara aktif")


def test_the_agency_console_rings_for_a_new_dispatch_and_stops_after_terima(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_alarm_agency")
    make_user("agency", agency="DAMKAR", username="damkar_alarm")
    incident = _fire(operator, number="081234567802")

    console = login("damkar_alarm", PASSWORD)
    console.set_viewport_size({"width": 390, "height": 844})  # the console is used on a phone
    _ready(console)
    _enable_sound(console)
    assert console.evaluate("Alarms.active()") == []

    desk = login("op_alarm_agency", PASSWORD)
    desk.evaluate(f"App.api('POST', '/api/v1/incidents/{incident.pk}/dispatch/', {{agencies: ['DAMKAR']}})")
    wait_js(console, "Alarms.active().includes('new_dispatch')", timeout=15)
    expect(_badge(console, "new_dispatch")).to_have_text("Pengiriman baru 1")
    card = console.locator("article[data-dispatch-id]")
    expect(card).to_have_attribute("data-alarm", "new_dispatch")
    wait_js(console, "(Alarms.played().new_dispatch || 0) >= 2", timeout=8)
    SHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SHOTS / "agency-390x844.png"))
    assert console.evaluate("window.scrollX") == 0  # turning the sound on did not scroll the page sideways

    card.locator("[data-action=acknowledge]").click()
    wait_js(console, "!Alarms.active().includes('new_dispatch')", timeout=15)
    expect(_badge(console, "new_dispatch")).to_be_hidden()
    assert _starts_over(console, 3500) == 0


def _axe(page) -> list:
    """axe-core's WCAG 2 A/AA violations on the page (axe was added as an init script: the CSP refuses inline scripts)."""
    return page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )


def test_every_badge_in_the_top_bar_at_both_sizes_with_no_accessibility_violations(ref, make_user, login, asgi_server):
    if not AXE.exists():
        pytest.skip(f"axe-core not found at {AXE} (npm install axe-core; AXE_CORE_JS=path)")
    operator = make_user("operator", username="op_alarm_shots")
    pbx = _pbx(make_user, asgi_server, "pbx_alarm_shots")
    incident = _fire(operator, number="081234567803")
    Incident.objects.filter(pk=incident.pk).update(created_at=timezone.now() - timedelta(seconds=75))
    escalated = _fire(operator, number="081234567804", type_code="kriminal")
    dispatch_services.incident_dispatch(incident_id=escalated.pk, user=operator, agency_codes=["POLRESTA"])
    dispatch_services.escalate_overdue(now=timezone.now() + timedelta(minutes=10))
    ghost, _ = call_services.call_create(operator=operator, caller_number="081234567805")
    call_services.call_classify(call_id=ghost.pk, user=operator, call_type="ghost")
    Callback.objects.filter(call=ghost).update(deadline=timezone.now() - timedelta(minutes=1))
    _ring(pbx, "1764291700.3", "0812 7000 6003")
    _ring(pbx, "1764291700.4", "0812 7000 6004")
    assert Call.objects.filter(status="ringing").count() == 2

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = login("op_alarm_shots", PASSWORD)
    page.add_init_script(path=str(AXE))
    expected = {"ringing": "Berdering 2", "escalated": "Eskalasi 1", "p1_undispatched": "P1 belum dikirim 1",
                "callback_overdue": "Panggilan balik terlambat 1"}
    for path in ("/desk/", "/board/"):
        for width, height in ((1366, 768), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(asgi_server + path)
            _ready(page)
            for kind, text in expected.items():
                expect(_badge(page, kind)).to_have_text(text)
            bar = page.locator("header.topbar")
            box = bar.bounding_box()
            assert box["height"] < 140, box  # the bar stays a bar
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            name = path.strip("/") or "home"
            page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
            bar.screenshot(path=str(SHOTS / f"{name}-topbar-{width}x{height}.png"))
        assert _axe(page) == [], path
    _enable_sound(page)
    assert _axe(page) == []


def test_a_ring_during_a_slow_read_of_the_alarm_state_still_sounds_after_the_older_answer(ref, make_user, login, asgi_server):
    """The state read was answered before the ring was recorded; its answer arrives after the ring's
    event: the ring stays on the badge instead of being wiped by the older answer."""
    make_user("operator", username="op_alarm_race")
    pbx = _pbx(make_user, asgi_server, "pbx_alarm_race")
    page = login("op_alarm_race", PASSWORD)
    _ready(page)
    page.wait_for_timeout(500)  # the first read of the state is answered
    held = []
    page.route("**/api/v1/alarms/**", lambda route: held.append((route, route.fetch())))  # the state before the ring
    page.evaluate("""() => document.dispatchEvent(new CustomEvent("live:event",
        {detail: {seq: 0, type: "incident.updated", data: {id: 0}}}))""")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no read of the alarm state went out"
    _ring(pbx, "1764291700.9", "0812 7000 6009")
    expect(_badge(page, "ringing")).to_have_text("Berdering 1")
    route, before_the_ring = held.pop(0)
    route.fulfill(response=before_the_ring)
    page.unroute("**/api/v1/alarms/**")
    page.wait_for_timeout(600)
    expect(_badge(page, "ringing")).to_have_text("Berdering 1")
    assert page.evaluate("Alarms.active()") == ["ringing"]
