"""The operator's floor on one screen: from a ringing call to a dispatch on the desk, by keyboard,
with nothing that needs action below the fold at 1366x768 and 1920x1080, no sideways scroll, and
no accessibility violations on the desk and the board."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from dispatch.tokens import token_create

from calls.models import Call
from dispatch.models import AuditLog, Dispatch, Incident
from tests.browser.support import FaultOnFirstTry, lose_the_answer, wait_js
from tests.browser.a11y import axe_path
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1920, 1080)]
AXE = Path(axe_path() or "/nonexistent/axe.min.js")
SHOTS = Path("/tmp/shots-desk")
FIRE_NOTES = "api besar di rumah belakang pasar minggu, dua orang terjebak"


class Actions:
    """The keys and clicks an operator spends, typing aside."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def click(self, locator) -> None:
        self.count += 1
        locator.click()


def _desk(login, username: str, size=(1366, 768)):
    page = login(username, PASSWORD)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    wait_js(page, "window.Live && window.Live.lastSeq !== null")
    return page


def _within_viewport(page, selector: str) -> None:
    """Every element matching `selector` that is shown lies wholly inside the viewport."""
    boxes = page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).filter((el) => el.getClientRects().length)
             .map((el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
        selector,
    )
    assert boxes, f"{selector} is not shown"
    width, height = page.evaluate("[innerWidth, innerHeight]")
    for left, top, right, bottom in boxes:
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, (selector, (left, top, right, bottom), (width, height))


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), page.evaluate(
        "[document.scrollingElement.scrollWidth, innerWidth]"
    )


