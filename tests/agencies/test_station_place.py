"""`station_place`: an admin or an agency admin places or moves a post; checked or still approximate;
refused outside Kota Bengkulu and for bad coordinates; audited; the loader leaves the edit alone."""

from __future__ import annotations

import json
import math

import pytest
from django.conf import settings
from django.http import Http404

from agencies.loader import load_stations
from agencies.models import Agency, Kelurahan, Station
from agencies.selectors import nearest_post
from agencies.services import POST_NEAR_CITY_M, agency_admin_group, station_place
from dispatch.errors import Forbidden, InvalidInput
from dispatch.models import AuditLog

pytestmark = pytest.mark.django_db

PAGAR_DEWA = (-3.84067, 102.32073)  # the centre of kelurahan Pagar Dewa


@pytest.fixture
def admin(ref, make_user):
    return make_user("admin")


@pytest.fixture
def damkar_admin(ref, make_user):
    user = make_user("agency", "DAMKAR")
    user.groups.add(agency_admin_group())
    return user


@pytest.fixture
def post(ref):
    return Station.objects.create(agency=Agency.objects.get(code="DAMKAR"), name="Pos Damkar Uji")


def _southernmost_vertex() -> tuple[float, float]:
    def points(coords):
        if isinstance(coords[0], (int, float)):
            yield coords
        else:
            for inner in coords:
                yield from points(inner)

    lon, lat = min((p for k in Kelurahan.objects.exclude(boundary=None) for p in points(k.boundary["coordinates"])),
                   key=lambda p: p[1])
    return lat, lon


def test_an_agency_admin_places_a_post_without_a_point_and_it_stays_approximate(post, damkar_admin):
    placed = station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=False, user=damkar_admin)
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (PAGAR_DEWA[0], PAGAR_DEWA[1], True)
    assert placed.pk == post.pk
    found = nearest_post(post.agency, PAGAR_DEWA[0] + 0.001, PAGAR_DEWA[1])
    assert found.station.pk == post.pk and found.approximate


def test_a_post_marked_as_checked_is_no_longer_approximate(post, damkar_admin):
    station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=True, user=damkar_admin)
    post.refresh_from_db()
    assert post.approximate is False


def test_moving_a_checked_post_without_checking_again_makes_it_approximate(post, admin):
    station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=True, user=admin)
    station_place(station_id=post.pk, lat=PAGAR_DEWA[0] + 0.002, lon=PAGAR_DEWA[1], checked=False, user=admin)
    post.refresh_from_db()
    assert post.lat == pytest.approx(PAGAR_DEWA[0] + 0.002) and post.approximate is True


def test_a_placement_is_audited_with_who_before_and_after(post, damkar_admin):
    station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=False, user=damkar_admin)
    station_place(station_id=post.pk, lat=PAGAR_DEWA[0] + 0.001, lon=PAGAR_DEWA[1] + 0.001, checked=True, user=damkar_admin)
    rows = list(AuditLog.objects.filter(action="station.place", object_id=str(post.pk)).order_by("at", "pk"))
    assert len(rows) == 2
    first, second = rows
    assert first.user_id == damkar_admin.pk and first.username == damkar_admin.username and first.agency_code == "DAMKAR"
    assert first.detail["before"] == {"lat": None, "lon": None, "approximate": False}
    assert first.detail["after"] == {"lat": PAGAR_DEWA[0], "lon": PAGAR_DEWA[1], "approximate": True}
    assert second.detail["before"] == first.detail["after"]
    assert second.detail["after"]["approximate"] is False and second.detail["checked"] is True
    assert second.detail["agency"] == "DAMKAR" and second.detail["name"] == "Pos Damkar Uji"


def test_a_point_far_from_the_city_is_refused_and_nothing_changes(post, admin):
    with pytest.raises(InvalidInput) as refused:
        station_place(station_id=post.pk, lat=-6.2, lon=106.8, checked=True, user=admin)  # Jakarta
    assert "di luar Kota Bengkulu" in refused.value.message
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (None, None, False)
    assert not AuditLog.objects.filter(action="station.place").exists()


