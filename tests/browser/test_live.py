"""Two screens side by side: the operator's board and an agency's console update live,
and a page that lost its socket shows the banner and then every change it missed."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from dispatch.models import Event
from tests.browser.support import wait_js
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Api:
    """The project's HTTP API on the live server, as a script would use it (Token header)."""

    def __init__(self, base: str, user):
        from dispatch.tokens import token_create

        self.base = base
        self.token = token_create(user=user).key

    def post(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_dispatch_and_acknowledgement_appear_live_and_missed_changes_arrive_after_reconnect(ref, make_user, login, asgi_server):
    operator = make_user("operator", username="op_live")
    staff = make_user("agency", agency="DAMKAR", username="staf_live_damkar")
    as_operator, as_staff = Api(asgi_server, operator), Api(asgi_server, staff)

    board = login("op_live", PASSWORD)
    board.goto(asgi_server + "/board/")
    console = login("staf_live_damkar", PASSWORD)
    expect(console.locator("h1")).to_contain_text("DAMKAR")
    for page in (board, console):
        wait_js(page, "window.Live && window.Live.connected && window.Live.lastSeq !== null")

    # The operator records and classifies a fire; the board shows the incident without a reload.
    call = as_operator.post("/api/v1/calls/", {"caller_number": "081277700001", "notes": "ruko terbakar"})
    classified = as_operator.post(f"/api/v1/calls/{call['id']}/classify/", {"call_type": "emergency", "incident_type": "kebakaran_bangunan"})
    incident_id = classified["incident"]["id"]
    row = board.locator(f"tr[data-incident-id='{incident_id}']")
    expect(row).to_contain_text("belum dikirim")
    expect(row.locator(f"a[href='/incidents/{incident_id}/']").first).to_be_visible()

    # Dispatched: the agency's console shows it at once.
    dispatch_id = as_operator.post(f"/api/v1/incidents/{incident_id}/dispatch/", {"agencies": ["DAMKAR"], "no_place_reason": "lokasi menyusul"})["dispatches"][0]["id"]
    card = console.locator(f"article[data-dispatch-id='{dispatch_id}']")
    expect(card).to_be_visible()
    expect(row.locator(f"[data-dispatch-id='{dispatch_id}']")).to_contain_text("Dikirim")
    # Waiting for acknowledgement: a timer since dispatch ticks on the board.
    expect(row.locator(".timer[data-since]").first).to_have_text(__import__("re").compile(r"^\d+:\d\d$"))

    # The agency acknowledges in its console; the operator's board shows it.
    card.locator("button[data-action='acknowledge']").click()
    expect(row.locator(f"[data-dispatch-id='{dispatch_id}']")).to_contain_text("Diterima")

    # The board loses its socket; changes happen meanwhile.
    board.evaluate("window.Live.disconnectForTest({hold: true})")
    expect(board.locator("#live-banner")).to_be_visible()
    expect(board.locator("#live-banner")).to_contain_text("terjeda")
    seq_when_cut = board.evaluate("window.Live.lastSeq")
    missed_call = as_operator.post("/api/v1/calls/", {"caller_number": "081277700002", "notes": "tanya info"})
    as_staff.post(f"/api/v1/dispatches/{dispatch_id}/status/", {"status": "en_route"})
    assert last_seq() >= seq_when_cut + 2
    assert board.evaluate("window.Live.lastSeq") == seq_when_cut  # nothing arrived while cut

    board.evaluate("window.Live.resumeForTest()")
    expect(board.locator("#live-banner")).to_be_hidden()
    expected = last_seq()
    wait_js(board, f"window.Live.lastSeq === {expected}")
    expect(board.locator(f"tr[data-call-id='{missed_call['id']}']")).to_be_visible()
    expect(row.locator(f"[data-dispatch-id='{dispatch_id}']")).to_contain_text("Menuju lokasi")
    # The agency's console saw the change live, on its own socket.
    expect(console.locator(f"article[data-dispatch-id='{dispatch_id}'] .badge.s-en_route")).to_be_visible()


def test_supervisor_wall_shows_escalation_alert_and_incident_on_the_map(ref, make_user, login, asgi_server):
    from django.utils import timezone

    from dispatch.services import escalate_overdue

    operator = make_user("operator", username="op_wall")
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    supervisor = make_user("supervisor", username="spv_wall")
    device = TOTPDevice.objects.create(user=supervisor, name="test", confirmed=True)
    as_operator = Api(asgi_server, operator)
    wall = login("spv_wall", PASSWORD)
    # Supervisors confirm a TOTP code after the password.
    wall.fill("input[name=token]", str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6))
    wall.locator("input[name=token]").press("Enter")
    wall.wait_for_load_state("networkidle")
    wall.goto(asgi_server + "/wall/")
    expect(wall.locator("h1")).to_contain_text("Layar supervisor")
    wait_js(wall, "window.Live && window.Live.connected && window.Live.lastSeq !== null")

    call = as_operator.post("/api/v1/calls/", {"caller_number": "081277700003", "location": {"lat": -3.84067, "lon": 102.32073}})
    incident_id = as_operator.post(f"/api/v1/calls/{call['id']}/classify/", {"call_type": "emergency", "incident_type": "kebakaran_bangunan"})["incident"]["id"]
    dispatch_id = as_operator.post(f"/api/v1/incidents/{incident_id}/dispatch/", {"agencies": ["DAMKAR"], "no_place_reason": "lokasi menyusul"})["dispatches"][0]["id"]
    expect(wall.locator(f"table.unacked tr[data-dispatch-id='{dispatch_id}']")).to_be_visible()
    expect(wall.locator("tr[data-operator='op_wall']")).to_have_count(0)  # classified: no longer an open call
    expect(wall.locator("#wall-map .leaflet-interactive")).not_to_have_count(0)
    expect(wall.locator("#wall-map")).to_have_attribute("data-markers", "1")

    # Nobody acknowledges: the sweep escalates (the test process broadcasts nothing; the page finds it on resync).
    escalate_overdue(now=timezone.now() + timezone.timedelta(hours=1))
    wall.evaluate("window.Live.ping()")
    alert = wall.locator("#alerts .alert.escalated")
    expect(alert).to_contain_text(f"#{dispatch_id}")
    expect(alert).to_contain_text("DAMKAR")
    expect(wall.locator(f"table.unacked tr[data-dispatch-id='{dispatch_id}'] .badge.escalated")).to_contain_text("eskalasi")


