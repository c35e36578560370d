"""Fixtures for the dispatch tests: incidents opened the way operators open them,
agency staff, and a local stand-in for the Telegram Bot API that records calls."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Inside kelurahan Pagar Dewa (its centroid).
PAGAR_DEWA = (-3.84067, 102.32073)


@pytest.fixture
def open_incident(ref, operator):
    """Record and classify an emergency call; returns its incident."""
    from calls import services as call_services

    def build(type_code="kebakaran_bangunan", *, lat=PAGAR_DEWA[0], lon=PAGAR_DEWA[1], notes="api besar di ruko", number="081234500001", user=None):
        location = call_services.Location(lat=lat, lon=lon, address="Jl. Pagar Dewa dekat masjid") if lat is not None else None
        call, _ = call_services.call_create(operator=user or operator, caller_number=number, notes=notes, location=location)
        call = call_services.call_classify(call_id=call.pk, user=user or operator, call_type="emergency", incident_type=type_code)
        return call.incident

    return build


@pytest.fixture
def staff(ref, make_user):
    """One agency staff user per agency code, created on demand."""
    made = {}

    def get(code: str, n: int = 0):
        key = (code, n)
        if key not in made:
            made[key] = make_user("agency", agency=code)
        return made[key]

    return get


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        server = self.server
        with server.lock:
            server.calls.append({"path": self.path, "body": body})
            fail = server.fail_next > 0
            if fail:
                server.fail_next -= 1
        if fail:
            payload, status = {"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502
        else:
            payload, status = {"ok": True, "result": {"message_id": len(server.calls)}}, 200
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def telegram(settings):
    """A local HTTP server speaking the Bot API's sendMessage; the project is pointed at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.calls, server.fail_next, server.lock = [], 0, threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_BACKEND = "telegram"
    settings.TELEGRAM_BOT_TOKEN = "123:test-token"
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
