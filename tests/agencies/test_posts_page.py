"""The "Pos instansi" page: who may place which post (a table of role x own/other agency), the form's
answers to bad input, CSRF, the menu and both languages."""

from __future__ import annotations

import pytest
from django.test import Client

from agencies.models import Agency, Station
from agencies.services import agency_admin_group
from dispatch.models import AuditLog

pytestmark = pytest.mark.django_db

PAGAR_DEWA = {"lat": "-3.84067", "lon": "102.32073"}
ROLES = ("anonymous", "operator", "supervisor", "admin", "pbx", "feed", "staf_damkar", "admin_damkar")

# action: (method, path template)
ACTIONS = {
    "page": ("get", "/posts/"),
    "select_own": ("get", "/posts/?post={damkar}"),
    "select_other": ("get", "/posts/?post={polresta}"),
    "place_own": ("post", "/posts/{damkar}/"),
    "place_other": ("post", "/posts/{polresta}/"),
}
# Own = Damkar's post, other = Polresta's. Anonymous goes to the login page. Who may place no post
# at all is refused the page (403); an agency admin does not see another agency's posts (404).
EXPECTED = {
    #               anon operator superv admin  pbx  feed  staf  admin_damkar
    "page":         (302, 403, 403, 200, 403, 403, 403, 200),
    "select_own":   (302, 403, 403, 200, 403, 403, 403, 200),
    "select_other": (302, 403, 403, 200, 403, 403, 403, 404),
    "place_own":    (302, 403, 403, 302, 403, 403, 403, 302),
    "place_other":  (302, 403, 403, 302, 403, 403, 403, 404),
}


def _verified_client(user) -> Client:
    """A browser session of the user, past the second factor where the role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    if user is None:
        return client
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="posts", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def users(ref, make_user):
    damkar_admin = make_user("agency", "DAMKAR")
    damkar_admin.groups.add(agency_admin_group())
    return {
        "anonymous": None,
        "operator": make_user("operator"),
        "supervisor": make_user("supervisor"),
        "admin": make_user("admin"),
        "pbx": make_user("pbx"),
        "feed": make_user("feed"),
        "staf_damkar": make_user("agency", "DAMKAR"),
        "admin_damkar": damkar_admin,
    }


@pytest.fixture
def stations(ref):
    return {
        "damkar": Station.objects.create(agency=Agency.objects.get(code="DAMKAR"), name="Pos Damkar Uji"),
        "polresta": Station.objects.create(agency=Agency.objects.get(code="POLRESTA"), name="Polsek Uji", lat=-3.80, lon=102.27,
                                           approximate=True),
    }


@pytest.mark.parametrize("role", ROLES)
def test_access_table(users, stations, role):
    column = ROLES.index(role)
    ids = {name: station.pk for name, station in stations.items()}
    got, wanted = {}, {}
    for action, (method, template) in ACTIONS.items():
        client = _verified_client(users[role])
        path = template.format(**ids)
        response = client.post(path, PAGAR_DEWA) if method == "post" else client.get(path)
        got[action], wanted[action] = response.status_code, EXPECTED[action][column]
    assert got == wanted
    placed = {name for name, station in stations.items() if Station.objects.get(pk=station.pk).lat == float(PAGAR_DEWA["lat"])}
    expected_placed = {"admin": {"damkar", "polresta"}, "admin_damkar": {"damkar"}}.get(role, set())
    assert placed == expected_placed


def test_saving_redirects_to_the_post_with_a_message_and_an_audit_row(users, stations):
    client = _verified_client(users["admin_damkar"])
    post = stations["damkar"]
    response = client.post(f"/posts/{post.pk}/", {**PAGAR_DEWA, "checked": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/posts/?post={post.pk}"
    html = response.content.decode()
    assert "Posisi Pos Damkar Uji disimpan dan ditandai sudah dicek." in html
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (-3.84067, 102.32073, False)
    assert AuditLog.objects.filter(action="station.place", object_id=str(post.pk), username=users["admin_damkar"].username).count() == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"lat": "-3.84"}, {"lat": "abc", "lon": "102.32"}, {"lat": "NaN", "lon": "102.32"}, {"lat": "-3.84", "lon": "Infinity"},
     {"lat": "-95", "lon": "102.32"}, {"lat": "-3.84", "lon": "200"}, {"lat": "-6.2", "lon": "106.8"}],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(users, stations, body):
    client = _verified_client(users["admin_damkar"])
    post = stations["damkar"]
    response = client.post(f"/posts/{post.pk}/", {**body, "checked": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert any(text in html for text in ("wajib berupa angka", "Koordinat tidak mungkin", "di luar Kota Bengkulu"))
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (None, None, False)
    assert not AuditLog.objects.filter(action="station.place").exists()


def test_a_decimal_comma_is_read_as_a_point_and_the_form_shows_points_with_a_dot(users, stations):
    client = _verified_client(users["admin_damkar"])
    post = stations["damkar"]
    client.post(f"/posts/{post.pk}/", {"lat": "-3,84067", "lon": "102,32073"})
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (-3.84067, 102.32073, True)
    html = client.get(f"/posts/?post={post.pk}").content.decode()
    assert 'value="-3.84067"' in html and 'value="102.32073"' in html


def test_a_save_without_the_csrf_token_is_refused(users, stations):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin_damkar"])
    post = stations["damkar"]
    assert client.post(f"/posts/{post.pk}/", PAGAR_DEWA).status_code == 403
    post.refresh_from_db()
    assert post.lat is None


def test_the_page_lists_the_agencys_own_posts_and_maps_every_post_with_a_point(users, stations):
    html = _verified_client(users["admin_damkar"]).get(f"/posts/?post={stations['damkar'].pk}").content.decode()
    assert "Pos Damkar Uji" in html and "belum ada titik" in html
    listed = html.split('class="posts-list')[1].split("</nav>")[0]
    assert "Polsek Uji" not in listed  # another agency's post is not in the list ...
    assert '"name": "Polsek Uji"' in html and '"approximate": true' in html  # ... but on the map, approximate
    assert 'name="lat"' in html and 'name="lon"' in html and 'name="checked"' in html


def test_the_page_speaks_english_when_chosen(users, stations):
    client = _verified_client(users["admin"])
    client.cookies["django_language"] = "en"
    html = client.get(f"/posts/?post={stations['polresta'].pk}").content.decode()
    for english in ("Agency posts", "Save position", "Latitude", "Longitude", "approximate", "Posts you may edit"):
        assert english in html, english
    for indonesian in ("Simpan posisi", "Lintang", "Pos yang dapat Anda ubah", "Tanpa tanda dicek"):
        assert indonesian not in html, indonesian


@pytest.mark.parametrize("role, shown", [("admin", True), ("admin_damkar", True), ("staf_damkar", False), ("operator", False),
                                         ("supervisor", False)])
def test_the_posts_page_is_in_the_menu_of_admins_and_agency_admins_only(users, role, shown):
    html = _verified_client(users[role]).get("/", follow=True).content.decode()
    assert ('href="/posts/"' in html) is shown


def test_the_demo_accounts_include_an_agency_admin_of_damkar(ref):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from agencies.selectors import post_edit_scope

    for _ in range(2):  # idempotent
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
    assert "admin_damkar" in out.getvalue()
    User = get_user_model()
    assert post_edit_scope(User.objects.get(username="admin_damkar")) == "DAMKAR"
    assert post_edit_scope(User.objects.get(username="staf_damkar")) is None
