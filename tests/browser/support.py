"""What the browser tests make the network do to the page's requests (Playwright routes)."""

from __future__ import annotations


def answer_busy(route) -> None:
    """The server is busy: 503 with Retry-After, as the database-outage answer is."""
    route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                  body='{"detail": "Basis data sedang tidak tersedia.", "code": "database_unavailable"}')


def lose_the_answer(route) -> None:
    """The request reaches the server, which applies it; its answer never reaches the page."""
    route.fetch()
    route.abort("connectionreset")
