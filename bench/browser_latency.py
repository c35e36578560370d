"""Speed as people see it, in real Chromium pages.

1. Ringing -> the row on every open call desk: `--desks` Chromium pages, each logged in as its
   own operator on /desk/, watch their ringing queue with a MutationObserver that stamps
   `performance.timeOrigin + performance.now()` when the call's row (`li[data-call-id]`) is
   added. The PBX account POSTs a `ringing` event (POST /api/v1/telephony/events/); the time
   taken is from just before the POST until the row is on each desk (wall clock of this machine,
   which the pages share). p50 and p99 over every ring x desk; goal p99 <= 150 ms.
2. "Terima" -> the operator's incident page: an agency's staff member has /agency/ open, an
   operator /incidents/<id>/ for a dispatch to that agency; the "Terima" button is clicked in the
   agency page (the click stamped there) and the incident page's observer stamps when that
   dispatch's row shows it acknowledged. p50 and p99; goal p99 <= 300 ms.

Starts its own uvicorn (`--workers`, default 2) on the bench database (bench/common.py), with the
demo accounts (`staf_damkar`, `operator`) and `bench_desk_N` operators it creates. Every ringing
call is hung up afterwards, so the desks' queues stay short.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/browser_latency.py
        [--desks 20] [--rings 20] [--acks 10] [--workers 2] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-renderer-backgrounding",
                 "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"]
WARMUP = 2
WAIT_MS = 15_000

# Stamps the moment an element matching `selector` (with the attribute `key` as its id) is in the
# page: added, or changed by an attribute. window.__seen[id] = epoch milliseconds.
OBSERVER = """([selector, key]) => {
  window.__seen = window.__seen || {};
  const stamp = () => {
    const now = performance.timeOrigin + performance.now();
    document.querySelectorAll(selector).forEach((el) => {
      const id = el.getAttribute(key);
      if (id && !(id in window.__seen)) window.__seen[id] = now;
    });
  };
  if (window.__observer) window.__observer.disconnect();
  window.__observer = new MutationObserver(stamp);
  window.__observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: [key, "data-status"] });
  stamp();
}"""


def prepare_accounts(desks: int) -> tuple[list[str], str]:
    """`bench_desk_N` operators, and the PBX token (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from dispatch.tokens import token_create

    from agencies.models import Membership

    User = get_user_model()
    password = make_password(common.DEMO_PASSWORD)
    names = []
    for i in range(desks):
        user, _ = User.objects.update_or_create(username=f"bench_desk_{i}", defaults={"password": password, "is_active": True})
        Membership.objects.update_or_create(user=user, defaults={"role": "operator", "agency": None})
        names.append(user.username)
    pbx, created = User.objects.get_or_create(username="bench_pbx")
    if created:
        pbx.set_unusable_password()
        pbx.save()
    Membership.objects.update_or_create(user=pbx, defaults={"role": "pbx", "agency": None})
    return names, token_create(user=pbx).key


def session_cookie(username: str) -> dict:
    """A logged-in session for the user, made as the login view makes one (without hashing a
    password 20 times over on a machine the measurement shares)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.get(username=username)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "domain": "127.0.0.1", "path": "/"}


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Token " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


COOKIES: dict[str, dict] = {}  # username -> session cookie, made before the browser's event loop runs


def login(browser, base: str, username: str):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1366, "height": 768})
    context.add_cookies([COOKIES[username]])
    return context.new_page()


def wait_seen(page, key: str) -> float:
    page.wait_for_function("(id) => window.__seen && (id in window.__seen)", arg=key, timeout=WAIT_MS)
    return page.evaluate("(id) => window.__seen[id]", key)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ringing_to_desks(browser, base: str, operators: list[str], pbx_token: str, rings: int) -> list[float]:
    pages = [login(browser, base, name) for name in operators]
    progress(f"{len(pages)} operators logged in")
    for page in pages:
        page.goto(base + "/desk/")
        page.wait_for_selector("#ringing-list", state="attached")
        page.wait_for_function("() => window.Live && window.Live.connected", timeout=WAIT_MS)
        page.evaluate(OBSERVER, ["#ringing-list li[data-call-id]", "data-call-id"])
    progress(f"{len(pages)} desks open and live")
    time.sleep(1.0)  # the sockets are open and have had their hello
    latencies: list[float] = []
    for i in range(-WARMUP, rings):
        pbx_call_id = f"bench-browser-{uuid.uuid4().hex}"
        body = {"event": "ringing", "pbx_call_id": pbx_call_id, "caller_number": f"0812{8000000 + i % 1000000:07d}",
                "at": datetime.now(UTC).isoformat()}
        started = time.time() * 1000
        call_id = str(api(base, pbx_token, "POST", "/api/v1/telephony/events/", body)["id"])
        seen = [wait_seen(page, call_id) for page in pages]
        if i >= 0:
            latencies.extend(t - started for t in seen)
        api(base, pbx_token, "POST", "/api/v1/telephony/events/",
            {"event": "hangup", "pbx_call_id": pbx_call_id, "at": datetime.now(UTC).isoformat()})
        time.sleep(0.2)
        if i % 10 == 9:
            progress(f"{i + 1} rings")
    for page in pages:
        page.context.close()
    return latencies


def acknowledge_to_incident_page(browser, base: str, acks: int) -> list[float]:
    operator_token = common.token(base, "operator")
    agency = login(browser, base, "staf_damkar")
    agency.goto(base + "/agency/")
    agency.wait_for_function("() => window.Live && window.Live.connected", timeout=WAIT_MS)
    floor = login(browser, base, "operator")
    latencies: list[float] = []
    for i in range(-WARMUP, acks):
        call = api(base, operator_token, "POST", "/api/v1/calls/",
                   {"caller_number": f"0813{9000000 + i % 1000000:07d}", "notes": "bench: api di dapur rumah",
                    "location": {"lat": -3.7956, "lon": 102.2659, "address": "Jl. Soeprapto"}})
        classified = api(base, operator_token, "POST", f"/api/v1/calls/{call['id']}/classify/",
                         {"call_type": "emergency", "incident_type": "kebakaran_bangunan"})
        incident_id = classified["incident"]["id"]
        [dispatch] = api(base, operator_token, "POST", f"/api/v1/incidents/{incident_id}/dispatch/", {"agencies": ["DAMKAR"]})["dispatches"]
        floor.goto(f"{base}/incidents/{incident_id}/")
        floor.wait_for_selector(f"tr[data-dispatch-id='{dispatch['id']}']", state="attached")
        floor.wait_for_function("() => window.Live && window.Live.connected", timeout=WAIT_MS)
        floor.evaluate(OBSERVER, ["#incident-dispatches tr[data-status='acknowledged']", "data-dispatch-id"])
        button = f"button[data-action='acknowledge'][data-id='{dispatch['id']}']"
        agency.wait_for_selector(button, timeout=WAIT_MS)
        time.sleep(0.3)  # both pages idle, as a person would find them
        clicked = agency.evaluate(
            "(sel) => { const t = performance.timeOrigin + performance.now(); document.querySelector(sel).click(); return t; }",
            button,
        )
        seen = wait_seen(floor, str(dispatch["id"]))
        if i >= 0:
            latencies.append(seen - clicked)
        api(base, operator_token, "POST", f"/api/v1/dispatches/{dispatch['id']}/status/", {"status": "cancelled", "note": "bench"})
    agency.context.close()
    floor.context.close()
    return latencies


def summary(name: str, values: list[float], goal_p99: float) -> list[dict]:
    return [
        {"name": f"{name}.p50", "value": round(common.percentile(values, 50), 1), "unit": "ms"},
        {"name": f"{name}.p99", "value": round(common.percentile(values, 99), 1), "unit": "ms", "goal": goal_p99},
        {"name": f"{name}.max", "value": round(max(values), 1), "unit": "ms"},
        {"name": f"{name}.samples", "value": len(values), "unit": "count"},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=20)
    parser.add_argument("--rings", type=int, default=20)
    parser.add_argument("--acks", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.quick:
        args.desks, args.rings, args.acks = min(args.desks, 4), min(args.rings, 5), min(args.acks, 3)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}")
    if os.environ.get("BENCH_DB_READY") != "1":
        common.use_bench_env()
    common.ensure_database()
    operators, pbx_token = prepare_accounts(args.desks)
    for username in [*operators, "staf_damkar", "operator"]:
        COOKIES[username] = session_cookie(username)
    from playwright.sync_api import sync_playwright

    proc, base = common.start_server(workers=args.workers)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                ringing = ringing_to_desks(browser, base, operators, pbx_token, args.rings)
                acks = acknowledge_to_incident_page(browser, base, args.acks)
            finally:
                browser.close()
    finally:
        common.stop(proc)
    results = summary(f"browser.ringing_to_desk_{args.desks}", ringing, 150) + summary("browser.terima_to_incident_page", acks, 300)
    common.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
