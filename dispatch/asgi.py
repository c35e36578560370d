"""ASGI entry point: HTTP through Django, `/ws/live/` through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")

import django  # noqa: E402

django.setup(set_prefix=False)

from dispatch.asgi_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dispatch.lifespan import Lifespan  # noqa: E402
from dispatch.routing import websocket_urlpatterns  # noqa: E402
from dispatch.ws_auth import SameOriginValidator, TokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))),
        "lifespan": Lifespan(),
    }
)
