"""The city map (static/js/map.js): names from the data are shown as text in tooltips, never read as
HTML; street tiles from MAP_TILE_URL are drawn under the outlines, and when the tile server fails
the map falls back to the outlines alone."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agencies.models import Kelurahan
from calls import services as call_services
from dispatch import services as dispatch_services
from tests.browser.a11y import axe_violations
from tests.browser.support import wait_js
from tests.factories import PASSWORD
from tests.servers import free_port, start_server, stop_process
from tests.stub_http import StubServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKUP = '<img src="x" class="injected" onerror="window.injected = true">'
SHOTS = Path("/tmp/shots-map")
ATTRIBUTION = "© Peta Uji <b>Kota</b> & kontributor"
# Inside kelurahan Pagar Dewa (its centroid).
PAGAR_DEWA = (-3.84067, 102.32073)


def test_a_kelurahan_name_with_markup_shows_as_text_in_the_map_tooltip(ref, make_user, login, asgi_server):
    Kelurahan.objects.update(name=MARKUP)
    make_user("operator", username="op_map")
    page = login("op_map", PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_function("document.querySelectorAll('#map .leaflet-interactive').length > 0")
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    tooltip = page.locator(".leaflet-tooltip")
    # Move across the map until the pointer is over a kelurahan.
    for fx in (0.5, 0.4, 0.6, 0.3, 0.7):
        for fy in (0.5, 0.4, 0.6):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            if tooltip.count():
                break
        if tooltip.count():
            break
    expect(tooltip.first).to_contain_text('<img src="x"')
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("window.injected === undefined")


# --- street tiles -------------------------------------------------------------------------------


def _png(width: int = 256, height: int = 256) -> bytes:
    """A light tile with a darker edge and a diagonal "street", so tiles show in a screenshot."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            if x == 0 or y == 0:
                row += bytes((180, 175, 165))
            elif abs(x - y) < 4:
                row += bytes((255, 255, 255))
            else:
                row += bytes((236, 230, 218))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


class TileServer(StubServer):
    """A local tile server: a PNG for any /z/x/y.png (or a 500 while `failing`), counting requests."""

    def __init__(self) -> None:
        self.tile = _png()
        self.requests: list[str] = []
        self.referers: list[str | None] = []
        self.failing = False
        super().__init__(self._answer)
        self.url = self.base + "/{z}/{x}/{y}.png"

    def _answer(self, request) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(request.path)
        self.referers.append(request.headers.get("Referer"))
        parts = request.path.split("?")[0].strip("/").split("/")
        if self.failing or len(parts) != 3 or not parts[2].endswith(".png"):
            return 500, {"Content-Type": "text/plain"}, b"tile server error"
        return 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}, self.tile


def _services_or_skip():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the live server needs PostgreSQL and Redis")


@pytest.fixture(scope="module")
def tiles():
    server = TileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def tiled_server(django_db_setup, django_db_blocker, tiles):
    """The project served with MAP_TILE_URL pointing at the local tile server."""
    _services_or_skip()
    proc, base = start_server({"SWEEP_FALLBACK_SECONDS": "0", "MAP_TILE_URL": tiles.url, "MAP_TILE_ATTRIBUTION": ATTRIBUTION})
    yield base
    stop_process(proc)


@pytest.fixture(scope="module")
def closed_tiles_server(django_db_setup, django_db_blocker):
    """The project served with MAP_TILE_URL pointing at a port nobody listens on."""
    _services_or_skip()
    url = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"
    proc, base = start_server({"SWEEP_FALLBACK_SECONDS": "0", "MAP_TILE_URL": url, "MAP_TILE_ATTRIBUTION": ATTRIBUTION})
    yield base
    stop_process(proc)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _tile_state(page, selector: str) -> str:
    state = f"document.querySelector({selector!r}).dataset.tilesState"
    return wait_js(page, f"['loaded', 'failed'].includes({state}) && {state}", timeout=15)


