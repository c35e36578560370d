"""Retention under UU PDP 27/2022: old caller numbers become keyed pseudonyms; statistics stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from agencies.retention import caller_pseudonym
from calls.models import Call, Caller
from calls.services import call_classify, call_create

pytestmark = pytest.mark.django_db

OLD_NUMBER = "081234500001"
NEW_NUMBER = "081234500002"


def _stats():
    by_type = dict(Call.objects.values_list("call_type").annotate(n=Count("id")).values_list("call_type", "n"))
    by_day = list(Call.objects.annotate(day=TruncDate("received_at")).values("day").annotate(n=Count("id")).order_by("day"))
    return by_type, by_day


@pytest.fixture
def history(operator):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=400), tick=False):
        old1, _ = call_create(operator=operator, caller_number=OLD_NUMBER, notes="kebakaran di gudang")
        call_classify(call_id=old1.pk, user=operator, call_type="prank")
    with time_machine.travel(now - timedelta(days=390), tick=False):
        old2, _ = call_create(operator=operator, caller_number=OLD_NUMBER, notes="tanya info")
        call_classify(call_id=old2.pk, user=operator, call_type="information")
        mixed_old, _ = call_create(operator=operator, caller_number=NEW_NUMBER, notes="lama")
    recent, _ = call_create(operator=operator, caller_number=NEW_NUMBER, notes="baru")
    return old1, old2, mixed_old, recent


def test_old_callers_are_pseudonymised_and_statistics_stay(history, settings):
    old1, old2, mixed_old, recent = history
    before = _stats()
    settings.RETENTION_DAYS = 365
    call_command("pseudonymise_callers")
    old_caller = Caller.objects.get(pk=old1.caller_id)
    assert old_caller.number == caller_pseudonym("+6281234500001") and old_caller.number.startswith("anon:")
    assert old_caller.pseudonymised_at is not None
    for call in (old1, old2):
        call.refresh_from_db()
        assert call.caller_number_raw == "" and call.caller_id == old_caller.pk
    old1.refresh_from_db()
    assert old1.notes == "kebakaran di gudang" and old1.call_type == "prank"
    # A caller with a recent call keeps the number, also on the old call.
    kept = Caller.objects.get(pk=recent.caller_id)
    assert kept.number == "+6281234500002" and kept.pseudonymised_at is None
    mixed_old.refresh_from_db()
    assert mixed_old.caller_number_raw == NEW_NUMBER
    assert _stats() == before
    assert old_caller.calls.count() == 2


def test_older_than_days_option_and_idempotence(history):
    call_command("pseudonymise_callers", "--older-than-days", "395")
    assert not Caller.objects.filter(pseudonymised_at__isnull=False).exists(), "last call 390 days ago is within 395"
    call_command("pseudonymise_callers", "--older-than-days", "380")
    pseudonymised = Caller.objects.filter(pseudonymised_at__isnull=False)
    assert list(pseudonymised.values_list("number", flat=True)) == [caller_pseudonym("+6281234500001")]
    first = pseudonymised.get().pseudonymised_at
    call_command("pseudonymise_callers", "--older-than-days", "380")
    assert Caller.objects.get(pseudonymised_at__isnull=False).pseudonymised_at == first


def test_pseudonym_is_keyed_by_secret_key(settings):
    first = caller_pseudonym("+6281234500001")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert caller_pseudonym("+6281234500001") != first


AML_SMS = 'A"ML=1;lt=-3.84067;lg=+102.32073;rd=50;top={top};lc=68;pm=G;si=510101234567890;ei=356938035643809;mcc=510;mnc=10;ml=124'


def _rows_text(model) -> str:
    import json

    return json.dumps(list(model.objects.values()), default=str)


def test_every_copy_of_the_number_goes_with_the_caller(ref, make_user, operator, settings):
    from calls.aml import aml_receive, parse_aml
    from calls.blocking import block_manual
    from calls.models import AmlLocation, TelephonyEvent
    from calls.telephony import telephony_event
    from dispatch.models import Event

    pbx = make_user("pbx")
    supervisor = make_user("supervisor")
    now = timezone.now()
    then = now - timedelta(days=400)
    with time_machine.travel(then, tick=False):
        telephony_event(pbx=pbx, event="ringing", pbx_call_id="old-1", at=then, caller_number=OLD_NUMBER)
        telephony_event(pbx=pbx, event="answered", pbx_call_id="old-1", at=then, caller_number="+62" + OLD_NUMBER[1:])
        aml_receive(message=parse_aml({"sms": AML_SMS.format(top=then.strftime("%Y%m%d%H%M%S")), "from": OLD_NUMBER}))
        # A fix that never found its call.
        aml_receive(message=parse_aml({"lat": "-3.8", "lon": "102.3", "from": OLD_NUMBER, "imsi": "510109999999999"}),
                    now=then - timedelta(days=1))
        block_manual(caller_number="+6281234500001", user=supervisor, reason="prank berulang", hours=24)
    telephony_event(pbx=pbx, event="ringing", pbx_call_id="new-1", at=now, caller_number=NEW_NUMBER)
    digits = OLD_NUMBER[1:]  # in every written form: 0812..., 62812..., +62812...
    assert digits in _rows_text(TelephonyEvent) and digits in _rows_text(AmlLocation) and digits in _rows_text(Event)
    assert "510101234567890" in _rows_text(AmlLocation)

    settings.RETENTION_DAYS = 365
    call_command("pseudonymise_callers")

    pseudonym = caller_pseudonym("+6281234500001")
    for model in (Call, Caller, TelephonyEvent, AmlLocation, Event):
        text = _rows_text(model)
        assert digits not in text, f"{model.__name__} still holds the number"
    aml_text = _rows_text(AmlLocation)
    assert "510101234567890" not in aml_text and "356938035643809" not in aml_text and "510109999999999" not in aml_text
    assert set(AmlLocation.objects.values_list("caller_number", flat=True)) == {pseudonym}
    assert set(TelephonyEvent.objects.filter(pbx_call_id="old-1").values_list("caller_number", flat=True)) == {pseudonym}
    assert pseudonym in _rows_text(Event)
    # The fixes keep where they were; the recent caller keeps everything.
    assert AmlLocation.objects.filter(lat=-3.84067).exists()
    new_digits = NEW_NUMBER[1:]
    assert new_digits in _rows_text(TelephonyEvent) and new_digits in _rows_text(Event)


def test_callers_are_pseudonymised_in_batches(operator):
    from agencies.retention import callers_pseudonymise

    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        for n in range(5):
            call_create(operator=operator, caller_number=f"08123450010{n}")
    assert callers_pseudonymise(older_than_days=365, batch_size=2) == 5
    assert not Caller.objects.filter(pseudonymised_at__isnull=True).exists()
    assert callers_pseudonymise(older_than_days=365, batch_size=2) == 0
