"""Every write to a call, an incident or a dispatch goes through the change hook (core/changes.py).

The write services are listed from their modules, so a new one must either appear in SCENARIOS (and
is then run on a record of a signed-off day) or in NO_HOOK with the reason it needs none.
"""

from __future__ import annotations

import inspect
import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from agencies.geo import Location
from agencies.models import IncidentType
from calls import aml, blocking, callbacks, importer, quality, telephony
from calls import services as call_services
from calls.models import Call
from core import changes
from dispatch import services as dispatch_services
from dispatch.models import Dispatch
from dispatch.shifts import WIB, wib_today
from reports.models import Amendment, ReportDay
from reports.services import day_signoff

WRITE_MODULES = [call_services, telephony, aml, importer, callbacks, quality, blocking, dispatch_services]

# Public functions of those modules that write no call, incident or dispatch (or only read, or only build a value).
NO_HOOK = {
    "calls.services.request_fingerprint": "hashes a request body",
    "calls.services.call_event": "builds an event payload",
    "calls.services.call_create": "a shorthand for call_intake",
    "calls.telephony.operator_for_extension": "a read",
    "calls.aml.parse_aml": "parses a message",
    "calls.aml.aml_event_data": "builds an answer's payload",
    "calls.aml.aml_fix": "builds an event payload",
    "calls.aml.aml_attach_pending": "runs inside call_intake's or a PBX event's transaction; _attach calls the hook",
    "calls.aml.aml_attach_fix": "as aml_attach_pending",
    "calls.aml.pending_fix_window": "a computation",
    "calls.aml.pending_fix_query": "builds a query",
    "calls.aml.pending_fix_id": "a read",
    "calls.aml.latest_aml_for_call": "a read",
    "calls.callbacks.callback_for_ghost_call": "writes a call-back row, not the call (inside call_classify, which calls the hook)",
    "calls.callbacks.flag_overdue_callbacks": "marks call-back rows overdue; the call is unchanged",
    "calls.callbacks.callback_event": "builds an event payload",
    "calls.callbacks.callback_record_outcome": "records the call-back's outcome on its own row; the call's figures are unchanged",
    "calls.callbacks.open_callbacks": "a read",
    "calls.quality.shift_bounds": "a computation",
    "calls.quality.sample_shift": "writes review rows; the calls are unchanged",
    "calls.quality.review_record": "records a reviewer's correction on the review row; the call keeps its classification",
    "calls.quality.corrections_per_operator": "a read",
    "calls.blocking.current_policy": "a read",
    "calls.blocking.block_event": "builds an event payload",
    "calls.blocking.after_classification": "writes a block (inside call_classify, which calls the hook)",
    "calls.blocking.block_manual": "writes a block, not a call",
    "calls.blocking.block_lift": "lifts blocks, not calls",
    "calls.blocking.note_call_from_blocked_number": "counts on the block row (inside call_intake, which calls the hook)",
    "calls.blocking.block_policy_update": "writes the policy",
    "calls.blocking.active_blocks": "a read",
    "dispatch.services.incident_event": "builds an event payload",
    "dispatch.services.dispatch_event": "builds an event payload",
    "dispatch.services.suggested_agencies": "a read",
    "dispatch.services.incident_has_place": "a predicate",
}


def _public_functions(module) -> list[str]:
    return [
        f"{module.__name__}.{name}"
        for name, member in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and member.__module__ == module.__name__
    ]


# --- the records of a signed-off day --------------------------------------------------------------


