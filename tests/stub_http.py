"""A local HTTP server in a thread, for tests that need a real service to talk to (a BMKG feed, a
Nominatim geocoder, a tile server, a Web Push service): each stand-in says what to answer; this
serves it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (status, headers, body) for one request, given it (its .command, .path, .headers, and .body for a POST).
Answer = tuple[int, dict[str, str], bytes]


class StubServer:
    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], Answer]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self.body = b""
                self._answer()

            def do_POST(self):  # noqa: N802
                self.body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer()

            def _answer(self):
                status, headers, body = answer(self)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Length": str(len(body)), **headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a time-out test): nothing to answer to

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
