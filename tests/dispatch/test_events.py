"""The live event stream: gapless seq in commit order, the events API, broadcasts
that fail without failing the request, and a schema for every event type."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from dispatch import events
from dispatch.event_types import Alert
from dispatch.models import Event

ORIGIN_SEQ = "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM dispatch_event"


def _write_concurrently_and_watch(writers: int, write) -> int:
    """Run `write(n)` on `writers` threads while an observer checks that no seq commits ahead of an
    earlier one; returns the highest seq before they started."""
    start_count, _, start_max = _snapshot()
    stop = threading.Event()
    holes: list[tuple] = []
    errors: list[BaseException] = []

    def writer(n):
        try:
            write(n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def observer():
        try:
            while not stop.is_set():
                count, low, high = _snapshot()
                # Everything up to the newest visible seq is visible: no seq commits ahead of an earlier one.
                if count - start_count != high - start_max:
                    holes.append((count, low, high))
        finally:
            connections.close_all()

    watch = threading.Thread(target=observer)
    watch.start()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert not errors, errors
    assert not holes, holes[:5]
    return start_max


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_seq_is_gapless_and_in_commit_order_under_concurrent_writers(ref, make_user):
    """Writers on 6 threads; an observer never sees seq N committed while an earlier one is not."""
    from calls.services import call_create

    operators = [make_user("operator") for _ in range(6)]

    def write(n):
        for i in range(15):
            call_create(operator=operators[n], caller_number=f"0812{n:02d}{i:06d}")

    start_max = _write_concurrently_and_watch(6, write)
    seqs = list(Event.objects.filter(seq__gt=start_max).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(start_max + 1, start_max + 1 + 6 * 15))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_seq_stays_gapless_when_writers_store_several_events_at_once(ref):
    """Each transaction stores three held events in one statement, with its COMMIT (`events.atomic`);
    they take consecutive seqs in order."""

    def write(n):
        for i in range(10):
            with events.atomic():
                for k in range(3):
                    events.emit(Alert(kind=f"{n}.{i}.{k}", message="m"))

    start_max = _write_concurrently_and_watch(6, write)
    stored = list(Event.objects.filter(seq__gt=start_max).order_by("seq").values_list("seq", "data__kind"))
    assert [seq for seq, _ in stored] == list(range(start_max + 1, start_max + 1 + 6 * 10 * 3))
    for first in range(0, len(stored), 3):
        kinds = [kind for _, kind in stored[first : first + 3]]
        assert [kind.rsplit(".", 1)[1] for kind in kinds] == ["0", "1", "2"]
        assert len({kind.rsplit(".", 1)[0] for kind in kinds}) == 1


@pytest.mark.django_db(transaction=True)
def test_held_events_are_stored_in_one_statement_and_published_with_their_seqs(
    ref, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    published: list[events.Envelope] = []
    monkeypatch.setattr(events, "publish_after_commit", published.append)
    with transaction.atomic():  # the counter row exists once one event is stored
        events.emit(Alert(kind="zero", message="m"))
    published.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # Held while the block runs, stored when it ends: one statement on PostgreSQL (besides the
        # savepoint events.atomic() makes inside the test's transaction).
        with CaptureQueriesContext(connection) as captured, events.atomic():
            for kind in ("one", "two", "three"):
                events.emit(Alert(kind=kind, message="m"))
        statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) <= (1 if connection.vendor == "postgresql" else 6), statements
        stored = list(Event.objects.order_by("-seq").values_list("seq", "data__kind")[:3])[::-1]
    assert [kind for _, kind in stored] == ["one", "two", "three"]
    assert [(e.seq, e.data["kind"]) for e in published] == stored


def _snapshot():
    with connection.cursor() as cursor:
        cursor.execute(ORIGIN_SEQ)
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(ref):
    with pytest.raises(RuntimeError):
        events.emit(Alert(kind="x", message="y"))


@pytest.mark.django_db
def test_an_event_not_built_through_its_type_is_refused(ref):
    from django.db import transaction

    with transaction.atomic(), pytest.raises(TypeError):
        events.emit({"kind": "x", "message": "y"})


@pytest.mark.django_db
def test_an_event_type_without_a_definition_is_refused(ref):
    from django.db import transaction

    from dispatch.event_types import LiveEvent

    class Exploded(LiveEvent):
        type = "call.exploded"

    with transaction.atomic(), pytest.raises(ValueError, match="call.exploded"):
        events.emit(Exploded())


# --- the events API -------------------------------------------------------------


@pytest.fixture
def three_dispatches(ref, operator, open_incident):
    """Incident A to DAMKAR; incident B to DAMKAR and BPBD. Returns the first new seq."""
    from dispatch.services import incident_dispatch

    before = events.last_seq()
    a = open_incident()
    incident_dispatch(incident_id=a.pk, user=operator, agency_codes=["DAMKAR"])
    b = open_incident(number="081234500009")
    incident_dispatch(incident_id=b.pk, user=operator, agency_codes=["DAMKAR", "BPBD"])
    return before


@pytest.mark.django_db
def test_events_api_returns_oldest_first_after_seq(three_dispatches, client_for, operator):
    body = client_for(operator).get(f"/api/v1/events/?after={three_dispatches}").json()
    seqs = [e["seq"] for e in body]
    assert seqs == sorted(seqs) and seqs[0] == three_dispatches + 1
    assert seqs == list(Event.objects.filter(seq__gt=three_dispatches).values_list("seq", flat=True))
    later = client_for(operator).get(f"/api/v1/events/?after={seqs[2]}").json()
    assert [e["seq"] for e in later] == seqs[3:]
    assert {e["type"] for e in body} >= {"call.created", "incident.created", "dispatch.created"}


@pytest.mark.django_db
def test_events_api_is_scoped_for_agency_staff(three_dispatches, client_for, staff):
    body = client_for(staff("BPBD")).get(f"/api/v1/events/?after={three_dispatches}").json()
    assert [(e["type"], e["data"]["agency"]) for e in body] == [("dispatch.created", "BPBD")]
    damkar = client_for(staff("DAMKAR")).get(f"/api/v1/events/?after={three_dispatches}").json()
    assert [e["data"]["agency"] for e in damkar] == ["DAMKAR", "DAMKAR"]
    assert client_for(staff("DINKES")).get("/api/v1/events/?after=0").json() == []


@pytest.mark.django_db
@pytest.mark.parametrize("after", ["abc", "1.5", "", "1e3", "%20"])
def test_events_api_rejects_a_bad_after(ref, client_for, operator, after):
    response = client_for(operator).get(f"/api/v1/events/?after={after}")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.django_db
def test_events_api_needs_a_role(ref, client):
    assert client.get("/api/v1/events/?after=0").status_code in (401, 403)


# --- broadcast failures ---------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_failed_broadcast_never_fails_the_request_and_the_event_is_stored(ref, settings, client_for, operator, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "prefix": "dead"},
        }
    }
    response = client_for(operator).post("/api/v1/calls/", {"caller_number": "081234567899"}, format="json")
    assert response.status_code == 201, response.content
    stored = Event.objects.get(type="call.created", data__id=response.json()["id"])
    # The request does not wait for Redis: the publisher thread reports the failure shortly after.
    deadline = time.monotonic() + 5
    failed = "broadcast of events %s..%s failed" % (stored.seq, stored.seq)
    while failed not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failed in caplog.text


@pytest.mark.services
def test_events_queued_while_the_publisher_is_busy_go_in_one_pipeline_in_order(settings):
    """A burst is published as it queued: in slices of BATCH_MAX, oldest first, every frame to its group."""
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    target = events._single_redis_pubsub()
    assert target is not None, "the test settings use channels-redis pub/sub when REDIS_URL is set"
    publisher = events._RedisPublisher(target[0])
    total = publisher.BATCH_MAX + 3
    base = 10_000_000
    for i in range(total):
        envelope = events.Envelope(seq=base + i, type=events.CALL_CREATED, data={"id": i}, agency_code="")
        publisher.queue.put((target[1], envelope, time.monotonic()))

    first, second = publisher._next_batch(), publisher._next_batch()
    assert [item[1].seq for item in first] == [base + i for i in range(publisher.BATCH_MAX)]
    assert [item[1].seq for item in second] == [base + i for i in range(publisher.BATCH_MAX, total)]

    layer = get_channel_layer()
    seqs: list[int] = []

    async def listen_and_publish():
        name = await layer.new_channel()
        await layer.group_add(events.FLOOR_GROUP, name)
        await asyncio.sleep(0.2)  # the subscription is live before anything is published
        assert await asyncio.to_thread(publisher.publish, first)
        assert await asyncio.to_thread(publisher.publish, second)
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(name), 1.0)
            except asyncio.TimeoutError:
                break
            if message["seq"] >= base:
                seqs.append(message["seq"])
        await layer.group_discard(events.FLOOR_GROUP, name)

    async_to_sync(listen_and_publish)()
    assert seqs == [base + i for i in range(total)]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_broadcast_sends_one_pre_serialised_frame_to_floor_and_own_agency(ref, operator, open_incident):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from dispatch.services import incident_dispatch

    layer = get_channel_layer()
    received: dict[str, list] = {}

    async def listen_and_act():
        import asyncio

        from asgiref.sync import sync_to_async

        names = {}
        for group in (events.FLOOR_GROUP, events.agency_group("DAMKAR"), events.agency_group("BPBD")):
            names[group] = await layer.new_channel()
            await layer.group_add(group, names[group])

        def act():
            incident = open_incident()
            incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])

        await sync_to_async(act)()
        for group, name in names.items():
            received[group] = []
            while True:
                try:
                    received[group].append(await asyncio.wait_for(layer.receive(name), 0.5))
                except asyncio.TimeoutError:
                    break

    async_to_sync(listen_and_act)()
    floor_types = [m["text"] for m in received[events.FLOOR_GROUP]]
    assert len(floor_types) == 5  # call.created, incident.created, call.updated, incident.updated, dispatch.created
    assert [m["type"] for m in received[events.agency_group("DAMKAR")]] == ["live.event"]
    assert '"type":"dispatch.created"' in received[events.agency_group("DAMKAR")][0]["text"]
    assert received[events.agency_group("BPBD")] == []


# --- schemas --------------------------------------------------------------------


def test_schema_check_reports_missing_and_unexpected_keys_nested_ones_included():
    assert events.payload_problems(events.ALERT, {"kind": "x"}) == ["missing message"]
    assert events.payload_problems(events.ALERT, {"kind": "x", "message": "m", "extra": 1}) == ["unexpected extra"]
    problems = events.payload_problems(
        events.DISPATCH_UPDATED, {**dict.fromkeys(events.EVENT_SCHEMAS[events.DISPATCH_UPDATED]), "incident": {"rogue": 1}}
    )
    assert "missing incident.priority" in problems and "unexpected incident.rogue" in problems
    assert events.payload_problems("call.exploded", {}) == ["unknown event type call.exploded"]


@pytest.mark.django_db
def test_every_event_of_a_full_flow_matches_its_schema(ref, operator, supervisor, staff, open_incident):
    from calls.blocking import block_lift, block_manual
    from calls.callbacks import flag_overdue_callbacks
    from calls.services import call_classify, call_create, call_update
    from dispatch import services

    before = events.last_seq()
    incident = open_incident()
    call = incident.calls.first()
    call_update(call_id=call.pk, user=operator, notes="api makin besar")
    dispatches = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR", "BPBD"])
    damkar, bpbd = sorted(dispatches, key=lambda d: d.agency.code != "DAMKAR")
    services.dispatch_acknowledge(dispatch_id=damkar.pk, user=staff("DAMKAR"))
    for status in ("en_route", "on_scene", "resolved"):
        services.dispatch_set_status(dispatch_id=damkar.pk, user=staff("DAMKAR"), status=status)
    services.escalate_overdue(now=timezone.now() + timedelta(hours=1))
    services.escalate_overdue(now=timezone.now() + timedelta(hours=2), officer_after=timedelta(seconds=1))
    services.dispatch_set_status(dispatch_id=bpbd.pk, user=operator, status="cancelled", note="salah kirim")
    services.incident_close(incident_id=incident.pk, user=operator)
    services.incident_reopen(incident_id=incident.pk, user=supervisor, reason="api menyala lagi")
    # A ghost call whose call-back runs late, and a blocked number that keeps calling.
    ghost, _ = call_create(operator=operator, caller_number="081298700001")
    call_classify(call_id=ghost.pk, user=operator, call_type="ghost")
    flag_overdue_callbacks(now=timezone.now() + timedelta(hours=1))
    block_manual(caller_number="+6281298700002", user=supervisor, reason="iseng berulang", hours=24)
    for _ in range(3):
        call_create(operator=operator, caller_number="081298700002")
    block_lift(caller_number="+6281298700002", user=supervisor, reason="sudah ditegur")
    # A BMKG quake starts disaster mode, a tsunami warning updates it, a supervisor ends it.
    from hazards.services import alert_receive_cap, disaster_end
    from tests.hazards.conftest import cap_at

    alert_receive_cap(data=cap_at("cap_earthquake.xml", sent=timezone.now(), tag="flow"))
    alert_receive_cap(data=cap_at("cap_tsunami.xml", sent=timezone.now(), tag="flow"))
    disaster_end(user=supervisor)

    emitted = list(Event.objects.filter(seq__gt=before).order_by("seq"))
    assert {e.type for e in emitted} == set(events.EVENT_TYPES)
    for event in emitted:
        assert events.payload_problems(event.type, event.data) == [], (event.seq, event.type)
        assert (event.agency_code != "") == event.type.startswith("dispatch."), (event.seq, event.type)


@pytest.mark.django_db
def test_events_held_by_a_services_transaction_are_stored_in_order_when_it_ends(ref):
    from django.db import transaction

    with transaction.atomic():
        before = Event.objects.count()
        with events.atomic():
            events.emit(Alert(kind="first", message="a"))
            events.emit(Alert(kind="second", message="b"))
            assert Event.objects.count() == before
        stored = list(Event.objects.order_by("-seq").values_list("seq", "data__kind")[:2])
    assert [kind for _, kind in reversed(stored)] == ["first", "second"]
    assert stored[0][0] == stored[1][0] + 1


@pytest.mark.django_db
def test_a_block_that_fails_stores_none_of_its_events(ref):
    before = Event.objects.count()
    with pytest.raises(ZeroDivisionError), events.atomic():
        events.emit(Alert(kind="x", message="y"))
        1 / 0  # noqa: B018
    with events.atomic():
        pass
    assert Event.objects.count() == before


@pytest.mark.django_db
def test_a_classification_that_joins_an_incident_stores_its_events_last(ref, operator):
    """The event counter row is locked from the first event stored until COMMIT, so every other
    writer's event waits that long: the incident's event and the call's come last, together."""
    from django.test.utils import CaptureQueriesContext

    from calls.services import Location, call_classify, call_create

    first, _ = call_create(operator=operator, caller_number="081211110000", location=Location(lat=-3.80, lon=102.27))
    incident_id = call_classify(call_id=first.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan").incident_id
    second, _ = call_create(operator=operator, caller_number="081211110001", location=Location(lat=-3.80, lon=102.27))
    with CaptureQueriesContext(connection) as captured:
        call_classify(call_id=second.pk, user=operator, call_type="emergency", duplicate_of=incident_id)
    statements = [q["sql"] for q in captured.captured_queries]
    first_event = next(i for i, sql in enumerate(statements) if "dispatch_eventcounter" in sql)
    after = [sql for sql in statements[first_event:] if "SAVEPOINT" not in sql]
    assert after and all("dispatch_event" in sql for sql in after), after
    kinds = list(Event.objects.order_by("-seq").values_list("type", flat=True)[:2])
    assert kinds == [events.CALL_UPDATED, events.INCIDENT_UPDATED]


@pytest.mark.django_db
def test_an_event_of_a_savepoint_rolled_back_inside_the_block_is_not_stored(ref):
    """Events emitted deeper than the block are stored at once, so their savepoint takes them back."""
    from django.db import transaction

    with transaction.atomic():
        before = Event.objects.count()
        with events.atomic():
            events.emit(Alert(kind="kept", message="a"))
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                events.emit(Alert(kind="undone", message="b"))
                1 / 0  # noqa: B018
        kinds = list(Event.objects.order_by("seq").values_list("data__kind", flat=True)[before:])
    assert kinds == ["kept"]


def _transaction_status_after_the_events_are_stored(monkeypatch) -> list[str]:
    """Record, right after each store of held events, whether this connection's transaction is still open."""
    seen: list[str] = []
    store = events._store

    def recording_store(items, **kwargs):
        seqs = store(items, **kwargs)
        if connection.vendor == "postgresql":
            from psycopg.pq import TransactionStatus

            open_ = connection.connection.info.transaction_status != TransactionStatus.IDLE
        else:
            open_ = connection.connection.in_transaction
        seen.append("open" if open_ else "committed")
        return seqs

    monkeypatch.setattr(events, "_store", recording_store)
    return seen


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_atomic_commits_with_the_statement_that_stores_its_events(ref, operator, monkeypatch):
    """The outermost service transaction on PostgreSQL: the round trip that stores the events commits the change."""
    if connection.vendor != "postgresql":
        pytest.skip("the combined commit is PostgreSQL's")
    from calls.models import Call
    from calls.services import call_create

    published: list[events.Envelope] = []
    monkeypatch.setattr(events, "publish_after_commit", published.append)
    seen = _transaction_status_after_the_events_are_stored(monkeypatch)
    call, _ = call_create(operator=operator, caller_number="081277770001", notes="asap")

    assert seen == ["committed"]
    # Committed (another connection sees it), with its event, and published after the commit with its seq.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM calls_call WHERE id = %s", [call.pk])
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT seq, type FROM dispatch_event WHERE (data ->> 'id')::bigint = %s", [call.pk])
            stored = cursor.fetchall()
    finally:
        other.close()
    assert [(e.seq, e.type) for e in published] == stored == [(stored[0][0], events.CALL_CREATED)]
    assert Call.objects.get(pk=call.pk).notes == "asap"


@pytest.mark.django_db(transaction=True)
def test_atomic_inside_another_transaction_stores_its_events_and_leaves_the_commit_to_it(ref, monkeypatch):
    from django.db import transaction

    seen = _transaction_status_after_the_events_are_stored(monkeypatch)
    before = Event.objects.count()
    with transaction.atomic():
        with events.atomic():
            events.emit(Alert(kind="inner", message="m"))
        assert Event.objects.count() == before + 1
        with events.atomic():
            events.emit(Alert(kind="rolled back", message="m"))
        transaction.set_rollback(True)

    assert seen == ["open", "open"]
    assert Event.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_atomic_inside_another_atomic_is_a_savepoint_whose_events_its_rollback_takes_back(ref, monkeypatch):
    """A service called by another runs in a savepoint: its events are stored at once (so rolling it back
    takes them too), and the outer block stores its own and commits."""
    seen = _transaction_status_after_the_events_are_stored(monkeypatch)
    before = Event.objects.count()
    with events.atomic():
        events.emit(Alert(kind="outer", message="a"))
        with events.atomic():
            events.emit(Alert(kind="called", message="b"))
        with pytest.raises(ZeroDivisionError), events.atomic():
            events.emit(Alert(kind="undone", message="c"))
            1 / 0  # noqa: B018

    committed_last = "committed" if connection.vendor == "postgresql" else "open"
    assert seen == ["open", "open", committed_last]
    assert list(Event.objects.order_by("seq").values_list("data__kind", flat=True)[before:]) == ["called", "outer"]


@pytest.mark.django_db(transaction=True)
def test_atomic_that_fails_commits_nothing_and_stores_none_of_its_events(ref, operator):
    from calls.models import Call

    calls_before, events_before = Call.objects.count(), Event.objects.count()
    with pytest.raises(ZeroDivisionError), events.atomic():
        Call.objects.create(operator=operator, notes="never", received_at=timezone.now())
        events.emit(Alert(kind="x", message="y"))
        1 / 0  # noqa: B018

    assert (Call.objects.count(), Event.objects.count()) == (calls_before, events_before)


@pytest.mark.django_db(transaction=True)
def test_atomic_marked_for_rollback_commits_nothing_and_stores_none_of_its_events(ref, operator):
    from django.db import transaction

    from calls.models import Call

    calls_before, events_before = Call.objects.count(), Event.objects.count()
    with events.atomic():
        Call.objects.create(operator=operator, notes="undone", received_at=timezone.now())
        events.emit(Alert(kind="x", message="y"))
        transaction.set_rollback(True)

    assert (Call.objects.count(), Event.objects.count()) == (calls_before, events_before)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_atomic_with_autocommit_already_off_leaves_the_commit_to_its_caller(ref, operator):
    """Django does not commit an outermost block when autocommit was turned off before it; neither does this."""
    if connection.vendor != "postgresql":
        pytest.skip("the combined commit is PostgreSQL's (SQLite's own RELEASE SAVEPOINT commits here)")
    from django.db import transaction

    from calls.models import Call

    calls_before, events_before = Call.objects.count(), Event.objects.count()
    transaction.set_autocommit(False)
    try:
        with events.atomic():
            Call.objects.create(operator=operator, notes="left to the caller", received_at=timezone.now())
            events.emit(Alert(kind="x", message="y"))
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)

    assert (Call.objects.count(), Event.objects.count()) == (calls_before, events_before)


