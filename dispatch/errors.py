"""Errors services raise; the API and views turn them into clear 4xx answers."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _


def database_unavailable_response() -> JsonResponse:
    """What a request that finds the database down gets, from the API and from any other page."""
    response = JsonResponse(
        {"detail": _("Basis data sedang tidak tersedia. Coba lagi sebentar."), "code": "database_unavailable"}, status=503
    )
    response["Retry-After"] = "2"
    return response


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    status_code = 400


class Conflict(ServiceError):
    """The request clashes with the current state (a transition the lifecycle forbids, a reused key)."""

    status_code = 409


class Forbidden(ServiceError):
    status_code = 403
