"""The live event stream: the only module that talks to the channel layer.

An event is stored in the transaction that makes the change, numbered by a
locked counter row so `seq` is gapless and in commit order, and broadcast
only after commit. A service's transaction (`atomic()`) stores its events with
its COMMIT, in one round trip. A broadcast that fails never fails the request: the event
is stored, and clients that missed it fetch it by `seq`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg import ClientCursor

from dispatch.event_types import (
    DEFINITIONS,
    Alert,
    CallCreated,
    CallerBlocked,
    CallUpdated,
    DisasterEnded,
    DisasterStarted,
    DisasterUpdated,
    DispatchCreated,
    DispatchEscalated,
    DispatchUpdated,
    IncidentCreated,
    IncidentUpdated,
    LiveEvent,
    data_problems,
    definition_for,
)
from dispatch.models import Event

logger = logging.getLogger(__name__)

# Every event type's payload is a dataclass in `dispatch.event_types` (its keys, when it is sent and
# who receives it); senders build their events through them.
CALL_CREATED = CallCreated.type
CALL_UPDATED = CallUpdated.type
INCIDENT_CREATED = IncidentCreated.type
INCIDENT_UPDATED = IncidentUpdated.type
DISPATCH_CREATED = DispatchCreated.type
DISPATCH_UPDATED = DispatchUpdated.type
DISPATCH_ESCALATED = DispatchEscalated.type
CALLER_BLOCKED = CallerBlocked.type
ALERT = Alert.type
# Disaster mode (hazards app): every socket receives these, agencies included.
DISASTER_STARTED = DisasterStarted.type
DISASTER_UPDATED = DisasterUpdated.type
DISASTER_ENDED = DisasterEnded.type
EVENT_TYPES = tuple(DEFINITIONS)

# The keys each event type's data carries (an alert's kind adds its own), as the definitions say.
EVENT_SCHEMAS: dict[str, frozenset[str]] = {t: frozenset(cls._names) for t, cls in DEFINITIONS.items()}


def payload_problems(event_type: str, data: dict[str, Any]) -> list[str]:
    """What a stored or received event's data lacks or has too many against its type (empty when it conforms)."""
    definition = definition_for(event_type, data)
    if definition is None:
        return [f"unknown event type {event_type}"]
    return data_problems(definition, data)


FLOOR_GROUP = "floor"
# Every live socket joins this group, whatever its role: disaster mode is for everyone.
EVERYONE_GROUP = "everyone"
EVERYONE_TYPE_PREFIX = "disaster."
SOCKET_MESSAGE_TYPE = "live.event"
SOCKET_CLOSE_TYPE = "live.close"


def agency_group(code: str) -> str:
    return f"agency.{code}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


@dataclass(frozen=True)
class Envelope:
    seq: int
    type: str
    data: dict[str, Any]
    agency_code: str

    def as_message(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "data": self.data}

    def text(self, ts: float | None = None) -> str:
        """The socket frame, serialised once for every receiver.

        `ts` (seconds since the epoch, the moment of broadcast right after
        commit) lets a client measure commit-to-screen latency; stored events
        fetched by `seq` carry no `ts`.
        """
        message = self.as_message()
        if ts is not None:
            message["ts"] = round(ts, 6)
        return json.dumps(message, separators=(",", ":"), default=str)


def _next_seq() -> int:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE dispatch_eventcounter SET value = value + 1 WHERE id = 1 RETURNING value")
        row = cursor.fetchone()
    if row is None:
        # The migration creates the row; a database flushed since (the test suite) gets it back here.
        from django.db.models import Max

        from dispatch.models import EventCounter

        start = Event.objects.aggregate(m=Max("seq"))["m"] or 0
        EventCounter.objects.get_or_create(pk=1, defaults={"value": start})
        return _next_seq()
    return int(row[0])


_Held = tuple[str, dict[str, Any], str]  # an event not yet stored: type, data, agency code