class World:
    """Yesterday's (WIB) calls, incident and dispatch, the day signed off; the accounts that act on them."""

    def __init__(self, make_user):
        self.operator = make_user("operator")
        self.colleague = make_user("operator")
        self.supervisor = make_user("supervisor")
        self.damkar = make_user("agency", "DAMKAR")
        self.pbx = make_user("pbx")
        self.yesterday = wib_today() - timedelta(days=1)
        self.noon = datetime(self.yesterday.year, self.yesterday.month, self.yesterday.day, 12, tzinfo=WIB)
        with time_machine.travel(self.noon, tick=False):
            first, _ = call_services.call_create(operator=self.operator, caller_number="081234500001", notes="api di ruko",
                                                 location=Location(lat=-3.84067, lon=102.32073))
            first = call_services.call_classify(call_id=first.pk, user=self.operator, call_type="emergency",
                                                incident_type="kebakaran_bangunan")
            self.incident = first.incident
            second, _ = call_services.call_create(operator=self.operator, caller_number="081234500002")
            self.second = call_services.call_classify(call_id=second.pk, user=self.operator, call_type="emergency",
                                                      duplicate_of=self.incident.pk)
            self.active, _ = call_services.call_create(operator=self.colleague, caller_number="081234500003")
            self.ringing, _ = call_services.call_create(operator=self.operator, caller_number="081234500004",
                                                        status=Call.Status.RINGING)
            telephony.telephony_event(pbx=self.pbx, event="ringing", pbx_call_id="pbx-1", at=self.noon,
                                      caller_number="081234500005")
            self.dispatch = dispatch_services.incident_dispatch(incident_id=self.incident.pk, user=self.operator,
                                                                agency_codes=["DAMKAR"])[0]
        day_signoff(day=self.yesterday, user=self.supervisor)


def _run_incident_to_closed(world: World) -> None:
    dispatch_services.dispatch_set_status(dispatch_id=world.dispatch.pk, user=world.operator, status="cancelled", note="salah")
    dispatch_services.incident_close(incident_id=world.incident.pk, user=world.operator)


SCENARIOS = {
    "calls.services.call_intake": (
        "call", lambda w: telephony.telephony_event(pbx=w.pbx, event="ringing", pbx_call_id="pbx-late", at=w.noon,
                                                    caller_number="081234500009"),
    ),
    "calls.services.call_update": ("call", lambda w: call_services.call_update(call_id=w.active.pk, user=w.colleague, notes="x")),
    "calls.services.call_take_over": ("call", lambda w: call_services.call_take_over(call_id=w.active.pk, user=w.operator)),
    "calls.services.call_classify": (
        "call", lambda w: call_services.call_classify(call_id=w.active.pk, user=w.colleague, call_type="prank"),
    ),
    "calls.services.call_unlink": ("call", lambda w: call_services.call_unlink(call_id=w.second.pk, user=w.operator)),
    "calls.telephony.telephony_event": (
        "call", lambda w: telephony.telephony_event(pbx=w.pbx, event="hangup", pbx_call_id="pbx-1",
                                                    at=w.noon + timedelta(seconds=20)),
    ),
    "calls.telephony.call_claim": ("call", lambda w: telephony.call_claim(call_id=w.ringing.pk, user=w.operator)),
    "calls.aml.aml_receive": (
        "call", lambda w: aml.aml_receive(
            message=aml.AmlMessage(number=w.active.caller.number, lat=-3.8, lon=102.3, radius_m=20, positioned_at=w.noon,
                                   confidence=68, method="GNSS", imei="", imsi="", mcc="510", mnc="10", source="sms",
                                   raw=""),
            now=w.noon + timedelta(seconds=5)),
    ),
    "calls.importer.import_calls": (
        "call", lambda w: importer.import_calls(io.StringIO(
            ",".join(importer.COLUMNS) + "\n"
            + f"imp-1,{w.noon.isoformat()},,081234500010,prank,,,iseng,,,,,\n")),
    ),
    # The new incident belongs to today; the call it comes from to the signed-off day.
    "dispatch.services.incident_open": (
        "incident", lambda w: call_services.call_classify(call_id=w.active.pk, user=w.colleague, call_type="emergency",
                                                          incident_type="banjir"),
        "call",
    ),
    "dispatch.services.incident_attach_call": (
        "incident", lambda w: call_services.call_classify(call_id=w.active.pk, user=w.colleague, call_type="emergency",
                                                          duplicate_of=w.incident.pk),
    ),
    "dispatch.services.incident_detach_call": (
        "incident", lambda w: call_services.call_classify(call_id=w.second.pk, user=w.operator, call_type="information"),
    ),
    "dispatch.services.incident_retype": (
        "incident", lambda w: dispatch_services.incident_retype(
            incident_id=w.incident.pk, incident_type=IncidentType.objects.get(code="banjir"), user=w.operator),
    ),
    "dispatch.services.incident_dispatch": (
        "dispatch", lambda w: dispatch_services.incident_dispatch(incident_id=w.incident.pk, user=w.operator,
                                                                  agency_codes=["BPBD"]),
    ),
    "dispatch.services.dispatch_acknowledge": (
        "dispatch", lambda w: dispatch_services.dispatch_acknowledge(dispatch_id=w.dispatch.pk, user=w.damkar),
    ),
    "dispatch.services.dispatch_set_status": (
        "dispatch", lambda w: dispatch_services.dispatch_set_status(dispatch_id=w.dispatch.pk, user=w.operator,
                                                                    status="cancelled", note="salah kirim"),
    ),
    "dispatch.services.incident_close": ("incident", _run_incident_to_closed),
    "dispatch.services.incident_relocate": (
        "incident", lambda w: dispatch_services.incident_relocate(incident_id=w.incident.pk, user=w.operator,
                                                                  location=Location(lat=-3.80, lon=102.27)),
    ),
    "dispatch.services.incident_add_note": (
        "incident", lambda w: dispatch_services.incident_add_note(incident_id=w.incident.pk, user=w.operator, text="api padam"),
    ),
    "dispatch.services.incident_reopen": (
        "incident", lambda w: (_run_incident_to_closed(w),
                               dispatch_services.incident_reopen(incident_id=w.incident.pk, user=w.operator, reason="api lagi")),
    ),
    "dispatch.services.escalate_overdue": (
        "dispatch", lambda w: dispatch_services.escalate_overdue(now=timezone.now()),
    ),
}