def _no_axe_violations(page) -> None:
    # Evaluated through the DevTools protocol: the page's CSP forbids a script tag of our own.
    if not AXE.exists():
        pytest.skip("axe-core not installed (npm install axe-core; AXE_CORE_JS=path/to/axe.min.js)")
    if not page.evaluate("!!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == [], violations


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_an_emergency_goes_from_ring_to_dispatch_on_the_desk_in_four_actions_at_1366x768(ref, make_user, login, asgi_server):
    from agencies.models import Landmark

    make_user("operator", username="op_floor")
    pbx_token = token_create(user=make_user("pbx", username="pbx_floor")).key
    pbx = httpx.Client(base_url=asgi_server, headers={"Authorization": "Token " + pbx_token}, timeout=10)
    page = _desk(login, "op_floor")
    act = Actions(page)

    response = pbx.post("/api/v1/telephony/events/", json={
        "event": "ringing", "pbx_call_id": "1764291600.77", "caller_number": "0812 7000 7777", "at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201, response.text
    call_id = response.json()["id"]
    row = page.locator(f"#ringing-list li[data-call-id='{call_id}']")
    expect(row).to_contain_text("+6281270007777")
    _within_viewport(page, f"#ringing-list li[data-call-id='{call_id}']")

    # The number field has the focus: Enter takes the call that has rung longest.
    expect(page.locator("#caller-number")).to_be_focused()
    act.press("Enter")
    expect(page.locator("#call-id")).to_have_text(f"#{call_id}")
    expect(page.locator("#notes")).to_be_focused()
    page.keyboard.type(FIRE_NOTES)
    pasar = Landmark.objects.get(name="Pasar Minggu")
    expect(page.locator("#places button").first).to_contain_text("Pasar Minggu")
    expect(page.locator("#suggestion")).to_contain_text("Kebakaran")
    act.press("Alt+p")  # the first place the notes name
    expect(page.locator("#address")).to_have_value("Pasar Minggu")
    for selector in ("#places button", "#suggestion", "button[data-call-type]", "#form-status"):
        _within_viewport(page, selector)
    _shot(page, "path-1366-call")
    # Sure enough of the type, the desk filled it in; if not, the operator picks the first of three.
    prefilled = page.locator("#incident-type").input_value() == "kebakaran_bangunan"
    act.press("Alt+1")
    if not prefilled:
        act.press("1")

    panel = page.locator("#dispatch-panel")
    expect(panel).to_be_visible()
    call = Call.objects.get(pk=call_id)
    incident = call.incident
    assert incident is not None and (incident.lat, incident.lon) == (pasar.lat, pasar.lon)
    link = page.locator("#dispatch-incident")
    expect(link).to_have_text(f"Kejadian #{incident.pk}")
    expect(link).to_have_attribute("href", f"/incidents/{incident.pk}/")
    expect(page.locator("#dispatch-summary")).to_contain_text("P1")
    expect(page.locator("#dispatch-summary")).to_contain_text("Pasar Minggu")
    damkar = page.locator("#dispatch-agencies li[data-agency='DAMKAR']")
    expect(damkar).to_contain_text("utama")
    expect(damkar.locator("input")).to_be_checked()
    # The triage's agencies beside the routing rule's, unchecked, as supporting.
    expect(page.locator("#dispatch-agencies li[data-agency='POLRESTA'] input")).not_to_be_checked()
    for selector in ("#dispatch-panel", "#dispatch-send", "#dispatch-agencies li"):
        _within_viewport(page, selector)
    _no_sideways_scroll(page)
    _shot(page, "path-1366-panel")

    act.press("Control+Enter")
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke DAMKAR")
    expect(page.locator("#last-dispatch a")).to_have_attribute("href", f"/incidents/{incident.pk}/")
    expect(panel).to_be_hidden()
    expect(page.locator("#caller-number")).to_be_focused()  # ready for the next call
    [dispatch] = Dispatch.objects.filter(incident=incident)
    assert dispatch.agency.code == "DAMKAR" and dispatch.is_primary
    assert Incident.objects.get(pk=incident.pk).status == "dispatched"
    _shot(page, "path-1366-sent")
    # Enter to take the call, Alt+P for the place, Alt+1, Ctrl+Enter: the brief's bound is six.
    assert act.count <= 6
    assert act.count == (4 if prefilled else 5)


@pytest.mark.parametrize("size", SIZES, ids=["1366x768", "1920x1080"])
def test_nothing_that_needs_action_is_below_the_fold_and_nothing_scrolls_sideways(ref, make_user, login, asgi_server, size):
    from calls import services as call_services

    operator = make_user("operator", username=f"op_fold_{size[0]}")
    pbx_token = token_create(user=make_user("pbx", username=f"pbx_fold_{size[0]}")).key
    pbx = httpx.Client(base_url=asgi_server, headers={"Authorization": "Token " + pbx_token}, timeout=10)
    # Work waiting: two ghost calls owed a call-back, a handful of today's calls, two ringing calls.
    for n in range(2):
        ghost, _ = call_services.call_create(operator=operator, caller_number=f"08127000810{n}")
        call_services.call_classify(call_id=ghost.pk, user=operator, call_type="ghost")
    for n in range(8):
        info, _ = call_services.call_create(operator=operator, caller_number=f"08127000820{n}", notes="tanya jadwal samsat " * 3)
        call_services.call_classify(call_id=info.pk, user=operator, call_type="information")
    page = _desk(login, f"op_fold_{size[0]}", size)
    for n in range(2):
        assert pbx.post("/api/v1/telephony/events/", json={
            "event": "ringing", "pbx_call_id": f"fold-{size[0]}-{n}", "caller_number": f"08127000830{n}",
            "at": datetime.now(UTC).isoformat()}).status_code == 201
    expect(page.locator("#ringing-list li")).to_have_count(2)
    expect(page.locator("#callbacks-list li")).to_have_count(2)
    for selector in ("#ringing-list li", "#ringing-list [data-claim]", "#callbacks-list li", "#callbacks-list [data-outcome]",
                     "#caller-number", "#start-call", "#form-status"):
        _within_viewport(page, selector)
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"fold-{size[0]}-idle")

    # A call in hand: notes, the places they name, the suggestion, the type, the classify keys.
    page.fill("#caller-number", "0812 7000 8400")
    page.keyboard.press("F2")
    expect(page.locator("#notes")).to_be_enabled()
    page.keyboard.type(FIRE_NOTES + ". asap hitam tebal, warga panik, mohon segera kirim pemadam dan ambulans")
    expect(page.locator("#places button").first).to_be_visible()
    expect(page.locator("#suggestion")).to_be_visible()
    for selector in ("#notes", "#places button", "#suggestion", "#incident-type", "button[data-call-type]", "#form-status",
                     "#ringing-list [data-claim]", "#callbacks-list li"):
        _within_viewport(page, selector)
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"fold-{size[0]}-call")

    # The retry warning, while the server does not answer.
    page.context.set_offline(True)
    page.keyboard.press("Alt+p")
    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("dikirim ulang")
    _within_viewport(page, "#form-status")
    page.context.set_offline(False)

    # The dispatch panel, whole, with its keys.
    expect(page.locator("#dispatch-panel")).to_be_visible(timeout=20_000)
    expect(page.locator("#dispatch-agencies li").first).to_be_visible()
    for selector in ("#dispatch-panel", "#dispatch-incident", "#dispatch-agencies li", "#dispatch-send", "#dispatch-back",
                     "#ringing-list [data-claim]", "#callbacks-list li"):
        _within_viewport(page, selector)
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"fold-{size[0]}-panel")
    page.keyboard.press("Escape")
    expect(page.locator("#last-dispatch")).to_contain_text("belum dikirim")

    # The operator board: every open incident and active call, on one screen.
    page.goto(asgi_server + "/board/")
    expect(page.locator("table.incidents tr[data-incident-id]")).to_have_count(1)
    expect(page.locator("table.calls tr[data-call-id]")).to_have_count(2)  # the two still ringing
    for selector in ("table.incidents tr[data-incident-id] a", "table.calls tr[data-call-id]", "h1"):
        _within_viewport(page, selector)
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"fold-{size[0]}-board")


