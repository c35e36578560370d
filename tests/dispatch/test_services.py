"""The dispatch services: routing, the lifecycle table, idempotent and concurrent
acknowledgement, closing and reopening, duplicates and unlinking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from agencies.models import Station
from calls import services as call_services
from calls.models import Call
from dispatch import services
from dispatch.errors import Conflict, Forbidden, InvalidInput
from dispatch.models import AuditLog, Dispatch, DispatchTransition, Event, Incident, IncidentTransition
from dispatch.selectors import duplicate_candidates
from tests.dispatch.conftest import PAGAR_DEWA

pytestmark = pytest.mark.django_db


def test_dispatch_defaults_to_the_primary_agency_with_its_nearest_station(open_incident, operator):
    from agencies.models import Agency

    damkar = Agency.objects.get(code="DAMKAR")
    Station.objects.create(agency=damkar, name="Pos Jauh", lat=PAGAR_DEWA[0] + 0.05, lon=PAGAR_DEWA[1])
    near = Station.objects.create(agency=damkar, name="Pos Dekat", lat=PAGAR_DEWA[0] + 0.01, lon=PAGAR_DEWA[1])
    incident = open_incident("kebakaran_bangunan")
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator)
    assert dispatch.agency.code == "DAMKAR" and dispatch.is_primary
    assert dispatch.station == near
    # Priority 1 and no override: 60 seconds to acknowledge.
    assert dispatch.ack_deadline - dispatch.dispatched_at == timedelta(seconds=60)
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    assert DispatchTransition.objects.filter(dispatch=dispatch, from_status="", to_status="dispatched").count() == 1
    assert IncidentTransition.objects.filter(incident=incident, to_status="dispatched").count() == 1
    assert AuditLog.objects.filter(action="dispatch.create", object_id=str(dispatch.pk)).exists()
    event = Event.objects.get(type="dispatch.created", data__id=dispatch.pk)
    assert event.agency_code == "DAMKAR" and event.data["incident"]["id"] == incident.pk


def test_ack_deadline_follows_priority_and_agency_override(open_incident, operator):
    from agencies.models import Agency

    p2 = open_incident("pohon_tumbang")
    [d2] = services.incident_dispatch(incident_id=p2.pk, user=operator, agency_codes=["DAMKAR"])
    assert d2.ack_deadline - d2.dispatched_at == timedelta(seconds=180)
    p3 = open_incident("air_pdam")
    [d3] = services.incident_dispatch(incident_id=p3.pk, user=operator)
    assert d3.ack_deadline - d3.dispatched_at == timedelta(seconds=600)
    Agency.objects.filter(code="POLRESTA").update(ack_seconds_p1=30)
    p1 = open_incident("kriminal")
    [d1] = services.incident_dispatch(incident_id=p1.pk, user=operator)
    assert d1.ack_deadline - d1.dispatched_at == timedelta(seconds=30)


def test_an_agency_is_never_dispatched_twice_for_one_incident(open_incident, operator):
    incident = open_incident()
    services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "PLN"])
    again = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "POLRESTA"])
    assert [d.agency.code for d in again] == ["POLRESTA"]
    assert services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"]) == []
    assert Dispatch.objects.filter(incident=incident, agency__code="DAMKAR").count() == 1
    # The database refuses a second live dispatch even if a service forgot to check.
    first = Dispatch.objects.get(incident=incident, agency__code="DAMKAR")
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.create(
            incident=incident, agency=first.agency, dispatched_at=first.dispatched_at, ack_deadline=first.ack_deadline
        )


def test_unknown_agency_is_refused_and_nothing_is_dispatched(open_incident, operator):
    incident = open_incident()
    with pytest.raises(InvalidInput) as exc:
        services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "NOPE"])
    assert "NOPE" in exc.value.message
    assert not Dispatch.objects.filter(incident=incident).exists()


@pytest.fixture
def dispatched(open_incident, operator):
    incident = open_incident()
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    return dispatch


def _walk(dispatch, user, *steps):
    """Each step by whoever may take it: the floor cancels (see Dispatch.SET_BY_ROLE), `user` does the rest."""
    for step in steps:
        if step == "acknowledged":
            services.dispatch_acknowledge(dispatch_id=dispatch.pk, user=user)
        else:
            by = dispatch.dispatched_by if step == "cancelled" else user
            services.dispatch_set_status(dispatch_id=dispatch.pk, user=by, status=step, note="alasan" if step in ("declined", "cancelled") else "")


@pytest.mark.parametrize(
    "path, forbidden",
    [
        ((), "en_route"),
        ((), "on_scene"),
        ((), "resolved"),
        (("acknowledged",), "declined"),
        (("acknowledged", "on_scene"), "en_route"),
        (("acknowledged", "resolved"), "on_scene"),
        (("acknowledged", "resolved"), "cancelled"),
        (("declined",), "en_route"),
        (("cancelled",), "resolved"),
    ],
)
def test_forbidden_transitions_are_conflicts_with_the_reason(dispatched, staff, operator, path, forbidden):
    user = staff("DAMKAR")
    _walk(dispatched, user, *path)
    before = DispatchTransition.objects.filter(dispatch=dispatched).count()
    with pytest.raises(Conflict) as exc:
        by = operator if forbidden == "cancelled" else user
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=by, status=forbidden, note="x")
    assert "tidak diizinkan" in exc.value.message
    assert exc.value.status_code == 409
    assert DispatchTransition.objects.filter(dispatch=dispatched).count() == before


def test_full_lifecycle_stamps_every_milestone(dispatched, staff):
    user = staff("DAMKAR")
    _walk(dispatched, user, "acknowledged", "en_route", "on_scene", "resolved")
    dispatched.refresh_from_db()
    assert dispatched.status == "resolved"
    assert dispatched.acknowledged_at <= dispatched.en_route_at <= dispatched.on_scene_at <= dispatched.resolved_at
    steps = list(DispatchTransition.objects.filter(dispatch=dispatched).values_list("to_status", flat=True))
    assert steps == ["dispatched", "acknowledged", "en_route", "on_scene", "resolved"]


def test_acknowledge_is_idempotent(dispatched, staff):
    user = staff("DAMKAR")
    first, changed = services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=user)
    again, changed_again = services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=staff("DAMKAR", 1))
    assert changed and not changed_again
    assert again.acknowledged_at == first.acknowledged_at and again.acknowledged_by == user
    assert DispatchTransition.objects.filter(dispatch=dispatched, to_status="acknowledged").count() == 1
    assert AuditLog.objects.filter(action="dispatch.acknowledge", object_id=str(dispatched.pk)).count() == 1


def test_a_declined_dispatch_cannot_be_acknowledged(dispatched, staff):
    services.dispatch_set_status(dispatch_id=dispatched.pk, user=staff("DAMKAR"), status="declined", note="armada habis")
    with pytest.raises(Conflict):
        services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=staff("DAMKAR"))


def _untouched(dispatch) -> tuple:
    dispatch.refresh_from_db()
    return dispatch.status, dispatch.version, DispatchTransition.objects.filter(dispatch=dispatch).count()


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
@pytest.mark.parametrize("status", ["en_route", "on_scene", "resolved", "declined"])
def test_the_floor_may_not_report_an_agencys_progress_even_calling_the_service(dispatched, staff, make_user, role, status):
    _walk(dispatched, staff("DAMKAR"), "acknowledged")
    before = _untouched(dispatched)
    with pytest.raises(Forbidden) as exc:
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=make_user(role), status=status, note="alasan")
    assert exc.value.message == "Hanya instansi yang melaporkan kemajuan pengiriman." and exc.value.status_code == 403
    assert _untouched(dispatched) == before


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_the_floor_may_not_acknowledge_for_an_agency(dispatched, make_user, role):
    before = _untouched(dispatched)
    with pytest.raises(Forbidden):
        services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=make_user(role))
    assert _untouched(dispatched) == before and dispatched.acknowledged_at is None


def test_agency_staff_decline_and_may_not_cancel_even_calling_the_service(dispatched, staff):
    before = _untouched(dispatched)
    with pytest.raises(Forbidden) as exc:
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=staff("DAMKAR"), status="cancelled", note="salah kirim")
    assert exc.value.message == "Instansi menolak dengan status 'declined', bukan membatalkan."
    assert _untouched(dispatched) == before
    # The refusal comes before the reason is looked at: no reason is not what stops them.
    with pytest.raises(Forbidden):
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=staff("DAMKAR"), status="cancelled", note="")


def test_another_agencys_staff_may_neither_acknowledge_nor_move_a_dispatch(dispatched, staff):
    before = _untouched(dispatched)
    with pytest.raises(Forbidden):
        services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=staff("BPBD"))
    with pytest.raises(Forbidden):
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=staff("BPBD"), status="declined", note="bukan kami")
    assert _untouched(dispatched) == before


@pytest.mark.parametrize("role", ["pbx", "feed"])
def test_an_integration_account_sets_no_dispatch_status(dispatched, make_user, role):
    user = make_user(role)
    with pytest.raises(Forbidden):
        services.dispatch_acknowledge(dispatch_id=dispatched.pk, user=user)
    with pytest.raises(Forbidden):
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=user, status="cancelled", note="x")


def test_each_role_may_set_exactly_the_statuses_of_its_row():
    agency_progress = {"acknowledged", "en_route", "on_scene", "resolved", "declined"}
    for status in Dispatch.Status.values:
        assert Dispatch.role_may_set("agency", status) == (status in agency_progress), status
        for floor in ("operator", "supervisor", "admin"):
            assert Dispatch.role_may_set(floor, status) == (status == "cancelled"), (floor, status)
        assert not any(Dispatch.role_may_set(role, status) for role in ("pbx", "feed", None))


@pytest.mark.parametrize("status", ["declined", "cancelled"])
def test_decline_and_cancel_need_a_reason(dispatched, staff, operator, status):
    by = operator if status == "cancelled" else staff("DAMKAR")
    with pytest.raises(InvalidInput):
        services.dispatch_set_status(dispatch_id=dispatched.pk, user=by, status=status, note="  ")
    dispatched.refresh_from_db()
    assert dispatched.status == "dispatched"


@pytest.mark.services  # concurrent writers on row locks: PostgreSQL semantics
@pytest.mark.django_db(transaction=True)
def test_two_staff_acknowledging_at_once_give_one_acknowledgement(ref, open_incident, operator, staff):
    incident = open_incident()
    [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    users = [staff("DAMKAR", 0), staff("DAMKAR", 1)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def ack(user):
        try:
            barrier.wait(timeout=10)
            results.append((user.pk, services.dispatch_acknowledge(dispatch_id=dispatch.pk, user=user)[1]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ack, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sorted(changed for _, changed in results) == [False, True]
    winner = next(pk for pk, changed in results if changed)
    dispatch.refresh_from_db()
    assert dispatch.acknowledged_by_id == winner
    assert DispatchTransition.objects.filter(dispatch=dispatch, to_status="acknowledged").count() == 1
    assert Event.objects.filter(type="dispatch.updated", data__id=dispatch.pk).count() == 1


def test_close_needs_every_dispatch_finished_and_reopen_needs_a_reason(dispatched, staff, operator):
    incident = dispatched.incident
    with pytest.raises(Conflict) as exc:
        services.incident_close(incident_id=incident.pk, user=operator)
    assert "DAMKAR" in exc.value.message
    _walk(dispatched, staff("DAMKAR"), "acknowledged", "resolved")
    closed = services.incident_close(incident_id=incident.pk, user=operator)
    assert closed.status == "closed" and closed.closed_at is not None and closed.closed_by == operator
    # Closing again changes nothing.
    assert services.incident_close(incident_id=incident.pk, user=operator).closed_at == closed.closed_at
    with pytest.raises(Conflict):
        services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["PLN"])
    with pytest.raises(InvalidInput):
        services.incident_reopen(incident_id=incident.pk, user=operator, reason=" ")
    reopened = services.incident_reopen(incident_id=incident.pk, user=operator, reason="api menyala lagi")
    assert reopened.status == "open" and reopened.closed_at is None
    assert IncidentTransition.objects.filter(incident=incident, from_status="closed", to_status="open", reason="api menyala lagi").exists()
    [again] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    assert again.status == "dispatched"
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    with pytest.raises(Conflict):
        services.incident_reopen(incident_id=incident.pk, user=operator, reason="lagi")


def test_an_incident_without_dispatches_can_be_closed(open_incident, operator):
    incident = open_incident()
    assert services.incident_close(incident_id=incident.pk, user=operator, reason="salah sambung").status == "closed"


def test_duplicate_candidates_are_near_recent_and_related(open_incident, operator, ref):
    from django.utils import timezone

    fire = open_incident("kebakaran_bangunan")
    now = timezone.now()
    lat, lon = PAGAR_DEWA
    # ~220 m north: the same fire.
    found = duplicate_candidates(lat=lat + 0.002, lon=lon, incident_type_code="kebakaran_bangunan", at=now)
    assert [c.incident.pk for c in found] == [fire.pk]
    assert 150 < found[0].distance_m < 300 and found[0].same_type
    # Another type with the same primary agency (Damkar) is related.
    assert [c.incident.pk for c in duplicate_candidates(lat=lat, lon=lon, incident_type_code="kebakaran_kendaraan", at=now)] == [fire.pk]
    # An unrelated type, too far, too late: not candidates.
    assert duplicate_candidates(lat=lat, lon=lon, incident_type_code="kriminal", at=now) == []
    assert duplicate_candidates(lat=lat + 0.008, lon=lon, incident_type_code="kebakaran_bangunan", at=now) == []
    assert duplicate_candidates(lat=lat, lon=lon, incident_type_code="kebakaran_bangunan", at=now + timedelta(minutes=40)) == []
    assert duplicate_candidates(lat=None, lon=None, incident_type_code="kebakaran_bangunan", at=now) == []
    services.incident_close(incident_id=fire.pk, user=operator)
    assert duplicate_candidates(lat=lat, lon=lon, incident_type_code="kebakaran_bangunan", at=now) == []


def test_unlinking_a_wrongly_linked_call_gives_it_its_own_incident(open_incident, operator):
    fire = open_incident()
    other, _ = call_services.call_create(operator=operator, caller_number="081277700002", notes="kecelakaan motor")
    call_services.call_classify(call_id=other.pk, user=operator, call_type="emergency", duplicate_of=fire.pk)
    other.refresh_from_db()
    assert other.incident_id == fire.pk
    unlinked = call_services.call_unlink(call_id=other.pk, user=operator, incident_type="kecelakaan_lalu_lintas")
    assert unlinked.incident_id != fire.pk
    assert unlinked.incident.incident_type.code == "kecelakaan_lalu_lintas" and unlinked.incident.priority == 1
    assert unlinked.call_type == "emergency" and unlinked.status == "classified"
    first_call = Call.objects.exclude(pk=other.pk).get()
    assert list(Call.objects.filter(incident=fire).values_list("pk", flat=True)) == [first_call.pk]
    assert IncidentTransition.objects.filter(incident=fire, reason_code="call_unlinked", reason_params={"id": other.pk}).exists()
    assert AuditLog.objects.filter(action="call.unlink", object_id=str(other.pk)).exists()
    # The incident's only call cannot be unlinked: there is nothing to separate it from.
    with pytest.raises(Conflict):
        call_services.call_unlink(call_id=other.pk, user=operator)
    assert Incident.objects.count() == 2


def test_a_call_joining_an_incident_after_dispatch_reaches_its_live_agencies(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    damkar, dinsos = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "DINSOS"])
    services.dispatch_set_status(dispatch_id=dinsos.pk, user=operator, status="cancelled", note="tidak perlu")
    # A post near the incident, set up after dispatch: only a change of place would move Damkar to it.
    from agencies.models import Agency

    Station.objects.create(agency=Agency.objects.get(code="DAMKAR"), name="Pos dekat", lat=incident.lat, lon=incident.lon)
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    call, _ = call_services.call_create(operator=operator, caller_number="081234500077", notes="dua orang terjebak di lantai 2")
    call_services.call_classify(call_id=call.pk, user=operator, call_type="emergency", duplicate_of=incident.pk)
    new = [(e.type, e.agency_code, e.data["id"]) for e in Event.objects.filter(seq__gt=last_seq).order_by("seq")]
    # The agency still on it is told on its own channel; the cancelled one is not.
    assert ("dispatch.updated", "DAMKAR", damkar.pk) in new
    assert not any(code == "DINSOS" for _, code, _ in new)
    assert Dispatch.objects.get(pk=damkar.pk).station == damkar.station  # the place did not change: no new post


# --- moving an incident ----------------------------------------------------------------------------


def test_an_incident_moved_after_dispatch_reaches_its_live_agencies(open_incident, operator, staff):
    from agencies.geo import Location, kelurahan_at
    from agencies.models import Landmark

    from agencies.models import Agency

    incident = open_incident("kebakaran_bangunan", lat=None, lon=None)
    # A fire with no place yet goes out only with the operator's reason (see incident_dispatch).
    damkar, pln, dinsos = services.incident_dispatch(
        incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "PLN", "DINSOS"], no_place_reason="tempat menyusul"
    )
    assert damkar.station is None  # no place, no nearest post
    services.dispatch_acknowledge(dispatch_id=pln.pk, user=staff("PLN"))
    near_mall = Station.objects.create(agency=Agency.objects.get(code="DAMKAR"), name="Pos Pasar Minggu", lat=-3.7950, lon=102.2665)
    Station.objects.create(agency=Agency.objects.get(code="PLN"), name="Posko PLN Kota", lat=-3.7940, lon=102.2670)
    services.dispatch_set_status(dispatch_id=dinsos.pk, user=operator, status="cancelled", note="tidak perlu")
    mall = Landmark.objects.get(name="Mega Mall")
    versions = {d.pk: Dispatch.objects.get(pk=d.pk).version for d in (damkar, pln, dinsos)}
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first()

    moved = services.incident_relocate(
        incident_id=incident.pk, user=operator, location=Location(lat=mall.lat, lon=mall.lon, address="Toko depan Mega Mall")
    )

    moved.refresh_from_db()
    assert (moved.lat, moved.lon, moved.address) == (mall.lat, mall.lon, "Toko depan Mega Mall")
    assert moved.kelurahan == kelurahan_at(mall.lat, mall.lon) == mall.kelurahan
    assert moved.version == incident.version + 2  # opened, dispatched, moved
    assert moved.located_at is not None and moved.located_at > damkar.dispatched_at
    # Not yet acknowledged: Damkar's nearest post follows the place. PLN had acknowledged: unchanged.
    assert Dispatch.objects.get(pk=damkar.pk).station == near_mall
    assert Dispatch.objects.get(pk=pln.pk).station is None
    new = list(Event.objects.filter(seq__gt=last_seq).order_by("seq"))
    assert [e.type for e in new] == ["incident.updated", "dispatch.updated", "dispatch.updated"]
    assert [e.data["id"] for e in new[1:]] == [damkar.pk, pln.pk]  # the cancelled one is not told
    assert [e.agency_code for e in new] == ["", "DAMKAR", "PLN"]  # each agency's console gets its own
    for event in new[1:]:
        assert event.data["incident"]["address"] == "Toko depan Mega Mall"
        assert event.data["incident"]["lat"] == mall.lat and event.data["incident"]["kelurahan"] == mall.kelurahan.name
        assert event.data["version"] == versions[event.data["id"]] + 1
    assert new[1].data["station"] == "Pos Pasar Minggu" and new[2].data["station"] is None
    assert Dispatch.objects.get(pk=dinsos.pk).version == versions[dinsos.pk]
    transition = IncidentTransition.objects.filter(incident=incident).latest("id")
    assert (transition.reason_code, transition.reason_params) == ("relocated", {"place": "Toko depan Mega Mall"})
    assert transition.from_status == transition.to_status == "dispatched"
    entry = AuditLog.objects.get(action="incident.relocate", object_id=str(incident.pk))
    assert entry.detail["from"] == {"lat": None, "lon": None, "address": "", "kelurahan": None}
    assert entry.detail["to"]["kelurahan"] == mall.kelurahan.code

    # The same place again changes nothing and tells nobody.
    again = services.incident_relocate(
        incident_id=incident.pk, user=operator, location=Location(lat=mall.lat, lon=mall.lon, address="Toko depan Mega Mall")
    )
    assert again.version == moved.version and Event.objects.filter(seq__gt=new[-1].seq).count() == 0


def test_an_incident_is_moved_only_to_a_place_and_only_while_open(open_incident, operator):
    from agencies.geo import Location

    incident = open_incident("kebakaran_bangunan")
    with pytest.raises(InvalidInput):
        services.incident_relocate(incident_id=incident.pk, user=operator, location=Location())
    with pytest.raises(InvalidInput):
        services.incident_relocate(incident_id=incident.pk, user=operator, location=Location(lat=-3.8, lon=None))
    with pytest.raises(InvalidInput):
        services.incident_relocate(incident_id=incident.pk, user=operator, location=Location(kelurahan_code="nope"))
    with pytest.raises(InvalidInput):
        services.incident_relocate(incident_id=999999, user=operator, location=Location(address="Jl. Suprapto"))
    # A kelurahan and an address without a point: the point that was there goes.
    moved = services.incident_relocate(incident_id=incident.pk, user=operator, location=Location(kelurahan_code=incident.kelurahan.code, address="Gg. Mawar"))
    assert moved.lat is None and moved.lon is None and moved.address == "Gg. Mawar"
    services.incident_close(incident_id=incident.pk, user=operator)
    with pytest.raises(Conflict):
        services.incident_relocate(incident_id=incident.pk, user=operator, location=Location(address="Jl. Suprapto"))


# --- notes for the agencies ------------------------------------------------------------------------


def test_a_note_on_an_incident_reaches_its_live_agencies_and_is_audited(open_incident, operator):
    from dispatch.models import IncidentNote

    incident = open_incident("kebakaran_bangunan")
    damkar, dinsos = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "DINSOS"])
    services.dispatch_set_status(dispatch_id=dinsos.pk, user=operator, status="cancelled", note="tidak perlu")
    version = Incident.objects.get(pk=incident.pk).version
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first()

    note = services.incident_add_note(incident_id=incident.pk, user=operator, text="  penelepon dihubungi lagi: dua orang terjebak di lantai 2 \n")

    assert note.text == "penelepon dihubungi lagi: dua orang terjebak di lantai 2"
    assert list(IncidentNote.objects.filter(incident=incident).values_list("text", "by")) == [(note.text, operator.pk)]
    assert Incident.objects.get(pk=incident.pk).version == version + 1
    new = [(e.type, e.agency_code, e.data["id"]) for e in Event.objects.filter(seq__gt=last_seq).order_by("seq")]
    assert new[0] == ("incident.updated", "", incident.pk)  # for the floor, no agency
    # The agency still on it is told on its own channel; the cancelled one is not.
    assert ("dispatch.updated", "DAMKAR", damkar.pk) in new
    assert not any(code == "DINSOS" for _, code, _ in new)
    entry = AuditLog.objects.get(action="incident.note", object_id=str(incident.pk))
    assert entry.detail == {"note_id": note.pk, "text": note.text}


@pytest.mark.parametrize("text, field", [("", "text"), ("   \n", "text"), ("x" * 1001, "text")])
def test_an_empty_or_too_long_note_is_refused_and_changes_nothing(open_incident, operator, text, field):
    from dispatch.models import IncidentNote

    incident = open_incident("kebakaran_bangunan")
    with pytest.raises(InvalidInput) as refused:
        services.incident_add_note(incident_id=incident.pk, user=operator, text=text)
    assert refused.value.field == field
    assert not IncidentNote.objects.exists()


def test_a_closed_incident_takes_no_note_until_reopened(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    services.incident_close(incident_id=incident.pk, user=operator, reason="selesai")
    with pytest.raises(Conflict):
        services.incident_add_note(incident_id=incident.pk, user=operator, text="api menyala lagi")
    services.incident_reopen(incident_id=incident.pk, user=operator, reason="api menyala lagi")
    assert services.incident_add_note(incident_id=incident.pk, user=operator, text="api menyala lagi").pk


def test_the_database_refuses_an_empty_note(open_incident):
    from django.utils import timezone

    from dispatch.models import IncidentNote

    incident = open_incident("kebakaran_bangunan")
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentNote.objects.create(incident=incident, at=timezone.now(), text="")


def test_a_p1_incident_with_no_place_is_dispatched_only_with_a_reason_which_is_audited(open_incident, operator):
    incident = open_incident("kebakaran_bangunan", lat=None)
    assert incident.priority == 1 and incident.lat is None and not incident.kelurahan_id and not incident.address
    with pytest.raises(InvalidInput) as refused:
        services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    assert refused.value.field == "no_place_reason"
    with pytest.raises(InvalidInput):
        services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"], no_place_reason="   ")
    assert not Dispatch.objects.exists()
    [dispatch] = services.incident_dispatch(
        incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"], no_place_reason="penelepon panik, sambungan putus"
    )
    assert dispatch.agency.code == "DAMKAR"
    entry = AuditLog.objects.get(action="incident.dispatch_without_place")
    assert entry.object_id == str(incident.pk) and entry.detail == {"reason": "penelepon panik, sambungan putus", "agencies": ["DAMKAR"]}
    transition = IncidentTransition.objects.get(incident=incident, to_status="dispatched")
    # The operator's words stay as typed, beside the code that says the incident went without a place.
    assert (transition.reason_code, transition.reason) == ("no_place", "penelepon panik, sambungan putus")
    assert transition.reason_text == "dikirim tanpa lokasi: penelepon panik, sambungan putus"
    # Once placed, a further agency needs no reason.
    services.incident_relocate(incident_id=incident.pk, user=operator, location=call_services.Location(lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1]))
    [police] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["POLRESTA"])
    assert police.agency.code == "POLRESTA"
    assert AuditLog.objects.filter(action="incident.dispatch_without_place").count() == 1


def test_an_incident_with_only_a_kelurahan_or_below_priority_1_needs_no_reason_to_dispatch(open_incident, operator):
    flood = open_incident("banjir", lat=None)
    assert flood.priority == 2
    assert len(services.incident_dispatch(incident_id=flood.pk, user=operator, agency_codes=["BPBD"])) == 1
    fire = open_incident("kebakaran_bangunan", lat=None, number="081234500002")
    Incident.objects.filter(pk=fire.pk).update(kelurahan=flood.calls.first().kelurahan or _any_kelurahan())
    assert len(services.incident_dispatch(incident_id=fire.pk, user=operator, agency_codes=["DAMKAR"])) == 1
    assert not AuditLog.objects.filter(action="incident.dispatch_without_place").exists()


def _any_kelurahan():
    from agencies.models import Kelurahan

    return Kelurahan.objects.first()


def test_a_dispatch_request_sent_again_with_its_key_answers_the_first_dispatches_and_creates_none(open_incident, operator):
    incident = open_incident("kebakaran_bangunan")
    first = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "POLRESTA"], request_key="k-1")
    again = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "POLRESTA"], request_key="k-1")
    assert sorted(d.pk for d in again) == sorted(d.pk for d in first) and len(first) == 2
    assert Dispatch.objects.count() == 2
    assert AuditLog.objects.filter(action="dispatch.create").count() == 2
    # One key, one incident: reused for another it is a conflict, and nothing is sent.
    other = open_incident("darurat_medis", number="081234500003")
    with pytest.raises(Conflict):
        services.incident_dispatch(incident_id=other.pk, user=operator, agency_codes=["DINKES"], request_key="k-1")
    assert Dispatch.objects.count() == 2
    # Without a key, a repeat still never dispatches an agency twice.
    assert services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"]) == []
