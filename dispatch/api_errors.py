"""JSON errors a person can read, with a 4xx status, never a 500 for bad input."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dispatch.errors import ServiceError, database_unavailable_response


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        body = {"detail": exc.message, "code": exc.__class__.__name__.lower()}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return database_unavailable_response()
    if isinstance(exc, ParseError):
        return Response({"detail": _("JSON tidak valid: %(reason)s") % {"reason": exc.detail}, "code": "parse_error"}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _("Masukan tidak valid."), "errors": response.data, "code": "invalid"}
    return response