def _assert_tiles_drawn_under_outlines(page, map_selector: str, tiles: TileServer) -> None:
    assert _tile_state(page, map_selector) == "loaded"
    tile_base = tiles.url.split("{z}")[0]
    loaded = page.locator(f"{map_selector} .leaflet-tile-pane img.leaflet-tile-loaded")
    expect(loaded.first).to_be_attached()
    assert all(src.startswith(tile_base) for src in loaded.evaluate_all("els => els.map(e => e.src)"))
    assert page.locator(f"{map_selector} path.leaflet-interactive").count() > 0
    # The outlines' pane lies above the tiles'.
    panes = page.evaluate(
        f"""(function () {{
          const m = document.querySelector({map_selector!r});
          const z = (name) => parseInt(getComputedStyle(m.querySelector('.leaflet-' + name + '-pane')).zIndex, 10);
          return [z('tile'), z('overlay')];
        }})()"""
    )
    assert panes[0] < panes[1]


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}], ids=["1366x768", "1920x1080"])
def test_the_desk_map_draws_street_tiles_from_the_tile_server_with_its_attribution_as_text(
    ref, make_user, login_at, tiled_server, tiles, viewport
):
    tiles.failing = False
    make_user("operator", username="op_tiles")
    before = len(tiles.requests)
    page = login_at(tiled_server, "op_tiles", viewport=viewport)
    page.locator("#map").scroll_into_view_if_needed()
    _assert_tiles_drawn_under_outlines(page, "#map", tiles)
    assert len(tiles.requests) > before
    # The tile server learns the site's origin, never the page's path.
    assert set(tiles.referers[before:]) == {tiled_server + "/"}
    attribution = page.locator("#map .leaflet-control-attribution")
    expect(attribution).to_be_visible()
    expect(attribution).to_contain_text(ATTRIBUTION)
    assert attribution.locator("b").count() == 0
    _shot(page, f"desk-tiles-{viewport['width']}x{viewport['height']}.png")
    assert axe_violations(page) == []


def test_when_the_tile_server_answers_500_the_desk_map_falls_back_to_the_outlines(ref, make_user, login_at, tiled_server, tiles):
    tiles.failing = True
    try:
        make_user("operator", username="op_tiles_500")
        before = len(tiles.requests)
        page = login_at(tiled_server, "op_tiles_500", viewport={"width": 1366, "height": 768})
        page.locator("#map").scroll_into_view_if_needed()
        assert _tile_state(page, "#map") == "failed"
        assert len(tiles.requests) > before
        assert page.locator("#map .leaflet-tile-pane img").count() == 0
        assert page.locator("#map path.leaflet-interactive").count() > 0
        _shot(page, "desk-tiles-500-1366x768.png")
        assert axe_violations(page) == []
    finally:
        tiles.failing = False


def test_when_the_tile_server_is_unreachable_the_desk_map_falls_back_to_the_outlines(ref, make_user, login_at, closed_tiles_server):
    make_user("operator", username="op_tiles_closed")
    page = login_at(closed_tiles_server, "op_tiles_closed", viewport={"width": 1366, "height": 768})
    page.locator("#map").scroll_into_view_if_needed()
    assert _tile_state(page, "#map") == "failed"
    assert page.locator("#map .leaflet-tile-pane img").count() == 0
    assert page.locator("#map path.leaflet-interactive").count() > 0
    expect(page.locator("#map .leaflet-control-attribution")).not_to_contain_text("Peta Uji")
    _shot(page, "desk-tiles-unreachable-1366x768.png")


def test_the_incident_page_and_each_agency_card_map_draw_the_tiles(ref, make_user, login_at, tiled_server, tiles):
    tiles.failing = False
    operator = make_user("operator", username="op_tiles_card")
    make_user("agency", agency="DAMKAR", username="damkar_tiles")
    location = call_services.Location(lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], address="Jl. Pagar Dewa")
    call, _ = call_services.call_create(operator=operator, caller_number="081234567900", notes="api di ruko", location=location)
    call = call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    [dispatch] = dispatch_services.incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=["DAMKAR"])

    incident = login_at(tiled_server, "op_tiles_card", viewport={"width": 1366, "height": 768})
    incident.goto(f"{tiled_server}/incidents/{call.incident_id}/")
    incident.locator("#loc-map").scroll_into_view_if_needed()
    _assert_tiles_drawn_under_outlines(incident, "#loc-map", tiles)
    expect(incident.locator("#loc-map .leaflet-control-attribution")).to_contain_text(ATTRIBUTION)
    _shot(incident, "incident-tiles-1366x768.png")

    console = login_at(tiled_server, "damkar_tiles", viewport={"width": 1366, "height": 768})
    card_map = f"article[data-dispatch-id='{dispatch.pk}'] .map"
    console.locator(card_map).scroll_into_view_if_needed()
    _assert_tiles_drawn_under_outlines(console, card_map, tiles)
    expect(console.locator(f"{card_map} .leaflet-control-attribution")).to_contain_text(ATTRIBUTION)
    _shot(console, "agency-tiles-1366x768.png")
    assert axe_violations(console) == []
