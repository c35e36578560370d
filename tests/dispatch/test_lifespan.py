import asyncio
import gc
import sys

import pytest
from django.conf import settings

from dispatch.lifespan import Lifespan


def _run_startup_and_shutdown():
    messages = asyncio.Queue()
    sent = []

    async def receive():
        return await messages.get()

    async def send(message):
        sent.append(message["type"])

    async def main():
        await messages.put({"type": "lifespan.startup"})
        await messages.put({"type": "lifespan.shutdown"})
        await Lifespan()({"type": "lifespan"}, receive, send)

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
    sent = _run_startup_and_shutdown()

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert settings.ROOT_URLCONF in sys.modules
    assert "calls.api" in sys.modules
    backend_module = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[0]
    assert backend_module in sys.modules
    # The URLconf module loaded during start-up is in the frozen generation, out of every collection.
    assert gc.get_freeze_count() > 0
    assert not any(obj is sys.modules[settings.ROOT_URLCONF].__dict__ for obj in gc.get_objects())