def _fire_on_the_desk(page, number: str, notes: str = FIRE_NOTES, *, place: bool = True) -> int:
    page.fill("#caller-number", number)
    page.keyboard.press("F2")
    expect(page.locator("#notes")).to_be_enabled()
    page.fill("#notes", notes)
    if place:
        expect(page.locator("#places button").first).to_be_visible()
        page.keyboard.press("Alt+p")
        expect(page.locator("#address")).not_to_have_value("")
    page.select_option("#incident-type", "kebakaran_bangunan")
    page.keyboard.press("Alt+1")
    expect(page.locator("#dispatch-agencies li").first).to_be_visible()
    return int(page.locator("#dispatch-incident").inner_text().rsplit("#", 1)[1])


def test_a_dispatch_with_nothing_checked_is_not_sent_and_a_double_ctrl_enter_dispatches_once(ref, make_user, login, asgi_server):
    make_user("operator", username="op_twice")
    page = _desk(login, "op_twice")
    posts: list[dict] = []
    page.on("request", lambda r: posts.append({"url": r.url, "key": r.headers.get("idempotency-key")})
            if r.method == "POST" and "/dispatch/" in r.url else None)
    incident_id = _fire_on_the_desk(page, "0812 7000 9100")

    page.locator("#dispatch-agencies li[data-agency='DAMKAR'] input").uncheck()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#dispatch-status")).to_contain_text("Tidak ada instansi yang dicentang")
    page.wait_for_timeout(300)
    assert posts == [] and not Dispatch.objects.exists()

    page.locator("#dispatch-agencies li[data-agency='DAMKAR'] input").check()
    page.locator("#dispatch-agencies li[data-agency='POLRESTA'] input").check()
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke DAMKAR, POLRESTA")
    page.wait_for_timeout(300)
    assert len(posts) == 1 and posts[0]["key"]
    assert sorted(Dispatch.objects.filter(incident_id=incident_id).values_list("agency__code", flat=True)) == ["DAMKAR", "POLRESTA"]


def test_a_dispatch_whose_answer_was_lost_or_sent_offline_is_sent_again_with_its_key_and_made_once(ref, make_user, login, asgi_server):
    make_user("operator", username="op_lost")
    page = _desk(login, "op_lost")
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key")) if r.method == "POST" and "/dispatch/" in r.url else None)

    # The server makes the dispatch; its answer never reaches the desk. The same request goes again.
    lost = FaultOnFirstTry(lose_the_answer, "POST")
    page.route("**/api/v1/incidents/*/dispatch/", lost)
    first = _fire_on_the_desk(page, "0812 7000 9200")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#dispatch-status")).to_contain_text("diulang")
    expect(page.locator("#form-status")).to_contain_text("diulang")
    _within_viewport(page, "#dispatch-status")
    expect(page.locator("#last-dispatch a")).to_have_text(f"Kejadian #{first}", timeout=15_000)
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke DAMKAR")
    assert len(lost.sent) == 2 and lost.sent[0] == lost.sent[1]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert Dispatch.objects.filter(incident_id=first).count() == 1
    page.unroute("**/api/v1/incidents/*/dispatch/")

    # Offline when Ctrl+Enter is pressed: the warning shows, and the dispatch goes once the line is back.
    second = _fire_on_the_desk(page, "0812 7000 9201")
    page.context.set_offline(True)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#dispatch-status")).to_contain_text("diulang")
    expect(page.locator("#dispatch-send")).to_be_disabled()
    page.keyboard.press("Escape")  # no leaving while it is being sent
    expect(page.locator("#dispatch-panel")).to_be_visible()
    page.context.set_offline(False)
    expect(page.locator("#last-dispatch a")).to_have_text(f"Kejadian #{second}", timeout=20_000)
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke DAMKAR")
    assert Dispatch.objects.filter(incident_id=second).count() == 1
    assert AuditLog.objects.filter(action="dispatch.create").count() == 2