def _store(items: list[_Held], *, commit: bool = False) -> list[int]:
    """Number and store events in the current transaction, in the order given; their seqs.

    With `commit` (PostgreSQL, the outermost transaction) the same round trip commits it."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _store_in_one_statement(items, now, commit=commit)
    seqs = []
    for event_type, data, agency_code in items:
        seqs.append(_next_seq())
        Event.objects.create(seq=seqs[-1], type=event_type, data=data, agency_code=agency_code, created_at=now)
    return seqs


def _store_in_one_statement(items: list[_Held], now, *, commit: bool = False) -> list[int]:
    """PostgreSQL: one counter increment and one INSERT for all of them, and the COMMIT when asked: one round trip.

    The counter is incremented by an upsert, so a database flushed since the migration made the row
    (the test suite) gets it back, numbered on from the stored events, in this same statement: a
    COMMIT that follows never commits a change without its events. When the COMMIT is sent with it,
    the counter row is locked only inside the server, from the increment to the end of the commit.
    """
    n = len(items)
    rows = ", ".join(["(%s, %s, %s::jsonb, %s)"] * n)
    params: list[Any] = [n, n, now]
    for index, (event_type, data, agency_code) in enumerate(items, start=1):
        params += [index, event_type, connection.ops.adapt_json_value(data, None), agency_code]
    # Only the number of events (an int) and a row of placeholders per event go into the text.
    sql = (
        "WITH counter AS (INSERT INTO dispatch_eventcounter (id, value)"  # nosec B608
        " SELECT 1, coalesce(max(seq), 0) + %s FROM dispatch_event"
        " ON CONFLICT (id) DO UPDATE SET value = dispatch_eventcounter.value + %s RETURNING value)"
        " INSERT INTO dispatch_event (seq, type, data, agency_code, created_at)"
        f" SELECT counter.value - {n} + held.n, held.type, held.data, held.agency_code, %s"
        f" FROM counter, (VALUES {rows}) AS held (n, type, data, agency_code) RETURNING seq"
    )
    with connection.cursor() as cursor:
        if commit:
            # Two commands in one round trip go only as one text without parameters (PostgreSQL's
            # simple protocol), so psycopg quotes the values into it, as a client-side cursor does.
            cursor.execute(ClientCursor(connection.connection).mogrify(sql, params) + "; COMMIT")
        else:
            cursor.execute(sql, params)
        seqs = sorted(int(row[0]) for row in cursor.fetchall())
    return seqs


def _store_and_publish_after_commit(items: list[_Held], *, commit: bool = False) -> list[Envelope]:
    envelopes = [
        Envelope(seq=seq, type=event_type, data=data, agency_code=agency_code)
        for seq, (event_type, data, agency_code) in zip(_store(items, commit=commit), items, strict=True)
    ]
    for envelope in envelopes:
        transaction.on_commit(lambda envelope=envelope: publish_after_commit(envelope))
    return envelopes


# Inside `atomic()`: the atomic depth of its transaction, and the (event type, data, agency code)
# of the events emitted at that depth, in order.
_held: contextvars.ContextVar[tuple[int, list[_Held]] | None] = contextvars.ContextVar(
    "held_events", default=None
)


def emit(event: LiveEvent) -> Envelope | None:
    """Store an event in the current transaction and broadcast it after commit.

    `event` is built through its type (`dispatch.event_types`), which checked its keys; a dispatch
    event also goes to its agency's staff. The counter row stays locked from the moment an event is
    numbered until commit, which is what keeps `seq` in commit order. Inside `events.atomic()` (the
    services' transactions) the event is held and stored when that block ends (and None is
    returned), unless it is emitted in a savepoint inside the block: that one is stored at once, so
    rolling the savepoint back takes it too. Anywhere else, call it last in the transaction.
    """
    if not isinstance(event, LiveEvent):
        raise TypeError(f"an event is built through its type in dispatch.event_types, not {type(event).__name__}")
    if event.type not in DEFINITIONS:
        raise ValueError(f"unknown event type {event.type!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("events are emitted inside the transaction that makes the change")
    item = (event.type, event.as_data(), event.agency_code)
    held = _held.get()
    if held is not None and held[0] == len(connection.atomic_blocks):
        held[1].append(item)
        return None
    return _store_and_publish_after_commit([item])[0]


@contextlib.contextmanager
def _holding():
    """Hold the events emitted at the current atomic depth while the block runs; yields their list.

    Inside a block that already holds events it yields None: that block stores them (and events
    of a savepoint opened in between are stored at once, so its rollback takes them back)."""
    if _held.get() is not None:
        yield None
        return
    held: list[_Held] = []
    token = _held.set((len(connection.atomic_blocks), held))
    try:
        yield held
    finally:
        _held.reset(token)


@contextlib.contextmanager
def atomic():
    """A service's transaction, whose events are stored by the statement that commits it.

    Events emitted inside are held and stored, in order, when the block ends without error: a
    change that emits several events (a classification that joins its call to an incident, some
    from the services it calls) stores them together, as the last statement. When this is the
    outermost transaction on PostgreSQL, the same round trip commits: the counter row, which every
    writer's events wait for, is then locked only inside the server for the increment and the
    commit, never while this process waits for the network or for its interpreter lock, and the
    change costs one round trip less. Django's own commit at
    the end of the block then finds nothing left to commit and runs the on-commit hooks (the
    broadcast). Inside another transaction (another service's, a test's) the events are stored
    when the block ends and the outer transaction commits them.
    """
    with transaction.atomic():
        with _holding() as held:
            yield
        if held and not connection.needs_rollback:  # marked for rollback (set_rollback): nothing to store
            # Outermost, and Django would commit at its end (not so when autocommit was already off).
            commits_here = len(connection.atomic_blocks) == 1 and connection.commit_on_exit
            _store_and_publish_after_commit(held, commit=commits_here and connection.vendor == "postgresql")


# A broadcast waits at most this long for Redis; past it the request goes on and clients resync by seq.
BROADCAST_TIMEOUT_SECONDS = 1.0


def groups_for(envelope: Envelope) -> list[str]:
    if envelope.type.startswith(EVERYONE_TYPE_PREFIX):
        return [EVERYONE_GROUP]
    groups = [FLOOR_GROUP]
    # Agency staff receive only dispatch events, and only in their own agency's group.
    if envelope.agency_code and envelope.type.startswith("dispatch."):
        groups.append(agency_group(envelope.agency_code))
    return groups


def broadcast(envelope: Envelope) -> bool:
    """Send a stored event to the groups allowed to see it. Never raises, never blocks long.

    The frame is serialised once here; consumers forward the text as is.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    message = {"type": SOCKET_MESSAGE_TYPE, "seq": envelope.seq, "text": envelope.text(ts=time.time())}
    try:
        async_to_sync(_send_all)(layer, groups_for(envelope), message)
    except Exception:  # noqa: BLE001 - the change is committed; clients resync by seq
        logger.warning("broadcast of event %s failed; clients will resync", envelope.seq, exc_info=True)
        return False
    return True


