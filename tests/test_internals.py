"""Guards for the undocumented upstream behaviour our speed-ups rely on (docs/internals.md).

Each test states what a library does today that one of our modules copies or leans on. An upgrade
that changes it fails here, naming the module to re-check, instead of failing quietly in
production. The behaviour of our own modules is tested beside them; these tests read only the
libraries.
"""

from __future__ import annotations

import inspect
import os
from importlib.metadata import version

import pytest

# The versions docs/internals.md was checked against. An upgrade fails this test until each entry
# there has been re-read against the new version (then update the pins and this table together).
CHECKED_VERSIONS = {
    "Django": "5.2.19",
    "channels": "4.3.2",
    "channels_redis": "4.3.0",
    "djangorestframework": "3.18.3",
    "psycopg": "3.3.9",
    "asgiref": "3.13.0",
    "celery": "5.7.0",
}


@pytest.mark.parametrize("package", sorted(CHECKED_VERSIONS))
def test_the_installed_version_is_the_one_the_internals_were_checked_against(package):
    assert version(package) == CHECKED_VERSIONS[package], (
        f"{package} changed: re-check its entries in docs/internals.md, then update CHECKED_VERSIONS"
    )


def test_channels_consumer_loop_sets_the_attributes_our_loop_sets_itself():
    """dispatch/consumers.py: LiveConsumer.__call__ replaces AsyncConsumer.__call__ and must set up what it does."""
    from channels.consumer import AsyncConsumer

    source = inspect.getsource(AsyncConsumer.__call__)
    for needed in ("self.channel_layer_alias", "self.channel_name = await self.channel_layer.new_channel()",
                   "self.channel_receive = functools.partial(", "self.base_send = send", "except StopConsumer"):
        assert needed in source, f"channels' consumer loop no longer does {needed!r}"
    # And it still waits per message with one task per source, the cost our loop removes.
    assert "await_many_dispatch" in source


def test_channels_dispatch_closes_old_connections_before_every_handler():
    """dispatch/consumers.py skips this hop for forwarded frames; if channels dropped it, the skip is moot."""
    from channels.consumer import AsyncConsumer

    assert "aclose_old_connections()" in inspect.getsource(AsyncConsumer.dispatch)


async def test_channels_redis_pubsub_names_a_groups_channel_as_the_publisher_does():
    """dispatch/events.py's publisher writes to `<prefix>__group__<group>` in the layer's own serialisation."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/0"], prefix="guard")  # connects lazily
    assert layer._get_group_channel_name("floor") == "guard__group__floor"
    message = {"type": "live.event", "seq": 7, "text": "{}"}
    assert layer.deserialize(layer.serialize(message)) == message


def test_drf_serializers_deep_copy_their_declared_fields_per_instance():
    """calls/serializers.py copies `_declared_fields` shallowly instead; DRF's contract is one copy per instance."""
    from rest_framework.serializers import Serializer

    assert "copy.deepcopy(self._declared_fields)" in inspect.getsource(Serializer.get_fields)


def test_djangos_asgi_handler_still_has_the_pieces_our_handler_calls():
    """dispatch/asgi_handler.py builds its own __call__ from these methods of Django's handler."""
    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.base import BaseHandler

    for name in ("read_body", "create_request", "send_response", "listen_for_disconnect", "get_response"):
        assert callable(getattr(ASGIHandler, name, None)), f"ASGIHandler.{name} is gone"
    assert isinstance(ASGIHandler.chunk_size, int)
    assert "is_async" in inspect.signature(BaseHandler.load_middleware).parameters


def test_asgiref_thread_sensitive_context_takes_an_executor():
    """dispatch/asgi_handler.py lends each request an executor through it."""
    from asgiref.sync import ThreadSensitiveContext

    assert "executor" in inspect.signature(ThreadSensitiveContext.__init__).parameters


def test_djangos_connection_keeps_the_transaction_state_our_atomic_reads(db):
    """dispatch/events.py's atomic() reads these to know whether its block is the outermost and commits."""
    from django.db import connection, transaction

    assert connection.atomic_blocks == [] or isinstance(connection.atomic_blocks, list)
    depth = len(connection.atomic_blocks)
    with transaction.atomic():
        assert len(connection.atomic_blocks) == depth + 1
        assert isinstance(connection.commit_on_exit, bool)
        assert connection.needs_rollback is False


def test_a_related_field_caches_an_instance_set_on_it(db):
    """dispatch/authentication.py fills the token's user and the user's membership as select_related would."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    field = Token._meta.get_field("user")
    token, user = Token(key="k"), get_user_model()(username="u", pk=1)
    field.set_cached_value(token, user)
    assert field.is_cached(token) and token.user is user


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_psycopg_sends_no_second_commit_after_a_commit_sent_with_a_statement():
    """dispatch/events.py sends `...; COMMIT` in one round trip; Django's own commit must then find nothing to do."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("PostgreSQL only")
    import psycopg
    from psycopg import pq

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=False) as conn:
        conn.execute("SELECT 1")
        assert conn.info.transaction_status == pq.TransactionStatus.INTRANS
        conn.execute("SELECT 1; COMMIT")
        assert conn.info.transaction_status == pq.TransactionStatus.IDLE
        conn.commit()  # nothing open: psycopg sends nothing and raises nothing
        assert conn.info.transaction_status == pq.TransactionStatus.IDLE
