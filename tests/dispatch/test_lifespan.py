import asyncio
import gc
import sys

import pytest
from django.conf import settings

from dispatch.lifespan import Lifespan


def _serve_for(seconds: float = 0, until=None) -> list[str]:
    """Run the lifespan's start-up, wait `seconds` (or until `until()` holds), then its shutdown.
    Returns the types of the messages the lifespan sent."""
    from asgiref.sync import sync_to_async

    messages = asyncio.Queue()
    sent = []

    async def receive():
        return await messages.get()

    async def send(message):
        sent.append(message["type"])

    async def main():
        await messages.put({"type": "lifespan.startup"})
        app = asyncio.ensure_future(Lifespan()({"type": "lifespan"}, receive, send))
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            if until is not None and await sync_to_async(until)():
                break
            await asyncio.sleep(0.1)
        await messages.put({"type": "lifespan.shutdown"})
        await app

    asyncio.run(main())
    return sent


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_startup_loads_the_views_and_channel_layer_then_freezes_what_is_alive(unfrozen, monkeypatch):
    monkeypatch.setattr(settings, "EMBEDDED_SCHEDULER", False)
    sys.modules.pop(settings.ROOT_URLCONF, None)
    from django.urls import clear_url_caches

    clear_url_caches()
    sent = _serve_for()

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert settings.ROOT_URLCONF in sys.modules
    assert "calls.api" in sys.modules
    backend_module = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[0]
    assert backend_module in sys.modules
    # The URLconf module loaded during start-up is in the frozen generation, out of every collection.
    assert gc.get_freeze_count() > 0
    assert not any(obj is sys.modules[settings.ROOT_URLCONF].__dict__ for obj in gc.get_objects())


def _overdue_dispatch(open_incident, operator):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from dispatch import services

    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        incident = open_incident("kebakaran_bangunan")
        [dispatch] = services.incident_dispatch(incident_id=incident.pk, user=operator, agency_codes=["DAMKAR"])
    return dispatch


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fallback_seconds", [1, 0])
def test_a_web_process_sweeps_while_no_task_sweep_finishes_unless_turned_off(unfrozen, monkeypatch, open_incident, operator, fallback_seconds):
    from dispatch.models import Dispatch, SweepRun

    dispatch = _overdue_dispatch(open_incident, operator)
    monkeypatch.setattr(settings, "EMBEDDED_SCHEDULER", False)
    monkeypatch.setattr(settings, "SWEEP_SECONDS", 0.2)
    monkeypatch.setattr(settings, "SWEEP_FALLBACK_SECONDS", fallback_seconds)

    def escalated():
        from django.db import OperationalError

        try:
            return Dispatch.objects.get(pk=dispatch.pk).escalation_level > 0
        except OperationalError:  # the tests' in-memory SQLite locks a table while the sweep writes it: look again
            return False

    _serve_for(10 if fallback_seconds else 2.5, until=escalated)

    dispatch.refresh_from_db()
    if fallback_seconds:
        assert dispatch.escalation_level == 1
        assert SweepRun.objects.filter(runner="web").exists() and not SweepRun.objects.filter(runner="task").exists()
    else:
        assert dispatch.escalation_level == 0 and not SweepRun.objects.exists()
