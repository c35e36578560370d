"""Partial refreshes (static/js/common.js, App.partialRefresher): a burst of live changes is at most
two fetches, and an answer that is not the partial (the login page, a refusal) is never drawn into
the screen: the screen says the session ended instead."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-front")

# As live.js hands an event to the page: a `live:event` on document, `count` of them in one go.
BURST_JS = """(count) => {
  for (let i = 0; i < count; i++) {
    document.dispatchEvent(new CustomEvent("live:event", {detail: {seq: 100000 + i, type: "call.updated", data: {id: 0}}}));
  }
}"""


def _fire_sent_to_damkar(make_user, operator_name: str, staff_name: str, number: str):
    operator = make_user("operator", username=operator_name)
    make_user("agency", agency="DAMKAR", username=staff_name)
    call, _ = call_services.call_create(operator=operator, caller_number=number, notes="kebakaran ruko")
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(
        incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"], no_place_reason="lokasi menyusul")
    return dispatch


def _settle(page, seconds: float = 1.0) -> None:
    """Lets timers and fetches under way finish (nothing else is asked for meanwhile)."""
    page.wait_for_timeout(seconds * 1000)


def _sign_out_behind_the_page(page) -> None:
    """The session cookie goes, as after a logout in another tab. Once the page's own requests are
    answered: an answer still on its way would set the cookie again."""
    page.wait_for_load_state("networkidle")
    _settle(page)
    page.context.clear_cookies()


def test_a_burst_of_live_events_is_one_board_fetch_and_a_burst_during_it_is_exactly_one_more(ref, make_user, login, asgi_server):
    make_user("operator", username="op_burst")
    page = login("op_burst", PASSWORD)
    page.goto(asgi_server + "/board/")
    wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    _settle(page)
    fetched: list[float] = []
    page.on("request", lambda r: fetched.append(time.monotonic()) if "/board/partial/" in r.url else None)

    page.evaluate(BURST_JS, 40)
    _settle(page)
    assert len(fetched) == 1

    # The partial's answer is held back until the test lets it go: bursts while the first fetch is
    # under way are exactly one more fetch, sent after the first is answered.
    held: list = []
    fetched.clear()
    page.route("**/board/partial/**", lambda route: held.append(route))
    page.evaluate(BURST_JS, 40)
    page.wait_for_timeout(300)  # the fetch went out after ~100 ms and is waiting for its answer
    assert len(fetched) == 1
    page.evaluate(BURST_JS, 40)
    page.wait_for_timeout(150)
    page.evaluate(BURST_JS, 40)
    page.wait_for_timeout(400)
    assert len(fetched) == 1  # nothing more while the first is under way
    while held:  # answer the first, then the one it leaves behind
        held.pop(0).continue_()
        page.wait_for_timeout(400)
    _settle(page, 1.5)
    assert len(fetched) == 2
    expect(page.locator("#board")).not_to_be_empty()


def test_a_burst_of_real_call_changes_reaches_the_agency_console_with_at_most_two_fetches(ref, make_user, login, asgi_server):
    dispatch = _fire_sent_to_damkar(make_user, "op_burst_real", "damkar_burst", "081234567601")
    console = login("damkar_burst", PASSWORD)
    wait_js(console, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    _settle(console)
    fetched: list[str] = []
    console.on("request", lambda r: fetched.append(r.url) if "/agency/partial/" in r.url else None)

    # Ten events for this agency in a burst, as a socket delivers them.
    console.evaluate(BURST_JS.replace('"call.updated"', '"dispatch.updated"'), 10)
    _settle(console)
    assert 1 <= len(fetched) <= 2
    expect(console.locator(f"article[data-dispatch-id='{dispatch.pk}']")).to_be_visible()


@pytest.mark.parametrize("answer", ["401", "login page", "403"])
def test_a_refresh_answered_by_the_login_page_or_a_refusal_shows_the_signed_out_notice_and_keeps_the_console(
    ref, make_user, login, asgi_server, answer
):
    dispatch = _fire_sent_to_damkar(make_user, f"op_out_{answer[:3]}", f"damkar_out_{answer[:3]}", "081234567602")
    console = login(f"damkar_out_{answer[:3]}", PASSWORD)
    wait_js(console, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    card = console.locator(f"article[data-dispatch-id='{dispatch.pk}']")
    expect(card).to_be_visible()
    notice = console.locator("#signed-out")
    expect(notice).to_be_hidden()

    if answer == "403":
        console.route("**/agency/partial/**", lambda route: route.fulfill(
            status=403, content_type="text/html", body="<h1>403 Forbidden</h1><form><input name=password></form>"))
    else:
        # The session is gone (logged out elsewhere, or timed out).
        _sign_out_behind_the_page(console)
        if answer == "login page":
            # As a server that redirects every request without a session to the login page would.
            console.route("**/agency/partial/**", lambda route: route.continue_(
                headers={k: v for k, v in route.request.headers.items() if k.lower() != "x-partial"}))
    answers: list[int] = []
    console.on("response", lambda r: answers.append(r.status) if "/agency/partial/" in r.url or "/login/" in r.url else None)

    console.evaluate(BURST_JS.replace('"call.updated"', '"dispatch.updated"'), 3)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Sesi Anda telah berakhir")
    expect(notice.locator("a")).to_have_attribute("href", "/login/?next=/agency/")
    assert answers and answers[0] == {"401": 401, "login page": 302, "403": 403}[answer]
    # Nothing of the answer was drawn: the card is still there, and no login form inside the console.
    expect(card).to_be_visible()
    assert console.locator("#agency input[name=password], #agency input[name=username]").count() == 0
    assert console.locator("#agency h1").count() == 0

    # Once signed out, the screen stops asking.
    answers.clear()
    console.evaluate(BURST_JS.replace('"call.updated"', '"dispatch.updated"'), 3)
    _settle(console)
    assert answers == []


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_signed_out_notice_is_in_view_and_passes_axe_on_the_desk(ref, make_user, login_at, asgi_server, size):
    make_user("operator", username=f"op_out_desk_{size[0]}")
    page = login_at(asgi_server, f"op_out_desk_{size[0]}", PASSWORD, viewport={"width": size[0], "height": size[1]})
    page.goto(asgi_server + "/desk/")
    wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    _sign_out_behind_the_page(page)
    page.locator("#today").evaluate("el => el.closest('details').open = true")
    page.evaluate(BURST_JS, 2)
    notice = page.locator("#signed-out")
    expect(notice).to_be_visible()
    box = notice.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size[1]
    assert page.locator("#today input[name=password]").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"desk-signed-out-{size[0]}x{size[1]}.png"))
    assert axe_violations(page) == []


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_signed_out_notice_is_in_view_and_passes_axe_on_the_agency_console(ref, make_user, login_at, asgi_server, size):
    dispatch = _fire_sent_to_damkar(make_user, f"op_out_con_{size[0]}", f"damkar_out_con_{size[0]}", "081234567603")
    page = login_at(asgi_server, f"damkar_out_con_{size[0]}", PASSWORD, viewport={"width": size[0], "height": size[1]})
    page.goto(asgi_server + "/agency/")
    wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")
    _sign_out_behind_the_page(page)
    page.evaluate(BURST_JS.replace('"call.updated"', '"dispatch.updated"'), 2)
    notice = page.locator("#signed-out")
    expect(notice).to_be_visible()
    box = notice.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size[1]
    expect(page.locator(f"article[data-dispatch-id='{dispatch.pk}']")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"agency-signed-out-{size[0]}x{size[1]}.png"))
    assert axe_violations(page) == []
