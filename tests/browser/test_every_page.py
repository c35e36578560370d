"""Every screen each role can open, in Bahasa Indonesia and in English at 1366x768, on a working day's
data (an incident with dispatches, a blocked number, a call under quality review, an earthquake alert):
no sideways scroll, the menu on one line, no raw code (incident slugs, call types, statuses, block levels, shifts, roles), no
text of the other language, and no WCAG 2 A/AA violation. Every page a menu links to is in the list."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.test_catalogs import LOCALE, _entries

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("EVERY_PAGE_SHOTS", "/tmp/shots-pages"))
VIEWPORT = {"width": 1366, "height": 768}

# (role, name, path, what is done on the page before it is looked at). {incident} and {call} are the
# working day's incident and its first call.
PAGES = [
    ("anonymous", "login", "/login/", None),
    ("anonymous", "not-found", "/no-such-page/", "answer_as_in_production"),
    ("anonymous", "wall-link-unknown", "/wall/open/not-a-link/", None),
    ("operator", "desk", "/desk/", None),
    ("operator", "desk-today", "/desk/", "open_today"),
    ("operator", "desk-dispatch-panel", "/desk/", "take_an_emergency"),
    ("operator", "board", "/board/", None),
    ("operator", "incident", "/incidents/{incident}/", None),
    ("operator", "disaster", "/disaster/", None),
    ("operator", "forbidden", "/reports/daily/", None),
    ("agency", "console", "/agency/", None),
    ("agency", "incident", "/incidents/{incident}/", None),
    ("agency", "disaster", "/disaster/", None),
    ("agency-admin", "console", "/agency/", None),
    ("agency-admin", "posts", "/posts/", None),
    ("supervisor", "wall", "/wall/", None),
    ("supervisor", "desk", "/desk/", None),
    ("supervisor", "board", "/board/", None),
    ("supervisor", "incident", "/incidents/{incident}/", None),
    ("supervisor", "reports", "/reports/", None),
    ("supervisor", "daily", "/reports/daily/", None),
    ("supervisor", "call", "/reports/calls/{call}/", None),
    ("supervisor", "kpi", "/reports/kpi/", None),
    ("supervisor", "charts", "/reports/charts/", None),
    ("supervisor", "monthly", "/reports/monthly/", None),
    ("supervisor", "blocks", "/supervisor/blocks/", None),
    ("supervisor", "quality", "/supervisor/quality/", None),
    ("supervisor", "routing", "/routing/", None),
    ("supervisor", "wall-devices", "/wall/devices/", None),
    ("supervisor", "disaster", "/disaster/", None),
    ("supervisor", "2fa-verify", "/account/2fa/verify/", None),
    ("supervisor", "2fa-setup", "/account/2fa/setup/", None),
]
USERS = {"operator": "op_pages", "agency": "damkar_pages", "agency-admin": "damkar_admin_pages", "supervisor": "spv_pages"}
# Links that download a file rather than open a screen.
DOWNLOADS = re.compile(r"\.(csv|pdf|xlsx)$|/export/|/pdf/|/i18n/|/logout/")
# Menus: the header's, the reports' and the links a screen offers to another (the disaster board, the wall's devices).
MENU_LINKS = "nav a[href], header a[href], a.disaster-link[href], main > .row a[href]"

VISIBLE_TEXT = """() => {
  const parts = [document.body.innerText];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
    if (own.trim()) parts.push(own);
    if (el.placeholder) parts.push(el.placeholder);
    if (el.tagName === 'SELECT') for (const o of el.options) parts.push(o.text);
  }
  return parts.join('\\n');
}"""


def _catalog() -> list[tuple[str, str]]:
    """(Indonesian, English) of every message the pages and their scripts show."""
    pairs = []
    for domain in ("django", "djangojs"):
        for entry in _entries(LOCALE / f"{domain}.po"):
            if "msgid_plural" in entry:
                pairs += [(entry["msgid"], entry.get("msgstr[0]", "")), (entry["msgid_plural"], entry.get("msgstr[1]", ""))]
            else:
                pairs.append((entry["msgid"], entry.get("msgstr", "")))
    from agencies.models import IncidentType

    pairs += list(IncidentType.objects.values_list("label_id", "label_en"))
    return [(i.strip(), e.strip()) for i, e in pairs if i and e]


def _words(texts) -> set[str]:
    return {w for text in texts for w in re.findall(r"[A-Za-z_]+", text)}


def _codes() -> set[str]:
    """The codes the data keeps: every choice of every model, the incident types, the shifts."""
    from django.apps import apps

    from agencies.models import IncidentType
    from dispatch.shifts import SHIFTS

    codes = {shift[0] for shift in SHIFTS} | set(IncidentType.objects.values_list("code", flat=True)) | {"unclassified"}
    for model in apps.get_models():
        if model._meta.app_label not in {"calls", "dispatch", "reports", "agencies", "hazards", "displays", "push"}:
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value):
                    codes.add(value)
    return codes


def _rules(language: str) -> tuple[re.Pattern, set[str], set[str]]:
    """What may not be read in `language`: a code as a word (unless the language's own wording uses
    that word, as English does "open"), a code as the whole text of a line or an element (unless it
    is a whole message of the language), and the other language's text where the two differ."""
    pairs = _catalog()
    own = [i for i, _ in pairs] if language == "id" else [e for _, e in pairs]
    other = {e for i, e in pairs if i != e} if language == "id" else {i for i, e in pairs if i != e}
    foreign = {t for t in other - set(own) if "%" not in t and "{" not in t and len(t) > 2}
    codes = _codes()
    words = sorted(codes - _words(own))
    whole = codes - set(own)  # "active" is English for "aktif" as well as a status code
    return re.compile(r"(?<![\w/.#@-])(" + "|".join(map(re.escape, words)) + r")(?![\w/.@-])"), whole, foreign


