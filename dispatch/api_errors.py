"""JSON errors a person can read, with a 4xx status, never a 500 for bad input.

Besides DRF's exception handler: the answers Django itself gives outside a view (no such URL, a
body too large, an unexpected failure) are JSON too for paths under /api/, so an integrator's
client never has to read an HTML page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dispatch.errors import ServiceError, database_unavailable_response

API_PREFIX = "/api/"


def _too_large() -> JsonResponse:
    return JsonResponse(
        {"detail": _("Isi permintaan terlalu besar (maksimal %(n)d byte).") % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
         "code": "too_large"},
        status=413,
    )


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        body = {"detail": exc.message, "code": exc.__class__.__name__.lower()}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return database_unavailable_response()
    if isinstance(exc, RequestDataTooBig):
        return _too_large()
    if isinstance(exc, ParseError):
        return Response({"detail": _("JSON tidak valid: %(reason)s") % {"reason": exc.detail}, "code": "parse_error"}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _("Masukan tidak valid."), "errors": response.data, "code": "invalid"}
    return response


class ApiBodyLimitMiddleware:
    """Refuses an API request whose body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

    DRF reads a JSON body as a stream, past the limit Django applies to `request.body` and forms."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH")
        if length and request.path_info.startswith(API_PREFIX):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length.isascii() and length.isdigit() and int(length) > limit:
                return _too_large()
        return self.get_response(request)


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def handler400(request, exception=None):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _too_large()
        return JsonResponse({"detail": _("Permintaan tidak valid."), "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Anda tidak memiliki izin untuk tindakan ini."), "code": "permission_denied"}, status=403)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Tidak ditemukan."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse({"detail": _("Terjadi kesalahan pada server; sudah dicatat."), "code": "server_error"}, status=500)
    return defaults.server_error(request)
