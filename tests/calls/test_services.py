"""Call writes: a classification sent again as the call already stands changes nothing; a call left
by one operator is taken over by another."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from calls.models import Call, CallTransition
from calls.services import call_classify, call_create, call_take_over
from dispatch.errors import Conflict
from dispatch.models import AuditLog, Event, Incident
from dispatch.shifts import WIB

pytestmark = pytest.mark.django_db


def _trail(call: Call) -> tuple[int, int, int]:
    return (
        CallTransition.objects.filter(call=call).count(),
        AuditLog.objects.filter(action="call.classify", object_id=str(call.pk)).count(),
        Event.objects.count(),
    )


@pytest.mark.parametrize("call_type", ["prank", "ghost", "information", "complaint"])
def test_a_non_emergency_classified_again_the_same_way_changes_nothing(operator, call_type):
    call, _ = call_create(operator=operator, caller_number="081211113333", notes="halo")
    first = call_classify(call_id=call.pk, user=operator, call_type=call_type, notes="halo")
    before = _trail(call)

    again = call_classify(call_id=call.pk, user=operator, call_type=call_type, notes="halo")

    assert _trail(call) == before
    assert again.version == first.version and again.classified_at == first.classified_at


def test_an_emergency_classified_again_keeps_its_one_incident(operator):
    call, _ = call_create(operator=operator, caller_number="081211114444", notes="rumah terbakar")
    first = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    before = _trail(call)

    again = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")

    assert again.incident_id == first.incident_id and Incident.objects.count() == 1
    assert _trail(call) == before and again.version == first.version


def test_a_call_joined_to_an_incident_joined_again_changes_nothing(operator):
    reporter, _ = call_create(operator=operator, caller_number="081211115555")
    incident_id = call_classify(call_id=reporter.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident_id
    call, _ = call_create(operator=operator, caller_number="081211116666")
    first = call_classify(call_id=call.pk, user=operator, call_type="emergency", duplicate_of=incident_id)
    before = _trail(call)

    again = call_classify(call_id=call.pk, user=operator, call_type="emergency", duplicate_of=incident_id)

    assert again.incident_id == incident_id and _trail(call) == before and again.version == first.version


@pytest.mark.parametrize(
    "change",
    [
        {"call_type": "ghost"},
        {"call_type": "prank", "notes": "ternyata iseng"},
        {"call_type": "emergency", "incident_type": "kecelakaan_lalu_lintas"},
    ],
)
def test_a_classification_that_differs_in_anything_is_recorded(operator, change):
    call, _ = call_create(operator=operator, caller_number="081211117777", notes="halo")
    call_classify(call_id=call.pk, user=operator, call_type="prank", notes="halo")
    transitions = CallTransition.objects.filter(call=call).count()

    again = call_classify(call_id=call.pk, user=operator, **change)

    assert CallTransition.objects.filter(call=call).count() == transitions + 1
    assert again.call_type == change["call_type"]


def test_a_retyped_emergency_is_recorded(operator):
    call, _ = call_create(operator=operator, caller_number="081211118888")
    first = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")

    again = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kecelakaan_lalu_lintas")

    assert again.incident_id == first.incident_id and again.version == first.version + 1
    assert Incident.objects.get(pk=first.incident_id).incident_type.code == "kecelakaan_lalu_lintas"


def _quiet_long_enough(call: Call):
    """The moment the call has gone unchanged for CALL_TAKE_OVER_AFTER_SECONDS."""
    return time_machine.travel(call.last_touched_at + timedelta(seconds=settings.CALL_TAKE_OVER_AFTER_SECONDS), tick=False)


def test_a_colleagues_unfinished_call_is_taken_over_with_its_trail(operator, make_user):
    colleague = make_user("operator", username="op_left")
    call, _ = call_create(operator=colleague, caller_number="081234560011", notes="ada asap")
    with _quiet_long_enough(call):
        taken = call_take_over(call_id=call.pk, user=operator)
    assert taken.operator == operator and taken.version == call.version + 1
    step = CallTransition.objects.filter(call=call).order_by("at", "pk").last()
    assert (step.from_status, step.to_status, step.by) == ("active", "active", operator)
    assert (step.reason_code, step.reason_params, step.reason) == ("taken_over", {"who": "op_left"}, "")
    assert AuditLog.objects.get(action="call.take_over", object_id=str(call.pk)).detail == {"from": "op_left"}
    event = Event.objects.filter(type="call.updated", data__id=call.pk).latest("seq")
    assert event.data["operator"] == operator.get_username()
    # Taken again by the one who has it: nothing more is written.
    call_take_over(call_id=call.pk, user=operator)
    assert CallTransition.objects.filter(call=call, reason_code="taken_over").count() == 1


def test_only_a_call_being_handled_is_taken_over(operator, make_user):
    colleague = make_user("operator", username="op_done")
    call, _ = call_create(operator=colleague, caller_number="081234560012")
    call_classify(call_id=call.pk, user=colleague, call_type="information")
    with pytest.raises(Conflict):
        call_take_over(call_id=call.pk, user=operator)
    call.refresh_from_db()
    assert call.operator == colleague


def test_of_two_colleagues_taking_over_the_same_call_the_second_is_told_who_has_it(operator, make_user):
    colleague = make_user("operator", username="op_gone")
    second = make_user("operator", username="op_second")
    call, _ = call_create(operator=colleague, caller_number="081234560013")
    with _quiet_long_enough(call):
        call_take_over(call_id=call.pk, user=operator, from_operator="op_gone")
        with pytest.raises(Conflict, match=operator.get_username()):
            call_take_over(call_id=call.pk, user=second, from_operator="op_gone")
    call.refresh_from_db()
    assert call.operator == operator


def test_a_call_is_touched_by_an_edit_or_a_take_over_and_not_by_an_edit_that_changes_nothing(operator, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from calls.services import call_update

    colleague = make_user("operator", username="op_touch")
    call, _ = call_create(operator=colleague, caller_number="081234560014", notes="ada asap")
    # Never changed: since its answer (a desk's call is answered as it is recorded).
    assert call.touched_at is None and call.last_touched_at == call.answered_at
    event = Event.objects.filter(type="call.created", data__id=call.pk).get()
    assert event.data["touched_at"] == call.answered_at.isoformat()

    long_ago = timezone.now() - timedelta(minutes=20)
    Call.objects.filter(pk=call.pk).update(received_at=long_ago, answered_at=long_ago)
    before = timezone.now()
    call_update(call_id=call.pk, user=colleague, notes="ada asap tebal")
    edited = Call.objects.get(pk=call.pk)
    assert edited.touched_at >= before and edited.last_touched_at == edited.touched_at
    assert Event.objects.filter(type="call.updated", data__id=call.pk).latest("seq").data["touched_at"] == edited.touched_at.isoformat()

    Call.objects.filter(pk=call.pk).update(touched_at=long_ago)
    call_update(call_id=call.pk, user=colleague, notes="ada asap tebal")  # the same notes: nothing changes
    assert Call.objects.get(pk=call.pk).touched_at == long_ago

    call_take_over(call_id=call.pk, user=operator)
    assert Call.objects.get(pk=call.pk).touched_at > long_ago


def test_a_colleagues_call_changed_less_than_the_take_over_time_ago_is_refused_saying_from_when(operator, make_user):
    colleague = make_user("operator", username="op_busy")
    call, _ = call_create(operator=colleague, caller_number="081234560015", notes="ada asap")
    free_at = call.last_touched_at + timedelta(seconds=settings.CALL_TAKE_OVER_AFTER_SECONDS)
    trail = CallTransition.objects.filter(call=call).count()
    with time_machine.travel(free_at - timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict) as exc:
            call_take_over(call_id=call.pk, user=operator, from_operator="op_busy")
    assert exc.value.status_code == 409
    at = free_at.astimezone(WIB).strftime("%H:%M:%S")
    minutes = f"{settings.CALL_TAKE_OVER_AFTER_SECONDS / 60:g}"
    assert exc.value.message == (
        f"op_busy masih menangani panggilan ini: dapat diambil alih mulai pukul {at} WIB, setelah {minutes} menit tanpa perubahan."
    )
    call.refresh_from_db()
    assert call.operator == colleague and CallTransition.objects.filter(call=call).count() == trail
    with time_machine.travel(free_at, tick=False):
        assert call_take_over(call_id=call.pk, user=operator, from_operator="op_busy").operator == operator


def test_the_take_over_refusal_is_said_in_english_too(operator, make_user):
    colleague = make_user("operator", username="op_typing")
    call, _ = call_create(operator=colleague, caller_number="081234560016")
    with translation.override("en"), pytest.raises(Conflict) as exc:
        call_take_over(call_id=call.pk, user=operator)
    assert exc.value.message.startswith("op_typing is still handling this call: it can be taken over from ")


def test_an_edit_starts_the_take_over_time_again(operator, make_user):
    from calls.services import call_update

    colleague = make_user("operator", username="op_editing")
    call, _ = call_create(operator=colleague, caller_number="081234560017", notes="ada asap")
    wait = timedelta(seconds=settings.CALL_TAKE_OVER_AFTER_SECONDS)
    edited_at = call.last_touched_at + wait - timedelta(seconds=30)
    with time_machine.travel(edited_at, tick=False):
        call_update(call_id=call.pk, user=colleague, notes="ada asap tebal")
    # Quiet long enough counted from the answer, not from the edit: still the colleague's.
    with time_machine.travel(call.last_touched_at + wait, tick=False), pytest.raises(Conflict):
        call_take_over(call_id=call.pk, user=operator)
    with time_machine.travel(edited_at + wait, tick=False):
        assert call_take_over(call_id=call.pk, user=operator).operator == operator


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_takes_over_a_colleagues_call_at_once(make_user, role):
    colleague = make_user("operator", username=f"op_ill_{role}")
    call, _ = call_create(operator=colleague, caller_number="081234560018")
    lead = make_user(role)
    taken = call_take_over(call_id=call.pk, user=lead, from_operator=colleague.get_username())
    assert taken.operator == lead
    assert CallTransition.objects.filter(call=call, reason_code="taken_over", reason_params={"who": colleague.get_username()}).exists()


def test_a_finished_call_is_refused_even_to_a_supervisor(make_user):
    colleague = make_user("operator", username="op_finished")
    call, _ = call_create(operator=colleague, caller_number="081234560019")
    call_classify(call_id=call.pk, user=colleague, call_type="information")
    with pytest.raises(Conflict, match="tidak sedang ditangani"):
        call_take_over(call_id=call.pk, user=make_user("supervisor"))