def _a_working_day(make_user) -> dict:
    """A fire dispatched to two agencies (one on its way), a ghost call waiting for its call-back, a
    prank caller blocked, the shift's quality sample, an earthquake alert, a wall display, two posts
    (one placed, one without a point) and DAMKAR's agency admin."""
    from agencies.models import Agency, Station
    from agencies.services import agency_admin_upsert
    from calls import blocking, quality
    from calls import services as call_services
    from dispatch import services as dispatch_services
    from dispatch.models import Dispatch
    from dispatch.shifts import shift_of
    from displays.services import wall_device_create
    from hazards.services import alert_receive_cap
    from tests.factories import PASSWORD
    from tests.hazards.conftest import cap_at

    operator = make_user("operator", username=USERS["operator"])
    staff = make_user("agency", "DAMKAR", username=USERS["agency"])
    agency_admin_upsert(username=USERS["agency-admin"], agency_code="DAMKAR", password=PASSWORD, validate=False)
    damkar_agency = Agency.objects.get(code="DAMKAR")
    Station.objects.create(agency=damkar_agency, name="Pos Damkar Kota", lat=-3.7956, lon=102.2592, approximate=True,
                           source="a public listing")
    Station.objects.create(agency=damkar_agency, name="Pos Damkar Selebar", source="a public listing")
    supervisor = make_user("supervisor", username=USERS["supervisor"])
    place = call_services.Location(lat=-3.7956, lon=102.2659, address="Jl. Soeprapto")
    fire, _ = call_services.call_create(operator=operator, caller_number="081277712001", notes="api di ruko, dua lantai", location=place)
    fire = call_services.call_classify(call_id=fire.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    dispatch_services.incident_dispatch(incident_id=fire.incident_id, user=operator, agency_codes=["DAMKAR", "POLRESTA"])
    damkar = Dispatch.objects.get(incident_id=fire.incident_id, agency__code="DAMKAR")
    dispatch_services.dispatch_acknowledge(dispatch_id=damkar.pk, user=staff)
    dispatch_services.dispatch_set_status(dispatch_id=damkar.pk, user=staff, status="en_route")
    dispatch_services.incident_add_note(incident_id=fire.incident_id, user=operator, text="Pemilik ruko sudah keluar.")
    for n, kind in enumerate(["ghost", "prank", "prank", "information", "complaint"]):
        call, _ = call_services.call_create(operator=operator, caller_number=f"08127771300{n}")
        call_services.call_classify(call_id=call.pk, user=operator, call_type=kind)
    blocking.block_manual(caller_number="+6281277713001", user=supervisor, reason="Iseng berulang", hours=24)
    day, shift = shift_of(datetime.now(timezone.utc))
    quality.sample_shift(day=day, shift=shift, rate=1.0)
    alert_receive_cap(data=cap_at("cap_earthquake.xml", sent=datetime.now(timezone.utc), tag=uuid.uuid4().hex[:8]))
    wall_device_create(by=supervisor, name="Layar ruang kendali")
    return {"incident": fire.incident_id, "call": fire.pk, "supervisor": supervisor}


def _log_in(login_at, base: str, role: str, data: dict):
    from tests.factories import PASSWORD

    if role == "supervisor":
        from django_otp.oath import TOTP
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=data["supervisor"], name="test", confirmed=True)
        page = login_at(base, USERS[role], PASSWORD, viewport=VIEWPORT)
        page.fill("input[name=token]", str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6))
        page.locator("input[name=token]").press("Enter")
        page.wait_for_load_state("networkidle")
        return page
    return login_at(base, USERS[role], PASSWORD, viewport=VIEWPORT)