async def _send_all(layer, groups: list[str], message: dict[str, Any]) -> None:
    async def send() -> None:
        for group in groups:
            await layer.group_send(group, message)

    await asyncio.wait_for(send(), BROADCAST_TIMEOUT_SECONDS)


class _RedisPublisher:
    """Publishes committed events to channels-redis's pub/sub groups from a background thread.

    The request that made the change does not wait for Redis: it only queues
    the event. The thread publishes in commit order with a plain Redis client,
    in the wire format the pub/sub layer's subscribers read; whatever has queued
    up while it was busy goes in one pipeline (one round trip), still in order.
    A failed publish is retried with backoff while the event is younger than
    GIVE_UP_SECONDS; older ones are dropped (logged): they are stored, and
    every client has resynced by seq long before.
    """

    GIVE_UP_SECONDS = 30.0
    # Events per pipeline at most: a burst is sent in slices, so no frame waits for a huge write.
    BATCH_MAX = 64

    def __init__(self, url) -> None:
        self.url = url  # a Redis URL, or a connections.SentinelRedis
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.client = None

    def submit(self, prefix: str, envelope: Envelope) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="event-publisher", daemon=True)
                self.thread.start()
        self.queue.put((prefix, envelope, time.monotonic()))

    def _next_batch(self) -> list[tuple[str, Envelope, float]]:
        """The oldest queued event (waiting for one), then whatever else is queued, up to BATCH_MAX."""
        batch = [self.queue.get()]
        while len(batch) < self.BATCH_MAX:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            delay = 0.05
            while batch and not self.publish(batch, first_try=delay == 0.05):
                now = time.monotonic()
                for _prefix, envelope, queued_at in batch:
                    if now - queued_at > self.GIVE_UP_SECONDS:
                        logger.warning("event %s dropped from the live stream after %ss; clients resync by seq", envelope.seq, self.GIVE_UP_SECONDS)
                batch = [item for item in batch if now - item[2] <= self.GIVE_UP_SECONDS]
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def publish(self, batch: list[tuple[str, Envelope, float]], *, first_try: bool = True) -> bool:
        """Send the batch's events, in order, in one pipeline. False if Redis failed (nothing is known sent)."""
        try:
            import redis

            if self.client is None:
                if isinstance(self.url, str):
                    self.client = redis.Redis.from_url(
                        self.url, socket_timeout=BROADCAST_TIMEOUT_SECONDS, socket_connect_timeout=BROADCAST_TIMEOUT_SECONDS
                    )
                else:  # through Sentinel: a failed publish asks the Sentinels for the master again
                    self.client = self.url.client()
            layer = get_channel_layer()
            pipe = self.client.pipeline(transaction=False)
            for prefix, envelope, _queued_at in batch:
                payload = layer.serialize({"type": SOCKET_MESSAGE_TYPE, "seq": envelope.seq, "text": envelope.text(ts=time.time())})
                for group in groups_for(envelope):
                    pipe.publish(f"{prefix}__group__{group}", payload)
            pipe.execute()
        except Exception:  # noqa: BLE001 - the change is committed; retried, and clients resync by seq
            if first_try:
                logger.warning(
                    "broadcast of events %s..%s failed; retrying, clients will resync", batch[0][1].seq, batch[-1][1].seq, exc_info=True
                )
            return False
        return True


