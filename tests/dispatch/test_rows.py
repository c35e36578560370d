"""A row and its trail in one statement: the same rows the ORM stores, all or none, one round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from agencies.models import Kelurahan
from calls.models import Call, Caller, CallTransition
from dispatch import rows
from dispatch.audit import audit_row
from dispatch.models import AuditLog

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 4, 5, 6, 789000, tzinfo=UTC)


def _call(operator, key: str) -> Call:
    return Call(
        caller=Caller.objects.create(number=f"+6281234{key[-5:]}", first_seen_at=AT),
        caller_number_raw="0812 34 " + key,
        number_invalid=False,
        status=Call.Status.ACTIVE,
        operator=operator,
        received_at=AT,
        answered_at=AT,
        notes="Kebakaran rumah, asap tebal — 'kutip' & \"dua\"",
        lat=-3.7956,
        lon=102.2592,
        address="Jl. Suprapto",
        kelurahan=Kelurahan.objects.order_by("code").first(),
        idempotency_key=key,
        request_hash="ab" * 32,
    )


def _trail(call: Call, operator) -> tuple[CallTransition, AuditLog]:
    transition = CallTransition(call=call, at=AT, by=operator, from_status="", to_status=call.status, reason="")
    entry = audit_row("call.create", user=operator, obj=call, address="10.1.2.3", detail={"via": "test", "n": 1})
    entry.at = AT
    return transition, entry


def _stored(model, **lookup) -> dict:
    row = model.objects.filter(**lookup).values().get()
    row.pop("id")
    return row


def test_stores_the_rows_the_orm_stores(operator):
    by_orm = _call(operator, "orm-00001")
    by_orm.save(force_insert=True)
    transition, entry = _trail(by_orm, operator)
    transition.save(force_insert=True)
    entry.object_id = str(by_orm.pk)
    entry.save(force_insert=True)

    together = _call(operator, "one-00002")
    transition, entry = _trail(together, operator)
    transition.call_id = rows.NEW_ID
    entry.object_id = rows.NEW_ID_TEXT
    rows.insert_with_trail(together, transition, entry)

    assert together.pk is not None and together.pk != by_orm.pk
    assert not together._state.adding
    assert (transition.call_id, entry.object_id) == (together.pk, str(together.pk))

    expected, got = _stored(Call, pk=by_orm.pk), _stored(Call, pk=together.pk)
    for differs in ("caller_id", "caller_number_raw", "idempotency_key"):
        expected.pop(differs), got.pop(differs)
    assert got == expected
    expected = _stored(CallTransition, call_id=by_orm.pk) | {"call_id": None}
    assert _stored(CallTransition, call_id=together.pk) | {"call_id": None} == expected
    expected = _stored(AuditLog, object_id=str(by_orm.pk)) | {"object_id": ""}
    assert _stored(AuditLog, object_id=str(together.pk)) | {"object_id": ""} == expected
    assert Call.objects.get(pk=together.pk).transitions.get().to_status == Call.Status.ACTIVE


def test_a_row_refused_by_a_constraint_stores_none_of_its_trail(operator):
    first = _call(operator, "dup-00003")
    rows.insert_with_trail(first)
    again = _call(operator, "dup-00004")
    again.idempotency_key = first.idempotency_key
    transition, entry = _trail(again, operator)
    transition.call_id = rows.NEW_ID
    entry.object_id = rows.NEW_ID_TEXT
    transitions, entries = CallTransition.objects.count(), AuditLog.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_with_trail(again, transition, entry)
    assert (CallTransition.objects.count(), AuditLog.objects.count()) == (transitions, entries)
    assert Call.objects.filter(idempotency_key=first.idempotency_key).count() == 1


def test_is_one_statement_on_postgresql(operator, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the single statement is PostgreSQL's; elsewhere each row is saved in turn")
    call = _call(operator, "one-00005")
    transition, entry = _trail(call, operator)
    transition.call_id = rows.NEW_ID
    entry.object_id = rows.NEW_ID_TEXT
    with django_assert_num_queries(1):
        rows.insert_with_trail(call, transition, entry)
    assert CallTransition.objects.filter(call=call).exists()
    assert AuditLog.objects.filter(object_type="call", object_id=str(call.pk)).exists()


def test_a_trail_alone_stores_the_rows_saving_each_stores(operator, django_assert_max_num_queries):
    call = _call(operator, "trl-00006")
    rows.insert_with_trail(call)
    saved = _trail(call, operator)
    for row in saved:
        row.save(force_insert=True)
    together = _trail(call, operator)
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 2):
        rows.insert_trail(*together)
    transitions = list(CallTransition.objects.filter(call=call).order_by("id").values())
    entries = list(AuditLog.objects.filter(object_id=str(call.pk)).order_by("id").values())
    assert len(transitions) == len(entries) == 2
    for pair in (transitions, entries):
        assert {k: v for k, v in pair[0].items() if k != "id"} == {k: v for k, v in pair[1].items() if k != "id"}


def test_instance_from_row_loads_what_the_orm_loads():
    stored = Caller.objects.create(number="+6281234500001", first_seen_at=AT, pseudonymised_at=AT)
    columns = ("id", "number", "first_seen_at", "pseudonymised_at")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, number, first_seen_at, pseudonymised_at FROM calls_caller WHERE id = %s", [stored.pk])
        row = cursor.fetchone()
    loaded = rows.instance_from_row(Caller, columns, row)
    by_orm = Caller.objects.get(pk=stored.pk)
    assert [getattr(loaded, c) for c in columns] == [getattr(by_orm, c) for c in columns]
    assert loaded.first_seen_at == AT and loaded.first_seen_at.tzinfo is not None  # converted on SQLite, as the ORM does
    assert not loaded._state.adding and loaded._state.db == "default"  # as loaded: a save() updates, never inserts