def _open_today(page) -> None:
    page.click("details.today summary")
    expect(page.locator("#today")).to_be_visible()


def _take_an_emergency(page) -> None:
    page.fill("#caller-number", "0812 7000 " + uuid.uuid4().hex[:4].translate(str.maketrans("abcdef", "123456")))
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_contain_text("#")
    page.fill("#notes", "orang pingsan di pasar")
    page.select_option("#incident-type", "darurat_medis")
    page.keyboard.press("Alt+1")
    expect(page.locator("#dispatch-incident")).to_be_visible()


def _answer_as_in_production(page, base: str, path: str, language: str) -> None:
    """The test server runs with DEBUG, which answers an unknown address with Django's technical
    page; the page a person gets in production (DEBUG off, the project's handler) is served instead."""
    from django.test import Client, override_settings

    client = Client()
    client.cookies["django_language"] = language
    with override_settings(DEBUG=False):
        answer = client.get(path)
    page.route(base + path, lambda route: route.fulfill(status=answer.status_code, body=answer.content,
                                                        content_type=answer["Content-Type"]))


ACTIONS = {"open_today": _open_today, "take_an_emergency": _take_an_emergency}
BEFORE = {"answer_as_in_production": _answer_as_in_production}


def _normalised(path: str) -> str:
    return re.sub(r"/\d+/", "/{id}/", path.split("?", 1)[0].split("#", 1)[0])


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("role", ["anonymous", "operator", "agency", "agency-admin", "supervisor"])
def test_every_page_of_every_role_fits_reads_in_words_in_its_language_and_passes_axe(ref, make_user, chromium, login_at, asgi_server, role, language):
    data = _a_working_day(make_user)
    code_words, codes, foreign = _rules(language)
    if role == "anonymous":
        context = chromium.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport=VIEWPORT)
        page = context.new_page()
    else:
        context = None
        page = _log_in(login_at, asgi_server, role, data)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": asgi_server}])
    SHOTS.mkdir(parents=True, exist_ok=True)
    prefix = os.environ.get("EVERY_PAGE_SHOTS_PREFIX", "")
    problems, linked = [], set()
    try:
        for page_role, name, path, action in PAGES:
            if page_role != role:
                continue
            if action in BEFORE:
                BEFORE[action](page, asgi_server, path, language)
            page.goto(asgi_server + path.format(**data))
            page.wait_for_load_state("networkidle")
            if action in ACTIONS:
                ACTIONS[action](page)
            assert page.evaluate("document.documentElement.lang") == language, (name, "language not applied")
            page.screenshot(path=str(SHOTS / f"{prefix}{role}-{name}-{language}-1366x768.png"))
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                problems.append(f"{name}: scrolls sideways ({width[0]} px in {width[1]})")
            menu_lines = page.evaluate("new Set(Array.from(document.querySelectorAll('header nav a'), a => Math.round(a.getBoundingClientRect().top))).size")
            if menu_lines > 1:
                problems.append(f"{name}: the menu takes {menu_lines} lines")
            text = page.evaluate(VISIBLE_TEXT)
            fragments = {re.sub(r"\s+", " ", line).strip(" :·") for line in text.splitlines()}
            found = sorted(set(code_words.findall(text)) | (fragments & codes))
            if found:
                problems.append(f"{name}: codes shown {found}")
            untranslated = sorted(fragments & foreign)
            if untranslated:
                problems.append(f"{name}: other language shown {untranslated}")
            violations = axe_violations(page)
            if violations:
                problems.append(f"{name}: axe {violations}")
            for href in page.eval_on_selector_all(MENU_LINKS, "els => els.map(a => a.href)"):
                if href.startswith(asgi_server) and not DOWNLOADS.search(href):
                    linked.add(_normalised(href[len(asgi_server):]))
    finally:
        if context is not None:
            context.close()
    covered = {_normalised(path.format(incident=1, call=1)) for _, _, path, _ in PAGES} | {"/"}
    missing = sorted(linked - covered)
    assert not missing, f"linked from a menu but not checked here: {missing}"
    assert not problems, "\n".join(problems)
