"""The escalation sweep end to end: level 1 when a dispatch is not acknowledged by
its deadline, level 2 (duty officers notified once each) after
ESCALATION_OFFICER_SECONDS more, exactly once even with two sweeps at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from agencies.models import DutyRoster, Membership
from dispatch import services
from dispatch.models import AuditLog, Dispatch, DispatchTransition, Event, Notification
from dispatch.shifts import shift_of
from dispatch.sweep import run_sweep

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB, shift pagi


@pytest.fixture
def officers(staff):
    """Two duty officers of Damkar on the 2 March pagi shift, plus one rostered non-officer."""
    day, shift = shift_of(START)
    people = []
    for n, chat in ((0, "5001"), (1, ""), (2, "5003")):
        user = staff("DAMKAR", n)
        Membership.objects.filter(user=user).update(telegram_chat_id=chat)
        DutyRoster.objects.create(agency=user.membership.agency, date=day, shift=shift, user=user, is_duty_officer=n != 2)
        people.append(user)
    return people


def _dispatch_at(open_incident, operator, when, type_code="kebakaran_bangunan", agency="DAMKAR"):
    with time_machine.travel(when, tick=False):
        incident = open_incident(type_code)
        [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=[agency])
    return dispatch


def test_not_escalated_before_the_deadline(open_incident, operator):
    dispatch = _dispatch_at(open_incident, operator, START)
    with time_machine.travel(START + timedelta(seconds=59), tick=False):
        assert run_sweep()["escalated"] == 0
    dispatch.refresh_from_db()
    assert dispatch.escalation_level == 0


def test_escalated_once_at_level_one_after_the_deadline(open_incident, operator):
    dispatch = _dispatch_at(open_incident, operator, START)
    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        assert run_sweep()["escalated"] == 1
        assert run_sweep()["escalated"] == 0
    dispatch.refresh_from_db()
    assert dispatch.escalation_level == 1 and dispatch.escalated_at == START + timedelta(seconds=61)
    assert dispatch.status == "dispatched"
    assert Event.objects.filter(type="dispatch.escalated", data__id=dispatch.pk).count() == 1
    event = Event.objects.get(type="dispatch.escalated", data__id=dispatch.pk)
    assert event.agency_code == "DAMKAR" and event.data["escalation_level"] == 1
    assert DispatchTransition.objects.filter(dispatch=dispatch, reason_code="escalated").count() == 1
    assert AuditLog.objects.filter(action="dispatch.escalate", object_id=str(dispatch.pk), detail__level=1).count() == 1


def test_deadline_follows_agency_and_priority(open_incident, operator):
    from agencies.models import Agency

    Agency.objects.filter(code="DAMKAR").update(ack_seconds_p2=30)
    p2 = _dispatch_at(open_incident, operator, START, type_code="pohon_tumbang")
    p3 = _dispatch_at(open_incident, operator, START, type_code="air_pdam", agency="PDAM")
    with time_machine.travel(START + timedelta(seconds=31), tick=False):
        run_sweep()
    p2.refresh_from_db(), p3.refresh_from_db()
    assert (p2.escalation_level, p3.escalation_level) == (1, 0)
    with time_machine.travel(START + timedelta(seconds=601), tick=False):
        run_sweep()
    p3.refresh_from_db()
    assert p3.escalation_level == 1


def test_an_acknowledged_dispatch_is_not_escalated(open_incident, operator, staff):
    dispatch = _dispatch_at(open_incident, operator, START)
    with time_machine.travel(START + timedelta(seconds=30), tick=False):
        services.dispatch_acknowledge(dispatch_id=dispatch.pk, user=staff("DAMKAR"))
    with time_machine.travel(START + timedelta(seconds=600), tick=False):
        assert run_sweep()["escalated"] == 0


def test_duty_officers_are_notified_once_each_after_the_officer_delay(open_incident, operator, officers, settings):
    settings.ESCALATION_OFFICER_SECONDS = 120
    dispatch = _dispatch_at(open_incident, operator, START)
    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        run_sweep()
    with time_machine.travel(START + timedelta(seconds=61 + 119), tick=False):
        run_sweep()
    assert not Notification.objects.exists()
    with time_machine.travel(START + timedelta(seconds=61 + 121), tick=False):
        run_sweep()
        run_sweep()
    dispatch.refresh_from_db()
    assert dispatch.escalation_level == 2 and dispatch.officer_notified_at is not None
    notifications = Notification.objects.filter(dispatch=dispatch, kind="duty_officer")
    # Chat id when the officer has one, the username otherwise; the non-officer is not paged.
    assert sorted(notifications.values_list("recipient", flat=True)) == sorted(["5001", f"user:{officers[1].username}"])
    assert all(n.status == "sent" and n.attempts == 1 for n in notifications)
    assert f"#{dispatch.pk}" in notifications[0].text and "DAMKAR" in notifications[0].text
    assert Event.objects.filter(type="dispatch.escalated", data__id=dispatch.pk).count() == 2


def test_agency_chat_is_the_fallback_when_nobody_is_rostered(open_incident, operator, settings):
    from agencies.models import Agency

    Agency.objects.filter(code="DAMKAR").update(telegram_chat_id="-100777")
    dispatch = _dispatch_at(open_incident, operator, START)
    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        run_sweep()
    with time_machine.travel(START + timedelta(seconds=61 + settings.ESCALATION_OFFICER_SECONDS + 1), tick=False):
        run_sweep()
    assert list(Notification.objects.filter(dispatch=dispatch).values_list("recipient", flat=True)) == ["-100777"]


@pytest.mark.services  # concurrent writers on row locks: PostgreSQL semantics
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_and_notify_exactly_once(ref, open_incident, operator, officers, telegram, settings):
    settings.ESCALATION_OFFICER_SECONDS = 120
    dispatches = [_dispatch_at(open_incident, operator, START) for _ in range(3)]

    def two_sweeps_at(moment):
        barrier = threading.Barrier(2)
        results, errors = [], []

        def sweep():
            try:
                with time_machine.travel(moment, tick=False):
                    barrier.wait(timeout=10)
                    results.append(run_sweep())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        return results

    level1 = two_sweeps_at(START + timedelta(seconds=61))
    assert sum(r["escalated"] for r in level1) == 3
    level2 = two_sweeps_at(START + timedelta(seconds=61 + 121))
    assert sum(r["escalated"] for r in level2) == 3
    for dispatch in dispatches:
        assert Event.objects.filter(type="dispatch.escalated", data__id=dispatch.pk).count() == 2
        assert DispatchTransition.objects.filter(dispatch=dispatch, reason_code__in=["escalated", "officer_notified"]).count() == 2
    notifications = Notification.objects.all()
    assert notifications.count() == 3 * 2
    assert all(n.status == "sent" and n.attempts == 1 for n in notifications)
    # The Telegram stand-in received one sendMessage per notification, never a second.
    sent = sorted((c["body"]["chat_id"], c["body"]["text"]) for c in telegram.calls)
    assert len(sent) == len(set(sent)) == 6
    assert all(c["path"] == "/bot123:test-token/sendMessage" for c in telegram.calls)
    assert Dispatch.objects.filter(escalation_level=2).count() == 3