def test_a_p1_incident_without_a_place_asks_for_one_or_a_reason_before_dispatch(ref, make_user, login, asgi_server):
    make_user("operator", username="op_noplace")
    page = _desk(login, "op_noplace")
    incident_id = _fire_on_the_desk(page, "0812 7000 9300", "rumah terbakar, api besar, penelepon panik", place=False)
    expect(page.locator("#dispatch-summary")).to_contain_text("lokasi belum diketahui")
    expect(page.locator("#no-place")).to_be_visible()
    expect(page.locator("#no-place-reason")).to_be_focused()
    _within_viewport(page, "#no-place-reason")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#dispatch-status")).to_contain_text("alasan")
    assert not Dispatch.objects.exists()
    page.keyboard.type("sambungan putus sebelum menyebut tempat")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke DAMKAR")
    entry = AuditLog.objects.get(action="incident.dispatch_without_place")
    assert entry.object_id == str(incident_id) and entry.detail["reason"] == "sambungan putus sebelum menyebut tempat"


def test_below_the_threshold_the_type_is_not_filled_in_and_keys_1_2_3_pick_one_of_the_top_three(ref, make_user, login, asgi_server):
    make_user("operator", username="op_unsure")
    page = _desk(login, "op_unsure")

    def unsure(route):
        # The engine's own answer, as it is when it is not sure enough of the type.
        answer = route.fetch().json()
        route.fulfill(json={**answer, "prefill": False})

    page.route("**/desk/suggest/**", unsure)
    page.fill("#caller-number", "0812 7000 9400")
    page.keyboard.press("F2")
    expect(page.locator("#notes")).to_be_enabled()
    page.keyboard.type("banjir dan pohon tumbang di jalan")
    candidates = page.locator("#candidates button")
    expect(candidates.first).to_be_visible()
    expect(page.locator("#incident-type")).to_have_value("")
    count = candidates.count()
    assert 1 <= count <= 3
    _within_viewport(page, "#candidates button")
    second = candidates.nth(min(1, count - 1)).get_attribute("data-candidate")
    # Alt+1 without a type asks for one; a key picks it and the call is classified at once.
    page.keyboard.press("Alt+1")
    expect(page.locator("#form-status")).to_contain_text("tekan 1, 2 atau 3")
    page.keyboard.press(str(min(2, count)))
    expect(page.locator("#dispatch-panel")).to_be_visible()
    call = Call.objects.get(caller__number="+6281270009400")
    assert call.call_type == "emergency" and call.incident.incident_type.code == second
    page.keyboard.press("Escape")
    expect(page.locator("#dispatch-panel")).to_be_hidden()
    expect(page.locator("#last-dispatch")).to_contain_text("belum dikirim")
    assert not Dispatch.objects.exists() and Incident.objects.get(pk=call.incident_id).status == "open"


def test_a_call_joined_to_a_dispatched_fire_shows_the_agencies_already_sent(ref, make_user, login, asgi_server):
    from agencies.geo import Location
    from agencies.models import Landmark
    from calls.services import call_classify, call_intake
    from dispatch.services import incident_dispatch

    operator = make_user("operator", username="op_joined")
    pasar = Landmark.objects.get(name="Pasar Minggu")
    first = call_intake(operator=operator, caller_number="0812 7000 9500", notes="rumah terbakar",
                        location=Location(lat=pasar.lat, lon=pasar.lon, address="Pasar Minggu")).call
    incident = call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident
    incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    page = _desk(login, "op_joined")
    page.fill("#caller-number", "0812 7000 9501")
    page.keyboard.press("F2")
    expect(page.locator("#notes")).to_be_enabled()
    page.keyboard.type("asap tebal dekat pasar minggu")
    expect(page.locator("#places button").first).to_contain_text("Pasar Minggu")
    page.keyboard.press("Alt+p")
    expect(page.locator(f"#duplicates li[data-incident-id='{incident.pk}']")).to_be_visible()
    page.keyboard.press("Escape")  # out of the notes: J joins the incident offered
    page.keyboard.press("j")
    expect(page.locator("#dispatch-incident")).to_have_text(f"Kejadian #{incident.pk}")
    damkar = page.locator("#dispatch-agencies li[data-agency='DAMKAR']")
    expect(damkar).to_contain_text("sudah dikirim")
    expect(damkar.locator("input")).to_be_disabled()
    page.locator("#dispatch-agencies li[data-agency='POLRESTA'] input").check()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#last-dispatch")).to_contain_text("Dikirim ke POLRESTA")
    assert sorted(Dispatch.objects.filter(incident=incident).values_list("agency__code", flat=True)) == ["DAMKAR", "POLRESTA"]
    assert Call.objects.get(caller__number="+6281270009501").incident_id == incident.pk