@pytest.mark.django_db(transaction=True)
def test_atomic_numbers_on_from_the_stored_events_when_the_counter_row_is_gone(ref):
    """A flushed database (the test suite) has no counter row: the statement that stores and commits makes
    it again, so no change is ever committed without its events."""
    from dispatch.models import EventCounter

    with events.atomic():
        events.emit(Alert(kind="first", message="m"))
    last = Event.objects.order_by("-seq").values_list("seq", flat=True)[0]
    EventCounter.objects.all().delete()

    with events.atomic():
        events.emit(Alert(kind="after", message="m"))
        events.emit(Alert(kind="and after", message="m"))

    assert list(Event.objects.filter(seq__gt=last).order_by("seq").values_list("seq", "data__kind")) == [
        (last + 1, "after"), (last + 2, "and after")]
    assert EventCounter.objects.get(pk=1).value == last + 2


def test_closing_a_users_sockets_from_inside_a_running_event_loop_still_reaches_them():
    """async_to_sync cannot run on a thread whose event loop is running; the close request goes out as a task there."""
    import asyncio

    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    user_id = 987654

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(events.user_group(user_id), channel)
        try:
            events.close_user_sockets(user_id)  # called synchronously, on this loop's thread
            return await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard(events.user_group(user_id), channel)

    assert asyncio.run(scenario())["type"] == events.SOCKET_CLOSE_TYPE