def test_alerts_are_told_in_the_screens_language_from_their_data(ref, make_user, login, asgi_server):
    """Every kind of alert the server raises, as stored: an Indonesian screen tells it word for word as
    the stored message (the same text Telegram and the log carry); an English screen in English."""
    from datetime import timedelta

    from django.utils import timezone

    from calls import blocking
    from calls.callbacks import flag_overdue_callbacks
    from calls.services import call_classify, call_create
    from dispatch.sweep import run_sweep, sweep_if_stalled

    operator = make_user("operator", username="op_alerts")
    now = timezone.now()
    run_sweep()  # the task queue sweeps; an hour later it has stopped and the web servers stand in
    sweep_if_stalled(since=now - timedelta(hours=1), stalled_after=timedelta(seconds=30), now=now + timedelta(hours=1))
    run_sweep()  # back
    blocking.block_manual(caller_number="+6281211113333", user=operator, reason="iseng", hours=24)
    for _ in range(blocking.current_policy().burst_calls):
        call_create(operator=operator, caller_number="081211113333")
    ghost, _ = call_create(operator=operator, caller_number="081211114444")
    call_classify(call_id=ghost.pk, user=operator, call_type="ghost")
    flag_overdue_callbacks(now=now + timedelta(hours=2))
    alerts = {e.data["kind"]: e.data for e in Event.objects.filter(type="alert")}
    assert set(alerts) == {"sweep_stand_in", "sweep_task_queue_back", "blocked_caller_burst", "callback_overdue"}
    never = {**alerts["sweep_stand_in"], "last_task_sweep": None}

    page = login("op_alerts", PASSWORD)
    told = "function (alerts) { return alerts.map(function (a) { return App.alertMessage(a); }); }"
    stored = [alerts["sweep_stand_in"], alerts["sweep_task_queue_back"], alerts["blocked_caller_burst"], alerts["callback_overdue"]]
    assert page.evaluate(told, stored) == [a["message"] for a in stored]
    assert page.evaluate(told, [never])[0].endswith("sejak server web berjalan; server web mengambil alih eskalasi dan notifikasi.")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    last_task = timezone.localtime(timezone.datetime.fromisoformat(alerts["sweep_stand_in"]["last_task_sweep"]))
    burst = alerts["blocked_caller_burst"]
    assert page.evaluate(told, [*stored, never]) == [
        f"The task queue (Redis, Celery beat or the worker) has not run the sweep since {last_task:%H:%M} WIB; "
        "the web servers are taking over escalation and notifications.",
        "The task queue is running the sweep again; the web servers have stopped standing in.",
        f"Blocked number +6281211113333 called {burst['calls']} times in {burst['minutes']} minutes: it may be a real emergency.",
        f"The call-back for ghost call #{ghost.pk} is past its deadline.",
        "The task queue (Redis, Celery beat or the worker) has not run the sweep since the web servers started; "
        "the web servers are taking over escalation and notifications.",
    ]