_publishers: dict[str, _RedisPublisher] = {}
_publishers_lock = threading.Lock()


def _publisher_for(url: str) -> _RedisPublisher:
    with _publishers_lock:
        if url not in _publishers:
            _publishers[url] = _RedisPublisher(url)
        return _publishers[url]


def _single_redis_pubsub():
    """(url or Sentinel description, prefix) when the layer is channels-redis pub/sub on one Redis
    (one server, or one master behind Sentinel), else None."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") != "channels_redis.pubsub.RedisPubSubChannelLayer":
        return None
    options = config.get("CONFIG", {})
    hosts = options.get("hosts") or []
    if len(hosts) != 1 or options.get("symmetric_encryption_keys"):
        return None
    if isinstance(hosts[0], str):
        return hosts[0], options.get("prefix", "asgi")
    sentinel = getattr(settings, "REDIS_SENTINEL", None)
    if sentinel is None or not isinstance(hosts[0], dict) or hosts[0].get("master_name") != sentinel.master:
        return None
    return sentinel, options.get("prefix", "asgi")


def publish_after_commit(envelope: Envelope) -> None:
    """Hand a committed event to the background publisher (Redis), or broadcast it now (in-memory layer)."""
    target = _single_redis_pubsub()
    if target is None:
        broadcast(envelope)
    else:
        _publisher_for(target[0]).submit(target[1], envelope)


def close_user_sockets(user_id: int) -> None:
    """Ask every open socket of a user to close (logout, role change). Never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": SOCKET_CLOSE_TYPE}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        # Called on the server's event loop thread (a sync view the ASGI handler runs inline, a
        # signal inside an async consumer): async_to_sync cannot run here, so the send is a task.
        task = loop.create_task(_send_all(layer, [user_group(user_id)], message))
        _CLOSE_TASKS.add(task)
        task.add_done_callback(_close_sent)
        return
    try:
        async_to_sync(_send_all)(layer, [user_group(user_id)], message)
    except Exception:  # noqa: BLE001
        logger.warning("could not notify sockets of user %s", user_id, exc_info=True)


# The close requests sent from the event loop, kept until they finish (a task nobody holds may be collected).
_CLOSE_TASKS: set[asyncio.Task] = set()


def _close_sent(task: asyncio.Task) -> None:
    _CLOSE_TASKS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("could not notify a user's sockets", exc_info=task.exception())


def events_after(after: int, *, agency_code: str | None, limit: int = 500):
    """Stored events with seq > after, oldest first; agency staff see their own dispatch events and disaster mode."""
    qs = Event.objects.filter(seq__gt=after).order_by("seq")
    if agency_code is not None:
        qs = qs.filter(_agency_sees(agency_code))
    return qs[:limit]


def _agency_sees(agency_code: str) -> Q:
    return Q(agency_code=agency_code, type__startswith="dispatch.") | Q(type__startswith=EVERYONE_TYPE_PREFIX)


def last_seq(*, agency_code: str | None = None) -> int:
    """The newest stored seq; for agency staff the newest one they may see."""
    qs = Event.objects.order_by("-seq")
    if agency_code is not None:
        qs = qs.filter(_agency_sees(agency_code))
    seq = qs.values_list("seq", flat=True).first()
    return seq or 0
