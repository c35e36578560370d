"""Street tiles under the maps (dispatch/tiles.py): the map elements' attributes, the CSP's
img-src, and the system check of MAP_TILE_URL."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.test import Client

from dispatch.checks import check_map_tile_url
from dispatch.tiles import tile_csp_source, tile_url_problems

pytestmark = pytest.mark.django_db

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
CITY = "https://{s}.peta.bengkulukota.go.id:8443/tiles/{z}/{x}/{y}.png"
MAP_ELEMENTS = {"/desk/": "map", "/wall/": "wall-map", "/agency/": "agency", "/reports/charts/": "report-map"}


@pytest.fixture
def map_pages(ref, make_user, open_incident):
    """Each page with a map, with the id of the element the map is drawn from (or copied from)."""
    operator = make_user("operator", username="op_tiles")
    incident = open_incident(user=operator)
    users = {
        "/desk/": operator,
        f"/incidents/{incident.pk}/": operator,
        "/wall/": make_user("supervisor", username="sup_tiles"),
        "/agency/": make_user("agency", "DAMKAR", username="damkar_tiles"),
        "/reports/charts/": make_user("supervisor", username="sup_tiles_reports"),
    }
    pages = []
    for path, user in users.items():
        client = Client()
        client.force_login(user)
        pages.append((client, path, MAP_ELEMENTS.get(path, "loc-map")))
    return pages


def _map_element(html: str, element_id: str) -> str:
    match = re.search(r'<div id="%s"[^>]*>' % element_id, html)
    assert match, element_id
    return match.group(0)


def _img_src(response) -> list[str]:
    csp = response["Content-Security-Policy"]
    return next(part.split()[1:] for part in csp.split(";") if part.strip().startswith("img-src"))


def test_without_a_tile_url_no_map_carries_tiles_and_img_src_names_no_other_host(settings, map_pages):
    settings.MAP_TILE_URL = ""
    settings.MAP_TILE_ATTRIBUTION = ""
    for client, path, element_id in map_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        element = _map_element(response.content.decode(), element_id)
        assert "data-geojson=" in element
        assert "data-tiles" not in element, path
        assert _img_src(response) == ["'self'", "data:"], path


def test_with_a_tile_url_every_map_carries_it_and_its_attribution(settings, map_pages):
    settings.MAP_TILE_URL = OSM
    settings.MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    for client, path, element_id in map_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        element = _map_element(response.content.decode(), element_id)
        assert f'data-tiles="{OSM}"' in element, path
        assert 'data-tiles-attribution="© OpenStreetMap contributors"' in element, path
        assert _img_src(response) == ["'self'", "data:", "https://tile.openstreetmap.org"], path


def test_the_attribution_is_escaped_in_the_attribute(settings, ref, operator):
    settings.MAP_TILE_URL = OSM
    settings.MAP_TILE_ATTRIBUTION = '<a href="x" onclick="y">Peta</a> "kota"'
    client = Client()
    client.force_login(operator)
    element = _map_element(client.get("/desk/").content.decode(), "map")
    assert 'data-tiles-attribution="&lt;a href=&quot;x&quot; onclick=&quot;y&quot;&gt;Peta&lt;/a&gt; &quot;kota&quot;"' in element


def test_the_tile_host_is_allowed_in_img_src_alone(settings, ref, operator):
    settings.MAP_TILE_URL = CITY
    client = Client()
    client.force_login(operator)
    response = client.get("/desk/")
    assert _img_src(response) == ["'self'", "data:", "https://*.peta.bengkulukota.go.id:8443"]
    csp = response["Content-Security-Policy"]
    assert csp.count("peta.bengkulukota.go.id") == 1
    assert "connect-src 'self' ws://testserver;" in csp
    assert "default-src 'self';" in csp


def test_the_login_page_names_the_tile_host_too_and_no_host_when_unset(settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:8081/{z}/{x}/{y}.png"
    assert _img_src(Client().get("/login/")) == ["'self'", "data:", "http://127.0.0.1:8081"]
    settings.MAP_TILE_URL = ""
    assert _img_src(Client().get("/login/")) == ["'self'", "data:"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        (OSM, "https://tile.openstreetmap.org"),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        (CITY, "https://*.peta.bengkulukota.go.id:8443"),
        ("http://10.0.0.5/osm/{z}/{x}/{y}.png?style=light", "http://10.0.0.5"),
        ("", ""),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", ""),
        ("https://tiles-{s}.example.org/{z}/{x}/{y}.png", ""),
    ],
)
def test_the_csp_source_is_the_scheme_and_host_of_the_template(url, source):
    assert tile_csp_source(url) == source


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "javascript:alert(1)//{z}/{x}/{y}",
        "tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https:///{z}/{x}/{y}.png",
        "https://tile.openstreetmap.org/{z}/{x}.png",
        "https://tile.openstreetmap.org/tiles.png",
        "https://tiles-{s}.example.org/{z}/{x}/{y}.png",
        "https://{z}.example.org/{z}/{x}/{y}.png",
    ],
)
def test_the_check_refuses_a_tile_url_that_is_not_http_or_lacks_a_placeholder(settings, url):
    settings.MAP_TILE_URL = url
    errors = check_map_tile_url(None)
    assert [error.id for error in errors] == ["dispatch.E002"]
    assert tile_url_problems(url)
    assert "dispatch.E002" in {message.id for message in run_checks()}


@pytest.mark.parametrize("url", ["", OSM, CITY, "http://127.0.0.1:8081/{z}/{x}/{y}.png"])
def test_the_check_accepts_an_unset_or_usable_tile_url(settings, url):
    settings.MAP_TILE_URL = url
    assert check_map_tile_url(None) == []
    assert tile_url_problems(url) == []


def test_the_check_names_what_is_missing(settings):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}.png"
    (error,) = check_map_tile_url(None)
    assert "{y}" in error.msg and "{z}" not in error.msg.split("lacks")[1]


def test_compose_sets_openstreetmaps_tiles_as_a_usable_template_with_their_attribution():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    env = compose["x-app-env"]
    assert env["MAP_TILE_URL"] == OSM
    assert env["MAP_TILE_ATTRIBUTION"] == "© OpenStreetMap contributors"
    # Compose would interpolate a "$": the template's braces must reach the app as written.
    assert "$" not in env["MAP_TILE_URL"]
    assert tile_url_problems(env["MAP_TILE_URL"]) == []
