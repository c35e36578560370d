"""What the fault tests share besides fixtures: stand-ins for the Telegram Bot API and a mailbox that
processes under test talk to, Celery processes of the project, an overdue dispatch."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

from tests.servers import ROOT, free_port

SPOOL_ENV = "FAULT_MAIL_SPOOL"
SPOOL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class FakeTelegram:
    """A Bot API `sendMessage` that records what it delivered.

    With `hang_first`, its first request hangs (the sender dies meanwhile) and delivers nothing."""

    def __init__(self, *, hang_first: bool = False):
        self.requests: list[bytes] = []
        self.delivered: list[bytes] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append(body)
                if hang_first and len(outer.requests) == 1:
                    outer.first_arrived.set()
                    outer.release.wait(60)
                    return
                outer.delivered.append(body)
                payload = b'{"ok": true, "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


class SpoolEmailBackend(FileEmailBackend):
    """Django's file e-mail backend writing into the folder named by $FAULT_MAIL_SPOOL, so a test can
    count what a worker process mailed (EMAIL_BACKEND=tests.faults.support.SpoolEmailBackend)."""

    def __init__(self, *args, **kwargs):
        kwargs["file_path"] = os.environ[SPOOL_ENV]
        super().__init__(*args, **kwargs)


def spooled_subjects(spool: Path) -> list[str]:
    """The subject of every message a SpoolEmailBackend wrote into `spool`."""
    subjects = []
    for path in sorted(spool.iterdir()):
        for raw in path.read_bytes().split(SPOOL_SEPARATOR):
            if raw.strip():
                subjects.append(str(email.message_from_bytes(raw)["Subject"]))
    return subjects


def start_celery(*args: str, env: dict) -> subprocess.Popen:
    """A Celery worker or beat of the project in its own process group; end it with `kill_celery`."""
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "dispatch", *args], cwd=ROOT, env=env, start_new_session=True)


def kill_celery(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def overdue_dispatch(operator, *, caller_number: str = "081234500001", agency_code: str = "DAMKAR"):
    """A committed dispatch escalated to level 1 long ago: the next sweep escalates it to level 2 (duty officers)."""
    from calls.services import call_classify, call_create
    from dispatch.models import Dispatch
    from dispatch.services import incident_dispatch

    call, _ = call_create(operator=operator, caller_number=caller_number, notes="kebakaran rumah")
    call = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    dispatch = incident_dispatch(incident_id=call.incident_id, user=operator, agency_codes=[agency_code], no_place_reason="lokasi menyusul")[0]
    long_ago = dispatch.dispatched_at - timedelta(minutes=30)
    Dispatch.objects.filter(pk=dispatch.pk).update(ack_deadline=long_ago, escalation_level=1, escalated_at=long_ago)
    return dispatch
