from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request):
    """The service worker, served from the root so it may control every page (scope "/")."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