def test_every_write_service_is_either_run_through_the_hook_or_says_why_it_needs_none():
    listed = {name for module in WRITE_MODULES for name in _public_functions(module)}
    assert sorted(listed - SCENARIOS.keys() - NO_HOOK.keys()) == []
    assert sorted((SCENARIOS.keys() | NO_HOOK.keys()) - listed) == []  # nothing listed that no longer exists


@pytest.fixture
def spy():
    seen: list[changes.Change] = []
    changes.on_change(seen.append)
    yield seen
    changes._receivers.remove(seen.append)


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_a_write_to_a_record_of_a_signed_off_day_goes_through_the_hook_and_leaves_an_amendment(service, ref, make_user, spy):
    world = World(make_user)
    before = Amendment.objects.count()
    stale_before = dict(ReportDay.objects.values_list("day", "version"))
    spy.clear()
    object_type, run, *past = SCENARIOS[service]
    past_type = past[0] if past else object_type  # what of the signed-off day it changes
    run(world)
    assert [c for c in spy if c.object_type == object_type], f"{service} wrote a {object_type} without calling the hook"
    on_the_day = [c for c in spy if world.yesterday in {m.astimezone(WIB).date() for m in c.moments}]
    assert any(c.object_type == past_type for c in on_the_day)
    # The reports' receiver: an amendment on the signed-off day, and (for calls) the day's roll-up stale.
    amendments = Amendment.objects.filter(day=world.yesterday).order_by("pk")[before:]
    assert any(a.object_type == past_type for a in amendments)
    if past_type == "call":
        assert ReportDay.objects.get(day=world.yesterday).version > stale_before.get(world.yesterday, 0)


@pytest.mark.django_db
def test_a_change_to_todays_call_costs_no_query_in_the_reports_receiver(ref, operator, django_assert_num_queries):
    call, _ = call_services.call_create(operator=operator, caller_number="081234500020")
    with django_assert_num_queries(0):
        changes.call_changed(call, action="call.update", user=operator)
    assert not Amendment.objects.exists() and not ReportDay.objects.exists()
