"""PBX events (ringing, answered, hangup), idempotent retries, events out of order, and claiming."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from agencies.models import Membership
from calls.models import Block, Call, Caller, CallTransition, TelephonyEvent
from dispatch.models import AuditLog, Event

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def pbx(ref, make_user):
    return make_user("pbx", username="pbx1")


@pytest.fixture
def pbx_api(pbx, client_for):
    return client_for(pbx)


def send(client, event, call_id="asterisk-1700000000.1", at=T0, **extra):
    body = {"event": event, "pbx_call_id": call_id, "at": at.isoformat(), **extra}
    return client.post("/api/v1/telephony/events/", body, format="json")


def with_extension(user, extension):
    Membership.objects.filter(user=user).update(extension=extension)
    return user


def test_ringing_creates_a_ringing_call_at_the_pbx_time_with_caller_history(pbx_api):
    response = send(pbx_api, "ringing", caller_number="0812-3456-7890")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ringing"
    assert body["caller_number"] == "+6281234567890"
    assert body["pbx_call_id"] == "asterisk-1700000000.1"
    assert body["blocked"] is False
    assert body["caller"]["calls_total"] == 1
    call = Call.objects.get(pk=body["id"])
    assert call.received_at == T0 and call.operator is None and call.answered_at is None
    assert Event.objects.filter(type="call.created", data__id=call.pk, data__status="ringing").exists()


def test_ringing_from_a_blocked_number_is_recorded_and_says_blocked(pbx_api, pbx):
    caller = Caller.objects.create(number="+6281234567890", first_seen_at=T0 - timedelta(days=3))
    Block.objects.create(caller=caller, level="day", starts_at=T0 - timedelta(hours=1), expires_at=T0 + timedelta(days=2))
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        response = send(pbx_api, "ringing", caller_number="081234567890")
    assert response.status_code == 201
    assert response.json()["blocked"] is True
    assert Call.objects.get(pk=response.json()["id"]).caller_blocked is True


def test_answered_gives_the_call_to_the_operator_at_that_extension(pbx_api, operator):
    with_extension(operator, "201")
    send(pbx_api, "ringing", caller_number="081234567890")
    response = send(pbx_api, "answered", extension="201", at=T0 + timedelta(seconds=7))
    assert response.status_code == 200, response.content
    call = Call.objects.get(pbx_call_id="asterisk-1700000000.1")
    assert call.status == "active" and call.operator == operator and call.extension == "201"
    assert call.answered_at - call.received_at == timedelta(seconds=7)
    step = CallTransition.objects.get(call=call, from_status="ringing", to_status="active")
    assert (step.reason_code, step.reason_params, step.reason) == ("answered_at_extension", {"ext": "201"}, "")
    assert Event.objects.filter(type="call.updated", data__id=call.pk, data__status="active").exists()


def test_hangup_sets_ended_at_and_keeps_the_answered_call_active(pbx_api, operator):
    with_extension(operator, "201")
    send(pbx_api, "ringing", caller_number="081234567890")
    send(pbx_api, "answered", extension="201", at=T0 + timedelta(seconds=5))
    response = send(pbx_api, "hangup", at=T0 + timedelta(seconds=95))
    assert response.status_code == 200
    call = Call.objects.get(pbx_call_id="asterisk-1700000000.1")
    assert call.status == "active"
    assert call.ended_at - call.answered_at == timedelta(seconds=90)


def test_ringing_call_hung_up_before_answer_is_abandoned(pbx_api):
    send(pbx_api, "ringing", caller_number="081234567890")
    response = send(pbx_api, "hangup", at=T0 + timedelta(seconds=3))
    assert response.json()["status"] == "abandoned"
    call = Call.objects.get(pbx_call_id="asterisk-1700000000.1")
    assert call.ended_at == T0 + timedelta(seconds=3) and call.answered_at is None
    assert CallTransition.objects.get(call=call, to_status="abandoned").reason_code == "hangup_before_answer"


@pytest.mark.parametrize("event", ["ringing", "answered", "hangup"])
def test_a_retried_event_changes_nothing(pbx_api, operator, event):
    with_extension(operator, "201")
    send(pbx_api, "ringing", caller_number="081234567890")
    if event != "ringing":
        send(pbx_api, event, extension="201", at=T0 + timedelta(seconds=4))
    call = Call.objects.get()
    before = (call.status, call.version, call.answered_at, call.ended_at, call.received_at)
    events_before = Event.objects.count()
    retry = send(pbx_api, event, extension="201", at=T0 + timedelta(seconds=30))
    assert retry.status_code == 200
    assert retry.json()["outcome"] == "duplicate"
    call.refresh_from_db()
    assert (call.status, call.version, call.answered_at, call.ended_at, call.received_at) == before
    assert Event.objects.count() == events_before
    assert Call.objects.count() == 1
    assert TelephonyEvent.objects.filter(event=event).count() == 1


def test_hangup_arriving_before_answered_is_corrected_by_the_late_answer(pbx_api, operator):
    with_extension(operator, "201")
    send(pbx_api, "ringing", caller_number="081234567890")
    assert send(pbx_api, "hangup", at=T0 + timedelta(seconds=60)).json()["status"] == "abandoned"
    response = send(pbx_api, "answered", extension="201", at=T0 + timedelta(seconds=6))
    assert response.status_code == 200
    call = Call.objects.get()
    assert call.status == "active" and call.operator == operator
    assert call.answered_at == T0 + timedelta(seconds=6) and call.ended_at == T0 + timedelta(seconds=60)


def test_answer_later_than_the_hangup_is_ignored(pbx_api):
    send(pbx_api, "ringing", caller_number="081234567890")
    send(pbx_api, "hangup", at=T0 + timedelta(seconds=10))
    response = send(pbx_api, "answered", extension="201", at=T0 + timedelta(seconds=20))
    assert response.status_code == 200 and response.json()["outcome"] == "answered_after_hangup_ignored"
    assert Call.objects.get().status == "abandoned"


def test_answered_for_an_unknown_call_records_an_active_call(pbx_api, operator):
    with_extension(operator, "202")
    response = send(pbx_api, "answered", call_id="lost-ringing", extension="202", caller_number="081234567890", at=T0)
    assert response.status_code == 201, response.content
    call = Call.objects.get(pbx_call_id="lost-ringing")
    assert call.status == "active" and call.operator == operator and call.answered_at == T0
    # The ringing arrives late: it moves the start back, nothing else.
    send(pbx_api, "ringing", call_id="lost-ringing", caller_number="081234567890", at=T0 - timedelta(seconds=9))
    call.refresh_from_db()
    assert call.received_at == T0 - timedelta(seconds=9) and call.status == "active"


def test_hangup_for_an_unknown_call_records_an_abandoned_call(pbx_api):
    response = send(pbx_api, "hangup", call_id="only-hangup", caller_number="081234567890", at=T0)
    assert response.status_code == 201
    assert Call.objects.get(pbx_call_id="only-hangup").status == "abandoned"


def test_answered_at_an_unknown_extension_leaves_the_call_without_operator(pbx_api):
    send(pbx_api, "ringing", caller_number="081234567890")
    send(pbx_api, "answered", extension="999", at=T0 + timedelta(seconds=2))
    call = Call.objects.get()
    assert call.status == "active" and call.operator is None and call.extension == "999"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"event": "dialing", "pbx_call_id": "x", "at": "2026-11-28T01:00:00Z"}, "event"),
        ({"event": "ringing", "at": "2026-11-28T01:00:00Z"}, "pbx_call_id"),
        ({"event": "ringing", "pbx_call_id": "x", "at": "yesterday"}, "at"),
        ({"event": "ringing", "pbx_call_id": "x" * 200, "at": "2026-11-28T01:00:00Z"}, "pbx_call_id"),
    ],
)
def test_bad_events_get_400_not_500(pbx_api, body, field):
    response = pbx_api.post("/api/v1/telephony/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert field in response.json()["errors"]
    assert Call.objects.count() == 0


def test_epoch_seconds_are_accepted_as_the_time(pbx_api):
    response = pbx_api.post(
        "/api/v1/telephony/events/", {"event": "ringing", "pbx_call_id": "e1", "at": str(int(T0.timestamp()))}, format="json"
    )
    assert response.status_code == 201
    assert Call.objects.get().received_at == T0


@pytest.mark.parametrize("role, expected", [("operator", 403), ("supervisor", 403), ("agency", 403), ("pbx", 201)])
def test_only_the_pbx_may_send_events(ref, make_user, client_for, role, expected):
    user = make_user(role, "DAMKAR" if role == "agency" else None)
    assert send(client_for(user), "ringing", caller_number="081234567890").status_code == expected


def test_the_pbx_token_authenticates(pbx):
    from tests.factories import PASSWORD

    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "pbx1", "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    assert send(client, "ringing", caller_number="081234567890").status_code == 201
    assert APIClient().post("/api/v1/telephony/events/", {}, format="json").status_code in (401, 403)


def test_the_pbx_cannot_read_calls(pbx_api):
    call_id = send(pbx_api, "ringing").json()["id"]
    assert pbx_api.get(f"/api/v1/calls/{call_id}/").status_code == 403
    assert pbx_api.post(f"/api/v1/calls/{call_id}/claim/").status_code == 403


# Claiming -----------------------------------------------------------------------------------------


def test_first_operator_claims_the_ringing_call_and_the_second_gets_409(pbx_api, make_user, client_for):
    first, second = make_user("operator", username="op_a"), make_user("operator", username="op_b")
    call_id = send(pbx_api, "ringing", caller_number="081234567890").json()["id"]
    response = client_for(first).post(f"/api/v1/calls/{call_id}/claim/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active" and response.json()["operator"] == "op_a"
    lost = client_for(second).post(f"/api/v1/calls/{call_id}/claim/")
    assert lost.status_code == 409
    assert "op_a" in lost.json()["detail"]
    assert Event.objects.filter(type="call.updated", data__id=call_id, data__operator="op_a").count() == 1
    assert AuditLog.objects.filter(action="call.claim", object_id=str(call_id)).count() == 1
    # Claiming again is harmless for the winner.
    assert client_for(first).post(f"/api/v1/calls/{call_id}/claim/").status_code == 200


def test_the_pbx_answer_after_a_claim_keeps_the_claimer_and_takes_the_pbx_time(pbx_api, make_user, client_for, operator):
    with_extension(operator, "201")
    claimer = make_user("operator", username="op_claim")
    call_id = send(pbx_api, "ringing", caller_number="081234567890").json()["id"]
    client_for(claimer).post(f"/api/v1/calls/{call_id}/claim/")
    send(pbx_api, "answered", extension="201", at=T0 + timedelta(seconds=4))
    call = Call.objects.get(pk=call_id)
    assert call.operator == claimer and call.answered_at == T0 + timedelta(seconds=4)


def test_claiming_an_abandoned_call_is_409(pbx_api, operator, client_for):
    call_id = send(pbx_api, "ringing", caller_number="081234567890").json()["id"]
    send(pbx_api, "hangup", at=T0 + timedelta(seconds=1))
    response = client_for(operator).post(f"/api/v1/calls/{call_id}/claim/")
    assert response.status_code == 409
    assert Call.objects.get(pk=call_id).operator is None


def test_claim_of_a_missing_call_is_404(operator, client_for):
    assert client_for(operator).post("/api/v1/calls/999999/claim/").status_code == 404


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_claims_on_postgresql_have_exactly_one_winner(ref, make_user):
    from calls.telephony import call_claim, telephony_event
    from dispatch.errors import Conflict

    pbx = make_user("pbx")
    operators = [make_user("operator", username=f"race_{i}") for i in range(2)]
    for round_ in range(3):
        call = telephony_event(pbx=pbx, event="ringing", pbx_call_id=f"race-{round_}", at=T0, caller_number="081234567890").call
        barrier = threading.Barrier(len(operators))
        outcomes: list[str] = []

        def take(user, call_id=call.pk, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                call_claim(call_id=call_id, user=user)
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")
            finally:
                connection.close()

        threads = [threading.Thread(target=take, args=(u,)) for u in operators]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict"] * (len(operators) - 1) + ["won"]
        call.refresh_from_db()
        assert call.status == "active" and call.operator.username.startswith("race_")
        assert CallTransition.objects.filter(call=call, to_status="active").count() == 1


def test_form_encoded_event_with_epoch_as_asterisk_curl_sends_it(pbx_api):
    body = {"event": "ringing", "pbx_call_id": "1764291600.7", "caller_number": "081234567890", "at": str(int(T0.timestamp()))}
    response = pbx_api.post("/api/v1/telephony/events/", urlencode(body), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.content
    assert Call.objects.get(pbx_call_id="1764291600.7").received_at == T0


# --- the PBX never reads call content ------------------------------------------------------------

CALL_CONTENT_KEYS = {"notes", "location", "operator", "incident", "call_type"}
CALLER_KEYS = {"calls_total", "emergency_count", "prank_count", "ghost_count", "blocked", "prank_risk"}


def _history_with_secrets(operator):
    from calls.services import call_create
    from agencies.geo import Location

    call, _ = call_create(operator=operator, caller_number="081234567890", notes="RAHASIA: korban KDRT di rumah",
                          location=Location(lat=-3.79, lon=102.26, address="Jl. Rahasia 7"))
    return call


def test_telephony_answers_carry_counts_but_no_call_content(pbx_api, operator):
    _history_with_secrets(operator)
    with_extension(operator, "201")
    for event, extra in (("ringing", {"caller_number": "081234567890"}), ("answered", {"extension": "201"}), ("hangup", {})):
        response = send(pbx_api, event, **extra)
        assert response.status_code in (200, 201), response.content
        body = response.json()
        assert not CALL_CONTENT_KEYS & body.keys(), event
        assert set(body["caller"]) == CALLER_KEYS and body["caller"]["calls_total"] == 2
        text = response.content.decode()
        assert "RAHASIA" not in text and "Rahasia" not in text and operator.username not in text


def test_the_pbx_intake_answer_keeps_the_documented_keys_and_nothing_more(pbx_api, operator):
    _history_with_secrets(operator)
    response = pbx_api.post("/api/v1/calls/", {"caller_number": "081234567890", "notes": "dari ivr"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert {"id", "caller_number", "status", "received_at", "caller"} <= body.keys()
    assert not CALL_CONTENT_KEYS & body.keys()
    assert set(body["caller"]) == CALLER_KEYS and body["caller"]["calls_total"] == 2
    assert "RAHASIA" not in response.content.decode()


def test_a_replayed_external_id_needs_the_same_account_and_body(pbx_api, pbx, operator, client_for, make_user):
    from calls.services import call_create

    # An operator's call with an external id: the PBX guessing it gets a conflict, not the call.
    call_create(operator=operator, caller_number="081234567890", notes="RAHASIA", external_id="ext-op-1")
    stolen = pbx_api.post("/api/v1/calls/", {"caller_number": "081200000000", "external_id": "ext-op-1"}, format="json")
    assert stolen.status_code == 409 and "RAHASIA" not in stolen.content.decode()

    first = pbx_api.post("/api/v1/calls/", {"caller_number": "081234567891", "external_id": "pbx-42"}, format="json")
    again = pbx_api.post("/api/v1/calls/", {"caller_number": "081234567891", "external_id": "pbx-42"}, format="json")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and not CALL_CONTENT_KEYS & again.json().keys()
    changed = pbx_api.post("/api/v1/calls/", {"caller_number": "081299999999", "external_id": "pbx-42"}, format="json")
    assert changed.status_code == 409
    other_pbx = client_for(make_user("pbx"))
    assert other_pbx.post("/api/v1/calls/", {"caller_number": "081234567891", "external_id": "pbx-42"}, format="json").status_code == 409


def test_an_idempotency_key_replays_only_for_its_own_account(pbx_api, operator, client_for, make_user):
    body = {"caller_number": "081234567892"}
    first = pbx_api.post("/api/v1/calls/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert pbx_api.post("/api/v1/calls/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()["id"] == first.json()["id"]
    assert client_for(operator).post("/api/v1/calls/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 409
    assert pbx_api.post("/api/v1/calls/", {"caller_number": "081234567893"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 409
