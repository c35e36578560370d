"""What the browser tests make the network do to the page's requests (Playwright routes), and waits."""

from __future__ import annotations

import time

from tests.factories import PASSWORD


def answer_busy(route) -> None:
    """The server is busy: 503 with Retry-After, as the database-outage answer is."""
    route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                  body='{"detail": "Basis data sedang tidak tersedia.", "code": "database_unavailable"}')


def lose_the_answer(route) -> None:
    """The request reaches the server, which applies it; its answer never reaches the page."""
    route.fetch()
    route.abort("connectionreset")


class FaultOnFirstTry:
    """A route handler: the first request (of `method`, when given) meets `fault` (`answer_busy`,
    `lose_the_answer`), the later ones reach the server. `sent` holds each such request's body."""

    def __init__(self, fault, method: str | None = None) -> None:
        self.fault, self.method = fault, method
        self.sent: list[str] = []

    def __call__(self, route, request) -> None:
        if self.method and request.method != self.method:
            route.continue_()
            return
        self.sent.append(request.post_data or "")
        if len(self.sent) == 1:
            self.fault(route)
        else:
            route.continue_()


def wait_js(page, expression: str, timeout: float = 10.0):
    """Poll a JavaScript expression until truthy (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def supervisor_page(make_user, login, asgi_server, username: str, viewport: dict | None = None):
    """A supervisor logged in with the second factor (TOTP), optionally at a viewport size."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    supervisor = make_user("supervisor", username=username)
    device = TOTPDevice.objects.create(user=supervisor, name="test", confirmed=True)
    page = login(username, PASSWORD)
    page.fill("input[name=token]", str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6))
    page.locator("input[name=token]").press("Enter")
    page.wait_for_load_state("networkidle")
    if viewport:
        page.set_viewport_size(viewport)
    return page