def test_a_point_just_outside_the_boundary_is_accepted_and_one_farther_out_is_not(post, admin):
    lat, lon = _southernmost_vertex()
    near = 0.6 * POST_NEAR_CITY_M / 111_320
    station_place(station_id=post.pk, lat=lat - near, lon=lon, checked=False, user=admin)
    post.refresh_from_db()
    assert post.lat == pytest.approx(lat - near)
    far = 2 * POST_NEAR_CITY_M / 111_320
    with pytest.raises(InvalidInput):
        station_place(station_id=post.pk, lat=lat - far, lon=lon, checked=False, user=admin)
    post.refresh_from_db()
    assert post.lat == pytest.approx(lat - near)


def test_the_refusal_of_a_far_point_is_said_in_english_too(post, admin):
    from django.utils import translation

    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        station_place(station_id=post.pk, lat=1.0, lon=103.8, checked=False, user=admin)
    assert "outside Kota Bengkulu" in refused.value.message


@pytest.mark.parametrize(
    "lat, lon",
    [("abc", "102.3"), ("", "102.3"), (None, 102.3), (math.nan, 102.3), ("nan", "102.3"), ("inf", "102.3"),
     (-3.8, math.inf), (True, 102.3), (-91, 102.3), (-3.8, 181), ("1e400", "102.3")],
)
def test_bad_coordinates_are_refused_and_nothing_changes(post, admin, lat, lon):
    with pytest.raises(InvalidInput):
        station_place(station_id=post.pk, lat=lat, lon=lon, checked=True, user=admin)
    post.refresh_from_db()
    assert (post.lat, post.lon, post.approximate) == (None, None, False)


def test_an_agency_admin_cannot_place_another_agencys_post(post, make_user):
    polresta_admin = make_user("agency", "POLRESTA")
    polresta_admin.groups.add(agency_admin_group())
    with pytest.raises(Http404):
        station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=True, user=polresta_admin)
    post.refresh_from_db()
    assert post.lat is None


@pytest.mark.parametrize("role, agency", [("agency", "DAMKAR"), ("operator", None), ("supervisor", None), ("pbx", None), ("feed", None)])
def test_who_is_not_an_admin_or_an_agency_admin_places_no_post(post, make_user, role, agency):
    user = make_user(role, agency)
    with pytest.raises(Forbidden):
        station_place(station_id=post.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=True, user=user)
    post.refresh_from_db()
    assert post.lat is None


def test_the_loader_leaves_a_placed_post_alone_afterwards(ref, admin, tmp_path):
    load_stations()
    records = json.loads((settings.DOMAIN_DATA_DIR / "stations.json").read_text(encoding="utf-8"))
    without_point = Station.objects.get(external_id="POL-03")  # existence only: no point in the data
    with_point = Station.objects.get(external_id="POL-05")
    assert without_point.lat is None
    station_place(station_id=without_point.pk, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], checked=False, user=admin)
    station_place(station_id=with_point.pk, lat=PAGAR_DEWA[0] + 0.001, lon=PAGAR_DEWA[1], checked=True, user=admin)
    # The data changes under both posts; loaded again, the placements stay.
    for record in records:
        if record["id"] in ("POL-03", "POL-05"):
            record["lat"], record["lon"] = -3.80, 102.27
    (tmp_path / "stations.json").write_text(json.dumps(records), encoding="utf-8")
    for _ in range(2):
        counts = load_stations(data_dir=tmp_path)
        without_point.refresh_from_db()
        with_point.refresh_from_db()
        assert (without_point.lat, without_point.lon, without_point.approximate) == (PAGAR_DEWA[0], PAGAR_DEWA[1], True)
        assert (with_point.lat, with_point.lon, with_point.approximate) == (PAGAR_DEWA[0] + 0.001, PAGAR_DEWA[1], False)
        assert counts["edited_kept"] == 2
