"""Shared fixtures. With DATABASE_URL/REDIS_URL set the suite runs on the real
services; with REQUIRE_SERVICES=1 a test that needs them fails instead of skipping."""

from __future__ import annotations

import os
import uuid

import pytest

# Each test session gets its own channel-layer prefix, so parallel runs on one Redis never cross.
# Settings are already loaded here: set it there too, and in the environment for server subprocesses.
os.environ.setdefault("CHANNEL_PREFIX", f"t{uuid.uuid4().hex[:8]}")


def _use_channel_prefix() -> None:
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"].get("CONFIG")
    if config is not None and "prefix" in config:
        config["prefix"] = os.environ["CHANNEL_PREFIX"]


_use_channel_prefix()

def _allow_audit_flush() -> None:
    """The suite's flush may clear the append-only audit table.

    The trigger yields to this setting only because the suite connects as the tables' owner
    (migration dispatch 0009); the application role may set it too and still changes nothing.
    """
    from django.db import connections

    if connections.settings["default"]["ENGINE"].endswith("postgresql"):
        connections.settings["default"].setdefault("OPTIONS", {})["options"] = "-c dispatch112.audit_maintenance=on"


_allow_audit_flush()

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request a test makes in English leaves English active on the test's thread (the locale
    middleware does not undo it): every test starts from the project's language instead."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def pytest_collection_modifyitems(config, items):
    # Browser tests last: the rest of the suite never runs beside Playwright's event loop.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    have_pg = bool(os.environ.get("DATABASE_URL", "").startswith("postgres"))
    have_redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if item.get_closest_marker("services") and not (have_pg and have_redis):
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.xfail(reason="REQUIRE_SERVICES=1 but services missing", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL"))


def pytest_configure(config):
    if REQUIRE_SERVICES and not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        raise pytest.UsageError("REQUIRE_SERVICES=1 needs DATABASE_URL (PostgreSQL) and REDIS_URL")


@pytest.fixture(autouse=True)
def _eager_tasks(settings):
    """Celery tasks run inline in tests unless a test turns this off to use a real worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from dispatch.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _strict_events(settings):
    """A live event whose keys do not match its type raises in every test, whatever DEBUG says."""
    settings.EVENTS_STRICT = True


@pytest.fixture
def ref(db):
    """Kota Bengkulu's reference data (agencies, kelurahan, incident types, routing); no posts,
    so a test places the posts it needs (tests/agencies/test_stations.py loads the real ones)."""
    from agencies.loader import load_bengkulu
    from agencies.models import RoutingRule

    if not RoutingRule.objects.exists():
        load_bengkulu(stations=False)


@pytest.fixture
def make_user(db):
    from tests.factories import user_with_role

    return user_with_role


@pytest.fixture
def operator(ref, make_user):
    return make_user("operator")


@pytest.fixture
def supervisor(ref, make_user):
    return make_user("supervisor")


@pytest.fixture
def api(operator):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def client_for():
    from rest_framework.test import APIClient

    def build(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def nominatim(settings, monkeypatch):
    """A local Nominatim-compatible server as GEOCODER_URL, an empty cache, and the geocoder's clock
    stopped: `nominatim.next_second()` moves it (and frees the shared slot) so the next request may go."""
    from django.core.cache import cache

    from agencies import geocoder
    from tests.nominatim import NominatimServer

    server = NominatimServer()
    settings.GEOCODER_URL = server.base
    settings.GEOCODER_USER_AGENT = "Dispatch112-Test/1.0 (ops@example.org)"
    cache.clear()
    geocoder.reset_rate_limit()
    clock = {"now": 1000.0}
    monkeypatch.setattr(geocoder, "_clock", lambda: clock["now"])
    monkeypatch.setattr(geocoder, "_sleep", lambda seconds: clock.__setitem__("now", clock["now"] + seconds))

    def next_second() -> None:
        clock["now"] += geocoder.MIN_INTERVAL_SECONDS
        cache.delete(geocoder.SLOT_CACHE_KEY)

    server.next_second = next_second
    yield server
    server.close()
    cache.clear()
