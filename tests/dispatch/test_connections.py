"""Where the database and Redis are: one server each, or a primary with standbys and Redis behind Sentinel."""

from __future__ import annotations

import pytest

from dispatch.connections import (
    SentinelRedis,
    celery_broker,
    channel_layer_host,
    database_from_url,
    sentinels_from_env,
)


def test_one_host_is_parsed_as_before():
    db = database_from_url("postgres://app:s3cret@db.example:6432/dispatch112", conn_max_age=60)
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == ("db.example", 6432, "dispatch112", "app", "s3cret")
    assert db["CONN_MAX_AGE"] == 60


def test_several_hosts_become_libpq_lists_with_their_options():
    db = database_from_url(
        "postgres://app:p%40ss@10.112.0.21:5432,10.112.0.22:5433,db3/dispatch112"
        "?target_session_attrs=read-write&connect_timeout=2&tcp_user_timeout=5000"
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["HOST"] == "10.112.0.21,10.112.0.22,db3"
    assert db["PORT"] == "5432,5433,5432"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("dispatch112", "app", "p@ss")
    assert db["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 2, "tcp_user_timeout": 5000}


def test_several_hosts_reach_libpq_as_one_conninfo(settings):
    """Django hands HOST and PORT to psycopg as they are: libpq reads the lists."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    entry = database_from_url("postgres://app@h1:5432,h2:5432/d?target_session_attrs=read-write")
    entry.setdefault("TIME_ZONE", None)
    entry.setdefault("AUTOCOMMIT", True)
    wrapper = DatabaseWrapper({**entry, "OPTIONS": dict(entry["OPTIONS"])}, alias="ha-check")
    params = wrapper.get_connection_params()
    assert params["host"] == "h1,h2" and params["port"] == "5432,5432"
    assert params["target_session_attrs"] == "read-write"


def test_several_hosts_only_for_postgresql():
    with pytest.raises(ValueError):
        database_from_url("mysql://u@h1:3306,h2:3306/d")


def test_sentinels_from_the_environment():
    assert sentinels_from_env("", "") is None
    sentinel = sentinels_from_env("10.0.0.1:26379, 10.0.0.2,[::1]:26380", "d112", db=2)
    assert sentinel == SentinelRedis(sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26379), ("::1", 26380)), master="d112", db=2)
    with pytest.raises(ValueError):
        sentinels_from_env("10.0.0.1:26379", "")


def test_channel_layer_and_celery_go_through_the_sentinels():
    sentinel = sentinels_from_env("s1:26379,s2:26379,s3:26379", "d112")
    host = channel_layer_host("", sentinel)
    assert host["sentinels"] == [("s1", 26379), ("s2", 26379), ("s3", 26379)] and host["master_name"] == "d112"
    url, options = celery_broker("", sentinel)
    assert url == "sentinel://s1:26379/0;sentinel://s2:26379/0;sentinel://s3:26379/0"
    assert options["master_name"] == "d112"
    # Without Sentinel, the plain URL as before.
    assert channel_layer_host("redis://127.0.0.1:6379/0", None) == "redis://127.0.0.1:6379/0"
    assert celery_broker("redis://127.0.0.1:6379/0", None) == ("redis://127.0.0.1:6379/0", {})


def test_channels_redis_builds_a_sentinel_pool_from_the_layer_host():
    from channels_redis.utils import create_pool
    from redis.asyncio.sentinel import SentinelConnectionPool

    pool = create_pool(channel_layer_host("", sentinels_from_env("s1:26379", "d112")))
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "d112"


def test_the_event_publisher_follows_the_sentinels_master(settings):
    from dispatch import events

    sentinel = sentinels_from_env("s1:26379", "d112")
    settings.REDIS_SENTINEL = sentinel
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [channel_layer_host("", sentinel)], "prefix": "p"}}}
    assert events._single_redis_pubsub() == (sentinel, "p")
    client = sentinel.client()
    assert client.connection_pool.service_name == "d112"
